'use strict';
// pool.runMany(tasks, options) and pool.map(iterable, options): many tasks in
// few calls into the native core.
//
// A call's tasks go out in windows. One native submitMany() encodes a
// window's values and pushes them in bulk; the window is ONE entry of the
// task table (a range of ids), not a record per task: no promise, no
// AsyncResource, no Map entry per task. Results land in an array (runMany) or
// a ring read in input order (map).
//
// Exactly once: each id comes back from the binding at most once (a result,
// or WORKER_EXITED and later failExited()), and a window leaves the table when
// its last task settled or the window was cancelled (cancelMany: the binding
// forgets its tasks, so nothing more of it comes back).
//
// Timeouts and retries need a record per task (lib/task-table.js): with
// `timeout` or `retry` in the options, each task goes through run() instead.
const { AsyncResource } = require('node:async_hooks');
const { STATUS } = require('./protocol');
const { errors, unwrapThrown } = require('./errors');
const { invalid } = require('./validate');
const { isMovable, takeTransferables } = require('./transfer');

// Tuning, in one place.
//  RUN_MANY_WINDOW: tasks of one runMany() queued natively at most; the next
//    window is submitted once half of them settled (bounds memory for
//    arrays of millions, still one native call per ~32k tasks).
//  MAP_PER_SLOT: map()'s default concurrency per worker slot
//    (maxThreads × concurrentTasksPerWorker): enough queued that no worker
//    waits for the main thread to refill.
const RUN_MANY_WINDOW = 65536;
const MAP_PER_SLOT = 64;

class Window {
  constructor(job, first, base, count) {
    this.job = job;
    this.first = first; // ids [first, end)
    this.end = first + count;
    this.base = base; // input index of id `first`
    this.pending = count; // tasks neither settled nor cancelled
  }

  // TaskTable: a result (lib/protocol.js STATUS) for id in [first, end).
  settle(id, status, value, consumer) {
    this.job.result(this, id, status, value, consumer);
  }

  // TaskTable: the worker set found why the worker running `record` left.
  failExited(record, err) {
    if (this.pending === 0) return; // cancelled with its window
    this.job.leave(this, 1);
    this.job.item(record.index, false, err);
  }

  // TaskTable: the pool was destroyed.
  rejectAll(err) {
    this.job.abandon(err);
  }
}

/** What runMany() and map() share: windows, results, cancellation, the signal. */
class Job extends AsyncResource {
  constructor(host, spec, all, runOptions) {
    super('nativepool.Batch', { requireManualDestroy: true });
    this.host = host;
    this.spec = spec; // lib/pool.js #taskSpec
    this.all = all; // settle: 'all'
    this.windows = new Set(); // open windows
    this.inflight = 0; // tasks submitted, neither settled nor cancelled
    this.done = false;
    // With a timeout or retries: each task is a run() with its own
    // AbortController (input index -> controller).
    this.each = perTask(spec) ? { options: runOptions, controllers: new Map() } : null;
    this.onAbort = null;
    if (spec.signal) {
      this.onAbort = () => this.abort(spec.signal.reason);
      listen(spec.signal, this.onAbort);
    }
  }

  /** Submits values[from..to) (input indices base..); false if the pool refused. */
  submit(values, from, to, base) {
    const { host } = this;
    const n = to - from;
    if (n === 0) return true;
    if (host.closing) {
      this.stopFeeding(errors.poolClosed());
      return false;
    }
    if (this.each !== null) {
      for (let i = from; i < to; i++) this.submitOne(values[i], base + (i - from));
      return true;
    }
    const first = host.tasks.nextIds(n);
    const w = new Window(this, first, base, n);
    host.tasks.addWindow(w, n);
    this.windows.add(w);
    this.inflight += n;
    // Side-channel values made while encoding belong to the window (a key
    // no task id takes), dropped when it is done.
    host.channel.encoding(-first);
    let failed;
    try {
      failed = host.native.submitMany(first, this.spec.handler, this.spec.lane, values, from, to);
    } catch (err) {
      this.leave(w, w.pending);
      this.stopFeeding(err);
      return false;
    } finally {
      host.channel.encoding(0);
    }
    host.afterSubmit();
    if (failed !== undefined) {
      for (const [i, err] of failed) {
        this.leave(w, 1);
        this.item(base + i, false, err);
      }
    }
    return true;
  }

  submitOne(value, index) {
    const ac = new AbortController();
    const { controllers, options } = this.each;
    controllers.set(index, ac);
    this.inflight++;
    const settle = (ok, v) => {
      if (!controllers.delete(index)) return; // cancelled: already accounted for
      this.inflight--;
      this.item(index, ok, v);
    };
    this.host.run(value, { ...options, signal: ac.signal }).then((v) => settle(true, v), (e) => settle(false, e));
  }

