'use strict';
// RemotePool: pool.run() across machines. Each run() becomes one BullMQ job
// whose id this producer chooses; the waiter is registered before add(), and
// ONE QueueEvents subscription settles waiters by job id ('completed',
// 'failed', 'removed'). A Reconciler settles, from Redis, waiters whose event
// was missed (a reconnect, a trimmed event stream) and rejects those whose job
// vanished (ERR_REMOTE_JOB_LOST). Every waiter settles exactly once: whoever
// takes it out of the table settles it.
const { EventEmitter } = require('node:events');
const { randomBytes } = require('node:crypto');
const { errors } = require('../errors');
const { loadBullmq, redisClient, closeBounded } = require('./deps');
const codec = require('./codec');
const { checkRemoteOptions, checkRunOptions, jobOptions } = require('./options');
const { Reconciler } = require('./reconcile');
const { CANCEL_EVENT, CANCEL_MAXLEN, cancelStream } = require('./protocol');

class RemotePool extends EventEmitter {
  #o;
  #queue;
  #events = null;
  #eventsProducer = null;
  #started;
  #reconciler;
  #waiters = new Map(); // jobId -> { resolve, reject, state, addedAt, checkedAt, unwatch }
  #idPrefix = `np${randomBytes(9).toString('base64url')}`;
  #seq = 0;
  #queued = 0;
  #needsDrain = false;
  #closing = false;
  #destroyed = false;
  #closed = null;
  #completed = 0;

