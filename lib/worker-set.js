'use strict';
// The worker set: spawning, retiring, replacing and sizing the pool's
// workers, and knowing why each one left. It talks to workers only through
// a runtime (lib/runtime.js) and to the native core only to add, stop and
// remove consumers.
const { EventEmitter } = require('node:events');
const { slotCapacity, GAUGE } = require('./protocol');
const { errors, unwrapThrown } = require('./errors');

const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout's limit; longer means never

/** One worker of the pool, whatever its runtime (Piscina's WorkerInfo). */
class PoolWorker {
  constructor(consumerId, rw) {
    this.consumerId = consumerId;
    this.rw = rw; // the RuntimeWorker
    this.control = rw.control;
    this.ready = false; // loaded the default handler (or had none to load)
    this.loadError = null; // the default handler's load error, if any
    this.error = null; // the last uncaught error it reported
    this.retiring = false;
    this.reason = null; // why it left: 'idle', 'abort', 'destroy', 'crash', ...
    this.exited = false;
    this.exitCode = null;
    this.recycleReason = null; // 'tasks' or 'heap' when it was recycled
    this.orphans = []; // records it was running when it went away (see TaskTable)
    this.starts = null; // Float64Array: when the task in each slot started (lib/protocol.js)
    this.gauges = null; // Float64Array the worker publishes figures in (lib/protocol.js GAUGE)
  }

  get public() {
    return this.rw.public;
  }
}

class WorkerSet extends EventEmitter {
  #runtime;
  #native;
  #channel;
  #options;
  #members = new Map(); // consumerId -> PoolWorker: serving
  #known = new Map(); // consumerId -> PoolWorker: until its exit is handled
  #idleTimer = null;
  #stopped = false; // destroy: nothing is spawned any more
  #bootFailed = null; // the error of a worker that died loading, until the next run()

  /**
   * events: 'create'(w), 'destroy'(w) (w.reason says why it left),
   * 'message'(msg), 'error'(err) (a worker error no task can carry),
   * 'ready'(w), 'bootFailed'(err), 'recycle'(w, why), 'orphans'(records, err)
   */
  constructor(runtime, native, channel, options) {
    super();
    this.#runtime = runtime;
    this.#native = native;
    this.#channel = channel;
    this.#options = options;
  }

  get size() {
    return this.#members.size;
  }

  get capacity() {
    return this.#members.size * this.#options.concurrentTasksPerWorker;
  }

  members() {
    return this.#members.values();
  }

  /** Every worker whose control port may still carry messages. */
  ports() {
    return this.#known.values();
  }

  get bootFailed() {
    return this.#bootFailed;
  }