  result(w, id, status, value, consumer) {
    const index = w.base + (id - w.first);
    let ok = false;
    switch (status) {
      case STATUS.OK:
        ok = true;
        break;
      case STATUS.ERROR:
        try {
          value = value === undefined ? errors.internal('a task failed without an error value') : unwrapThrown(value);
        } catch (err) {
          value = err;
        }
        break;
      case STATUS.WORKER_EXITED:
        value = this.host.tasks.orphaned(consumer, { id, window: w, index });
        if (value === null) return; // the worker set fails it once it knows why the worker left
        break;
      default:
        value = this.host.tasks.shutdownError(status);
    }
    this.leave(w, 1);
    this.item(index, ok, value);
  }

  /** `count` tasks of window w left (settled or cancelled). */
  leave(w, count) {
    if (count === 0) return;
    w.pending -= count;
    this.inflight -= count;
    const last = w.pending === 0;
    this.host.tasks.windowSettled(w, count, last);
    if (last) {
      this.windows.delete(w);
      this.host.channel.taskDone(-w.first);
    }
  }

  /**
   * Cancels the tasks with input index >= from that have not settled: a
   * queued or held one never runs; a running one runs on and its result is
   * dropped, unless `stop` (an abort): then its worker is replaced, as for
   * run(). The per-task path always aborts.
   */
  cancel(from, stop) {
    const { host } = this;
    if (this.each !== null) {
      for (const [index, ac] of [...this.each.controllers]) {
        if (index < from) continue;
        this.each.controllers.delete(index);
        this.inflight--;
        ac.abort();
      }
      return;
    }
    for (const w of [...this.windows]) {
      const skip = Math.max(0, from - w.base);
      if (skip >= w.end - w.first) continue;
      const out = host.native.cancelMany(w.first, w.first + skip);
      if (stop) for (let k = 1; k < out.length; k++) host.stopRunning(out[k], 'abort');
      // A task its worker's exit holds (failExited later) is not in the
      // binding any more: when the whole window goes, it goes too.
      this.leave(w, skip === 0 ? w.pending : out[0]);
    }
    host.afterSettle();
  }

  end() {
    this.done = true;
    if (this.onAbort !== null) {
      unlisten(this.spec.signal, this.onAbort);
      this.onAbort = null;
    }
    this.emitDestroy();
  }
}

// --- runMany ------------------------------------------------------------------

