'use strict';
// Option validation, in one place. A bad option throws a TypeError or
// RangeError that names the option, what it expected and what it got
// (lib/validate.js); options are read as own properties only.
const os = require('node:os');
const { pathToFileURL } = require('node:url');
const path = require('node:path');
const { invalid: invalidValue, readOwn, unknownKey } = require('./validate');
const { normalizeRetry } = require('./retry');

const is = {
  object: (v) => v !== null && typeof v === 'object',
  plainObject: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  string: (v) => typeof v === 'string',
  fn: (v) => typeof v === 'function',
};

// What Piscina 5 says about a bad option, by option: code and users match on
// these words, so our message begins with them (Piscina's "sync, sync" typo
// included) and goes on in our words.
const PISCINA_SAYS = {
  'options.filename': 'options.filename must be a string or null',
  'options.name': 'options.name must be a string or null',
  'options.minThreads': 'options.minThreads must be a non-negative integer',
  'options.maxThreads': 'options.maxThreads must be a positive integer',
  'options.idleTimeout': 'options.idleTimeout must be a non-negative integer',
  "options.maxQueue (or 'auto' or Infinity)": 'options.maxQueue must be a non-negative integer',
  'options.concurrentTasksPerWorker': 'options.concurrentTasksPerWorker must be a positive integer',
  'options.atomics': 'options.atomics should be a value of sync, sync or disabled',
  'options.resourceLimits': 'options.resourceLimits must be an object',
  'options.taskQueue': 'options.taskQueue must be a TaskQueue object',
  'options.niceIncrement': 'options.niceIncrement must be a non-negative integer on Unix systems',
  'options.trackUnmanagedFds': 'options.trackUnmanagedFds must be a boolean value',
  'options.closeTimeout': 'options.closeTimeout must be a non-negative integer',
  'options.loadBalancer': 'options.loadBalancer must be a function with at least two args',
  'options.workerHistogram': 'options.workerHistogram must be a boolean',
  'options.stricterFIFO': 'options.stricterFIFO must be a boolean',
};
// Piscina's tests compare these messages whole: they are Piscina's sentence
// alone (it names the option and what it expects).
const PISCINA_EXACT = new Set(['options.workerHistogram']);

/** invalid() (lib/validate.js) with Piscina's sentence for the option first, where it has one. */
function invalid(name, expected, value, Ctor = TypeError, says = PISCINA_SAYS[name]) {
  const err = invalidValue(name, expected, value, Ctor, says);
  if (PISCINA_EXACT.has(name)) err.message = says;
  return err;
}

/** Normalizes a path, file:// string or URL to a file URL string. */
function toFileHref(name, value) {
  if (value instanceof URL) {
    if (value.protocol !== 'file:' && value.protocol !== 'data:') throw invalid(name, 'a file: URL', value.href, TypeError, null);
    return value.href;
  }
  // Piscina's sentence is about the type: only for a value that is not a string.
  const expected = 'a non-empty string path, file:// URL string or URL';
  if (!is.string(value)) throw invalid(name, expected, value);
  if (value.length === 0) throw invalid(name, expected, value, TypeError, null);
  if (/^(file|data):/i.test(value)) return value;
  return pathToFileURL(path.resolve(value)).href;
}

const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

/** The documented defaults; test/js/readme.test.js checks the README against these. */
const DEFAULTS = Object.freeze({
  filename: null,
  name: 'default',
  minThreads: Math.max(Math.floor(cpus / 2), 1),
  maxThreads: Math.max(Math.floor(cpus * 1.5), 1),
  idleTimeout: 0,
  maxQueue: Infinity,
  concurrentTasksPerWorker: 1,
  closeTimeout: 30000,
  recordTiming: true,
  lanes: 3,
  timeout: Infinity,
  retry: null,
  maxTasksPerWorker: Infinity,
  maxHeapUsedMb: Infinity,
  niceIncrement: 0,
  runtime: 'thread',
});