  spawn() {
    const o = this.#options;
    this.#bootFailed = null;
    const consumerId = this.#native.addConsumer(slotCapacity(o.concurrentTasksPerWorker));
    const gauges = new Float64Array(new SharedArrayBuffer(8 * GAUGE.LENGTH));
    const rw = this.#runtime.start({
      poolId: this.#native.id,
      consumerId,
      concurrency: o.concurrentTasksPerWorker,
      filename: o.filename,
      name: o.name,
      sabs: this.#channel.liveSabs(),
      maxTasks: o.maxTasksPerWorker === Infinity ? 0 : o.maxTasksPerWorker,
      maxHeapBytes: o.maxHeapUsedMb === Infinity ? 0 : o.maxHeapUsedMb * 1024 * 1024,
      niceIncrement: o.niceIncrement || 0,
      gauges,
    });
    const w = new PoolWorker(consumerId, rw);
    w.gauges = gauges;
    w.onControl = (msg) => this.#onControl(w, msg);
    // Messages on the control port need an answer while this thread is
    // otherwise idle (a worker waiting for a side-channel value); the port
    // stays unref'd: in-flight tasks keep the process alive.
    rw.control.on('message', w.onControl);
    rw.control.unref();
    rw.on('message', (msg) => this.emit('message', msg));
    rw.on('error', (err) => {
      w.error = err;
    });
    rw.on('exit', (code) => this.#onExit(w, code));
    rw.unref();
    this.#members.set(consumerId, w);
    this.#known.set(consumerId, w);
    this.emit('create', w);
    return w;
  }

  #onControl(w, msg) {
    if (msg === null || typeof msg !== 'object') return;
    if (this.#channel.onControl(w, msg)) return;
    if (msg.starts !== undefined) {
      w.starts = msg.starts;
    } else if (msg.recycle !== undefined) {
      this.#recycle(w, msg.recycle);
    } else if (msg.loaded !== undefined) {
      w.ready = true;
      if (!msg.loaded) w.loadError = unwrapThrown(msg.error);
      this.emit('ready', w);
    }
  }

  /**
   * The worker ran its maxTasksPerWorker tasks or is over maxHeapUsedMb: it
   * finishes what it runs and leaves; its replacement starts first.
   */
  #recycle(w, why) {
    if (w.retiring || this.#stopped) return;
    this.spawn();
    this.retire(w, 'recycle', false);
    w.recycleReason = why;
    this.emit('recycle', w, why);
  }

  /** When the task in `slot` of `consumerId` started (ms), or 0. */
  startOf(consumerId, slot) {
    const w = this.#known.get(consumerId);
    return w !== undefined && w.starts !== null ? w.starts[slot] : 0;
  }

  /** How many serving workers have loaded their default handler. */
  get readyCount() {
    let n = 0;
    for (const w of this.#members.values()) if (w.ready && w.loadError === null) n++;
    return n;
  }

  /** Starts workers while `pending` tasks outnumber the slots (up to maxThreads). */
  grow(pending) {
    if (this.#stopped) return;
    if (this.#idleTimer) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    }
    const max = this.#options.maxThreads;
    if ((pending > this.capacity && this.#members.size < max) || this.#members.size === 0) this.spawn();
  }

  /** Keeps minThreads running. */
  fill() {
    while (!this.#stopped && this.#members.size < this.#options.minThreads) this.spawn();
  }

  /** Stops `w` from taking more work; `terminate` also stops what it runs. */
  retire(w, reason, terminate) {
    if (w.retiring) return;
    w.retiring = true;
    w.reason = reason;
    this.#members.delete(w.consumerId);
    // Wake it if it is parked in native code, then let it leave (or stop it).
    this.#native.stopConsumer(w.consumerId);
    if (terminate) w.rw.terminate();
  }

  /** The worker running an aborted (or timed-out) task: stop it now. */
  stopRunning(consumerId, reason) {
    const w = this.#known.get(consumerId);
    if (w === undefined || w.exited) return;
    // Until it is gone it takes nothing more and starts nothing else it
    // holds: those tasks go back in line, untouched by its stop.
    this.#native.stopConsumer(consumerId);
    this.#native.reclaimUnstarted(consumerId);
    if (!w.retiring) this.retire(w, reason, true);
    else w.rw.terminate(); // it was leaving gracefully (idle, recycle): stop it now
  }

  /** After the pool goes idle: retire workers above minThreads after idleTimeout. */
  idle() {
    const { idleTimeout, minThreads } = this.#options;
    if (this.#idleTimer || this.#stopped || this.#members.size <= minThreads) return;
    if (!(idleTimeout <= MAX_TIMER_MS)) return; // Infinity: never
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#stopped || this.#pendingNow() !== 0) return;
      for (const w of [...this.#members.values()].reverse()) {
        if (this.#members.size <= this.#options.minThreads) break;
        this.retire(w, 'idle', false);
      }
    }, idleTimeout);
    this.#idleTimer.unref();
  }

  /** Set by the pool: how many tasks are pending right now. */
  #pendingNow = () => 0;
  set pending(fn) {
    this.#pendingNow = fn;
  }

  /**
   * A task `consumerId` was running when it went away. If its exit is still
   * to be handled, the worker set keeps the record to settle it then, with
   * the reason the worker left.
   */
  adoptOrphan(consumerId, record) {
    const w = this.#known.get(consumerId);
    if (w === undefined || w.exited) return false;
    // Its task is pending until the exit is handled: that keeps us alive.
    if (w.orphans.length === 0) w.rw.ref();
    w.orphans.push(record);
    return true;
  }

  #exitError(w) {
    if (this.#stopped) return errors.poolClosed('The pool was destroyed while the task was running');
    const err = w.error;
    if (err && err.code === 'ERR_WORKER_OUT_OF_MEMORY') return errors.workerOutOfMemory(err);
    if (err) return err; // what its code threw (Piscina does the same)
    if (w.reason === 'abort') {
      return errors.workerExited('it was stopped because another task it was running was aborted', { exitCode: w.exitCode });
    }
    return errors.workerExited(`exit code ${w.exitCode}`, { exitCode: w.exitCode });
  }

  #onExit(w, code) {
    if (w.exited) return;
    // What it posted before it went ({ loaded }, a recycle notice), which
    // the event loop may not have delivered yet, counts: read it first.
    this.#channel.drain();
    w.exitCode = code;
    const wasMember = this.#members.delete(w.consumerId);
    // Settle what it completed before it went (its own env cleanup may have
    // already failed what it was running: those records come back to
    // adoptOrphan()), then fail whatever it still held.
    this.#native.drain();
    this.#native.removeConsumer(w.consumerId);
    this.#native.drain();
    w.exited = true;
    this.#known.delete(w.consumerId);
    if (!w.retiring) w.reason = w.error && w.error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'crash';
    const bootFailed = !w.ready && !w.retiring && !this.#stopped;
    const orphans = w.orphans.splice(0);
    if (orphans.length > 0) {
      this.emit('orphans', orphans, this.#exitError(w));
    } else if (w.error && !w.retiring && !bootFailed) {
      this.emit('error', w.error); // no task carried it
    }
    if (bootFailed) {
      // Died while loading its file: do not respawn in a loop.
      const file = this.#options.filename || '(no filename)';
      this.#bootFailed = w.error
        ? errors.workerInit(file, w.error.message, { cause: w.error, exitCode: code })
        : errors.workerInit(file, `the worker exited with code ${code} while loading it`, { exitCode: code });
      this.emit('destroy', w);
      this.emit('bootFailed', this.#bootFailed);
      return;
    }
    this.emit('destroy', w);
    if (this.#stopped || (!wasMember && !w.retiring)) return;
    const pending = this.#pendingNow();
    const needed = this.#members.size < this.#options.minThreads ||
      (pending > this.capacity && this.#members.size < this.#options.maxThreads) ||
      (pending > 0 && this.#members.size === 0);
    if (needed) this.spawn();
  }

  /** destroy(): no more spawning; stop every worker. Resolves when all have exited. */
  stopAll() {
    this.#stopped = true;
    if (this.#idleTimer) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    }
    const exits = [];
    for (const w of this.#known.values()) {
      if (w.exited) continue;
      exits.push(new Promise((resolve) => w.rw.once('exit', () => setImmediate(resolve))));
      if (!w.retiring) {
        w.retiring = true;
        w.reason = 'destroy';
      }
      this.#members.delete(w.consumerId);
      this.#native.stopConsumer(w.consumerId);
      w.rw.terminate();
    }
    return Promise.all(exits);
  }
}

module.exports = { WorkerSet, PoolWorker };
