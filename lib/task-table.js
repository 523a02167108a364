'use strict';
// The task table: every task the pool has accepted and not yet settled, by
// id. It is the only place a task's promise settles, and it settles each
// exactly once: a record leaves the table before its promise settles, and
// anything that finds no record (a result after an abort, a second
// cancellation) does nothing. A retried task stays in the table across its
// attempts (one attempt in flight at a time, same id), so it too settles once.
const { AsyncResource } = require('node:async_hooks');
const { STATUS, CANCEL, SETTLE_STRIDE, STATUS_INBOX, SUBMIT } = require('./protocol');
const { decodeFlat } = require('./binding').wireHelpers;
const { errors, unwrapThrown } = require('./errors');
const { listen, unlisten } = require('./signals');
const { shouldRetry, retryDelay } = require('./retry');
const { Counters, OUTCOME } = require('./figures');
const { settleTraced } = require('./tracing');
const { RecordIndex } = require('./record-index');

// What only some tasks have (a signal, retries, a timeout, a tracing
// context): kept off TaskRecord so the common task stays small (Infinity in
// a field of its own would cost every record a heap number). A record in a burst of
// 100,000 lives through several scavenges; every field it carries is
// copied each time.
class TaskExtras {
  constructor() {
    this.signal = null;
    this.onAbort = null;
    this.retry = null; // lib/retry.js policy
    this.attempts = 1;
    this.retryTimer = null;
    this.context = null; // lib/tracing.js: its tracing context, when traced
    this.timeout = Infinity; // ms (lib/timeouts.js)
  }
}
const NO_EXTRAS = Object.freeze(new TaskExtras());

// record.bits: SUBMIT flags (3 bits), then `live`, then the lane (< 64).
const FLAG_BITS = 7;
const LIVE = 8;
const LANE_SHIFT = 4;

class TaskRecord extends AsyncResource {
  constructor(id, resolve) {
    // Piscina's resource type, so tools that filter on it see our tasks.
    super('Piscina.Task', { requireManualDestroy: true });
    this.id = id;
    this.resolve = resolve; // its promise's (a failure goes through it too: see Rejection)
    this.bits = LIVE; // flags 0, live, lane 0: one small integer, not three fields
    this.extras = NO_EXTRAS; // a TaskExtras of its own once one is set
  }

  /** lib/protocol.js SUBMIT */
  get flags() { return this.bits & FLAG_BITS; }
  set flags(v) { this.bits = (this.bits & ~FLAG_BITS) | v; }
  /** An attempt is in flight (false while a retry waits). */
  get live() { return (this.bits & LIVE) !== 0; }
  set live(v) { this.bits = v ? this.bits | LIVE : this.bits & ~LIVE; }
  get lane() { return this.bits >>> LANE_SHIFT; }
  set lane(v) { this.bits = (this.bits & (LIVE | FLAG_BITS)) | (v << LANE_SHIFT); }

  /** The binding can cancel it (signal, timeout, retry). */
  get tracked() {
    return (this.flags & SUBMIT.TRACK) !== 0;
  }

