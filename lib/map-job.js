'use strict';
// pool.map(iterable, options): an async iterator of results in input order.
// It reads the source lazily and keeps at most `concurrency` inputs read and
// not yet handed to the consumer (so a stream of a million inputs never
// sits in memory at once); a sync source is read a window at a time, an
// async one an input at a time. The first error is thrown at its position,
// after the results before it, and what was queued after it is cancelled;
// breaking out of the loop cancels what is queued and closes the source.
const { Job } = require('./batch-job');
const { errors } = require('./errors');
const { invalid } = require('./validate');
const { readOptions, unmove } = require('./run-many');

// Tuning: the default concurrency per worker slot (maxThreads ×
// concurrentTasksPerWorker): enough queued that no worker waits for the
// main thread to refill, and windows large enough to chunk tiny tasks.
const MAP_PER_SLOT = 256;

class MapJob extends Job {
  constructor(host, spec, all, runOptions, source, concurrency) {
    super(host, spec, all, runOptions, concurrency);
    this.source = source; // { it, async }
    this.concurrency = concurrency;
    this.outcomes = new Map(); // input index -> [ok, value], not yet yielded
    this.pulled = 0; // inputs read from the source (= submitted, or failed to)
    this.yielded = 0; // results handed to the consumer
    this.ended = false; // the source is exhausted (or failed, or closed)
    this.failedAt = Infinity; // first failing index (fail-fast): nothing after it is yielded
    this.waiter = null; // { resolve, reject } of a next() waiting for index `yielded`
    this.pumping = false;
    // Inputs read and not yet yielded, by index % concurrency: what a chunk
    // whose worker died is submitted again from.
    this.ring = new Array(concurrency);
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
    this.ring[this.yielded % this.concurrency] = undefined;
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
    for (let i = 0; i < values.length; i++) this.ring[(base + i) % this.concurrency] = values[i];
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
        const value = unmove(r.value);
        this.ring[base % this.concurrency] = value;
        this.submit([value], 0, 1, base);
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

  // A worker died in a chunk: the inputs it had not started run again.
  resubmit(from, to) {
    const values = [];
    for (let i = from; i < to; i++) values.push(this.ring[i % this.concurrency]);
    this.submit(values, 0, values.length, from);
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

module.exports = { map, MAP_PER_SLOT };
