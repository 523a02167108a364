'use strict';
// const Pool = require('nativepool') — also { Pool }, { Piscina } (the same
// class under Piscina's name) and the Piscina statics. lib/index.mjs exports
// exactly these names. In a pool's worker, isWorkerThread is true and
// workerData is the pool's workerData option.
const wt = require('node:worker_threads');
const { Pool } = require('./pool');
const { move, buffer, transferableSymbol, valueSymbol } = require('./transfer');
const { version } = require('../package.json');

// lib/worker.js (a worker thread) and lib/child.js (a child process, whose
// handlers run on its main thread) set these before they load any handler file.
const WORKER_FLAG = Symbol.for('nativepool.worker');
const CHILD_FLAG = Symbol.for('nativepool.child');
const inPoolWorker = () => globalThis[WORKER_FLAG] === true && (!wt.isMainThread || globalThis[CHILD_FLAG] === true);

Object.defineProperties(Pool, {
  Pool: { value: Pool, enumerable: true },
  Piscina: { value: Pool, enumerable: true },
  isWorkerThread: { get: inPoolWorker, enumerable: true },
  workerData: { get: () => (inPoolWorker() ? wt.workerData : undefined), enumerable: true },
  move: { value: move, enumerable: true },
  buffer: { value: buffer, enumerable: true },
  transferableSymbol: { value: transferableSymbol, enumerable: true },
  valueSymbol: { value: valueSymbol, enumerable: true },
  version: { value: version, enumerable: true },
});

module.exports = Pool;