// Piscina v5's option names: all are accepted so code moves over unchanged.
// atomics, trackUnmanagedFds, taskQueue, loadBalancer, stricterFIFO and
// workerHistogram are accepted and validated as Piscina validates them
// (README: what each does here).
const POOL_OPTIONS = [
  'filename', 'name', 'minThreads', 'maxThreads', 'idleTimeout', 'maxQueue',
  'concurrentTasksPerWorker', 'resourceLimits', 'argv', 'execArgv', 'env',
  'workerData', 'closeTimeout', 'recordTiming', 'atomics', 'useAtomics', 'niceIncrement',
  'trackUnmanagedFds', 'taskQueue', 'loadBalancer', 'workerHistogram', 'lanes', 'laneWeights',
  'stdout', 'stderr', 'stricterFIFO',
  'timeout', 'retry', 'maxTasksPerWorker', 'maxHeapUsedMb', 'runtime',
];

function checkCount(name, v, min) {
  if (!is.integer(v)) throw invalid(name, `an integer >= ${min}`, v, typeof v === 'number' ? RangeError : TypeError);
  if (v < min) throw invalid(name, `an integer >= ${min}`, v, RangeError);
  return v;
}

/** setTimeout's largest delay: a longer timeout means never, and reads as Infinity. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkMs(name, v) {
  if (typeof v !== 'number' || Number.isNaN(v)) throw invalid(name, 'a number of milliseconds >= 0 (Infinity: never)', v);
  if (v < 0) throw invalid(name, 'a number of milliseconds >= 0 (Infinity: never)', v, RangeError);
  return v > MAX_TIMER_MS ? Infinity : v;
}

/** Piscina's isTaskQueue(): an object with size, push(), shift() and remove(). */
function isTaskQueue(v) {
  return is.object(v) && 'size' in v && is.fn(v.push) && is.fn(v.shift) && is.fn(v.remove);
}

/** A positive number or Infinity (timeouts, limits). */
function checkPositive(name, v, what) {
  if (typeof v !== 'number' || Number.isNaN(v)) throw invalid(name, what, v);
  if (!(v > 0)) throw invalid(name, what, v, RangeError);
  return v;
}

