'use strict';
// run()'s tasks with a flat argument, handed to the core together.
//
// A task that needs nothing of the core but its queue (no signal, timeout,
// retry or transfer) and whose argument is flat — a number, boolean, null,
// undefined, Latin-1 string, or a plain object of those — is encoded by
// run() itself (wire-helpers encodeTask: the bytes are final, so later
// changes to the object do not reach the task, as with any other) and
// queued here. The queue goes to the core in one call (submitEncoded: one
// bulk push) when the current job ends (a microtask), when it is full, or
// before anything that must find its tasks there: another submit (order),
// destroy(), close({ force }), stats(). A burst of run() calls then crosses
// into native code once per MAX_TASKS tasks instead of once per task, and
// no call back into JS classifies its arguments.
//
// The core stamps a task's enqueue time when the queue reaches it: its wait
// time leaves out the rest of the job that queued it (at most MAX_TASKS
// run() calls).
const MAX_TASKS = 256;
const MAX_BYTES = 64 * 1024;
const META = 4; // [id, handler, lane, end of its record in bytes]

class SubmitBatch {
  #native;
  #flat; // the encoder's scratch: encodeTask() wrote the record here
  #failed; // (ids, count, err): the core refused the batch (the pool closed under it)
  #meta = new Float64Array(MAX_TASKS * META);
  #bytes = new Uint8Array(MAX_BYTES);
  #count = 0;
  #used = 0;
  #scheduled = false;
  #flushLater = () => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(native, flat, failed) {
    this.#native = native;
    this.#flat = flat;
    this.#failed = failed;
  }

  /**
   * Queues task `id` whose record encodeTask() just wrote into flat[0, length).
   * Returns true if the queue was full and went to the core first.
   */
  add(id, handler, lane, length) {
    const handed = this.#count === MAX_TASKS || this.#used + length > MAX_BYTES;
    if (handed) this.flush();
    const bytes = this.#bytes;
    const flat = this.#flat;
    const at = this.#used;
    for (let i = 0; i < length; i++) bytes[at + i] = flat[i];
    this.#used = at + length;
    const m = this.#count * META;
    this.#meta[m] = id;
    this.#meta[m + 1] = handler;
    this.#meta[m + 2] = lane;
    this.#meta[m + 3] = this.#used;
    this.#count++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushLater);
    }
    return handed;
  }

  /** Hands what is queued to the core now. Never throws. */
  flush() {
    const n = this.#count;
    if (n === 0) return;
    this.#count = 0;
    this.#used = 0;
    // The next add() schedules a flush of its own. (A job of many tasks
    // then schedules one per hand-over, not only its first task: add()'s
    // scheduling branch runs often enough to be warm when the JIT compiles
    // run(), instead of deoptimizing it at the next job's first task.)
    this.#scheduled = false;
    try {
      this.#native.submitEncoded(this.#meta, this.#bytes, n);
    } catch (err) {
      const ids = new Array(n);
      for (let i = 0; i < n; i++) ids[i] = this.#meta[i * META];
      this.#failed(ids, err);
    }
  }
}

module.exports = { SubmitBatch };
