'use strict';
// What runMany() (lib/run-many.js) and map() (lib/map-job.js) share: a Job
// submits its tasks in windows and turns what comes back into per-input
// outcomes, item(index, ok, value), exactly once each.
//
// A window is one native submitMany(): ONE entry of the task table (a range
// of ids), not a record per task — no promise, no AsyncResource, no Map entry
// per task. Its native tasks are either single inputs or chunks: when inputs
// are tiny, a chunk carries many of them as one byte string
// (lib/batch-codec.js) to lib/batch-worker.js, which runs them in order on
// one worker. The chunk size follows the measured run time per input
// (CHUNK_TARGET_NS of work per chunk), so long tasks go one per native task
// and keep exact per-task semantics.
//
// A chunk's progress word (in the job's SharedArrayBuffer) says how many of
// its inputs started; word 0 set means "start nothing more of this job". If
// a worker dies in a chunk, the inputs it had not started are submitted again
// (they never ran), the one it was running and the ones it had finished (their
// results died with it) reject with its exit error.
//
// With `timeout` or `retry` each input is a run() of its own (a record per
// task is what those need).
const { AsyncResource } = require('node:async_hooks');
const { pathToFileURL } = require('node:url');
const { STATUS } = require('./protocol');
const { listen, unlisten } = require('./signals');
const { errors, unwrapThrown } = require('./errors');
const { encodeAll, decodeAll } = require('./batch-codec');

// Tuning, in one place.
//  CHUNK_TARGET_NS: run time a chunk aims at; inputs slower than this go
//    one per native task.
//  CHUNK_MAX: inputs per chunk at most.
//  CHUNK_MIN_INPUTS: a job smaller than this is never chunked.
const CHUNK_TARGET_NS = 100_000;
const CHUNK_MAX = 256;
const CHUNK_MIN_INPUTS = 64;
const BATCH_WORKER = pathToFileURL(require.resolve('./batch-worker')).href;

class Window {
  constructor(job, first, base, count, starts, words) {
    this.job = job;
    this.first = first; // ids [first, end)
    this.end = first + count;
    this.base = base; // input index of id `first` (single tasks)
    this.starts = starts; // chunks: starts[t] = first input of task t (count + 1 entries); null: single
    this.words = words; // chunks: the progress word of task t
    this.pending = count; // native tasks neither settled nor cancelled
  }

  // TaskTable: a result (lib/protocol.js STATUS) for id in [first, end).
  settle(id, status, value, consumer) {
    this.job.result(this, id - this.first, status, value, consumer);
  }

  // TaskTable: the worker set found why the worker running task `record` left.
  failExited(record, err) {
    if (this.pending === 0) return; // cancelled with its window
    this.job.exited(this, record.task, err);
  }

  // TaskTable: the pool was destroyed.
  rejectAll(err) {
    this.job.abandon(err);
  }
}

class Job extends AsyncResource {
  /** subclasses define item(index, ok, value), abandon(err), abort(reason), stopFeeding(err). */
  constructor(host, spec, all, runOptions, size) {
    super('nativepool.Batch', { requireManualDestroy: true });
    this.host = host;
    this.spec = spec; // lib/pool.js #taskSpec
    this.all = all; // settle: 'all'
    this.windows = new Set(); // open windows
    this.done = false;
    // With a timeout or retries: each input is a run() with its own
    // AbortController (input index -> controller).
    this.each = perTask(spec) ? { options: runOptions, controllers: new Map() } : null;
    this.size = size; // inputs in flight at most
    this.perInput = Infinity; // ns per input, as the chunks measure it
    this.chunk = this.each === null && size >= CHUNK_MIN_INPUTS ? 32 : 1; // inputs per chunk now
    this.flags = null; // Int32Array over a SharedArrayBuffer: [0] stop, [1..] progress words
    this.freeWords = null;
    this.onAbort = null;
    if (spec.signal) {
      this.onAbort = () => this.abort(spec.signal.reason);
      listen(spec.signal, this.onAbort);
    }
  }

