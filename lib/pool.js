'use strict';
// The main-thread Pool: Piscina v5's API over the native core.
//
// A task's life here: run() validates, registers a record under a numeric id
// and hands the value to the binding, which encodes it and pushes it into the
// native lanes. Workers pull it from native code. When a batch of results is
// ready the binding calls settle(id, status, value) once per task; the record
// is deleted before its promise settles, so a task settles exactly once even
// if a worker exit and a result race.
const { EventEmitter } = require('node:events');
const { AsyncResource } = require('node:async_hooks');
const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const path = require('node:path');
const binding = require('./binding');
const { STATUS, INIT_KEY } = require('./protocol');
const { errors, deserializeError } = require('./errors');
const { validatePoolOptions, validateRunOptions, toFileHref, ownProps } = require('./options');
const { takeTransferables, isMovable, buffer } = require('./transfer');
const { SabTable, makeCodecHooks } = require('./channel');

const WORKER_ENTRY = path.join(__dirname, 'worker.js');
// How long a worker that ran out of tasks keeps polling (yielding the CPU)
// before it parks on a futex. Back-to-back callers then skip one kernel
// wake-up per task: measured here, sequential round-trip p50 ~25 µs -> ~18 µs.
const PARK_SPIN_NS = 30_000;
const livePools = new Set();
let exitHookInstalled = false;

// A process that is exiting must wake workers parked in native code before
// Node joins their threads (env cleanup hooks run too late for that).
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pool of livePools) pool._shutdownNow();
  });
}

class Task extends AsyncResource {
  constructor(id, resolve, reject) {
    super('nativepool.Task', { requireManualDestroy: true });
    this.id = id;
    this.resolve = resolve;
    this.reject = reject;
    this.signal = null;
    this.onAbort = null;
  }
}

const NS_PER_MS = 1e6;
const HISTOGRAM_KEYS = [
  ['p0_001', 0.001], ['p0_01', 0.01], ['p0_1', 0.1], ['p1', 1], ['p2_5', 2.5], ['p10', 10],
  ['p25', 25], ['p50', 50], ['p75', 75], ['p90', 90], ['p97_5', 97.5], ['p99', 99],
  ['p99_9', 99.9], ['p99_99', 99.99], ['p99_999', 99.999],
];

class Pool extends EventEmitter {
  #options;
  #native;
  #tasks = new Map(); // id -> Task
  #nextId = 1;
  #handlers = new Map(); // href -> Map(name -> index)
  #defaultHandler = -1; // index of (filename, name), or -1 without a filename
  #workers = new Map(); // consumerId -> { worker, consumerId, exited }
  #closing = false;
  #closed = false;
  #destroyPromise = null;
  #closePromise = null;
  #idleTimer = null;
  #needsDrain = false;
  #completed = 0;
  #startTime = process.hrtime.bigint();
  #runTimeBase = null;
  #waitTimeBase = null;
  #defaultLane;
  #lanes;
  #sabs = new SabTable('m');
  #sideOut = new Map(); // seq -> { value, transfer }: held until a worker asks
  #sideIn = new Map(); // seq -> value a worker posted with a result
  #sideSeq = 0;
  #sabGone = new FinalizationRegistry((id) => this.#releaseSab(id));

