'use strict';
// Validation for nativepool/bullmq, in one place, and the mapping of
// nativepool's run options onto BullMQ job options.
const { invalid, rejectUnknown, is } = require('../options');

const DEFAULTS = Object.freeze({
  prefix: 'bull',
  maxQueue: Infinity,
  /** Seconds a finished job (and its result) stays in Redis: BullMQ removeOnComplete/removeOnFail age. */
  resultAge: 3600,
  /** ms between checks of jobs whose result event has not arrived. */
  reconcileInterval: 5000,
});

/**
 * BullMQ Worker settings of a consumer, shorter than BullMQ's 30 s: handlers
 * run on the pool's threads, never on the consumer's event loop, so its lock
 * renewals are not starved, and a dead consumer's jobs are back in the queue
 * within ~15 s instead of up to a minute.
 */
const WORKER_DEFAULTS = Object.freeze({ lockDuration: 10000, stalledInterval: 5000 });

/** nativepool priority p (higher runs first) -> BullMQ priority (lower runs first, 0 = unprioritized). */
const PRIORITY_MID = 1 << 20;
const PRIORITY_MAX = 2097151;
function bullPriority(p) {
  return Math.min(PRIORITY_MAX, Math.max(1, PRIORITY_MID - Math.round(p || 0)));
}

const RETRY_KEYS = ['attempts', 'delay', 'backoff', 'maxDelay'];
const RUN_KEYS = ['name', 'priority', 'signal', 'timeout', 'retry'];
const DEFAULT_KEYS = ['name', 'priority', 'timeout', 'retry'];

function checkQueueName(name, v) {
  if (!is.string(v) || v.length === 0 || v.includes(':')) throw invalid(name, 'a non-empty string without ":"', v);
  return v;
}

