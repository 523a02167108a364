'use strict';
// The main-thread Pool: Piscina v5's API over the native core. A thin public
// class — validation, the Piscina surface, events — over its parts:
//   task table   lib/task-table.js   records, settle exactly once, aborts
//   worker set   lib/worker-set.js   spawn, retire, replace, size; why each left
//     runtime    lib/runtime.js      what a worker is (a thread today)
//   figures      lib/figures.js      histograms and utilization, read on demand
//   native core  binding NativePool  submit, cancel, drain (lib/protocol.js)
const { EventEmitter } = require('node:events');
const binding = require('./binding');
const { STATUS, TUNING, SUBMIT } = require('./protocol');
const { errors } = require('./errors');
const { validatePoolOptions, readRunOptions, runOptionsHolder, toFileHref } = require('./options');
const { takeTransferables, isMovable, buffer } = require('./transfer');
const { MainChannel } = require('./main-channel');
const { TaskTable } = require('./task-table');
const { WorkerSet } = require('./worker-set');
const { createRuntime } = require('./runtime');
const { Figures, kFigures } = require('./figures');
const { snapshot } = require('./stats');
const { metricsText } = require('./exposition');
const { taskChannel, traceRun } = require('./tracing');
const { TimeoutWatch } = require('./timeouts');
const { runMany } = require('./run-many');
const { map } = require('./map-job');
const { BATCH_WORKER } = require('./batch-job');
const { SubmitBatch } = require('./submit-batch');

const { encodeTask, flat } = binding.wireHelpers;
const FLAT = binding.constants.wire.classify.FLAT;

// Pools a process 'exit' must wake: workers parked in native code have to be
// woken before Node joins their threads (env cleanup hooks run too late).
const livePools = new Set(); // WeakRef<Pool>
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const ref of livePools) {
      const pool = ref.deref();
      if (pool !== undefined) pool._shutdownNow();
    }
  });
}

// Raises `err` outside the current call, as 'uncaughtException'.
function throwLater(err) {
  queueMicrotask(() => {
    throw err;
  });
}

// #settleCompleted() in the current loop iteration: not yet, within the job
// that started it, or after that job ended (no more this iteration).
const INLINE = { NONE: 0, IN_JOB: 1, ENDED: 2 };

class Pool extends EventEmitter {
  #options;
  #native;
  #batch; // lib/submit-batch.js: run()'s flat tasks on their way to the core
  #inbox; // native.inbox(): where a settle batch's flat results are
  #channel;
  #tasks;
  #workers;
  #figures;
  #handlers = new Map(); // href -> Map(name -> index)
  #defaultHandler = -1; // index of (filename, name), or -1 without a filename
  #defaultLane;
  #closing = false;
  #destroying = false;
  #closed = false;
  #closePromise = null;
  #destroyPromise = null;
  #onIdle = null; // close(): resolves when the last task settles
  #needsDrain = false;
  #settlingInline = false; // #settleCompleted() is settling: listeners wait (#soon)
  #inline = { turn: -1, job: INLINE.NONE }; // #settleCompleted() in this loop iteration
  #inlineJobEnded = () => {
    if (this.#inline.job === INLINE.IN_JOB) this.#inline.job = INLINE.ENDED;
  };
  #due = []; // what #soon() put off
  #afterSettleDue = false;
  #queuedError = null; // the error for tasks cancelQueued() settles right now
  #readyPromise = null;
  #ref;
  #host = null; // this pool as lib/run-many.js sees it