function validatePoolOptions(options) {
  if (options === undefined) options = {};
  if (!is.plainObject(options)) throw invalid('options', 'an object', options);
  const g = readOwn(options, POOL_OPTIONS, 'option');
  // Every option name is an own property of the result (undefined when not
  // given), so reading pool.options.execArgv never reaches Object.prototype.
  const o = { ...Object.fromEntries(POOL_OPTIONS.map((k) => [k, undefined])), ...DEFAULTS };
  if (g.filename !== undefined && g.filename !== null) o.filename = toFileHref('options.filename', g.filename);
  if (g.name !== undefined) {
    if (!is.string(g.name) || g.name.length === 0) throw invalid('options.name', 'a non-empty string', g.name);
    o.name = g.name;
  }
  const hasMin = g.minThreads !== undefined;
  const hasMax = g.maxThreads !== undefined;
  if (hasMin) o.minThreads = checkCount('options.minThreads', g.minThreads, 0);
  if (hasMax) o.maxThreads = checkCount('options.maxThreads', g.maxThreads, 1);
  if (hasMin && !hasMax) o.maxThreads = Math.max(o.maxThreads, o.minThreads, 1);
  if (hasMax && !hasMin) o.minThreads = Math.min(o.minThreads, o.maxThreads);
  if (o.minThreads > o.maxThreads) {
    throw invalid('options.minThreads', `an integer <= options.maxThreads (${o.maxThreads})`, o.minThreads, RangeError,
      'options.minThreads and options.maxThreads must not conflict');
  }
  if (g.idleTimeout !== undefined) o.idleTimeout = checkMs('options.idleTimeout', g.idleTimeout);
  if (g.concurrentTasksPerWorker !== undefined) {
    o.concurrentTasksPerWorker = checkCount('options.concurrentTasksPerWorker', g.concurrentTasksPerWorker, 1);
  }
  if (g.maxQueue !== undefined) {
    const v = g.maxQueue;
    if (v === 'auto') o.maxQueue = o.maxThreads * o.maxThreads;
    else if (v === Infinity) o.maxQueue = Infinity;
    else o.maxQueue = checkCount("options.maxQueue (or 'auto' or Infinity)", v, 0);
  }
  if (g.closeTimeout !== undefined) o.closeTimeout = checkMs('options.closeTimeout', g.closeTimeout);
  if (g.recordTiming !== undefined) {
    if (typeof g.recordTiming !== 'boolean') throw invalid('options.recordTiming', 'a boolean', g.recordTiming);
    o.recordTiming = g.recordTiming;
  }
  for (const key of ['argv', 'execArgv']) {
    if (g[key] === undefined) continue;
    if (!Array.isArray(g[key])) throw invalid(`options.${key}`, 'an array', g[key]);
    o[key] = g[key].map((a, i) => {
      if (key === 'execArgv' && !is.string(a)) throw invalid(`options.${key}[${i}]`, 'a string', a);
      return key === 'argv' ? String(a) : a;
    });
  }
  if (g.env !== undefined && g.env !== null && !is.object(g.env) && typeof g.env !== 'symbol') {
    throw invalid('options.env', 'an object or worker_threads.SHARE_ENV', g.env);
  }
  if (g.env !== undefined && g.env !== null) o.env = typeof g.env === 'symbol' ? g.env : { ...g.env };
  if (g.resourceLimits !== undefined) {
    const r = g.resourceLimits;
    if (!is.plainObject(r)) throw invalid('options.resourceLimits', 'an object', r);
    const limits = readOwn(r, ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'], 'resourceLimits option');
    for (const k of Object.keys(limits)) {
      const v = limits[k];
      if (typeof v !== 'number' || !(v > 0)) throw invalid(`options.resourceLimits.${k}`, 'a positive number', v, typeof v === 'number' ? RangeError : TypeError);
    }
    o.resourceLimits = { ...limits };
  }
  if ('workerData' in g) o.workerData = g.workerData;
  if (g.lanes !== undefined) {
    o.lanes = checkCount('options.lanes', g.lanes, 1);
    if (o.lanes > 64) throw invalid('options.lanes', 'an integer from 1 to 64', o.lanes, RangeError);
  }
  if (g.laneWeights !== undefined) {
    const w = g.laneWeights;
    if (!Array.isArray(w) || w.length === 0) throw invalid('options.laneWeights', 'a non-empty array of positive integers', w);
    w.forEach((x, i) => checkCount(`options.laneWeights[${i}]`, x, 1));
    if (g.lanes !== undefined && w.length !== o.lanes) {
      throw invalid('options.laneWeights', `an array of options.lanes (${o.lanes}) weights`, w, RangeError);
    }
    o.lanes = w.length;
    o.laneWeights = [...w];
  }
  for (const key of ['stdout', 'stderr', 'trackUnmanagedFds', 'useAtomics', 'stricterFIFO', 'workerHistogram']) {
    if (g[key] !== undefined && typeof g[key] !== 'boolean') throw invalid(`options.${key}`, 'a boolean', g[key]);
    if (g[key] !== undefined) o[key] = g[key];
  }
  // Piscina treats null as "not given" for atomics.
  if (g.atomics !== undefined && g.atomics !== null && !['sync', 'async', 'disabled'].includes(g.atomics)) {
    throw invalid('options.atomics', "'sync', 'async' or 'disabled'", g.atomics);
  }
  if (g.taskQueue !== undefined && !isTaskQueue(g.taskQueue)) {
    throw invalid('options.taskQueue', 'an object with size, push(), shift() and remove()', g.taskQueue);
  }
  if (g.runtime !== undefined) {
    const v = g.runtime;
    if (!is.string(v)) throw invalid('options.runtime', "'thread' or 'process'", v);
    if (v !== 'thread' && v !== 'process') throw invalid('options.runtime', "'thread' or 'process'", v, RangeError);
    o.runtime = v;
  }
  if (g.loadBalancer !== undefined && !is.fn(g.loadBalancer)) throw invalid('options.loadBalancer', 'a function', g.loadBalancer);
  if (g.niceIncrement !== undefined) {
    if (!is.integer(g.niceIncrement)) throw invalid('options.niceIncrement', 'an integer', g.niceIncrement);
    if (g.niceIncrement < 0 || g.niceIncrement > 19) throw invalid('options.niceIncrement', 'an integer from 0 to 19', g.niceIncrement, RangeError);
    o.niceIncrement = g.niceIncrement;
  }
  if (g.timeout !== undefined) o.timeout = checkPositive('options.timeout', g.timeout, 'a number of milliseconds > 0 (or Infinity)');
  if (g.retry !== undefined) o.retry = normalizeRetry('options.retry', g.retry);
  if (g.maxTasksPerWorker !== undefined) {
    const v = g.maxTasksPerWorker;
    o.maxTasksPerWorker = v === Infinity ? Infinity : checkCount('options.maxTasksPerWorker (or Infinity)', v, 1);
  }
  if (g.maxHeapUsedMb !== undefined) o.maxHeapUsedMb = checkPositive('options.maxHeapUsedMb', g.maxHeapUsedMb, 'a number of MiB > 0 (or Infinity)');
  return o;
}

const RUN_OPTIONS = ['name', 'filename', 'transferList', 'signal', 'priority', 'timeout', 'retry'];

/** A fresh holder for readRunOptions() (run()'s options, normalized). */
function runOptionsHolder() {
  return { name: undefined, filename: undefined, transferList: undefined, signal: undefined, priority: undefined, timeout: undefined, retry: undefined };
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Reads run()'s options into `g` (a runOptionsHolder(), whose fields it
 * sets): own enumerable properties only. Returns the error to reject run()
 * with, or undefined; never throws. It allocates nothing for valid options
 * (run()'s hot path: a for-in over a fast object walks its enum cache,
 * where Object.keys would copy it).
 */
function readRunOptions(options, g) {
  if (!is.plainObject(options)) return invalid('options', 'an object', options, TypeError, 'options must be an object');
  g.name = g.filename = g.transferList = g.signal = g.priority = g.timeout = g.retry = undefined;
  try {
    for (const key in options) {
      if (!hasOwn.call(options, key)) continue; // inherited: not an option
      switch (key) {
        case 'name': g.name = options.name; break;
        case 'filename': g.filename = options.filename; break;
        case 'transferList': g.transferList = options.transferList; break;
        case 'signal': g.signal = options.signal; break;
        case 'priority': g.priority = options.priority; break;
        case 'timeout': g.timeout = options.timeout; break;
        case 'retry': g.retry = options.retry; break;
        default: return unknownKey('run() option', key, RUN_OPTIONS);
      }
    }
  } catch (err) {
    return err; // a getter or a Proxy that throws
  }
  // Piscina's sentences for these are about "arguments".
  if (g.name !== undefined && g.name !== null && (!is.string(g.name) || g.name.length === 0)) {
    return invalid('options.name', 'a non-empty string', g.name, TypeError, is.string(g.name) ? null : 'name argument must be a string');
  }
  if (g.filename !== undefined && g.filename !== null && !is.string(g.filename) && !(g.filename instanceof URL)) {
    return invalid('options.filename', 'a string or URL', g.filename, TypeError, 'filename argument must be a string');
  }
  if (g.transferList !== undefined && g.transferList !== null && !Array.isArray(g.transferList)) {
    return invalid('options.transferList', 'an array', g.transferList, TypeError, 'transferList argument must be an Array');
  }
  const s = g.signal;
  if (s !== undefined && s !== null) {
    const ok = is.object(s) && (is.fn(s.addEventListener) || is.fn(s.once) || is.fn(s.on));
    if (!ok) {
      return invalid('options.signal', "an AbortSignal or an EventEmitter that emits 'abort'", s, TypeError,
        is.object(s) ? null : 'signal argument must be an object');
    }
  }
  if (g.priority !== undefined && (typeof g.priority !== 'number' || Number.isNaN(g.priority))) {
    return invalid('options.priority', 'a number', g.priority, TypeError, null);
  }
  try {
    if (g.timeout !== undefined) checkPositive('options.timeout', g.timeout, 'a number of milliseconds > 0 (or Infinity)');
    if (g.retry !== undefined) g.retry = normalizeRetry('options.retry', g.retry);
  } catch (err) {
    return err;
  }
  return undefined;
}

/** Throws for a key of `given` not in `known` (the same check run() options get). */
function rejectUnknown(kind, given, known) {
  readOwn(given, known, kind);
}

// `invalid` here is lib/validate.js's, without Piscina's sentences (they are about a Pool's options).
module.exports = {
  DEFAULTS, POOL_OPTIONS, RUN_OPTIONS, validatePoolOptions, readRunOptions, runOptionsHolder, toFileHref, invalid: invalidValue, rejectUnknown, is,
};
