'use strict';
// The 'process' runtime (lib/runtime.js): each worker is a child process
// running lib/child.js, served in this process by a native proxy
// (binding ProcessProxy over src/child_proxy.h) that is an ordinary consumer
// of the pool's core: it takes batches on the child's behalf and writes them
// on a socket, and completes what comes back. Tasks never touch this
// thread's event loop on their way to or from a child.
//
// The child's slot words live in memory both processes map, so a cancel is
// as exact as with threads. EOF on the socket is the crash signal: the proxy
// fails the tasks the child had started (ERR_WORKER_EXITED) and puts the rest
// back in line. 'exit' is emitted once the child has exited *and* the proxy
// has finished, so every completion and message the child sent is in before
// the worker set handles the exit.
//
// The control port (RuntimeWorker.control) is a real MessagePort, so the
// pool's channel can post to it and drain it as it does for threads; what
// the child sends is handed to the worker set's listener directly (nothing
// there needs a clone), and what the pool posts arrives on the other end here.
const path = require('node:path');
const os = require('node:os');
const v8 = require('node:v8');
const { spawn } = require('node:child_process');
const { EventEmitter } = require('node:events');
const { MessageChannel, SHARE_ENV } = require('node:worker_threads');
const binding = require('./binding');
const { errors, unwrapThrown } = require('./errors');
const { CHILD_FDS, EVENT } = require('./child-protocol');

const CHILD_ENTRY = path.join(__dirname, 'child.js');
// terminate(): SIGTERM, then SIGKILL if the child is still there after this.
const KILL_GRACE_MS = 250;

function exitCodeOf(code, signal) {
  if (code !== null && code !== undefined) return code;
  const n = signal ? os.constants.signals[signal] : undefined;
  return n === undefined ? 1 : 128 + n; // as a shell reports it
}

// Flags of this process a child must not inherit: they would make it run
// something else than lib/child.js (-e, -p, --test, ...) or fight over a port.
const NOT_INHERITED = /^(-e|--eval|-p|--print|-i|--interactive|-c|--check|--test|--watch|--watch-path|--watch-preserve-output|--input-type|--inspect|--inspect-brk|--inspect-port|--inspect-wait|--debug-port)(=|$)/;
const TAKES_VALUE = new Set(['-e', '--eval', '-p', '--print', '--watch-path', '--input-type', '--inspect-port', '--debug-port']);

function inheritedExecArgv() {
  const out = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (!NOT_INHERITED.test(argv[i])) out.push(argv[i]);
    else if (TAKES_VALUE.has(argv[i])) i++; // and its value
  }
  return out;
}

// A child that creates a process pool as it loads (a --require in execArgv,
// say) would start children that do the same: refuse past this depth.
const DEPTH_VAR = 'NATIVEPOOL_PROCESS_DEPTH';
const MAX_DEPTH = 4;

/** Node flags for the child: execArgv, then resourceLimits that have one. */
function nodeArgs(options) {
  const args = options.execArgv !== undefined ? [...options.execArgv] : inheritedExecArgv();
  const limits = options.resourceLimits;
  if (limits) {
    if (limits.maxOldGenerationSizeMb !== undefined) args.push(`--max-old-space-size=${Math.ceil(limits.maxOldGenerationSizeMb)}`);
    // V8's young generation is three semi-spaces.
    if (limits.maxYoungGenerationSizeMb !== undefined) {
      args.push(`--max-semi-space-size=${Math.max(1, Math.floor(limits.maxYoungGenerationSizeMb / 3))}`);
    }
  }
  return args;
}

class ProcessWorker extends EventEmitter {
  #options;
  #proxy;
  #child;
  #listeners = []; // the worker set's 'message' listeners on `control`
  #exitCode = null; // set when the child exited
  #proxyClosed = false;
  #emittedExit = false;
  #killTimer = null;

