'use strict';
// pool.runMany(tasks, options): every task of an array (or iterable), results
// in input order. Fails fast like Promise.all: the first error rejects, the
// batch's tasks still queued are cancelled (and never run), a chunk running
// stops before its next input; { settle: 'all' } resolves with
// Promise.allSettled-shaped entries instead. The tasks go out in windows of
// RUN_MANY_WINDOW (lib/batch-job.js), so an array of millions never sits
// encoded in native memory at once.
const { Job } = require('./batch-job');
const { errors } = require('./errors');
const { invalid } = require('./validate');
const { isMovable, takeTransferables } = require('./transfer');

// Tuning: inputs of one runMany() queued natively at most; the next window
// goes out once half of them settled (one native call per ~8k tasks).
const RUN_MANY_WINDOW = 16384;

class ManyJob extends Job {
  constructor(host, spec, all, runOptions, values, window) {
    super(host, spec, all, runOptions, Math.min(window, values.length));
    this.values = values;
    this.results = new Array(values.length);
    this.remaining = values.length;
    this.next = 0; // next input index to submit
    this.window = window;
    this.refillQueued = false;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  start() {
    if (this.remaining === 0) this.finish();
    else this.refill();
    return this.promise;
  }

  // Inputs submitted and not settled (cancelled ones only once the job is over).
  get inflight() {
    return this.next - (this.values.length - this.remaining);
  }

  refill() {
    this.refillQueued = false;
    while (!this.done && this.next < this.values.length && this.inflight <= this.window >> 1) {
      const from = this.next;
      const to = Math.min(this.values.length, from + this.window - this.inflight);
      this.next = to;
      if (!this.submit(this.values, from, to, from)) return;
    }
  }

  item(index, ok, value) {
    if (this.done) return;
    if (this.all) this.results[index] = ok ? { status: 'fulfilled', value } : { status: 'rejected', reason: value };
    else if (ok) this.results[index] = value;
    else {
      this.cancel(0, false);
      this.fail(value);
      return;
    }
    if (--this.remaining === 0) this.finish();
    else if (!this.refillQueued && this.next < this.values.length && this.inflight <= this.window >> 1) {
      // After the settle call returns: a refill from inside it would keep
      // the main thread settling for as long as workers keep up.
      this.refillQueued = true;
      queueMicrotask(() => this.refill());
    }
  }

  // A worker died in a chunk: the inputs it had not started run again.
  resubmit(from, to) {
    this.submit(this.values, from, to, from);
  }

  // The pool closed before every task was submitted, or submitMany threw.
  stopFeeding(err) {
    const from = this.next;
    this.next = this.values.length;
    if (this.all) {
      for (let i = from; i < this.values.length; i++) this.item(i, false, err);
    } else if (!this.done) {
      this.cancel(0, false);
      this.fail(err);
    }
  }

  // The pool was destroyed: whatever has not settled rejects with err.
  abort(reason) {
    if (this.done) return;
    this.cancel(0, true);
    this.fail(errors.aborted(reason));
  }

  abandon(err) {
    if (this.done) return;
    this.cancel(0, false);
    if (!this.all) return this.fail(err);
    for (let i = 0; i < this.values.length; i++) {
      if (this.results[i] === undefined) this.results[i] = { status: 'rejected', reason: err };
    }
    this.finish();
  }

  finish() {
    this.end();
    this.runInAsyncScope(this.resolve, null, this.results);
  }

  fail(err) {
    if (this.done) return;
    this.end();
    this.runInAsyncScope(this.reject, null, err);
  }
}

// A value marked with move(): its bytes are copied (a task of a batch is
// never handed over alone), the marker dropped.
function unmove(v) {
  return isMovable(v) ? takeTransferables(v, undefined, { copyAll: true }).value : v;
}

const SETTLE = ['all', 'fail-fast'];

/** Splits runMany()/map() options into run()'s and ours; throws TypeError/RangeError. */
function readOptions(options, kind) {
  if (options === undefined || options === null) return { run: undefined, all: false, concurrency: undefined };
  if (typeof options !== 'object' || Array.isArray(options)) throw invalid('options', 'an object', options);
  const { settle, concurrency, ...run } = options;
  if (settle !== undefined && !SETTLE.includes(settle)) throw invalid('options.settle', "'all' or 'fail-fast'", settle);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw invalid('options.concurrency', 'an integer >= 1', concurrency, typeof concurrency === 'number' ? RangeError : TypeError);
  }
  if (Object.hasOwn(run, 'transferList')) throw invalid(`options.transferList of ${kind}`, 'nothing (each task is copied; move() values too)', run.transferList);
  return { run, all: settle === 'all', concurrency };
}

/**
 * pool.runMany(tasks, options): host is the pool's face for this file
 * (lib/pool.js). Never throws: a bad argument rejects.
 */
function runMany(host, tasks, options) {
  let read;
  let values;
  try {
    read = readOptions(options, 'runMany()');
    if (tasks === null || tasks === undefined || typeof tasks[Symbol.iterator] !== 'function') {
      throw invalid('tasks', 'an array or an iterable', tasks);
    }
    values = Array.isArray(tasks) ? tasks : Array.from(tasks);
  } catch (err) {
    return Promise.reject(err);
  }
  if (host.closing) return Promise.reject(errors.poolClosed());
  const spec = host.taskSpec(read.run);
  if (spec.error !== undefined) return Promise.reject(spec.error);
  for (let i = 0; i < values.length; i++) {
    if (isMovable(values[i])) {
      values = values.map(unmove);
      break;
    }
  }
  const window = Math.min(read.concurrency || RUN_MANY_WINDOW, host.maxQueued);
  return new ManyJob(host, spec, read.all, read.run, values, Math.max(1, window)).start();
}

module.exports = { runMany, readOptions, unmove, RUN_MANY_WINDOW };
