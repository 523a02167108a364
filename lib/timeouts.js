'use strict';
// Per-task timeouts without a timer per task: one interval for the whole pool,
// running only while some task has a timeout. A task's time counts from when
// its worker started it (the worker stamps starts[slot]; lib/protocol.js), so
// a task still queued never times out.

const MIN_TICK_MS = 1;
const MAX_TICK_MS = 50;

class TimeoutWatch {
  #records = new Set(); // records with a finite timeout
  #timer = null;
  #tick = MAX_TICK_MS;
  #native;
  #startOf; // (consumer, slot) -> start stamp (ms) or 0
  #expired; // (record, consumer) -> void

  constructor(native, startOf, expired) {
    this.#native = native;
    this.#startOf = startOf;
    this.#expired = expired;
  }

  add(record) {
    this.#records.add(record);
    // Check about ten times per timeout (the precision), within bounds.
    const tick = Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, Math.floor(record.timeout / 10)));
    if (this.#timer === null || tick < this.#tick) {
      if (this.#timer !== null) clearInterval(this.#timer);
      this.#tick = tick;
      this.#timer = setInterval(() => this.#check(), tick);
      this.#timer.unref(); // the task in flight keeps the process alive, not this
    }
  }

  delete(record) {
    if (!this.#records.delete(record) || this.#records.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = null;
    this.#tick = MAX_TICK_MS;
  }

  #check() {
    const now = performance.timeOrigin + performance.now();
    for (const record of this.#records) {
      if (!record.live) continue; // between attempts
      const at = this.#native.runningAt(record.id);
      if (at === null) continue; // queued, or held but not started
      const start = this.#startOf(at[0], at[1]);
      if (start > 0 && now - start >= record.timeout) this.#expired(record, at[0]);
    }
  }

  clear() {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#records.clear();
  }
}

module.exports = { TimeoutWatch };
