'use strict';
// Settles, from Redis, the waiters whose 'completed'/'failed' event a
// producer did not receive: its QueueEvents reconnected, the event stream was
// trimmed past it, or Redis restarted and the job is gone. Checks
//   - every added waiter after a connection of the producer closed, and
//   - every `interval` ms, the waiters added at least `interval` ms ago,
// with one HMGET per job (no job data is read). A job Redis has no record of
// rejects with ERR_REMOTE_JOB_LOST: it vanished (a restart without
// persistence, an obliterate), since results are kept `resultAge` seconds.
const { errors } = require('../errors');
const codec = require('./codec');
const { redisClient } = require('./deps');

const CHUNK = 1000;

class Reconciler {
  #queue;
  #waiters;
  #interval;
  #settle;
  #onError;
  #timer = null;
  #soon = null;
  #all = false;
  #running = false;

  constructor({ queue, waiters, interval, settle, onError }) {
    this.#queue = queue;
    this.#waiters = waiters;
    this.#interval = interval;
    this.#settle = settle;
    this.#onError = onError;
  }

  start() {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.tick(), this.#interval);
    this.#timer.unref();
  }

  stop() {
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    this.#timer = null;
    this.#soon = null;
  }

  /** After a connection closed: check every added waiter (the commands wait for the reconnect). */
  checkAllSoon() {
    this.#all = true;
    if (this.#soon || !this.#timer) return;
    this.#soon = setTimeout(() => {
      this.#soon = null;
      this.tick();
    }, 0);
    this.#soon.unref();
  }

  async tick() {
    if (this.#running || this.#waiters.size === 0) return;
    this.#running = true;
    const all = this.#all;
    this.#all = false;
    const now = Date.now();
    const due = [];
    for (const [id, w] of this.#waiters) {
      if (w.addedAt === 0) continue;
      if (all || (now - w.addedAt >= this.#interval && now - w.checkedAt >= this.#interval)) due.push(id);
    }
    try {
      const client = await redisClient(this.#queue);
      for (let i = 0; i < due.length; i += CHUNK) {
        const chunk = due.slice(i, i + CHUNK);
        const rows = await Promise.all(
          chunk.map((id) => client.hmget(this.#queue.toKey(id), 'timestamp', 'finishedOn', 'returnvalue', 'failedReason')),
        );
        chunk.forEach((id, k) => this.#apply(id, rows[k], now));
      }
    } catch (err) {
      if (all) this.#all = true;
      this.#onError(err);
    } finally {
      this.#running = false;
    }
  }

  #apply(id, [timestamp, finishedOn, returnvalue, failedReason], now) {
    const w = this.#waiters.get(id);
    if (!w) return;
    w.checkedAt = now;
    if (timestamp === null) {
      this.#settle(id, false, errors.remoteJobLost(id, 'Redis has no record of it: restarted without persistence, or removed'));
    } else if (finishedOn !== null && returnvalue !== null) {
      let value;
      try {
        value = codec.decodeValue(JSON.parse(returnvalue));
      } catch (err) {
        this.#settle(id, false, err);
        return;
      }
      this.#settle(id, true, value);
    } else if (finishedOn !== null) {
      this.#settle(id, false, codec.parseFailure(id, failedReason));
    }
  }
}

module.exports = { Reconciler };
