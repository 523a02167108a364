'use strict';
// Every error nativepool creates comes from a factory here and carries a
// stable `code`. The binding reports status codes; JS builds the Error.
const { ERROR_KEY } = require('./protocol');

function coded(Ctor, code, message, props) {
  const err = new Ctor(message);
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  if (props) Object.assign(err, props);
  return err;
}

const errors = {
  poolClosed: (detail) => coded(Error, 'ERR_POOL_CLOSED', detail || 'The pool is closed'),
  queueFull: (maxQueue) => coded(Error, 'ERR_QUEUE_FULL', `The task queue is full (maxQueue: ${maxQueue})`),
  workerExited: (detail) =>
    coded(Error, 'ERR_WORKER_EXITED', `The worker running this task exited before finishing it${detail ? `: ${detail}` : ''}`),
  taskTimeout: (ms) => coded(Error, 'ERR_TASK_TIMEOUT', `The task did not finish within ${ms} ms`),
  handlerNotFound: (name, filename) =>
    coded(TypeError, 'ERR_HANDLER_NOT_FOUND', `No function named '${name}' is exported by ${filename}`),
  noFilename: () =>
    coded(TypeError, 'ERR_NO_FILENAME', 'No worker filename: pass `filename` to the Pool or to run()'),
  /** An AbortError the way fetch and timers/promises make them. */
  aborted: (reason) => {
    const err = coded(Error, 'ERR_TASK_ABORTED', 'The task has been aborted', reason === undefined ? undefined : { cause: reason });
    err.name = 'AbortError';
    return err;
  },
  dataClone: (what, cause) => {
    const err = coded(Error, 'ERR_DATA_CLONE', `${what} could not be cloned`);
    err.name = 'DataCloneError';
    if (cause !== undefined) err.cause = cause;
    return err;
  },
  // --- nativepool/bullmq ---
  /** The job is gone from Redis before its result reached this producer. */
  remoteJobLost: (jobId, detail) =>
    coded(Error, 'ERR_REMOTE_JOB_LOST', `Job ${jobId} is no longer in Redis (${detail}); it may or may not have run`, { jobId }),
  /** BullMQ failed the job for a reason of its own (no nativepool error in it). */
  remoteJobFailed: (jobId, reason) =>
    coded(Error, 'ERR_REMOTE_JOB_FAILED', `Job ${jobId} failed in BullMQ: ${reason}`, { jobId, failedReason: reason }),
  /** Redis refused or dropped the add; the job may or may not exist. */
  remoteUnavailable: (jobId, cause) =>
    coded(Error, 'ERR_REMOTE_UNAVAILABLE', `Job ${jobId} could not be queued: ${cause && cause.message}`, { jobId, cause }),
  missingPeer: (name, cause) =>
    coded(Error, 'ERR_MISSING_PEER_DEPENDENCY',
      `nativepool/bullmq needs the optional peer dependency '${name}': npm install bullmq ioredis`, { cause }),
};

// --- Errors across threads --------------------------------------------------
// A thrown Error crosses as a plain record so the receiver can rebuild it with
// its class name, message, stack, cause and own properties (Piscina keeps only
// message and stack of a plain Error).

const BUILTIN = {
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
  AggregateError: typeof AggregateError === 'function' ? AggregateError : Error,
};
const customClasses = new Map();
function classFor(name) {
  if (Object.hasOwn(BUILTIN, name)) return BUILTIN[name];
  let C = customClasses.get(name);
  if (!C) {
    // A class whose .name is the thrower's class name, so
    // `err.constructor.name` and `err.name` both read as they did there.
    C = { [name]: class extends Error {} }[name];
    Object.defineProperty(C.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
    customClasses.set(name, C);
  }
  return C;
}

function isErrorLike(v) {
  return v instanceof Error || Object.prototype.toString.call(v) === '[object Error]';
}

/** Turns a thrown value into something the wire can carry. */
function serializeError(err, depth = 0) {
  if (!isErrorLike(err) || depth > 8) return err;
  const record = {
    [ERROR_KEY]: 1,
    className: (err.constructor && typeof err.constructor.name === 'string' && err.constructor.name) || 'Error',
    name: err.name,
    message: String(err.message),
    stack: err.stack,
    props: {},
  };
  if ('cause' in err) record.cause = serializeError(err.cause, depth + 1);
  if (err instanceof AggregateError && Array.isArray(err.errors)) {
    record.errors = err.errors.map((e) => serializeError(e, depth + 1));
  }
  for (const key of Object.keys(err)) {
    if (key === 'cause' || key === 'errors') continue;
    const v = err[key];
    if (typeof v === 'function' || typeof v === 'symbol') continue;
    record.props[key] = isErrorLike(v) ? serializeError(v, depth + 1) : v;
  }
  return record;
}

/** Rebuilds what serializeError() made; anything else is returned as is. */
function deserializeError(v) {
  if (v === null || typeof v !== 'object' || v[ERROR_KEY] !== 1) return v;
  const C = classFor(String(v.className || v.name || 'Error'));
  const err = C === AggregateError ? new AggregateError((v.errors || []).map(deserializeError), v.message) : new C(v.message);
  if (typeof v.name === 'string' && err.name !== v.name) {
    Object.defineProperty(err, 'name', { value: v.name, writable: true, configurable: true, enumerable: false });
  }
  if (typeof v.stack === 'string') {
    Object.defineProperty(err, 'stack', { value: v.stack, writable: true, configurable: true, enumerable: false });
  }
  if ('cause' in v) {
    Object.defineProperty(err, 'cause', { value: deserializeError(v.cause), writable: true, configurable: true, enumerable: false });
  }
  for (const key of Object.keys(v.props || {})) err[key] = deserializeError(v.props[key]);
  return err;
}

module.exports = { errors, serializeError, deserializeError, isErrorLike };
