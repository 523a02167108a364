'use strict';
// Per-task timeouts without a timer per task: one interval for the whole pool,
// running only while some task has a timeout. A task's time counts from when
// its worker started it (the worker stamps starts[slot]; lib/protocol.js), so
// a task still queued never times out.

const MIN_TICK_MS = 1;
const MAX_TICK_MS = 50;

// Each tick asks the core which tasks are running (at most one per worker
// slot) and looks those up in the task table, so a tick costs the same with
// 100,000 tasks queued as with none, and a task with a timeout costs a
// counter, not an entry of its own.
class TimeoutWatch {
  #watched = 0; // records in the table with a finite timeout
  #timer = null;
  #tick = MAX_TICK_MS;
  #native;
  #recordOf; // id -> the task table's record, or undefined
  #startOf; // (consumer, slot) -> start stamp (ms) or 0
  #expired; // (record) -> void

  constructor(native, recordOf, startOf, expired) {
    this.#native = native;
    this.#recordOf = recordOf;
    this.#startOf = startOf;
    this.#expired = expired;
  }

  /** A record with a finite timeout entered the table. */
  add(record) {
    this.#watched++;
    // Check about ten times per timeout (the precision), within bounds.
    const tick = Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, Math.floor(record.timeout / 10)));
    if (this.#timer === null || tick < this.#tick) {
      if (this.#timer !== null) clearInterval(this.#timer);
      this.#tick = tick;
      this.#timer = setInterval(() => this.#check(), tick);
      this.#timer.unref(); // the task in flight keeps the process alive, not this
    }
  }

  /** A record add()ed before left the table. */
  delete() {
    if (--this.#watched > 0) return;
    this.#watched = 0;
    clearInterval(this.#timer);
    this.#timer = null;
    this.#tick = MAX_TICK_MS;
  }

  #check() {
    const now = performance.timeOrigin + performance.now();
    const running = this.#native.runningTasks(); // [id, consumer, slot, ...] of current attempts
    for (let i = 0; i < running.length; i += 3) {
      const record = this.#recordOf(running[i]);
      // No timeout, between attempts, or settled already.
      if (record === undefined || record.timeout === Infinity || !record.live) continue;
      const start = this.#startOf(running[i + 1], running[i + 2]);
      if (start > 0 && now - start >= record.timeout) this.#expired(record);
    }
  }

  clear() {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#watched = 0;
  }
}

module.exports = { TimeoutWatch };
