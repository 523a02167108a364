'use strict';
// Every error nativepool creates comes from a factory here and carries a
// stable `code`. The binding reports status codes; JS builds the Error.

function coded(Ctor, code, message, props) {
  const err = new Ctor(message);
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  if (props) Object.assign(err, props);
  return err;
}

function named(err, name) {
  Object.defineProperty(err, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  return err;
}

// Where Piscina's tests or its users match on a message, ours contains
// Piscina's wording (quoted in the comments); the `code` stays ours.
const lowerFirst = (text) => text.charAt(0).toLowerCase() + text.slice(1);

function closedAbort(cause) {
  const err = named(coded(Error, 'ERR_POOL_CLOSED', 'The task has been aborted'), 'AbortError');
  Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true });
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
  /**
   * The worker running the task went away: `exitCode` when it exited, `cause`
   * when it threw. Piscina's words for an exit: 'worker exited with code: N'.
   */
  workerExited: (detail, props) => coded(Error, 'ERR_WORKER_EXITED',
    `The worker running this task exited before finishing it${props && props.exitCode !== undefined ? ` (worker exited with code: ${props.exitCode})` : ''}${detail ? `: ${detail}` : ''}`,
    props),
  /** Node's own message follows, as Piscina passes it on: 'Worker terminated due to reaching memory limit: JS heap out of memory'. */
  workerOutOfMemory: (cause) => coded(Error, 'ERR_WORKER_OUT_OF_MEMORY',
    `The worker running this task ran out of memory (resourceLimits)${cause && typeof cause.message === 'string' ? `: ${cause.message}` : ''}`,
    cause === undefined ? undefined : { cause }),
  /** The worker file could not be loaded (missing, syntax error, top-level throw or exit). */
  workerInit: (filename, detail, props) =>
    coded(Error, 'ERR_WORKER_INIT', `The worker file ${filename} could not be loaded${detail ? `: ${detail}` : ''}`, props),
  handlerLoad: (filename, cause) =>
    coded(Error, 'ERR_HANDLER_LOAD', `The worker file ${filename} could not be loaded: ${cause && cause.message !== undefined ? cause.message : String(cause)}`, { cause }),
  /** Emitted as 'error' when close() reaches closeTimeout. Piscina: 'Close operation timed out'. */
  closeTimeout: (ms) => coded(Error, 'ERR_CLOSE_TIMEOUT', `Close operation timed out (closeTimeout: ${ms} ms); the rest is destroyed`),
  taskTimeout: (ms) => named(coded(Error, 'ERR_TASK_TIMEOUT', `The task did not finish within ${ms} ms`), 'TimeoutError'),
  handlerNotFound: (name, filename) =>
    coded(TypeError, 'ERR_HANDLER_NOT_FOUND', `No function named '${name}' is exported by ${filename}`),
  /** Piscina: 'filename must be provided to run() or in options object'. */
  noFilename: () =>
    coded(TypeError, 'ERR_NO_FILENAME', 'No worker file: filename must be provided to run() or in options object'),
  /** An AbortError the way fetch and timers/promises make them. */
  aborted: (reason) =>
    named(coded(Error, 'ERR_TASK_ABORTED', 'The task has been aborted', reason === undefined ? undefined : { cause: reason }), 'AbortError'),
  dataClone: (what, cause) => {
    const err = named(coded(Error, 'ERR_DATA_CLONE', `${what} could not be cloned`), 'DataCloneError');
    if (cause !== undefined) err.cause = cause;
    return err;
  },
  internal: (detail) => coded(Error, 'ERR_NATIVEPOOL_INTERNAL', `nativepool: ${detail}`),
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

// --- What a handler throws, across threads -----------------------------------
// The worker sends every thrown value wrapped: { e: record } for an Error,
// { v: value } for anything else. Only lib/worker.js makes wrappers, so a
// handler cannot forge one (a thrown { e: ... } arrives as { v: { e: ... } }).
// A record keeps an Error's class name, name, message, stack, cause, an
// AggregateError's errors and its own properties (each wrapped the same way);
// Piscina keeps message and stack.

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