  /** Submits values[from..to) (input indices base..); false if the pool refused. */
  submit(values, from, to, base, workers = this.host.slots) {
    const n = to - from;
    if (n === 0) return true;
    if (this.host.closing) {
      this.stopFeeding(errors.poolClosed());
      return false;
    }
    if (this.each !== null) {
      for (let i = from; i < to; i++) this.submitOne(values[i], base + (i - from));
      return true;
    }
    // Chunks of at most this.chunk, at least two per worker.
    const size = Math.min(this.chunk, Math.ceil(n / (2 * workers)));
    if (size > 1) return this.submitChunks(values, from, to, base, size);
    return this.submitWindow(values, from, to, base, null, null, this.spec.handler);
  }

  submitChunks(values, from, to, base, size) {
    const payloads = [];
    const starts = [];
    const words = [];
    let i = from;
    while (i < to) {
      const end = Math.min(to, i + size);
      let bytes = null;
      try {
        bytes = encodeAll(values, i, end);
      } catch {
        bytes = null; // a getter threw: the native codec reports it for its task
      }
      const word = bytes === null ? -1 : this.word();
      if (word < 0) {
        // Outside the codec's subset: these inputs go one per task.
        if (payloads.length > 0 && !this.flush(payloads, starts, words, i, base - from)) return false;
        if (!this.submitWindow(values, i, end, base + (i - from), null, null, this.spec.handler)) return false;
        payloads.length = 0;
        starts.length = 0;
        words.length = 0;
        i = end;
        continue;
      }
      payloads.push({ h: this.spec.href, m: this.spec.name, b: bytes, n: end - i, c: this.flags, p: word });
      starts.push(i);
      words.push(word);
      i = end;
    }
    return payloads.length === 0 || this.flush(payloads, starts, words, to, base - from);
  }

  // One window of chunks; starts[t] is chunk t's first value, `end` the
  // last one's end; shift turns value positions into input indices.
  flush(payloads, starts, words, end, shift) {
    const s = new Int32Array(starts.length + 1);
    for (let t = 0; t < starts.length; t++) s[t] = starts[t] + shift;
    s[starts.length] = end + shift;
    return this.submitWindow(payloads, 0, payloads.length, 0, s, Int32Array.from(words), this.host.batchHandler());
  }

  // A free progress word of this job's SharedArrayBuffer, or -1.
  word() {
    if (this.flags === null) {
      const words = Math.ceil(this.size / 2) + 2;
      this.flags = new Int32Array(new SharedArrayBuffer(4 * words));
      this.freeWords = [];
      for (let w = words - 1; w >= 1; w--) this.freeWords.push(w);
    }
    return this.freeWords.length > 0 ? this.freeWords.pop() : -1;
  }

  submitWindow(values, from, to, base, starts, words, handler) {
    const { host } = this;
    const n = to - from;
    const first = host.tasks.nextIds(n);
    const w = new Window(this, first, base, n, starts, words);
    host.tasks.addWindow(w, n);
    this.windows.add(w);
    // Side-channel values made while encoding belong to the window (a key
    // no task id takes), dropped when it is done.
    host.channel.encoding(-first);
    let failed;
    try {
      host.flushRuns();
      failed = host.native.submitMany(first, handler, this.spec.lane, values, from, to);
    } catch (err) {
      this.leave(w, w.pending);
      this.stopFeeding(err);
      return false;
    } finally {
      host.channel.encoding(0);
    }
    host.afterSubmit();
    if (failed !== undefined) for (const [t, err] of failed) this.failTask(w, t, err);
    return true;
  }

  submitOne(value, index) {
    const ac = new AbortController();
    const { controllers, options } = this.each;
    controllers.set(index, ac);
    const settle = (ok, v) => {
      if (controllers.delete(index)) this.item(index, ok, v); // else cancelled
    };
    this.host.run(value, { ...options, signal: ac.signal }).then((v) => settle(true, v), (e) => settle(false, e));
  }

  // Task t of window w failed as a whole with err: each of its inputs.
  failTask(w, t, err) {
    this.leave(w, 1);
    if (w.starts === null) return this.item(w.base + t, false, err);
    this.freeWord(w.words[t]);
    for (let i = w.starts[t]; i < w.starts[t + 1]; i++) this.item(i, false, err);
  }

  freeWord(word) {
    this.flags[word] = 0;
    this.freeWords.push(word);
  }