function connectionOptions(name, v) {
  if (is.string(v)) {
    if (/^rediss?:\/\//i.test(v)) return { url: v };
    if (/^unix:\/\//i.test(v)) return { path: v.slice('unix://'.length) };
    if (v.startsWith('/') || v.startsWith('./') || v.startsWith('../')) return { path: v };
  } else if (is.plainObject(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
    return { ...v };
  }
  throw invalid(name, 'a redis:// URL, a unix socket path or an ioredis options object', v);
}

function checkRetry(name, r) {
  if (!is.plainObject(r)) throw invalid(name, 'an object { attempts, delay, backoff, maxDelay }', r);
  if (Object.hasOwn(r, 'retryOn')) {
    throw invalid(`${name}.retryOn`, 'nothing: a function cannot cross Redis (the consumer retries every error but ERR_TASK_ABORTED, ERR_DATA_CLONE, ERR_HANDLER_NOT_FOUND)', r.retryOn);
  }
  rejectUnknown(`${name} option`, r, RETRY_KEYS);
  const out = { attempts: 1, delay: 0, backoff: 'fixed', maxDelay: Infinity };
  if (r.attempts !== undefined) {
    if (!is.integer(r.attempts) || r.attempts < 1) throw invalid(`${name}.attempts`, 'an integer >= 1', r.attempts, typeof r.attempts === 'number' ? RangeError : TypeError);
    out.attempts = r.attempts;
  }
  for (const key of ['delay', 'maxDelay']) {
    if (r[key] === undefined) continue;
    if (typeof r[key] !== 'number' || Number.isNaN(r[key])) throw invalid(`${name}.${key}`, 'a number of milliseconds >= 0', r[key]);
    if (r[key] < 0) throw invalid(`${name}.${key}`, 'a number of milliseconds >= 0', r[key], RangeError);
    out[key] = r[key];
  }
  if (r.backoff !== undefined) {
    if (r.backoff !== 'fixed' && r.backoff !== 'exponential') throw invalid(`${name}.backoff`, "'fixed' or 'exponential'", r.backoff);
    out.backoff = r.backoff;
  }
  return out;
}

/** Validates run() options (or the `defaults`, which lack `signal`); throws. Returns a normalized copy. */
function checkRunOptions(name, o, keys = RUN_KEYS) {
  if (o === undefined || o === null) return {};
  if (!is.plainObject(o)) throw invalid(name, 'an object', o);
  rejectUnknown(name === 'options' ? 'run() option' : `${name} option`, o, keys);
  const out = {};
  if (o.name !== undefined && o.name !== null) {
    if (!is.string(o.name) || o.name.length === 0) throw invalid(`${name}.name`, 'a non-empty string', o.name);
    out.name = o.name;
  }
  if (o.priority !== undefined) {
    if (typeof o.priority !== 'number' || Number.isNaN(o.priority)) throw invalid(`${name}.priority`, 'a number', o.priority);
    out.priority = o.priority;
  }
  if (o.timeout !== undefined) {
    if (typeof o.timeout !== 'number' || Number.isNaN(o.timeout)) throw invalid(`${name}.timeout`, 'a number of milliseconds > 0 or Infinity', o.timeout);
    if (!(o.timeout > 0)) throw invalid(`${name}.timeout`, 'a number of milliseconds > 0 or Infinity', o.timeout, RangeError);
    out.timeout = o.timeout;
  }
  if (o.retry !== undefined) out.retry = checkRetry(`${name}.retry`, o.retry);
  const s = o.signal;
  if (s !== undefined && s !== null) {
    const ok = is.object(s) && (is.fn(s.addEventListener) || is.fn(s.once) || is.fn(s.on));
    if (!ok) throw invalid(`${name}.signal`, "an AbortSignal or an EventEmitter that emits 'abort'", s);
    out.signal = s;
  }
  return out;
}

function checkRemoteOptions(options) {
  if (!is.plainObject(options)) throw invalid('options', 'an object', options);
  rejectUnknown('RemotePool option', options, ['queue', 'connection', 'defaults', 'maxQueue', 'prefix', 'resultAge', 'reconcileInterval']);
  const o = { ...DEFAULTS };
  o.queue = checkQueueName('options.queue', options.queue);
  o.connection = connectionOptions('options.connection', options.connection);
  o.defaults = checkRunOptions('options.defaults', options.defaults, DEFAULT_KEYS);
  if (options.prefix !== undefined) o.prefix = checkQueueName('options.prefix', options.prefix);
  if (options.maxQueue !== undefined && options.maxQueue !== Infinity) {
    if (!is.integer(options.maxQueue) || options.maxQueue < 1) {
      throw invalid('options.maxQueue', 'an integer >= 1 or Infinity', options.maxQueue, typeof options.maxQueue === 'number' ? RangeError : TypeError);
    }
    o.maxQueue = options.maxQueue;
  }
  if (options.resultAge !== undefined) {
    if (!is.integer(options.resultAge) || options.resultAge < 1) throw invalid('options.resultAge', 'an integer number of seconds >= 1', options.resultAge, RangeError);
    o.resultAge = options.resultAge;
  }
  if (options.reconcileInterval !== undefined) {
    const v = options.reconcileInterval;
    if (!is.integer(v) || v < 10) throw invalid('options.reconcileInterval', 'an integer number of milliseconds >= 10', v, typeof v === 'number' ? RangeError : TypeError);
    o.reconcileInterval = v;
  }
  return o;
}

function checkServeOptions(options) {
  if (!is.plainObject(options)) throw invalid('options', 'an object', options);
  rejectUnknown('serveQueue option', options, ['queue', 'connection', 'pool', 'concurrency', 'prefix', 'worker']);
  const o = { prefix: DEFAULTS.prefix };
  o.queue = checkQueueName('options.queue', options.queue);
  o.connection = connectionOptions('options.connection', options.connection);
  const pool = options.pool;
  if (!is.object(pool) || !is.fn(pool.run) || !is.object(pool.options)) throw invalid('options.pool', 'a nativepool Pool', pool);
  o.pool = pool;
  const capacity = pool.options.maxThreads * pool.options.concurrentTasksPerWorker;
  o.concurrency = capacity;
  if (options.concurrency !== undefined) {
    if (!is.integer(options.concurrency) || options.concurrency < 1) {
      throw invalid('options.concurrency', 'an integer >= 1', options.concurrency, typeof options.concurrency === 'number' ? RangeError : TypeError);
    }
    o.concurrency = options.concurrency;
  }
  if (options.prefix !== undefined) o.prefix = checkQueueName('options.prefix', options.prefix);
  o.worker = { ...WORKER_DEFAULTS };
  if (options.worker !== undefined) {
    if (!is.plainObject(options.worker)) throw invalid('options.worker', 'an object of BullMQ Worker options', options.worker);
    for (const key of ['connection', 'concurrency', 'prefix', 'autorun']) {
      if (Object.hasOwn(options.worker, key)) throw invalid(`options.worker.${key}`, `nothing (serveQueue sets ${key})`, options.worker[key]);
    }
    Object.assign(o.worker, options.worker);
  }
  return o;
}

/** BullMQ job options and the extra job-data fields for one run(). */
function jobOptions(jobId, run, resultAge) {
  const opts = {
    jobId,
    priority: bullPriority(run.priority),
    removeOnComplete: { age: resultAge },
    removeOnFail: { age: resultAge },
  };
  const extra = {};
  const r = run.retry;
  if (r && r.attempts > 1) {
    opts.attempts = r.attempts;
    if (r.maxDelay !== Infinity) {
      opts.backoff = { type: 'nativepool', delay: r.delay };
      extra.r = { e: r.backoff === 'exponential' ? 1 : 0, d: r.delay, m: r.maxDelay };
    } else if (r.delay > 0) {
      opts.backoff = { type: r.backoff, delay: r.delay };
    }
  }
  return { opts, extra };
}

/** The consumer's BullMQ backoffStrategy for type 'nativepool' (a capped delay). */
function backoffStrategy(attemptsMade, type, err, job) {
  const r = job && job.data && job.data.r;
  if (type !== 'nativepool' || !r) return 0;
  const base = r.e ? r.d * 2 ** Math.max(0, attemptsMade - 1) : r.d;
  return Math.min(base, r.m === null ? Infinity : r.m);
}

module.exports = {
  DEFAULTS, WORKER_DEFAULTS, bullPriority, checkRunOptions, checkRemoteOptions, checkServeOptions, jobOptions, backoffStrategy,
  connectionOptions, PRIORITY_MID,
};