  constructor(options = {}) {
    super({ captureRejections: true });
    const o = validatePoolOptions(options);
    this.#options = o;
    this.#lanes = o.lanes;
    this.#defaultLane = Math.floor((o.lanes - 1) / 2);
    this.#sabs.weak = true; // the main thread never keeps a caller's SAB alive
    const { pack, unpack } = makeCodecHooks(this.#sabs, {
      announce: (sab, id) => this.#announceSab(sab, id, null),
      drain: () => this.#drainControl(),
      onMint: (sab, id) => this.#sabGone.register(sab, id),
      sendSide: (value, transfer) => {
        const seq = `m${++this.#sideSeq}`;
        this.#sideOut.set(seq, { value, transfer });
        return seq;
      },
      takeSide: (seq) => {
        if (!this.#sideIn.has(seq)) this.#drainControl();
        if (!this.#sideIn.has(seq)) throw errors.dataClone('A transferred result', 'its message was not received');
        const v = this.#sideIn.get(seq);
        this.#sideIn.delete(seq);
        return v;
      },
    });
    this.#native = new binding.NativePool((id, status, value) => this.#settle(id, status, value), {
      lanes: o.lanes,
      weights: o.laneWeights,
      parkSpinNs: PARK_SPIN_NS,
      pack,
      unpack,
    });
    livePools.add(this);
    installExitHook();
    if (o.filename) this.#defaultHandler = this.#handlerIndex(o.filename, o.name);
    for (let i = 0; i < o.minThreads; i++) this.#spawn();
  }

  // --- run ------------------------------------------------------------------

  /**
   * Runs `task` on a worker. Never throws: a bad argument rejects.
   * @returns {Promise<any>}
   */
  run(task, options) {
    if (this.#closing) return Promise.reject(errors.poolClosed());
    const o = this.#options;
    // Would this task have to wait, with the waiting room already full?
    // (Counts threads the pool may still start, as Piscina does.)
    if (this.#tasks.size + 1 - o.maxThreads * o.concurrentTasksPerWorker > o.maxQueue) {
      return Promise.reject(errors.queueFull(o.maxQueue));
    }
    let handler = this.#defaultHandler;
    let lane = this.#defaultLane;
    let signal = null;
    let transferList;
    if (options !== undefined && options !== null) {
      const bad = validateRunOptions(options);
      if (bad) return Promise.reject(bad);
      options = ownProps(options); // nothing inherited is read, as in validateRunOptions()
      if ((options.filename !== undefined && options.filename !== null) || options.name) {
        let href = o.filename;
        if (options.filename !== undefined && options.filename !== null) {
          try {
            href = toFileHref('options.filename', options.filename);
          } catch (err) {
            return Promise.reject(err);
          }
        }
        if (!href) return Promise.reject(errors.noFilename());
        handler = this.#handlerIndex(href, options.name || o.name);
      }
      signal = options.signal || null;
      if (signal && signal.aborted) return Promise.reject(errors.aborted(signal.reason));
      if (options.priority !== undefined) {
        lane = Math.min(this.#lanes - 1, Math.max(0, this.#defaultLane - Math.round(options.priority)));
      }
      transferList = options.transferList;
    }
    if (handler < 0) return Promise.reject(errors.noFilename());

    let value = task;
    let moved = null;
    let moving;
    if (transferList || isMovable(task)) {
      try {
        moved = takeTransferables(task, transferList);
      } catch (err) {
        return Promise.reject(err);
      }
      value = moved.value;
      if (moved.moving.length > 0) moving = moved.moving;
    }

    const id = this.#nextId++;
    let record;
    const promise = new Promise((resolve, reject) => {
      record = new Task(id, resolve, reject);
    });
    try {
      this.#native.submit(id, handler, lane, value, signal !== null, moving);
    } catch (err) {
      record.emitDestroy();
      return Promise.reject(err);
    }
    if (moved) moved.commit();
    this.#tasks.set(id, record);
    if (signal) this.#watchSignal(record, signal);
    this.#afterSubmit();
    return promise;
  }

  #handlerIndex(href, name) {
    let byName = this.#handlers.get(href);
    if (byName === undefined) {
      byName = new Map();
      this.#handlers.set(href, byName);
    }
    let index = byName.get(name);
    if (index === undefined) {
      index = this.#native.addHandler(href, name);
      byName.set(name, index);
    }
    return index;
  }

  #watchSignal(record, signal) {
    record.signal = signal;
    record.onAbort = () => this.#abort(record);
    if (typeof signal.addEventListener === 'function') signal.addEventListener('abort', record.onAbort, { once: true });
    else signal.once('abort', record.onAbort);
  }

  #unwatchSignal(record) {
    const { signal, onAbort } = record;
    if (!signal) return;
    if (typeof signal.removeEventListener === 'function') signal.removeEventListener('abort', onAbort);
    else if (typeof signal.off === 'function') signal.off('abort', onAbort);
    else if (typeof signal.removeListener === 'function') signal.removeListener('abort', onAbort);
    record.signal = null;
  }

  #abort(record) {
    if (this.#tasks.get(record.id) !== record) return;
    const where = this.#native.cancel(record.id);
    if (where === -2) return; // finished already; its result is on the way
    this.#tasks.delete(record.id);
    this.#unwatchSignal(record);
    record.runInAsyncScope(record.reject, null, errors.aborted(record.signal ? record.signal.reason : undefined));
    record.emitDestroy();
    if (where >= 0) {
      // Running: the only way to stop JS code is to stop its thread.
      const w = this.#workers.get(where);
      if (w) this.#retire(w, { terminate: true });
    }
    this.#afterSettle();
  }

  // --- settling ---------------------------------------------------------------

  #settle(id, status, value) {
    const record = this.#tasks.get(id);
    if (record === undefined) return; // aborted earlier; nothing to do
    this.#tasks.delete(id);
    if (record.signal) this.#unwatchSignal(record);
    this.#completed++;
    switch (status) {
      case STATUS.OK:
        record.runInAsyncScope(record.resolve, null, value);
        break;
      case STATUS.ERROR:
        record.runInAsyncScope(record.reject, null, deserializeError(value));
        break;
      case STATUS.WORKER_EXITED:
        record.runInAsyncScope(record.reject, null, this.#closing ? errors.poolClosed('The pool was destroyed while the task was running') : errors.workerExited());
        break;
      default:
        record.runInAsyncScope(record.reject, null, errors.poolClosed('The pool was destroyed before the task ran'));
    }
    record.emitDestroy();
    this.#afterSettle();
  }

  // --- sizing and backpressure ------------------------------------------------

  get #capacity() {
    return this.#workers.size * this.#options.concurrentTasksPerWorker;
  }

  #afterSubmit() {
    if (this.#idleTimer) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    }
    const pending = this.#tasks.size;
    if (pending > this.#capacity && this.#workers.size < this.#options.maxThreads) this.#spawn();
    else if (this.#workers.size === 0) this.#spawn();
    if (!this.#needsDrain && this.#computeNeedsDrain()) {
      this.#needsDrain = true;
      this.emit('needsDrain');
    }
  }

  #afterSettle() {
    if (this.#needsDrain && !this.#computeNeedsDrain()) {
      this.#needsDrain = false;
      this.emit('drain');
    } else if (this.#tasks.size === 0 && !this.#needsDrain) {
      this.emit('drain');
    }
    if (this.#tasks.size === 0) {
      this.#scheduleIdleRetire();
      if (this.#closing && this.#onIdle) this.#onIdle();
    }
  }

  #computeNeedsDrain() {
    const max = this.#options.maxQueue;
    const o = this.#options;
    if (max !== Infinity) return this.#tasks.size - o.maxThreads * o.concurrentTasksPerWorker >= max;
    return this.#tasks.size >= this.#options.maxThreads * this.#options.concurrentTasksPerWorker;
  }

  #scheduleIdleRetire() {
    if (this.#idleTimer || this.#closing || this.#workers.size <= this.#options.minThreads) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#tasks.size !== 0 || this.#closing) return;
      for (const w of [...this.#workers.values()].reverse()) {
        if (this.#workers.size <= this.#options.minThreads) break;
        this.#retire(w, { terminate: false });
      }
    }, this.#options.idleTimeout);
    this.#idleTimer.unref();
  }

  // --- workers ------------------------------------------------------------------

  #spawn() {
    const o = this.#options;
    const consumerId = this.#native.addConsumer();
    // No prototype: Worker must not read execArgv, env, ... from Object.prototype.
    const workerOptions = {
      __proto__: null,
      workerData: o.workerData,
      argv: o.argv,
      execArgv: o.execArgv,
      resourceLimits: o.resourceLimits,
      stdout: o.stdout,
      stderr: o.stderr,
      trackUnmanagedFds: o.trackUnmanagedFds,
    };
    if (o.env !== undefined) workerOptions.env = o.env;
    for (const k of Object.keys(workerOptions)) if (workerOptions[k] === undefined) delete workerOptions[k];
    const worker = new Worker(WORKER_ENTRY, workerOptions);
    // The control channel: SharedArrayBuffer announcements both ways, read
    // synchronously on demand (never a listener, so it holds no loop open).
    const { port1: control, port2 } = new MessageChannel();
    const sabs = [];
    for (const [id, ref] of this.#sabs.byId) {
      const sab = ref.deref();
      if (sab !== undefined) sabs.push([id, sab]);
    }
    worker.postMessage({
      [INIT_KEY]: {
        poolId: this.#native.id,
        consumerId,
        concurrency: o.concurrentTasksPerWorker,
        filename: o.filename,
        name: o.name,
        control: port2,
        sabs,
      },
    }, [port2]);
    const w = { worker, consumerId, control, exited: false, retiring: false };
    // Requests for side-channel values need an answer while this thread is
    // otherwise idle; the port stays unref'd (in-flight tasks keep us alive).
    control.on('message', (msg) => this.#onControl(w, msg));
    control.unref();
    this.#workers.set(consumerId, w);
    worker.on('message', (msg) => this.emit('message', msg));
    worker.on('error', (err) => {
      if (!w.retiring) this.emit('error', err);
    });
    worker.on('exit', () => this.#onExit(w));
    // Idle workers never keep the process alive: while tasks are in flight
    // the binding's doorbell holds a ref instead. (After the listeners: adding
    // a 'message' listener refs the worker's port again.)
    worker.unref();
    this.emit('workerCreate', worker);
    return w;
  }

  // --- shared buffers (lib/channel.js) -----------------------------------------

  #announceSab(sab, id, except) {
    for (const w of this.#workers.values()) {
      if (w !== except && !w.exited) w.control.postMessage({ sab, id });
    }
  }

  #releaseSab(id) {
    this.#sabs.release(id);
    for (const w of this.#workers.values()) if (!w.exited) w.control.postMessage({ release: id });
  }

  // Reads what workers posted on their control ports, synchronously.
  #drainControl() {
    let any = false;
    for (const w of this.#workers.values()) {
      for (let m = receiveMessageOnPort(w.control); m !== undefined; m = receiveMessageOnPort(w.control)) {
        any = true;
        this.#onControl(w, m.message);
      }
    }
    return any;
  }

  // A worker's control message: a SAB it minted (recorded, watched for
  // collection, passed on to the other workers), a value it moved with a
  // result, or a request for a value the main thread holds for a task.
  #onControl(w, msg) {
    if (msg === null || typeof msg !== 'object') return;
    if (msg.sab !== undefined) {
      if (this.#sabs.lookup(msg.id) === undefined) {
        this.#sabs.learn(msg.id, msg.sab);
        this.#sabGone.register(msg.sab, msg.id);
        this.#announceSab(msg.sab, msg.id, w);
      }
    } else if (msg.seq !== undefined) {
      this.#sideIn.set(msg.seq, msg.value);
    } else if (msg.want !== undefined) {
      const entry = this.#sideOut.get(msg.want);
      this.#sideOut.delete(msg.want);
      if (entry) w.control.postMessage({ seq: msg.want, value: entry.value }, entry.transfer);
      else w.control.postMessage({ seq: msg.want, missing: true });
      Atomics.store(msg.flag, 0, 1);
      Atomics.notify(msg.flag, 0);
    }
  }

  #retire(w, { terminate }) {
    if (w.retiring) return;
    w.retiring = true;
    this.#workers.delete(w.consumerId);
    // Wake it if it is parked in native code, then let it leave (or stop it).
    this.#native.stopConsumer(w.consumerId);
    if (terminate) w.worker.terminate();
  }

  #onExit(w) {
    if (w.exited) return;
    w.exited = true;
    const wasMember = this.#workers.delete(w.consumerId);
    // Fails (kWorkerExited) whatever it still held; they settle in a batch.
    this.#native.removeConsumer(w.consumerId);
    this.emit('workerDestroy', w.worker);
    if (this.#closed) return;
    if (!wasMember && !w.retiring) return;
    const needed = this.#workers.size < this.#options.minThreads ||
      (this.#tasks.size > this.#capacity && this.#workers.size < this.#options.maxThreads) ||
      (this.#tasks.size > 0 && this.#workers.size === 0);
    if (needed && !this.#closing) this.#spawn();
    else if (needed && this.#closing && this.#tasks.size > 0 && this.#workers.size === 0) this.#spawn();
  }

  // --- lifecycle ----------------------------------------------------------------

  #onIdle = null;

  /**
   * Stops accepting tasks and resolves once queued and running tasks have
   * settled, or closeTimeout passed (then the rest is destroyed).
   * force: reject queued tasks at once; running tasks may still finish.
   */
  close(options = {}) {
    if (options === null || typeof options !== 'object') {
      return Promise.reject(new TypeError(`Expected an object for options but received ${typeof options}`));
    }
    if (options.force !== undefined && typeof options.force !== 'boolean') {
      return Promise.reject(new TypeError(`Expected a boolean for options.force but received ${typeof options.force}`));
    }
    if (this.#closePromise) return this.#closePromise;
    this.#closing = true;
    if (options.force) this.#native.cancelQueued();
    this.#closePromise = new Promise((resolve) => {
      let timer = null;
      const finish = () => {
        if (timer) clearTimeout(timer);
        this.#onIdle = null;
        resolve(this.destroy());
      };
      if (this.#tasks.size === 0) return finish();
      this.#onIdle = finish;
      if (this.#options.closeTimeout !== Infinity) {
        timer = setTimeout(finish, this.#options.closeTimeout);
      }
    });
    return this.#closePromise;
  }

  /** Rejects queued tasks with ERR_POOL_CLOSED and ends every worker. */
  destroy() {
    if (this.#destroyPromise) return this.#destroyPromise;
    this.#closing = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#destroyPromise = (async () => {
      // Fail what is queued, wake everyone parked, stop every thread.
      this.#native.close();
      const exits = [];
      for (const w of this.#workers.values()) {
        exits.push(new Promise((resolve) => (w.exited ? resolve() : w.worker.once('exit', resolve))));
        w.retiring = true;
        this.#native.stopConsumer(w.consumerId);
        w.worker.terminate();
      }
      await Promise.all(exits);
      this.#workers.clear();
      this.#native.drain();
      // Anything still unsettled lost its worker; nothing is left pending.
      for (const record of [...this.#tasks.values()]) this.#settle(record.id, STATUS.SHUTDOWN, undefined);
      this.#closed = true;
      livePools.delete(this);
      this.emit('close');
    })();
    return this.#destroyPromise;
  }

  /** An ArrayBuffer the pool allocated: transferring it never copies (Pool.buffer). */
  buffer(size) {
    return buffer(size);
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }

  /** Diagnostics: how many SharedArrayBuffer ids this pool holds. */
  get _sharedBufferIds() {
    return this.#sabs.byId.size;
  }

  /** Diagnostics: how many SharedArrayBuffer ids this pool holds. */
  get _sharedBufferIds() {
    return this.#sabs.byId.size;
  }

  /** Called from process 'exit': wake every parked worker so exit can join them. */
  _shutdownNow() {
    this.#native.shutdown();
  }

  // --- figures --------------------------------------------------------------------

  get options() {
    return { ...this.#options };
  }
  get threads() {
    return [...this.#workers.values()].map((w) => w.worker);
  }
  get queueSize() {
    return this.#closed ? 0 : this.#native.queued;
  }
  get pendingCount() {
    return this.#tasks.size;
  }
  get completed() {
    return this.#completed;
  }
  get needsDrain() {
    return this.#needsDrain;
  }
  /** Milliseconds since the pool was created. */
  get duration() {
    return Number(process.hrtime.bigint() - this.#startTime) / NS_PER_MS;
  }
  /** Share of the pool's thread time (maxThreads × duration) spent running tasks. */
  get utilization() {
    const stats = this.#native.stats();
    const capacity = Number(process.hrtime.bigint() - this.#startTime) * this.#options.maxThreads;
    return capacity > 0 ? Math.min(1, stats.busyNs / capacity) : 0;
  }
  get histogram() {
    const native = this.#native;
    const summary = (kind) => {
      if (!this.#options.recordTiming) return null;
      return toSummary(native.histogram(kind, HISTOGRAM_KEYS.map(([, p]) => p)));
    };
    return {
      get runTime() { return summary('run'); },
      get waitTime() { return summary('wait'); },
      resetRunTime: () => native.resetHistogram('run'),
      resetWaitTime: () => native.resetHistogram('wait'),
    };
  }
  /** Deprecated Piscina aliases. */
  get runTime() { return this.histogram.runTime; }
  get waitTime() { return this.histogram.waitTime; }
}

function toSummary(h) {
  const out = {
    count: h.count,
    average: h.mean / NS_PER_MS,
    mean: h.mean / NS_PER_MS,
    stddev: h.stddev / NS_PER_MS,
    min: h.min / NS_PER_MS,
    max: h.max / NS_PER_MS,
  };
  HISTOGRAM_KEYS.forEach(([key], i) => {
    out[key] = h.percentiles[i] / NS_PER_MS;
  });
  return out;
}

module.exports = { Pool };
