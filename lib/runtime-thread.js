'use strict';
// The 'thread' runtime (lib/runtime.js): each worker is a worker_threads
// Worker running lib/worker.js.
const path = require('node:path');
const { EventEmitter } = require('node:events');
const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const { INIT_KEY } = require('./protocol');

const WORKER_ENTRY = path.join(__dirname, 'worker.js');

class ThreadWorker extends EventEmitter {
  constructor(options, init) {
    super();
    // No prototype: Worker must not read execArgv, env, ... from a polluted Object.prototype.
    const workerOptions = {
      __proto__: null,
      workerData: options.workerData,
      argv: options.argv,
      execArgv: options.execArgv,
      resourceLimits: options.resourceLimits,
      stdout: options.stdout,
      stderr: options.stderr,
      trackUnmanagedFds: options.trackUnmanagedFds,
      env: options.env,
    };
    for (const k of Object.keys(workerOptions)) if (workerOptions[k] === undefined) delete workerOptions[k];
    this.worker = new Worker(WORKER_ENTRY, workerOptions);
    this.id = this.worker.threadId;
    this.public = this.worker;
    // The control channel: read synchronously on demand (never a ref'd
    // listener, so it holds no loop open).
    const { port1, port2 } = new MessageChannel();
    this.control = port1;
    this.worker.postMessage({ [INIT_KEY]: { ...init, control: port2 } }, [port2]);
    this.worker.on('message', (msg) => this.emit('message', msg));
    this.worker.on('error', (err) => this.emit('error', err));
    this.worker.on('exit', (code) => this.emit('exit', code));
  }

  terminate() {
    this.worker.terminate();
  }

  receive() {
    return receiveMessageOnPort(this.control);
  }

  ref() {
    this.worker.ref();
  }

  unref() {
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.worker.unref();
  }
}

class ThreadRuntime {
  constructor(options) {
    this.kind = 'thread';
    this.options = options;
  }

  start(init) {
    return new ThreadWorker(this.options, init);
  }
}

module.exports = { ThreadRuntime };