  constructor(options = {}) {
    super({ captureRejections: true });
    const o = validatePoolOptions(options);
    this.#options = o;
    this.#defaultLane = Math.floor((o.lanes - 1) / 2);
    this.#channel = new MainChannel(() => this.#workers.ports());
    this.#native = new binding.NativePool((meta, ...values) => this.#tasks.settleBatch(meta, values, this.#inbox), {
      lanes: o.lanes,
      weights: o.laneWeights,
      parkSpinNs: TUNING.PARK_SPIN_NS,
      pack: this.#channel.hooks.pack,
      unpack: this.#channel.hooks.unpack,
    });
    const timeouts = new TimeoutWatch(
      this.#native,
      (id) => this.#tasks.get(id),
      (consumer, slot) => this.#workers.startOf(consumer, slot),
      (record) => this.#tasks.timeout(record),
    );
    this.#inbox = this.#native.inbox(); // flat results: decoded in JS (TaskTable.settleBatch)
    this.#batch = new SubmitBatch(this.#native, flat, (ids, err) => this.#tasks.failUnsubmitted(ids, err));
    this.#figures = new Figures(this.#native, o);
    this.#tasks = new TaskTable(this.#native, this.#channel, {
      exited: (consumer, record) => this.#workers.adoptOrphan(consumer, record),
      stopRunning: (consumer, reason) => this.#workers.stopRunning(consumer, reason),
      settled: () => this.#afterSettle(),
      closedError: (status) => this.#closedError(status),
      retrying: (record, err, delay) => {
        const event = { id: record.id, attempt: record.attempts, error: err, delay };
        this.#soon(() => this.emit('taskRetry', event));
      },
      resubmitted: () => this.#soon(() => this.#afterSubmit()),
      timedOut: (record, err) => this.emit('taskTimeout', { id: record.id, timeout: record.timeout, attempt: record.attempts, error: err }),
      timeouts,
    }, this.#figures.counters);
    this.#workers = new WorkerSet(createRuntime(o.runtime, o), this.#native, this.#channel, o);
    this.#figures.watch(this.#tasks, this.#workers);
    this.#workers.pending = () => this.#tasks.size;
    this.#wireWorkerEvents();
    this.#ref = new WeakRef(this);
    livePools.add(this.#ref);
    installExitHook();
    if (o.filename) this.#defaultHandler = this.#handlerIndex(o.filename, o.name);
    this.#workers.fill();
  }

  #wireWorkerEvents() {
    const w = this.#workers;
    // Deferred a microtask, as Piscina does, so listeners attached right
    // after the constructor see the first workers too.
    w.on('create', (pw) => queueMicrotask(() => this.emit('workerCreate', pw.public)));
    w.on('destroy', (pw) => this.emit('workerDestroy', pw.public, { reason: pw.reason, exitCode: pw.exitCode }));
    w.on('recycle', (pw, why) => this.emit('workerRecycle', pw.public, { reason: why }));
    w.on('message', (msg) => this.emit('message', msg));
    w.on('error', (err) => this.emit('error', err));
    w.on('orphans', (records, err) => {
      for (const record of records) this.#tasks.failExited(record, err);
      this.#afterSettle();
    });
    w.on('bootFailed', (err) => {
      for (const member of w.members()) if (member.ready) return; // others serve
      this.#queuedError = err;
      try {
        this.#batch.flush();
        this.#native.cancelQueued();
      } finally {
        this.#queuedError = null;
      }
    });
  }

  #closedError(status) {
    if (this.#queuedError !== null && status === STATUS.SHUTDOWN) return this.#queuedError;
    if (!this.#closing) return null;
    return status === STATUS.WORKER_EXITED
      ? errors.poolClosed('The pool was destroyed while the task was running')
      : errors.poolClosed('The pool was destroyed before the task ran');
  }

  // --- run ------------------------------------------------------------------

  /**
   * Runs `task` on a worker. Never throws: a bad argument rejects.
   * @returns {Promise<any>}
   */
  run(task, options) {
    if (taskChannel.hasSubscribers) return traceRun(this.#tasks, this, task, options, (t, opts) => this.#run(t, opts));
    return this.#run(task, options);
  }

  #run(task, options) {
    if (this.#closing) return this.#refuse('closed', errors.poolClosed());
    const o = this.#options;
    // Would this task have to wait, with the waiting room already full?
    // (Counts threads the pool may still start, as Piscina does.)
    if (this.#tasks.size + 1 - o.maxThreads * o.concurrentTasksPerWorker > o.maxQueue) {
      return this.#refuse('queueFull', errors.queueFull(o.maxQueue));
    }
    const spec = this.#taskSpec(options);
    if (spec.error !== undefined) return this.#refuse(spec.reason, spec.error);
    const { handler, lane, signal, transferList, timeout, retry } = spec;

    let value = task;
    let moved = null;
    let classified;
    if (transferList || isMovable(task)) {
      try {
        // A task that may run again keeps every byte it carries: its
        // transfers are copied (and still detached), never handed over once.
        moved = takeTransferables(task, transferList, { copyAll: retry !== null });
      } catch (err) {
        return this.#refuse('invalid', err);
      }
      value = moved.value;
    } else if (signal === null && timeout === Infinity && retry === null) {
      // Nothing of the core but its queue: a flat argument is encoded here
      // and goes with the job's other such tasks (lib/submit-batch.js).
      const r = encodeTask(task);
      if (typeof r === 'number') {
        const id = this.#tasks.nextId();
        // Copied out of the encoder's scratch before anything else runs (the
        // record's async_hooks init may call run() again).
        const handed = this.#batch.add(id, handler, lane, r - FLAT);
        const { record, promise } = this.#tasks.create(id);
        record.lane = lane;
        this.#tasks.add(record, null);
        this.#afterSubmit();
        if (handed) this.#settleCompleted();
        return promise;
      }
      classified = r; // a plain object whose values were read: the encoder takes them as they are
    }

    const id = this.#tasks.nextId();
    const { record, promise } = this.#tasks.create(id);
    const tracked = signal !== null || timeout !== Infinity || retry !== null;
    // An abortable task runs alone on its worker (Piscina's rule): stopping
    // it to abort it then costs no other task.
    const flags = (tracked ? SUBMIT.TRACK : 0) | (retry !== null ? SUBMIT.RETAIN : 0) | (signal !== null ? SUBMIT.EXCLUSIVE : 0);
    this.#channel.encoding(id, moved && moved.ports.length > 0 ? moved.ports : null);
    try {
      this.#batch.flush(); // what run() queued before this goes first
      this.#native.submit(id, handler, lane, value, flags, moved && moved.moving.length > 0 ? moved.moving : undefined, classified);
    } catch (err) {
      this.#channel.encoding(0);
      this.#channel.taskDone(id);
      record.emitDestroy();
      return this.#refuse('invalid', err);
    } finally {
      this.#channel.encoding(0);
    }
    if (moved) moved.commit();
    record.lane = lane;
    record.flags = flags; // record.tracked reads SUBMIT.TRACK from here
    record.timeout = timeout;
    record.retry = retry;
    this.#tasks.add(record, signal);
    this.#afterSubmit();
    return promise;
  }

  /** run() refuses a task it never accepted: counted by reason (stats().rejected). */
  #refuse(reason, err) {
    return this.#figures.counters.refuse(reason, err);
  }

  /**
   * Runs every task of `tasks` (an array or iterable); resolves with their
   * results in input order. Fails fast like Promise.all (the first error
   * rejects and the batch's queued tasks are cancelled); { settle: 'all' }
   * resolves with Promise.allSettled-shaped entries. Never throws.
   */
  runMany(tasks, options) {
    return runMany(this.#batchHost(), tasks, options);
  }

  /**
   * An async iterator of results in input order, at most
   * options.concurrency tasks in flight; breaking out of the loop cancels
   * what is queued. Throws a TypeError/RangeError for a bad argument.
   */
  map(iterable, options) {
    return map(this.#batchHost(), iterable, options);
  }

  #batchHost() {
    if (this.#host !== null) return this.#host;
    const pool = this;
    const o = this.#options;
    const slots = o.maxThreads * o.concurrentTasksPerWorker;
    this.#host = {
      native: this.#native,
      flushRuns: () => this.#batch.flush(), // before a submitMany(): run()'s tasks go first
      tasks: this.#tasks,
      channel: this.#channel,
      slots,
      maxQueued: o.maxQueue === Infinity ? Infinity : o.maxQueue + slots,
      get closing() {
        return pool.#closing;
      },
      taskSpec: (options) => this.#taskSpec(options),
      batchHandler: () => this.#handlerIndex(BATCH_WORKER, 'default'),
      run: (task, options) => this.run(task, options),
      afterSubmit: () => this.#afterSubmit(),
      afterSettle: () => this.#afterSettle(),
      stopRunning: (consumer, reason) => this.#workers.stopRunning(consumer, reason),
    };
    return this.#host;
  }

  /**
   * Reads run()'s per-task options (also runMany()'s and map()'s): returns
   * { handler, href, name, lane, signal, transferList, timeout, retry }, or
   * { error, reason } to reject with (reason: stats().rejected's key).
   */
  #taskSpec(options) {
    if (options === undefined || options === null) return this.#defaultSpec();
    // The options are read into a holder this pool keeps (run()'s hot
    // path allocates nothing for them), and out of it at once: a getter
    // among them may call run() again, which then reads into its own.
    const g = this.#reading ? runOptionsHolder() : this.#readInto;
    this.#reading = true;
    let error;
    let filename;
    let gname;
    let signal;
    let priority;
    let transferList;
    let timeout;
    let retry;
    try {
      error = readRunOptions(options, g);
      ({ filename, name: gname, signal, priority, transferList, timeout, retry } = g);
      g.signal = g.transferList = g.retry = g.filename = undefined; // held no longer than this call
    } finally {
      if (g === this.#readInto) this.#reading = false;
    }
    if (error !== undefined) return { error, reason: 'invalid' };
    const o = this.#options;
    let handler = this.#defaultHandler;
    let href = o.filename;
    let name = o.name;
    let lane = this.#defaultLane;
    if ((filename !== undefined && filename !== null) || gname) {
      if (filename !== undefined && filename !== null) {
        try {
          href = toFileHref('options.filename', filename);
        } catch (err) {
          return { error: err, reason: 'invalid' };
        }
      }
      if (!href) return { error: errors.noFilename(), reason: 'invalid' };
      name = gname || o.name;
      handler = this.#handlerIndex(href, name);
    }
    signal = signal || null;
    if (signal && signal.aborted) return { error: errors.aborted(signal.reason), reason: 'aborted' };
    if (priority !== undefined) {
      lane = Math.min(o.lanes - 1, Math.max(0, this.#defaultLane - Math.round(priority)));
    }
    if (timeout === undefined) timeout = o.timeout;
    if (retry === undefined) retry = o.retry; // null: no retries
    if (handler < 0) return { error: errors.noFilename(), reason: 'invalid' };
    if (signal === null && (transferList === undefined || transferList === null) && timeout === o.timeout && retry === o.retry) {
      return this.#sharedSpec(handler, href, name, lane);
    }
    return { error: undefined, handler, href, name, lane, signal, transferList, timeout, retry };
  }

  // Specs with nothing of their own but a handler and a lane (run(task, {
  // name }) in a loop): one frozen spec per pair, made once. Nobody writes
  // to a spec.
  #specs = []; // handler -> lane -> spec
  #readInto = runOptionsHolder();
  #reading = false;
  #sharedSpec(handler, href, name, lane) {
    let byLane = this.#specs[handler];
    if (byLane === undefined) byLane = this.#specs[handler] = [];
    let spec = byLane[lane];
    if (spec === undefined) {
      const o = this.#options;
      spec = Object.freeze({ error: undefined, handler, href, name, lane, signal: null, transferList: undefined, timeout: o.timeout, retry: o.retry });
      byLane[lane] = spec;
    }
    return spec;
  }

  // The spec of a run() without options: the same every time (the
  // defaults are fixed at construction), so it is built once. Nobody
  // writes to a spec.
  #defaults = null;
  #defaultSpec() {
    if (this.#defaults !== null) return this.#defaults;
    const o = this.#options;
    const handler = this.#defaultHandler;
    const spec = handler < 0
      ? { error: errors.noFilename(), reason: 'invalid' }
      : { error: undefined, handler, href: o.filename, name: o.name, lane: this.#defaultLane, signal: null, transferList: undefined, timeout: o.timeout, retry: o.retry };
    if (handler >= 0) this.#defaults = Object.freeze(spec);
    return spec;
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

  // --- sizing and backpressure ------------------------------------------------

  #afterSubmit() {
    this.#workers.grow(this.#tasks.size);
    if (!this.#needsDrain && this.#computeNeedsDrain()) {
      this.#needsDrain = true;
      this.emit('needsDrain');
    }
  }

  /**
   * A job that keeps calling run() (a burst queued in one loop) settles the
   * tasks that already came back each time its queue goes to the core,
   * instead of all of them once the job ends: the results are decoded while
   * the workers still run the rest, on a CPU that would otherwise wait for
   * the job to end, and their records die young (bursts of 100,000 here:
   * 1.2x the tasks/s of the first, 1.5x of later ones). Only promises
   * settle here; their reactions run after the job, as always, and what
   * would run a listener (events, close()) waits for a microtask (#soon),
   * so none runs inside run().
   *
   * Only the first such job of a loop iteration: reactions of what it settled run in
   * the same iteration, and when they call run() (thousands of loops of
   * `await pool.run()`), settling for them too would feed the microtask
   * queue forever and keep timers and I/O waiting. So after a microtask ran
   * (the job ended), the rest of the iteration leaves settling to the
   * doorbell and its per-iteration budget. Traced tasks are left to it too.
   *
   * And never more than the iteration handed over and has not settled yet
   * (native drain(true)). The "job" above ends only when the microtasks
   * queued before it have run: when the doorbell settled its budget's worth
   * at the iteration's start, the reactions queued then call run() within
   * it. Settling for them unbounded made every iteration settle every task
   * in flight (10,000 loops of `await pool.run()`: 250 ms iterations under
   * ASan); now they settle at most what they submitted.
   */
  #settleCompleted() {
    if (taskChannel.hasSubscribers || this.#settlingInline) return;
    const turn = this.#native.turn();
    if (turn !== this.#inline.turn) {
      this.#inline.turn = turn;
      this.#inline.job = INLINE.NONE;
    } else if (this.#inline.job === INLINE.ENDED) {
      return;
    }
    if (this.#inline.job === INLINE.NONE) {
      this.#inline.job = INLINE.IN_JOB;
      queueMicrotask(this.#inlineJobEnded);
    }
    this.#settlingInline = true;
    try {
      this.#native.drain(true);
    } catch (err) {
      throwLater(err); // as from the doorbell
    } finally {
      this.#settlingInline = false;
    }
  }

  /** Runs `fn` now, or in a microtask while #settleCompleted() settles inside run(). */
  #soon(fn) {
    if (!this.#settlingInline) return fn();
    this.#due.push(fn);
    if (this.#due.length === 1) queueMicrotask(() => this.#runDue());
    return undefined;
  }

  #runDue() {
    const due = this.#due;
    this.#due = [];
    for (const fn of due) {
      try {
        fn();
      } catch (err) {
        throwLater(err); // a listener's, as if emitted from the doorbell
      }
    }
  }

  #afterSettle() {
    if (this.#settlingInline) {
      if (!this.#afterSettleDue) {
        this.#afterSettleDue = true;
        this.#soon(() => {
          this.#afterSettleDue = false;
          this.#afterSettle();
        });
      }
      return;
    }
    const size = this.#tasks.size;
    if (this.#needsDrain && !this.#computeNeedsDrain()) {
      this.#needsDrain = false;
      this.emit('drain');
    } else if (size === 0 && !this.#needsDrain) {
      this.emit('drain');
    }
    if (size === 0) {
      this.#workers.idle();
      if (this.#onIdle) this.#onIdle();
    }
  }

  #computeNeedsDrain() {
    const o = this.#options;
    const slots = o.maxThreads * o.concurrentTasksPerWorker;
    if (o.maxQueue !== Infinity) return this.#tasks.size - slots >= o.maxQueue;
    return this.#tasks.size >= slots;
  }

  // --- lifecycle ----------------------------------------------------------------

  /**
   * Stops accepting tasks and resolves once queued and running tasks have
   * settled, or closeTimeout passed (then the rest is destroyed).
   * force: reject queued tasks at once; running tasks may still finish.
   */
  close(options = {}) {
    if (options === null || typeof options !== 'object') {
      return Promise.reject(new TypeError(`Expected an object for options but received ${typeof options}`));
    }
    const force = Object.hasOwn(options, 'force') ? options.force : undefined;
    if (force !== undefined && typeof force !== 'boolean') {
      return Promise.reject(new TypeError(`Expected a boolean for options.force but received ${typeof force}`));
    }
    if (this.#closePromise) return this.#closePromise;
    if (force) {
      // Piscina's rule: what fits the workers now (running, or placed on a
      // worker that is still starting) runs; the rest of the line is dropped.
      const drop = this.queueSize;
      this.#queuedError = errors.forceClosed();
      try {
        this.#batch.flush();
        this.#native.cancelQueued(Math.max(0, this.#native.queued - drop));
      } finally {
        this.#queuedError = null;
      }
    }
    this.#closing = true;
    this.#closePromise = new Promise((resolve) => {
      let timer = null;
      const finish = (timedOut) => {
        if (timer) clearTimeout(timer);
        this.#onIdle = null;
        // Say so, as Piscina does; never as an 'error' nobody listens to.
        if (timedOut === true && this.listenerCount('error') > 0) this.emit('error', errors.closeTimeout(this.#options.closeTimeout));
        resolve(this.destroy());
      };
      if (this.#tasks.size === 0) return finish(false);
      this.#onIdle = () => finish(false);
      if (this.#options.closeTimeout !== Infinity) {
        timer = setTimeout(() => finish(true), this.#options.closeTimeout);
      }
    });
    return this.#closePromise;
  }

  /** Rejects queued and running tasks with ERR_POOL_CLOSED and ends every worker. */
  destroy() {
    if (this.#destroyPromise) return this.#destroyPromise;
    this.#closing = true;
    this.#destroying = true;
    this.#destroyPromise = (async () => {
      const native = this.#native;
      this.#batch.flush(); // then cancelled below, with the rest of the queue
      native.shutdown(); // nothing more is taken; parked workers wake
      native.drain(); // settle what completed
      native.cancelQueued(); // reject what is queued
      // Each exit fails what that worker had started and finishes what it
      // held unstarted as shut down; nothing is respawned.
      await this.#workers.stopAll();
      native.drain();
      native.cancelQueued();
      this.#tasks.rejectAll(errors.poolClosed('The pool was destroyed'));
      native.release();
      this.#closed = true;
      livePools.delete(this.#ref);
      this.emit('close');
    })();
    return this.#destroyPromise;
  }

  /**
   * Resolves when minThreads workers (at least one) are running and have
   * loaded the default handler; rejects with the coded load error when the
   * worker file cannot be loaded (ERR_HANDLER_LOAD, ERR_HANDLER_NOT_FOUND,
   * ERR_WORKER_INIT), so a service fails at start, not on its first request.
   */
  ready() {
    if (this.#readyPromise) return this.#readyPromise;
    if (this.#closing) return Promise.reject(errors.poolClosed());
    const w = this.#workers;
    if (w.size === 0) w.spawn(); // minThreads 0: one worker to check the file with
    const want = Math.max(1, Math.min(this.#options.minThreads, w.size));
    this.#readyPromise = new Promise((resolve, reject) => {
      const done = () => {
        w.off('ready', check);
        w.off('bootFailed', fail);
      };
      const fail = (err) => {
        done();
        reject(err);
      };
      const check = () => {
        for (const member of w.members()) {
          if (member.loadError !== null) return fail(member.loadError);
        }
        if (w.readyCount >= want) {
          done();
          resolve();
        }
      };
      w.on('ready', check);
      w.on('bootFailed', fail);
      if (w.bootFailed) fail(w.bootFailed);
      else check();
    });
    // A failure is for the caller of ready(); later calls try again.
    this.#readyPromise.catch(() => {
      this.#readyPromise = null;
    });
    return this.#readyPromise;
  }

  /** An ArrayBuffer the pool allocated: transferring it never copies (Pool.buffer). */
  buffer(size) {
    return buffer(size);
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }

  /** `using pool = new Pool(...)`: starts close() (Piscina does the same). */
  [Symbol.dispose]() {
    this.close().catch(() => {});
  }

  /** Diagnostics: how many SharedArrayBuffer ids this pool holds. */
  get _sharedBufferIds() {
    return this.#channel.sharedBufferIds;
  }

  /** Diagnostics: the main-side poll's { hits, misses, spinNs } (binding/poll.h). */
  get _pollStats() {
    return this.#native.pollStats();
  }

  /** Called from process 'exit': wake every parked worker so exit can join them. */
  _shutdownNow() {
    if (!this.#closed) this.#native.shutdown();
  }

  // --- figures --------------------------------------------------------------------

  get options() {
    return { ...this.#options };
  }
  get maxThreads() {
    return this.#options.maxThreads;
  }
  get minThreads() {
    return this.#options.minThreads;
  }
  get threads() {
    return [...this.#workers.members()].map((w) => w.public);
  }
  /**
   * How the pending tasks sit on the workers, the way Piscina assigns them:
   * an abortable task takes a whole worker, the others share the rest,
   * concurrentTasksPerWorker to a worker. { queued, busyWorkers }.
   */
  #placement() {
    const workers = this.#workers.size;
    const perWorker = this.#options.concurrentTasksPerWorker;
    const exclusive = this.#tasks.exclusive;
    const plain = this.#tasks.size - exclusive;
    const alone = Math.min(exclusive, workers);
    const shared = Math.min(plain, (workers - alone) * perWorker);
    return {
      queued: exclusive - alone + plain - shared,
      busyWorkers: alone + Math.ceil(shared / perWorker),
    };
  }
  /** Tasks no worker slot is free for yet (Piscina's queueSize). */
  get queueSize() {
    return this.#closed ? 0 : this.#placement().queued;
  }
  /** Workers no pending task is placed on (Piscina's idleThreads). */
  get idleThreads() {
    return this.#closed ? 0 : this.#workers.size - this.#placement().busyWorkers;
  }
  get pendingCount() {
    return this.#tasks.size;
  }
  /** Tasks settled by their worker (resolved or rejected), not counting aborts. */
  get completed() {
    return this.#tasks.completed;
  }
  get needsDrain() {
    return this.#needsDrain;
  }
  get duration() {
    return this.#figures.duration;
  }
  get utilization() {
    return this.#figures.utilization;
  }
  get histogram() {
    return this.#figures.histogram;
  }
  /** Deprecated Piscina aliases. */
  get runTime() { return this.#figures.summary('run'); }
  get waitTime() { return this.#figures.summary('wait'); }

  // --- observability (lib/stats.js, lib/exposition.js, lib/prometheus.js) --------

  /** A snapshot of counters, gauges, timings and per-worker figures, computed now. */
  stats() {
    this.#batch.flush(); // the core's figures count them
    return snapshot(this.#figures);
  }

  /** The pool's metrics in the Prometheus text format: { prefix, labels }. */
  metrics(options) {
    this.#batch.flush(); // the core's figures count them
    return metricsText(this.#figures, options);
  }

  /** For nativepool/prometheus. */
  get [kFigures]() {
    this.#batch.flush(); // the core's figures count them
    return this.#figures;
  }
}

module.exports = { Pool };