const MAX_DEPTH = 8;

function safeGet(obj, key) {
  try {
    return { ok: true, value: obj[key] };
  } catch (err) {
    return { ok: false, error: err };
  }
}

function describeValue(v) {
  if (v === null) return 'null';
  if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
  if (typeof v === 'symbol') return String(v);
  if (typeof v !== 'object') return String(v);
  const c = safeGet(v, 'constructor');
  return `#<${c.ok && c.value && typeof c.value.name === 'string' ? c.value.name : 'Object'}>`;
}

/**
 * Wraps a thrown value for the wire. `clean(v)` is applied to own property
 * values and non-Error throws: identity on the fast path; the fallback path
 * passes one that replaces what cannot be cloned by a description.
 */
function wrapThrown(value, clean = (v) => v, depth = 0) {
  if (!isErrorLike(value) || depth > MAX_DEPTH) return { v: clean(value) };
  const err = value;
  const ctor = safeGet(err, 'constructor');
  const name = safeGet(err, 'name');
  const message = safeGet(err, 'message');
  const stack = safeGet(err, 'stack');
  const record = {
    className: (ctor.ok && ctor.value && typeof ctor.value.name === 'string' && ctor.value.name) || 'Error',
    name: name.ok && typeof name.value === 'string' ? name.value : 'Error',
    message: message.ok ? String(message.value) : '',
    stack: stack.ok && typeof stack.value === 'string' ? stack.value : undefined,
    props: {},
  };
  if (Object.hasOwn(err, 'cause') || 'cause' in err) {
    const cause = safeGet(err, 'cause');
    if (cause.ok) record.cause = wrapThrown(cause.value, clean, depth + 1);
  }
  if (err instanceof AggregateError && Array.isArray(err.errors)) {
    record.errors = err.errors.map((e) => wrapThrown(e, clean, depth + 1));
  }
  for (const key of Object.keys(err)) {
    if (key === 'cause' || key === 'errors') continue;
    const got = safeGet(err, key);
    if (!got.ok) continue;
    const v = got.value;
    if (typeof v === 'function' || typeof v === 'symbol') continue;
    record.props[key] = wrapThrown(v, clean, depth + 1);
  }
  return { e: record };
}

/** For the fallback path: a value structuredClone cannot take becomes its description. */
function cloneableOrDescribed(v) {
  try {
    structuredClone(v);
    return v;
  } catch {
    return `[uncloneable ${describeValue(v)}]`;
  }
}

function isWrapper(v) {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype &&
    (Object.hasOwn(v, 'e') || Object.hasOwn(v, 'v'));
}

function define(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: false });
}

/** Rebuilds what wrapThrown() made. Anything else (an Error the binding made) is returned as is. */
function unwrapThrown(w, depth = 0) {
  if (!isWrapper(w)) return w;
  if (Object.hasOwn(w, 'v')) return w.v;
  const r = w.e;
  if (r === null || typeof r !== 'object' || depth > MAX_DEPTH) return r;
  const C = classFor(String(r.className || r.name || 'Error'));
  const err = C === AggregateError
    ? new AggregateError(Array.isArray(r.errors) ? r.errors.map((e) => unwrapThrown(e, depth + 1)) : [], r.message)
    : new C(r.message);
  if (typeof r.name === 'string' && err.name !== r.name) define(err, 'name', r.name);
  if (typeof r.stack === 'string') define(err, 'stack', r.stack);
  else delete err.stack;
  if (Object.hasOwn(r, 'cause')) define(err, 'cause', unwrapThrown(r.cause, depth + 1));
  const props = r.props !== null && typeof r.props === 'object' ? r.props : {};
  for (const key of Object.keys(props)) err[key] = unwrapThrown(props[key], depth + 1);
  return err;
}

module.exports = { errors, wrapThrown, unwrapThrown, cloneableOrDescribed, isErrorLike, describeValue };