  constructor(options, init) {
    super();
    this.#options = options;
    this.#proxy = new binding.ProcessProxy(init.poolId, init.consumerId, (kind, body) => this.#onProxy(kind, body));
    const starts = this.#proxy.starts();
    const [socketFd, slotsFd] = this.#proxy.childFds();
    const stdio = ['ignore', options.stdout ? 'pipe' : 'inherit', options.stderr ? 'pipe' : 'inherit'];
    stdio[CHILD_FDS.SOCKET] = socketFd;
    stdio[CHILD_FDS.SLOTS] = slotsFd;
    stdio.push('ipc');
    const env = { ...(options.env === undefined || options.env === SHARE_ENV ? process.env : options.env) };
    env[DEPTH_VAR] = String(depth() + 1);
    try {
      this.#child = spawn(process.execPath, [...nodeArgs(options), CHILD_ENTRY, ...(options.argv || [])], {
        env,
        stdio,
        serialization: 'advanced',
        windowsHide: true,
      });
    } finally {
      this.#proxy.closeChildFds();
    }
    const child = this.#child;
    this.id = child.pid === undefined ? -1 : child.pid;
    this.public = child;

    const { port1, port2 } = new MessageChannel();
    this.control = port1;
    const listen = port1.on;
    const listeners = this.#listeners;
    port1.on = function on(event, fn) {
      if (event === 'message') listeners.push(fn);
      return listen.call(this, event, fn);
    };
    port2.on('message', (msg) => this.#fromPool(msg));
    port2.unref();
    this.bridge = port2;
    // After the worker set has attached its listeners (it does so as soon
    // as start() returns): the start stamps, live, as a worker thread sends them.
    process.nextTick(() => this.#deliver({ starts }));

    this.#proxy.start(v8.serialize({
      capacity: starts.length,
      concurrency: init.concurrency,
      filename: init.filename,
      workerData: options.workerData,
      maxTasks: init.maxTasks,
      maxHeapBytes: init.maxHeapBytes,
      niceIncrement: init.niceIncrement,
    }));

    child.on('message', (msg) => this.emit('message', msg));
    child.on('error', (err) => {
      // Could not be started (or signalled): no 'exit' may follow.
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) return;
      this.emit('error', err);
      this.#childExited(1, null);
    });
    child.on('exit', (code, signal) => this.#childExited(code, signal));
  }

  #deliver(msg) {
    for (const fn of this.#listeners) fn(msg);
  }

  #onProxy(kind, body) {
    if (kind === EVENT.CLOSED) {
      this.#proxyClosed = true;
      this.#proxy.join();
      // The child closed its end; it exits next. One that lingers (or sent
      // something we cannot trust) is killed.
      if (this.#exitCode === null && !this.#killTimer) this.#kill(KILL_GRACE_MS);
      this.#maybeExit();
      return;
    }
    let msg;
    try {
      msg = v8.deserialize(body);
    } catch {
      return; // not ours: the proxy checks frames, lib checks bodies
    }
    if (kind === EVENT.REQUEST) this.#answer(msg);
    else if (msg !== null && typeof msg === 'object' && msg.error !== undefined && msg.loaded === undefined) this.emit('error', unwrapThrown(msg.error));
    else this.#deliver(msg);
  }

  #reply(answer) {
    let body;
    try {
      body = v8.serialize(answer);
    } catch (err) {
      body = v8.serialize({ missing: `it cannot be sent to another process (${err.message})` });
    }
    this.#proxy.reply(body);
  }

  #answer(msg) {
    if (msg.want !== undefined) {
      // The pool's channel answers on the control port: see #fromPool.
      this.#deliver({ want: msg.want, flag: new Int32Array(1) });
    } else if (msg.native !== undefined) {
      let value;
      try {
        value = binding.claimBuffer(msg.native);
      } catch (err) {
        return this.#reply({ missing: String(err && err.message) });
      }
      this.#reply({ value });
    } else {
      this.#reply({ missing: 'an unknown request' });
    }
    return undefined;
  }

  /** What the pool's channel posts to this worker. */
  #fromPool(msg) {
    if (msg === null || typeof msg !== 'object' || msg.seq === undefined) return; // SAB ids: not for a process
    this.#reply(msg.missing ? { missing: 'the pool no longer holds it' } : { value: msg.value });
  }

  #childExited(code, signal) {
    if (this.#exitCode !== null) return;
    this.#exitCode = exitCodeOf(code, signal);
    if (this.#killTimer) {
      clearTimeout(this.#killTimer);
      this.#killTimer = null;
    }
    this.#proxy.shutdown(); // a proxy parked for the child wakes and abandons
    this.#maybeExit();
  }

  #maybeExit() {
    if (this.#emittedExit || !this.#proxyClosed || this.#exitCode === null) return;
    this.#emittedExit = true;
    this.bridge.close();
    this.emit('exit', this.#exitCode);
  }

  #kill(graceMs) {
    const child = this.#child;
    if (this.#exitCode !== null || child.pid === undefined) return;
    if (graceMs > 0) {
      child.kill('SIGTERM');
      this.#killTimer = setTimeout(() => {
        this.#killTimer = null;
        if (this.#exitCode === null) child.kill('SIGKILL');
      }, graceMs);
      this.#killTimer.unref();
    } else {
      child.kill('SIGKILL');
    }
  }

  terminate() {
    if (this.#exitCode !== null) return;
    this.#child.ref(); // whoever terminates waits for 'exit'
    // The child stops getting tasks at once (EOF on its socket, a take()
    // answers null); what it runs stops with the signal.
    this.#proxy.shutdown();
    if (!this.#killTimer) this.#kill(KILL_GRACE_MS);
  }

  /** Control messages are delivered as they arrive (#deliver): none waits. */
  receive() {
    return undefined;
  }

  /** A task that waits for this child's exit keeps the process alive. */
  ref() {
    this.#child.ref();
  }

  unref() {
    const child = this.#child;
    child.unref();
    if (child.channel) child.channel.unref();
    if (child.stdout) child.stdout.unref();
    if (child.stderr) child.stderr.unref();
  }
}

function depth() {
  const n = Number(process.env[DEPTH_VAR]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

class ProcessRuntime {
  constructor(options) {
    this.kind = 'process';
    this.options = options;
    if (depth() >= MAX_DEPTH) {
      throw errors.workerInit('(runtime: \'process\')', `process pools are nested ${depth()} deep: each child creates a pool as it starts (a --require or -e inherited through execArgv?)`);
    }
    if (options.workerData !== undefined) {
      try {
        v8.serialize(options.workerData);
      } catch (err) {
        throw errors.dataClone(`options.workerData (sent to each child process: ${String(err && err.message)})`, err);
      }
    }
  }

  start(init) {
    return new ProcessWorker(this.options, init);
  }
}

module.exports = { ProcessRuntime, KILL_GRACE_MS };