class ManyJob extends Job {
  constructor(host, spec, all, runOptions, values, window) {
    super(host, spec, all, runOptions);
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

// --- map ------------------------------------------------------------------------

class MapJob extends Job {
  constructor(host, spec, all, runOptions, source, concurrency) {
    super(host, spec, all, runOptions);
    this.source = source; // { it, async }
    this.concurrency = concurrency;
    this.outcomes = new Map(); // input index -> [ok, value], not yet yielded
    this.pulled = 0; // inputs read from the source (= submitted, or failed to)
    this.yielded = 0; // results handed to the consumer
    this.ended = false; // the source is exhausted (or failed, or closed)
    this.failedAt = Infinity; // first failing index (fail-fast): nothing after it is yielded
    this.waiter = null; // { resolve, reject } of a next() waiting for index `yielded`
    this.pumping = false;
  }

  // Read from the source and not yet handed to the consumer: at most
  // `concurrency` (the tasks running are a subset).
  get outstanding() {
    return this.pulled - this.yielded;
  }

  item(index, ok, value) {
    if (this.done || index > this.failedAt) return;
    if (!ok && !this.all) {
      this.failedAt = index;
      this.ended = true;
      this.cancel(index + 1, false);
      this.closeSource();
    }
    this.outcomes.set(index, [ok, value]);
    if (index === this.yielded && this.waiter !== null) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(this.step());
    }
  }

  // The next result for the consumer: an IteratorResult or a rejected promise.
  step() {
    const o = this.outcomes.get(this.yielded);
    if (o === undefined) return undefined;
    this.outcomes.delete(this.yielded);
    this.yielded++;
    const [ok, value] = o;
    if (!ok && !this.all) {
      this.finishIterating();
      return Promise.reject(value);
    }
    this.pump();
    if (this.all) return { value: ok ? { status: 'fulfilled', value } : { status: 'rejected', reason: value }, done: false };
    return { value, done: false };
  }

  next() {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    this.pump();
    const r = this.step();
    if (r !== undefined) return Promise.resolve(r);
    if (this.ended && this.outstanding === 0) {
      this.finishIterating();
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter !== null) return Promise.reject(new Error('nativepool: map() iterator: next() called again before the previous call settled'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  // Reads inputs and submits them while there is room. A sync source is
  // read in one go (one window per refill); an async one an item at a time.
  pump() {
    if (this.ended || this.pumping || this.done) return;
    const room = this.concurrency - this.outstanding;
    // Refill once half the room is free: windows of at least half the room.
    if (room <= 0 || (this.outstanding > 0 && room < this.concurrency >> 1)) return;
    if (this.source.async) {
      this.pumpAsync();
      return;
    }
    const values = [];
    let error = null;
    try {
      while (values.length < room) {
        const r = this.source.it.next();
        if (r.done) {
          this.ended = true;
          break;
        }
        values.push(unmove(r.value));
      }
    } catch (err) {
      error = err;
      this.ended = true;
    }
    const base = this.pulled;
    this.pulled += values.length;
    this.submit(values, 0, values.length, base);
    if (error !== null) this.sourceFailed(error);
  }

  async pumpAsync() {
    this.pumping = true;
    try {
      while (!this.ended && !this.done && this.outstanding < this.concurrency) {
        let r;
        try {
          r = await this.source.it.next();
        } catch (err) {
          this.ended = true;
          this.sourceFailed(err);
          break;
        }
        if (this.done) break;
        if (r.done) {
          this.ended = true;
          break;
        }
        const base = this.pulled;
        this.pulled++;
        this.submit([unmove(r.value)], 0, 1, base);
      }
    } finally {
      this.pumping = false;
    }
    if (this.ended && this.outstanding === 0 && this.waiter !== null) {
      const { resolve } = this.waiter;
      this.waiter = null;
      this.finishIterating();
      resolve({ value: undefined, done: true });
    }
  }

  // The source threw: an error at the next index, after what was read.
  sourceFailed(err) {
    const index = this.pulled++;
    this.item(index, false, err);
  }

  stopFeeding(err) {
    if (this.ended) return;
    this.ended = true;
    this.closeSource();
    this.sourceFailed(err);
  }

  abandon(err) {
    if (this.done) return;
    this.cancel(0, false);
    this.ended = true;
    this.failNow(err);
  }

  abort(reason) {
    if (this.done) return;
    this.cancel(0, true);
    this.ended = true;
    this.closeSource();
    this.failNow(errors.aborted(reason));
  }

  // Rejects the waiting next() (or the next call) with err, and ends.
  failNow(err) {
    const w = this.waiter;
    this.waiter = null;
    this.finishIterating();
    if (w !== null) w.reject(err);
    else this.pendingError = err; // for the next next()
  }

  closeSource() {
    const it = this.source.it;
    if (this.sourceClosed || typeof it.return !== 'function') return;
    this.sourceClosed = true;
    try {
      const r = it.return();
      if (r && typeof r.then === 'function') r.then(undefined, () => {});
    } catch {
      // The source's own cleanup failed: nothing of ours is lost.
    }
  }

  finishIterating() {
    if (this.done) return;
    this.cancel(0, false);
    this.end();
  }

  // break / return from for await: cancel what is queued, close the source.
  return(value) {
    this.ended = true;
    this.closeSource();
    this.finishIterating();
    if (this.waiter !== null) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value, done: true });
  }

  throw(err) {
    this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

// A value marked with move(): its bytes are copied (a task of a batch is
// never handed over alone), the marker dropped.
function unmove(v) {
  return isMovable(v) ? takeTransferables(v, undefined, { copyAll: true }).value : v;
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

// --- options ------------------------------------------------------------------

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

// With a timeout or retries each task needs its own record: run() each.
function perTask(spec) {
  return spec.timeout !== Infinity || spec.retry !== null;
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

/** pool.map(iterable, options): an async iterator of results in input order. Throws on bad arguments. */
function map(host, iterable, options) {
  const read = readOptions(options, 'map()');
  let source;
  if (iterable !== null && iterable !== undefined && typeof iterable[Symbol.asyncIterator] === 'function') {
    source = { it: iterable[Symbol.asyncIterator](), async: true };
  } else if (iterable !== null && iterable !== undefined && typeof iterable[Symbol.iterator] === 'function') {
    source = { it: iterable[Symbol.iterator](), async: false };
  } else {
    throw invalid('iterable', 'an iterable or an async iterable', iterable);
  }
  const concurrency = read.concurrency || host.slots * MAP_PER_SLOT;
  return new LazyMap(host, read, source, Math.max(1, Math.min(concurrency, host.maxQueued)));
}

// map()'s iterator checks the pool and options on the first next(), so a
// bad option or a closed pool rejects there, as run() would.
class LazyMap {
  #job = null;
  #error = null;
  #args;

  constructor(host, read, source, concurrency) {
    this.#args = { host, read, source, concurrency };
  }

  #get() {
    if (this.#job !== null || this.#error !== null) return this.#job;
    const { host, read, source, concurrency } = this.#args;
    if (host.closing) this.#error = errors.poolClosed();
    else {
      const spec = host.taskSpec(read.run);
      if (spec.error !== undefined) this.#error = spec.error;
      else this.#job = new MapJob(host, spec, read.all, read.run, source, concurrency);
    }
    return this.#job;
  }

  next() {
    const job = this.#get();
    if (job === null) return Promise.reject(this.#error);
    if (job.pendingError !== undefined) {
      const err = job.pendingError;
      job.pendingError = undefined;
      return Promise.reject(err);
    }
    return job.next();
  }

  return(value) {
    const job = this.#job;
    if (job === null) {
      const it = this.#args.source.it;
      if (typeof it.return === 'function') it.return();
      return Promise.resolve({ value, done: true });
    }
    return job.return(value);
  }

  throw(err) {
    this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

module.exports = { runMany, map, RUN_MANY_WINDOW, MAP_PER_SLOT };