  constructor(options) {
    super();
    const o = checkRemoteOptions(options);
    const { Queue } = loadBullmq();
    this.#o = o;
    this.#queue = new Queue(o.queue, { connection: o.connection, prefix: o.prefix });
    this.#queue.on('error', (err) => this.#relayError(err));
    this.#queue.on('ioredis:close', () => this.#reconciler.checkAllSoon());
    this.#reconciler = new Reconciler({
      queue: this.#queue,
      waiters: this.#waiters,
      interval: o.reconcileInterval,
      settle: (id, ok, value) => this.#settle(id, ok, value),
      onError: (err) => this.#relayError(err),
    });
    this.#whenStarted();
  }

  /** The subscription, started once; if it failed (Redis errored mid-start), the next run() starts it again. */
  #whenStarted() {
    if (!this.#started) {
      this.#started = this.#subscribe();
      this.#started.catch((err) => {
        this.#started = null;
        this.#relayError(err);
      });
    }
    return this.#started;
  }

  /**
   * Starts the one QueueEvents reader from the stream's last entry before
   * any add(), so no event of this producer's jobs can be missed however late
   * its first XREAD runs.
   */
  async #subscribe() {
    const { QueueEvents } = loadBullmq();
    const client = await redisClient(this.#queue);
    const last = await client.runCommand('xrevrange', [this.#queue.keys.events, '+', '-', 'COUNT', '1']);
    const lastEventId = Array.isArray(last) && last.length > 0 ? last[0][0] : '0-0';
    if (this.#destroyed) return;
    const ev = new QueueEvents(this.#o.queue, { connection: this.#o.connection, prefix: this.#o.prefix, autorun: false, lastEventId });
    this.#events = ev;
    ev.on('error', (err) => this.#relayError(err));
    ev.on('ioredis:close', () => this.#reconciler.checkAllSoon());
    ev.on('completed', ({ jobId, returnvalue }) => {
      if (!this.#waiters.has(jobId)) return;
      let value;
      try {
        value = codec.decodeValue(returnvalue);
      } catch (err) {
        this.#settle(jobId, false, err);
        return;
      }
      this.#settle(jobId, true, value);
    });
    ev.on('failed', ({ jobId, failedReason }) => {
      if (this.#waiters.has(jobId)) this.#settle(jobId, false, codec.parseFailure(jobId, failedReason));
    });
    ev.on('removed', ({ jobId }) => {
      if (this.#waiters.has(jobId)) this.#settle(jobId, false, errors.remoteJobLost(jobId, 'it was removed from the queue'));
    });
    ev.on('active', ({ jobId }) => this.#mark(jobId, 'running'));
    for (const back of ['waiting', 'delayed', 'stalled']) ev.on(back, ({ jobId }) => this.#mark(jobId, 'queued'));
    ev.run().catch((err) => this.#relayError(err));
    this.#reconciler.start();
  }

  /**
   * Runs `task` on whichever consumer of the queue takes it. Never throws.
   * @returns {Promise<any>}
   */
  run(task, options) {
    if (this.#closing) return Promise.reject(errors.poolClosed());
    let run;
    try {
      run = { ...this.#o.defaults, ...checkRunOptions('options', options) };
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#waiters.size >= this.#o.maxQueue) return Promise.reject(errors.queueFull(this.#o.maxQueue));
    const signal = run.signal;
    if (signal && signal.aborted) return Promise.reject(errors.aborted(signal.reason));
    let data;
    try {
      data = { v: codec.encodeValue(task) };
    } catch (err) {
      return Promise.reject(err);
    }
    const jobId = `${this.#idPrefix}-${++this.#seq}`;
    const { opts, extra } = jobOptions(jobId, run, this.#o.resultAge);
    if (run.name !== undefined) data.n = run.name;
    if (run.timeout !== undefined && run.timeout !== Infinity) data.t = run.timeout;
    Object.assign(data, extra);

    const promise = new Promise((resolve, reject) => {
      this.#waiters.set(jobId, { resolve, reject, state: 'adding', addedAt: 0, checkedAt: 0, unwatch: null });
    });
    this.#queued++;
    const waiter = this.#waiters.get(jobId);
    const added = this.#whenStarted().then(() => this.#queue.add(run.name || 'default', data, opts));
    added.then(
      () => {
        waiter.addedAt = Date.now();
        if (waiter.state === 'adding') this.#mark(jobId, 'queued');
      },
      (err) => {
        if (this.#waiters.has(jobId)) this.#settle(jobId, false, errors.remoteUnavailable(jobId, err));
      },
    );
    if (signal) waiter.unwatch = watchSignal(signal, () => this.#abort(jobId, signal.reason, added));
    this.#checkNeedsDrain();
    return promise;
  }

  #mark(jobId, state) {
    const w = this.#waiters.get(jobId);
    if (!w || w.state === state) return;
    const wasQueued = w.state !== 'running';
    w.state = state;
    this.#queued += (state !== 'running' ? 1 : 0) - (wasQueued ? 1 : 0);
  }

  /** The one place a waiter leaves the table. */
  #settle(jobId, ok, value) {
    const w = this.#waiters.get(jobId);
    if (!w) return false;
    this.#waiters.delete(jobId);
    if (w.state !== 'running') this.#queued--;
    if (w.unwatch) w.unwatch();
    this.#completed++;
    if (ok) w.resolve(value);
    else w.reject(value);
    this.#afterSettle();
    return true;
  }

  /** Rejects at once; then removes the job if it is still queued, else asks its consumer to abort it. */
  #abort(jobId, reason, added) {
    if (!this.#settle(jobId, false, errors.aborted(reason))) return;
    added.then(() => this.#cancelRemote(jobId)).catch((err) => this.#relayError(err));
  }

  async #cancelRemote(jobId) {
    if ((await this.#queue.remove(jobId)) === 1) return;
    if (!this.#eventsProducer) {
      const { QueueEventsProducer } = loadBullmq();
      const { name, prefix } = cancelStream(this.#o.prefix, this.#o.queue);
      this.#eventsProducer = new QueueEventsProducer(name, { connection: this.#o.connection, prefix });
      this.#eventsProducer.on('error', (err) => this.#relayError(err));
    }
    await this.#eventsProducer.publishEvent({ eventName: CANCEL_EVENT, jobId }, CANCEL_MAXLEN);
  }

  #checkNeedsDrain() {
    if (!this.#needsDrain && this.#waiters.size >= this.#o.maxQueue) {
      this.#needsDrain = true;
      this.emit('needsDrain');
    }
  }

  #afterSettle() {
    if (this.#needsDrain && this.#waiters.size < this.#o.maxQueue) {
      this.#needsDrain = false;
      this.emit('drain');
    } else if (this.#waiters.size === 0 && !this.#needsDrain) {
      this.emit('drain');
    }
    if (this.#waiters.size === 0 && this.#onIdle) this.#onIdle();
  }

  #onIdle = null;

  /** Connection errors (ioredis reconnects by itself) reach 'error' listeners, if there are any. */
  #relayError(err) {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** Waits for every pending job's result, then closes the connections. `{ force: true }` is destroy(). */
  close(options) {
    if (options && options.force) return this.destroy();
    if (this.#closed) return this.#closed;
    this.#closing = true;
    const idle = this.#waiters.size === 0 ? Promise.resolve() : new Promise((resolve) => { this.#onIdle = resolve; });
    this.#closed = idle.then(() => this.#shutdown());
    return this.#closed;
  }

  /** Rejects every pending run() with ERR_POOL_CLOSED (their jobs stay in Redis and may still run), then closes. */
  destroy() {
    this.#closing = true;
    this.#destroyed = true;
    for (const id of [...this.#waiters.keys()]) this.#settle(id, false, errors.poolClosed('The remote pool was destroyed'));
    if (!this.#closed) this.#closed = this.#shutdown();
    return this.#closed;
  }

  async #shutdown() {
    if (this.#started) await this.#started.catch(() => undefined);
    this.#reconciler.stop();
    await Promise.all([
      this.#events && closeBounded(this.#events),
      this.#eventsProducer && closeBounded(this.#eventsProducer),
      closeBounded(this.#queue),
    ]);
    this.emit('close');
  }

  /** This producer's jobs not yet taken by a consumer. */
  get queueSize() {
    return this.#queued;
  }
  /** This producer's unsettled jobs (queued or running). */
  get pendingCount() {
    return this.#waiters.size;
  }
  get completed() {
    return this.#completed;
  }
  get needsDrain() {
    return this.#needsDrain;
  }
  get queue() {
    return this.#queue;
  }

  /** This producer's figures and the queue's BullMQ job counts (all producers). */
  async stats() {
    const counts = await this.#queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
    return {
      queueSize: this.#queued,
      pending: this.#waiters.size,
      running: this.#waiters.size - this.#queued,
      completed: this.#completed,
      counts,
    };
  }
}

function watchSignal(signal, onAbort) {
  if (typeof signal.addEventListener === 'function') {
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }
  const on = typeof signal.once === 'function' ? 'once' : 'on';
  signal[on]('abort', onAbort);
  return () => (signal.off || signal.removeListener).call(signal, 'abort', onAbort);
}

module.exports = { RemotePool };