  #own() {
    if (this.extras === NO_EXTRAS) this.extras = new TaskExtras();
    return this.extras;
  }

  get signal() { return this.extras.signal; }
  set signal(v) { if (v !== this.extras.signal) this.#own().signal = v; }
  get onAbort() { return this.extras.onAbort; }
  set onAbort(v) { if (v !== this.extras.onAbort) this.#own().onAbort = v; }
  get retry() { return this.extras.retry; }
  set retry(v) { if (v !== this.extras.retry) this.#own().retry = v; }
  get attempts() { return this.extras.attempts; }
  set attempts(v) { if (v !== this.extras.attempts) this.#own().attempts = v; }
  get retryTimer() { return this.extras.retryTimer; }
  set retryTimer(v) { if (v !== this.extras.retryTimer) this.#own().retryTimer = v; }
  get timeout() { return this.extras.timeout; }
  set timeout(v) { if (v !== this.extras.timeout) this.#own().timeout = v; }
  get context() { return this.extras.context; }
  set context(v) { if (v !== this.extras.context) this.#own().context = v; }
}

// AsyncResource keeps its async ids in two fields of every record. V8 gives
// a field that first held a heap number (the ids come out of a
// Float64Array) a boxed double representation: every record would carry
// two more heap objects. One record whose ids are overwritten with a
// non-number makes those fields plain tagged ones for the whole class, so
// an id then lives in the record as a small integer. (A representation
// only widens; nothing else depends on this.)
{
  const probe = new TaskRecord(0, null);
  probe.emitDestroy();
  for (const key of Object.getOwnPropertySymbols(probe)) probe[key] = null;
}

// The executor of every task's promise: one function, not a closure per
// task. Only `resolve` is kept (see Rejection).
let captured = null;
function capture(resolve) {
  captured = resolve;
}

// A failure handed to a task promise's resolve function: the promise adopts
// it (a microtask later) and rejects with `error`. A record that keeps only
// the resolve function spares every pending task the reject function's 56
// bytes, which a burst's scavenges would otherwise copy and promote.
class Rejection {
  constructor(error) {
    this.error = error;
  }

  then(_, reject) {
    reject(this.error);
  }
}

// Called as record.runInAsyncScope(fulfil | fail, record, value): the
// record as `this`, so the scope's argument list holds one value.
function fulfil(value) {
  this.resolve(value);
}
function fail(error) {
  this.resolve(new Rejection(error));
}

function withAttempts(err, attempts) {
  if (err !== null && typeof err === 'object') {
    try {
      err.attempts = attempts;
    } catch {
      // a frozen value: it arrives as it was thrown
    }
  }
  return err;
}

class TaskTable {
  #records = new RecordIndex(); // id -> TaskRecord
  // Windows: tasks runMany()/map() submitted with one submitMany() call
  // (lib/run-many.js), ids [first, end), settled through their window.
  #windows = []; // few at once
  #windowPending = 0;
  #nextId = 1;
  #native;
  #channel;
  #hooks;
  #counters; // lib/figures.js Counters: outcomes[OUTCOME] counted where a record settles
  #outcomes;
  completed = 0; // records settled by their worker's outcome (not by an abort)
  exclusive = 0; // records of tasks that run alone on a worker (abortable ones)
  tracing = null; // lib/tracing.js: the context for the next record add()ed

  /**
   * hooks.exited(consumer, record): a task its worker was running when it
   *   went away; true if the worker set takes it (to fail it once it knows
   *   why the worker left), false to fail it here as ERR_WORKER_EXITED.
   * hooks.stopRunning(consumer, reason): stop the worker running a task.
   * hooks.settled(): after one or more records left the table.
   * hooks.closedError(status): the error for SHUTDOWN / exits during destroy.
   * hooks.retrying(record, err, delay), hooks.resubmitted(): retries.
   * hooks.timedOut(record, err): a task ran past its timeout.
   * hooks.timeouts: the TimeoutWatch.
   * counters: lib/figures.js Counters (stats()).
   */
  constructor(native, channel, hooks, counters = new Counters()) {
    this.#native = native;
    this.#channel = channel;
    this.#hooks = hooks;
    this.#counters = counters;
    this.#outcomes = counters.outcomes;
  }

  get size() {
    return this.#records.size + this.#windowPending;
  }

  nextId() {
    return this.#nextId++;
  }

  /** Reserves `n` consecutive ids; returns the first. */
  nextIds(n) {
    const first = this.#nextId;
    this.#nextId += n;
    return first;
  }

  /** A window of `count` pending tasks: w.settle(id, status, value, consumer) for ids in [w.first, w.end). */
  addWindow(w, count) {
    this.#windows.push(w);
    this.#windowPending += count;
  }

  /** `count` tasks of window w left the table (settled or cancelled); `last`: w is done. */
  windowSettled(w, count, last) {
    this.#windowPending -= count;
    if (last) {
      const at = this.#windows.indexOf(w);
      if (at >= 0) this.#windows.splice(at, 1);
    }
  }

  /**
   * A window's task whose worker went away: null if the worker set took
   * `record` (it calls failExited(record, err) once it knows why the worker
   * left), else the error to fail it with.
   */
  orphaned(consumer, record) {
    const closed = this.#hooks.closedError(STATUS.WORKER_EXITED);
    if (closed === null && this.#hooks.exited(consumer, record)) return null;
    return closed || errors.workerExited();
  }

  /** The error for a task the pool shut down before it ran. */
  shutdownError(status) {
    return this.#hooks.closedError(status) || errors.poolClosed('The pool was destroyed before the task ran');
  }

  #windowOf(id) {
    for (const w of this.#windows) if (id >= w.first && id < w.end) return w;
    return undefined;
  }

  /** A record for task `id` and its promise; add() it once the task is submitted. */
  create(id) {
    const promise = new Promise(capture);
    const record = new TaskRecord(id, captured);
    captured = null;
    return { record, promise };
  }

  add(record, signal) {
    this.#records.set(record);
    if (record.flags & SUBMIT.EXCLUSIVE) this.exclusive++;
    if (this.tracing !== null) {
      record.context = this.tracing;
      this.tracing = null;
    }
    if (signal) {
      record.signal = signal;
      record.onAbort = () => this.abort(record.id, signal.reason);
      listen(signal, record.onAbort);
    }
    if (record.timeout !== Infinity) this.#hooks.timeouts.add(record);
  }

  /** The record of task `id` while it is in the table. */
  get(id) {
    return this.#records.get(id);
  }

  /** Takes the record out of the table: whoever gets it settles it. */
  #take(id) {
    const record = this.#records.get(id);
    if (record === undefined) return undefined;
    this.#records.delete(id);
    if (record.flags & SUBMIT.EXCLUSIVE) this.exclusive--;
    if (record.signal !== null) {
      unlisten(record.signal, record.onAbort);
      record.signal = null;
    }
    if (record.timeout !== Infinity) this.#hooks.timeouts.delete(record);
    if (record.retryTimer !== null) {
      clearTimeout(record.retryTimer);
      record.retryTimer = null;
    }
    if (record.retry !== null) this.#native.forget(id);
    this.#channel.taskDone(id);
    return record;
  }

  #finish(record, ok, value) {
    try {
      if (record.context === null) record.runInAsyncScope(ok ? fulfil : fail, record, value);
      else record.runInAsyncScope(settleTraced, null, record.context, ok, value, (v) => (ok ? fulfil : fail).call(record, v));
    } finally {
      record.emitDestroy();
    }
  }

  /** Cancels task `id` exactly (lib/protocol.js CANCEL); only a running task costs its worker. */
  #cancelAttempt(record, reason) {
    if (!record.live || !record.tracked) return;
    record.live = false;
    const [state, consumer] = this.#native.cancel(record.id);
    if (state === CANCEL.RUNNING) this.#hooks.stopRunning(consumer, reason);
  }

  /** Aborts task `id` (its signal fired): rejects it with an AbortError, whatever attempt it is on. */
  abort(id, reason) {
    const record = this.#take(id);
    if (record === undefined) return false;
    this.#cancelAttempt(record, 'abort');
    this.#outcomes[OUTCOME.ABORTED]++;
    this.#finish(record, false, errors.aborted(reason));
    this.#hooks.settled();
    return true;
  }

  /** The TimeoutWatch found `record` running past its timeout on `consumer`. */
  timeout(record) {
    if (this.#records.get(record.id) !== record || !record.live) return;
    this.#cancelAttempt(record, 'timeout');
    const err = errors.taskTimeout(record.timeout);
    this.#hooks.timedOut(record, err);
    this.#failed(record, err, OUTCOME.TIMEOUT);
    this.#hooks.settled();
  }

  /** An attempt failed with `err` (`outcome`, if final): try again if the policy says so, else reject. */
  #failed(record, err, outcome) {
    record.live = false;
    if (shouldRetry(record.retry, err, record.attempts)) {
      const delay = retryDelay(record.retry, record.attempts);
      this.#hooks.retrying(record, err, delay);
      if (delay > 0) {
        // Not queued and holding no worker while it waits; ref'd, as the
        // task is still pending.
        record.retryTimer = setTimeout(() => {
          record.retryTimer = null;
          this.#resubmit(record);
        }, delay);
      } else {
        this.#resubmit(record);
      }
      return;
    }
    if (this.#take(record.id) === undefined) return;
    this.completed++;
    this.#outcomes[outcome]++;
    this.#finish(record, false, record.retry !== null ? withAttempts(err, record.attempts) : err);
  }

  #resubmit(record) {
    if (this.#records.get(record.id) !== record) return; // aborted meanwhile
    record.attempts++;
    record.live = true;
    let ok = false;
    try {
      ok = this.#native.resubmit(record.id, record.lane, record.flags);
    } catch (err) {
      this.#failed(record, err, OUTCOME.CANCELLED); // the pool closed meanwhile
      return;
    }
    if (!ok) {
      record.live = false;
      if (this.#take(record.id) !== undefined) {
        this.#outcomes[OUTCOME.ERROR]++;
        this.#finish(record, false, errors.internal('a retried task lost its bytes'));
      }
      this.#hooks.settled();
      return;
    }
    this.#counters.count('retried'); // natively one more submit: stats() takes it off
    this.#hooks.resubmitted();
  }

  /**
   * The binding's batch: meta = [id, status, consumer, ...] (protocol
   * SETTLE_STRIDE). A status with STATUS_INBOX set: the value is the offset
   * of its flat record in `inbox`, decoded here before anything settles
   * (the binding reuses the inbox for its next batch).
   */
  settleBatch(meta, values, inbox) {
    for (let i = 1, j = 0; i < meta.length; i += SETTLE_STRIDE, j++) {
      if ((meta[i] & STATUS_INBOX) === 0) continue;
      meta[i] -= STATUS_INBOX;
      values[j] = decodeFlat(inbox, values[j]);
    }
    let first;
    let failed = false;
    for (let i = 0, j = 0; i < meta.length; i += SETTLE_STRIDE, j++) {
      const record = this.#records.get(meta[i]);
      try {
        if (record !== undefined) this.#settleOne(record, meta[i + 1], values[j], meta[i + 2]);
        else if (this.#windows.length !== 0) {
          const w = this.#windowOf(meta[i]);
          // No window: cancelled earlier, its result is dropped.
          if (w !== undefined) w.settle(meta[i], meta[i + 1], values[j], meta[i + 2]);
        }
      } catch (err) {
        if (!failed) {
          failed = true;
          first = err;
        }
      }
    }
    this.#hooks.settled();
    if (failed) throw first;
  }

  #settleOne(record, status, value, consumer) {
    switch (status) {
      case STATUS.OK:
        this.#take(record.id);
        this.completed++;
        this.#outcomes[OUTCOME.OK]++;
        return this.#finish(record, true, value);
      case STATUS.ERROR: {
        let err;
        try {
          err = value === undefined ? errors.internal('a task failed without an error value') : unwrapThrown(value);
        } catch (e) {
          err = e;
        }
        return this.#failed(record, err, OUTCOME.ERROR);
      }
      case STATUS.WORKER_EXITED: {
        const closed = this.#hooks.closedError(status);
        if (closed === null && this.#hooks.exited(consumer, record)) {
          record.live = false; // the worker set fails it when its exit is handled
          return undefined;
        }
        return this.#failed(record, closed || errors.workerExited(), OUTCOME.WORKER_EXITED);
      }
      default:
        this.#take(record.id);
        this.completed++;
        this.#outcomes[OUTCOME.CANCELLED]++;
        return this.#finish(record, false, this.#hooks.closedError(status) || errors.poolClosed('The pool was destroyed before the task ran'));
    }
  }

  /** A record the worker set held back for its worker's exit: fail it with why the worker left. */
  failExited(record, err) {
    if (record.window !== undefined) record.window.failExited(record, err);
    else if (this.#records.get(record.id) === record) this.#failed(record, err, OUTCOME.WORKER_EXITED);
  }

  /** Tasks add()ed whose submission the core refused (lib/submit-batch.js): reject each with `err`. */
  failUnsubmitted(ids, err) {
    for (const id of ids) {
      const record = this.#take(id);
      if (record === undefined) continue;
      this.#outcomes[OUTCOME.CANCELLED]++;
      this.#finish(record, false, err);
    }
    this.#hooks.settled();
  }

  /** Rejects every record still in the table (after destroy: nothing else will). */
  rejectAll(err) {
    for (const id of this.#records.ids()) {
      const record = this.#take(id);
      if (record === undefined) continue;
      this.#outcomes[OUTCOME.CANCELLED]++;
      this.#finish(record, false, err);
    }
    for (const w of [...this.#windows]) w.rejectAll(err);
    this.#hooks.settled();
  }
}

module.exports = { TaskTable, TaskRecord };
