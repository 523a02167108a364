'use strict';
// Shapes both threads agree on: the task status codes the binding reports
// (src/task.h `Status`) and the init message a pool sends a new worker.

/** Mirrors `nativepool::Status` in src/task.h. */
const STATUS = Object.freeze({
  OK: 0,
  ERROR: 1,
  CANCELLED: 2,
  WORKER_EXITED: 3,
  SHUTDOWN: 4,
});

/** Key of the one message the pool posts to a new worker before anything else. */
const INIT_KEY = '__nativepool_init__';
/** Marks a serialized Error crossing threads (see errors.js). */
const ERROR_KEY = '__nativepool_error__';

/**
 * @typedef {object} WorkerInit
 * @property {number} poolId      PoolCore id in the process-wide registry
 * @property {number} consumerId  this worker's consumer in that pool
 * @property {number} concurrency concurrentTasksPerWorker
 * @property {string|null} filename default handler file (URL href)
 * @property {string} name        default handler export name
 * @property {MessagePort} control the worker's end of its control channel
 *                                (lib/channel.js: SAB announcements, side channel)
 * @property {Array<[string, SharedArrayBuffer]>} sabs the pool's live SABs by id
 */

module.exports = { STATUS, INIT_KEY, ERROR_KEY };