  result(w, t, status, value, consumer) {
    switch (status) {
      case STATUS.OK:
        if (w.starts === null) {
          this.leave(w, 1);
          return this.item(w.base + t, true, value);
        }
        return this.chunkDone(w, t, value);
      case STATUS.ERROR: {
        let err;
        try {
          err = value === undefined ? errors.internal('a task failed without an error value') : unwrapThrown(value);
        } catch (e) {
          err = e;
        }
        return this.failTask(w, t, err);
      }
      case STATUS.WORKER_EXITED: {
        const err = this.host.tasks.orphaned(consumer, { id: w.first + t, window: w, task: t });
        if (err !== null) this.exited(w, t, err); // else the worker set calls failExited later
        return undefined;
      }
      default:
        return this.failTask(w, t, this.host.tasks.shutdownError(status));
    }
  }

  chunkDone(w, t, out) {
    this.leave(w, 1);
    this.freeWord(w.words[t]);
    const start = w.starts[t];
    const k = out.k;
    if (out.a === 1) this.chunk = 1; // async handlers: one per task, full concurrency
    else if (k > 0) {
      // A decaying minimum: a chunk preempted by other processes measures
      // long, never short, so the smallest recent figure is the truest.
      const perInput = Math.max(1, out.t / k);
      this.perInput = Math.min(perInput, this.perInput * 1.25);
      this.chunk = Math.max(1, Math.min(CHUNK_MAX, Math.round(CHUNK_TARGET_NS / this.perInput)));
    }
    const results = out.r !== undefined ? decodeAll(out.r, k, new Array(k)) : out.v;
    const errs = out.e;
    let e = 0;
    for (let j = 0; j < k; j++) {
      if (errs !== undefined && e < errs.length && errs[e][0] === j) {
        this.item(start + j, false, unwrapThrown(errs[e++][1]));
      } else {
        this.item(start + j, true, results[j]);
      }
    }
    // Inputs after k were stopped by the job's stop word: the job is over.
  }

  // The worker running task t of w went away with err.
  exited(w, t, err) {
    this.leave(w, 1);
    if (w.starts === null) return this.item(w.base + t, false, err);
    const word = w.words[t];
    const started = Atomics.load(this.flags, word);
    this.freeWord(word);
    const start = w.starts[t];
    const end = w.starts[t + 1];
    for (let i = start; i < start + started && i < end; i++) this.item(i, false, err);
    if (start + started < end && !this.done) this.resubmit(start + started, end);
    return undefined;
  }

  /** Cancels the inputs from index `from` on that have not settled. stop: replace workers running one (an abort). */
  cancel(from, stop) {
    const { host } = this;
    if (from === 0 && this.flags !== null) Atomics.store(this.flags, 0, 1); // running chunks stop at their next input
    if (this.each !== null) {
      for (const [index, ac] of [...this.each.controllers]) {
        if (index < from) continue;
        this.each.controllers.delete(index);
        ac.abort();
      }
      return;
    }
    for (const w of [...this.windows]) {
      const count = w.end - w.first;
      let skip = 0;
      if (w.starts === null) skip = Math.max(0, from - w.base);
      else while (skip < count && w.starts[skip] < from) skip++;
      if (skip >= count) continue;
      const out = host.native.cancelMany(w.first, w.first + skip);
      if (stop) for (let k = 1; k < out.length; k++) host.stopRunning(out[k], 'abort');
      // A task its worker's exit holds (failExited later) is not in the
      // binding any more: when the whole window goes, it goes too.
      this.leave(w, skip === 0 ? w.pending : out[0]);
    }
    host.afterSettle();
  }

  /** `count` tasks of window w left (settled or cancelled). */
  leave(w, count) {
    if (count === 0) return;
    w.pending -= count;
    const last = w.pending === 0;
    this.host.tasks.windowSettled(w, count, last);
    if (last) {
      this.windows.delete(w);
      this.host.channel.taskDone(-w.first);
    }
  }

  end() {
    this.done = true;
    if (this.flags !== null) Atomics.store(this.flags, 0, 1);
    if (this.onAbort !== null) {
      unlisten(this.spec.signal, this.onAbort);
      this.onAbort = null;
    }
    this.emitDestroy();
  }
}

// With a timeout or retries each task needs its own record: run() each.
function perTask(spec) {
  return spec.timeout !== Infinity || spec.retry !== null;
}

module.exports = { Job, BATCH_WORKER, CHUNK_TARGET_NS, CHUNK_MAX, CHUNK_MIN_INPUTS };
