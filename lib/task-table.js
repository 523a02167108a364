'use strict';
// The task table: every task the pool has accepted and not yet settled, by
// id. It is the only place a task's promise settles, and it settles each
// exactly once: a record leaves the table before its promise settles, and
// anything that finds no record (a result after an abort, a second
// cancellation) does nothing.
const { AsyncResource } = require('node:async_hooks');
const { STATUS, CANCEL, SETTLE_STRIDE } = require('./protocol');
const { errors, unwrapThrown } = require('./errors');
const { Counters, OUTCOME } = require('./figures');
const { settleTraced } = require('./tracing');

class TaskRecord extends AsyncResource {
  constructor(id, resolve, reject) {
    // Piscina's resource type, so tools that filter on it see our tasks.
    super('Piscina.Task', { requireManualDestroy: true });
    this.id = id;
    this.resolve = resolve;
    this.reject = reject;
    this.signal = null;
    this.onAbort = null;
    this.context = null; // lib/tracing.js: its tracing context, when traced
  }
}

function listen(signal, fn) {
  if (typeof signal.addEventListener === 'function') signal.addEventListener('abort', fn, { once: true });
  else if (typeof signal.once === 'function') signal.once('abort', fn);
  else signal.on('abort', fn);
}

function unlisten(signal, fn) {
  if (typeof signal.removeEventListener === 'function') signal.removeEventListener('abort', fn);
  else if (typeof signal.off === 'function') signal.off('abort', fn);
  else if (typeof signal.removeListener === 'function') signal.removeListener('abort', fn);
}

class TaskTable {
  #records = new Map(); // id -> TaskRecord
  #nextId = 1;
  #native;
  #channel;
  #hooks;
  #outcomes; // Counters#outcomes, by OUTCOME: one increment where a record settles
  completed = 0; // records settled by their worker's outcome (not by an abort)
  tracing = null; // lib/tracing.js: the context for the next record add()ed

  /**
   * hooks.exited(consumer, record): a task its worker was running when it
   *   went away; returns true if the worker set takes it (to settle once it
   *   knows why the worker left), false to settle it here as ERR_WORKER_EXITED.
   * hooks.stopRunning(consumer): stop the worker running an aborted task.
   * hooks.settled(): after one or more records left the table.
   * hooks.closedError(status): the error for SHUTDOWN / exits during destroy.
   * counters: lib/figures.js Counters (stats()).
   */
  constructor(native, channel, hooks, counters = new Counters()) {
    this.#native = native;
    this.#channel = channel;
    this.#hooks = hooks;
    this.#outcomes = counters.outcomes;
  }

  get size() {
    return this.#records.size;
  }

  nextId() {
    return this.#nextId++;
  }

  /** A record for task `id` and its promise; add() it once the task is submitted. */
  create(id) {
    let record;
    const promise = new Promise((resolve, reject) => {
      record = new TaskRecord(id, resolve, reject);
    });
    return { record, promise };
  }

  add(record) {
    this.#records.set(record.id, record);
    if (this.tracing !== null) {
      record.context = this.tracing;
      this.tracing = null;
    }
  }

  has(id) {
    return this.#records.has(id);
  }

  records() {
    return this.#records.values();
  }

  /** Abort `record` with `signal` (an AbortSignal or an 'abort' emitter). */
  watch(record, signal) {
    record.signal = signal;
    record.onAbort = () => this.abort(record.id, signal.reason);
    listen(signal, record.onAbort);
  }

  /** Takes the record out of the table: whoever gets it settles it. */
  #take(id) {
    const record = this.#records.get(id);
    if (record === undefined) return undefined;
    this.#records.delete(id);
    if (record.signal !== null) {
      unlisten(record.signal, record.onAbort);
      record.signal = null;
    }
    this.#channel.taskDone(id);
    return record;
  }

  #finish(record, ok, value) {
    try {
      if (record.context === null) record.runInAsyncScope(ok ? record.resolve : record.reject, null, value);
      else record.runInAsyncScope(settleTraced, null, record.context, ok, value, ok ? record.resolve : record.reject);
    } finally {
      record.emitDestroy();
    }
  }

  resolve(record, value) {
    this.#finish(record, true, value);
  }

  reject(record, err) {
    this.#finish(record, false, err);
  }

  /**
   * Cancels task `id` exactly (lib/protocol.js CANCEL) and rejects it with
   * `err`. Only a task that is running costs its worker. Returns false if
   * the task had already settled.
   */
  cancel(id, err) {
    const record = this.#take(id);
    if (record === undefined) return false;
    const [state, consumer] = this.#native.cancel(id);
    this.#outcomes[Counters.cancelOutcome(err)]++;
    this.reject(record, err);
    if (state === CANCEL.RUNNING) this.#hooks.stopRunning(consumer);
    this.#hooks.settled();
    return true;
  }

  abort(id, reason) {
    return this.cancel(id, errors.aborted(reason));
  }

  /** The binding's batch: meta = [id, status, consumer, ...] (protocol SETTLE_STRIDE). */
  settleBatch(meta, values) {
    let first;
    let failed = false;
    for (let i = 0, j = 0; i < meta.length; i += SETTLE_STRIDE, j++) {
      const record = this.#take(meta[i]);
      if (record === undefined) continue; // aborted earlier: its result is dropped
      this.completed++;
      try {
        this.#settleOne(record, meta[i + 1], values[j], meta[i + 2]);
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
        this.#outcomes[OUTCOME.OK]++;
        return this.resolve(record, value);
      case STATUS.ERROR: {
        this.#outcomes[OUTCOME.ERROR]++;
        let err;
        try {
          err = value === undefined ? errors.internal('a task failed without an error value') : unwrapThrown(value);
        } catch (e) {
          err = e;
        }
        return this.reject(record, err);
      }
      case STATUS.WORKER_EXITED:
        this.#outcomes[OUTCOME.WORKER_EXITED]++;
        if (this.#hooks.exited(consumer, record)) return undefined;
        return this.reject(record, this.#hooks.closedError(status) || errors.workerExited());
      default:
        this.#outcomes[OUTCOME.CANCELLED]++;
        return this.reject(record, this.#hooks.closedError(status) || errors.poolClosed('The pool was destroyed before the task ran'));
    }
  }

  /** Settles a record the worker set held back for its worker's exit. */
  settleExited(record, err) {
    this.completed++;
    this.reject(record, err);
  }

  /** Rejects every record still in the table (after destroy: nothing else will). */
  rejectAll(err) {
    for (const id of [...this.#records.keys()]) {
      const record = this.#take(id);
      if (record === undefined) continue;
      this.#outcomes[OUTCOME.CANCELLED]++;
      this.reject(record, err);
    }
    this.#hooks.settled();
  }
}

module.exports = { TaskTable, TaskRecord };
