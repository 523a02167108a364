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

// Where Piscina's tests or its users match on a message, ours contains
// Piscina's wording (quoted in the comments); the `code` stays ours.
const lowerFirst = (text) => text.charAt(0).toLowerCase() + text.slice(1);

function closedAbort(cause) {
  const err = coded(Error, 'ERR_POOL_CLOSED', 'The task has been aborted');
  Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true });
  err.name = 'AbortError';
  return err;
}

const errors = {
  /**
   * run() after close() or destroy(). Piscina: an AbortError 'The task has
   * been aborted' whose cause is 'queue is being terminated'. With a detail,
   * a task the pool ended itself (see destroyed()).
   */
  poolClosed: (detail) => (detail !== undefined ? errors.destroyed(detail) : closedAbort('queue is being terminated')),
  /** A queued task close({ force: true }) drops. Piscina: AbortError 'The task has been aborted', cause 'pool is closed'. */
  forceClosed: () => closedAbort('pool is closed'),
  /** A task destroy() (or a close() past closeTimeout) ended. Piscina: 'Terminating worker thread'. */
  destroyed: (detail) =>
    coded(Error, 'ERR_POOL_CLOSED', `Terminating worker thread${detail ? `: ${lowerFirst(detail)}` : ''}`),
  /**
   * Piscina: 'Task queue is at limit', or with maxQueue 0 'No task queue
   * available and all Workers are busy'.
   */
  queueFull: (maxQueue) => coded(Error, 'ERR_QUEUE_FULL', maxQueue === 0
    ? 'No task queue available and all Workers are busy (maxQueue: 0)'
    : `Task queue is at limit (maxQueue: ${maxQueue})`),
  /** Piscina: 'worker exited with code: N'. The exit code, when known, is also `exitCode`. */
  workerExited: (detail, exitCode) => coded(Error, 'ERR_WORKER_EXITED',
    `The worker running this task exited before finishing it${exitCode === undefined ? '' : ` (worker exited with code: ${exitCode})`}${detail ? `: ${detail}` : ''}`,
    exitCode === undefined ? undefined : { exitCode }),
  /** Emitted as 'error' when close() reaches closeTimeout. Piscina: 'Close operation timed out'. */
  closeTimeout: (ms) => coded(Error, 'ERR_CLOSE_TIMEOUT', `Close operation timed out (closeTimeout: ${ms} ms); the rest is destroyed`),
  taskTimeout: (ms) => coded(Error, 'ERR_TASK_TIMEOUT', `The task did not finish within ${ms} ms`),
  handlerNotFound: (name, filename) =>
    coded(TypeError, 'ERR_HANDLER_NOT_FOUND', `No function named '${name}' is exported by ${filename}`),
  /** Piscina: 'filename must be provided to run() or in options object'. */
  noFilename: () =>
    coded(TypeError, 'ERR_NO_FILENAME', 'No worker file: filename must be provided to run() or in options object'),
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
