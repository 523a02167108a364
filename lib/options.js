'use strict';
// Option validation, in one place. A bad option throws a TypeError or
// RangeError that names the option, what it expected and what it got.
const os = require('node:os');
const { pathToFileURL } = require('node:url');
const path = require('node:path');

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string': return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number': case 'bigint': case 'boolean': return `${typeof value} ${String(value)}`;
    case 'undefined': return 'undefined';
    case 'function': return 'a function';
    case 'symbol': return 'a symbol';
    default: return `an instance of ${value.constructor ? value.constructor.name : 'Object'}`;
  }
}

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

/**
 * The error for a bad option: names it, says what was expected and what was
 * received. `says` is Piscina's sentence for the same mistake, when it has one.
 */
function invalid(name, expected, value, Ctor = TypeError, says = PISCINA_SAYS[name]) {
  const ours = `xpected ${expected} for ${name} but received ${describe(value)}`;
  const err = new Ctor(PISCINA_EXACT.has(name) ? says : says ? `${says}: e${ours}` : `E${ours}`);
  err.code = Ctor === RangeError ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE';
  return err;
}

/**
 * A copy of `options` holding only its own enumerable properties, with no
 * prototype: nothing set on Object.prototype is ever read as an option.
 */
function ownProps(options) {
  return Object.assign(Object.create(null), options);
}

const is = {
  object: (v) => v !== null && typeof v === 'object',
  plainObject: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  string: (v) => typeof v === 'string',
  fn: (v) => typeof v === 'function',
};

function levenshtein(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

function rejectUnknown(kind, given, known) {
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    let best = null;
    let bestDistance = Infinity;
    for (const k of known) {
      const dist = levenshtein(key, k);
      if (dist < bestDistance) { best = k; bestDistance = dist; }
    }
    const hint = bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? ` Did you mean '${best}'?` : '';
    const err = new TypeError(`Unknown ${kind} '${key}'.${hint}`);
    err.code = 'ERR_INVALID_ARG_VALUE';
    throw err;
  }
}

/** Normalizes a path, file:// string or URL to a file URL string. */
function toFileHref(name, value) {
  if (value instanceof URL) {
    if (value.protocol !== 'file:' && value.protocol !== 'data:') throw invalid(name, 'a file: URL', value.href, TypeError, null);
    return value.href;
  }
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
  stricterFIFO: false,
  lanes: 3,
});

// Piscina v5's option names: all are accepted so code moves over unchanged.
// atomics, useAtomics, niceIncrement, taskQueue, loadBalancer and
// workerHistogram are validated as Piscina validates them but have no effect
// (README). stricterFIFO is what the pool always does: workers pull tasks in
// submission order within a lane, so nothing needs switching on.
const POOL_OPTIONS = [
  'filename', 'name', 'minThreads', 'maxThreads', 'idleTimeout', 'maxQueue',
  'concurrentTasksPerWorker', 'resourceLimits', 'argv', 'execArgv', 'env',
  'workerData', 'closeTimeout', 'recordTiming', 'atomics', 'useAtomics', 'niceIncrement',
  'trackUnmanagedFds', 'taskQueue', 'loadBalancer', 'workerHistogram', 'stricterFIFO', 'lanes', 'laneWeights',
  'stdout', 'stderr',
];

/** setTimeout's largest delay; a longer timeout (or Infinity) means never, and reads as Infinity. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkCount(name, v, min) {
  if (!is.integer(v)) throw invalid(name, `an integer >= ${min}`, v, typeof v === 'number' ? RangeError : TypeError);
  if (v < min) throw invalid(name, `an integer >= ${min}`, v, RangeError);
  return v;
}

/** A number of milliseconds >= 0; above setTimeout's range it is Infinity (never). */
function checkTimeout(name, v) {
  if (typeof v !== 'number' || Number.isNaN(v)) throw invalid(name, 'a number of milliseconds >= 0 (Infinity: never)', v);
  if (v < 0) throw invalid(name, 'a number of milliseconds >= 0 (Infinity: never)', v, RangeError);
  return v > MAX_TIMER_MS ? Infinity : v;
}

/** Piscina's isTaskQueue(): an object with size, push(), shift() and remove(). */
function isTaskQueue(v) {
  return is.object(v) && 'size' in v && is.fn(v.push) && is.fn(v.shift) && is.fn(v.remove);
}

/**
 * Validates `new Pool(options)` and returns the options the pool uses. Only
 * own properties of `options` are read. The result has every option name as
 * an own property (undefined when not given), so reading one never reaches
 * Object.prototype either.
 */
function validatePoolOptions(options) {
  if (options === undefined) options = {};
  if (!is.plainObject(options)) throw invalid('options', 'an object', options);
  const given = ownProps(options);
  rejectUnknown('option', given, POOL_OPTIONS);
  const o = { ...Object.fromEntries(POOL_OPTIONS.map((k) => [k, undefined])), ...DEFAULTS };
  if (given.filename !== undefined && given.filename !== null) o.filename = toFileHref('options.filename', given.filename);
  if (given.name !== undefined) {
    if (!is.string(given.name) || given.name.length === 0) throw invalid('options.name', 'a non-empty string', given.name);
    o.name = given.name;
  }
  const hasMin = given.minThreads !== undefined;
  const hasMax = given.maxThreads !== undefined;
  if (hasMin) o.minThreads = checkCount('options.minThreads', given.minThreads, 0);
  if (hasMax) o.maxThreads = checkCount('options.maxThreads', given.maxThreads, 1);
  if (hasMin && !hasMax) o.maxThreads = Math.max(o.maxThreads, o.minThreads, 1);
  if (hasMax && !hasMin) o.minThreads = Math.min(o.minThreads, o.maxThreads);
  if (o.minThreads > o.maxThreads) {
    throw invalid('options.minThreads', `an integer <= options.maxThreads (${o.maxThreads})`, o.minThreads, RangeError,
      'options.minThreads and options.maxThreads must not conflict');
  }
  if (given.idleTimeout !== undefined) o.idleTimeout = checkTimeout('options.idleTimeout', given.idleTimeout);
  if (given.concurrentTasksPerWorker !== undefined) {
    o.concurrentTasksPerWorker = checkCount('options.concurrentTasksPerWorker', given.concurrentTasksPerWorker, 1);
  }
  if (given.maxQueue !== undefined) {
    const v = given.maxQueue;
    if (v === 'auto') o.maxQueue = o.maxThreads * o.maxThreads;
    else if (v === Infinity) o.maxQueue = Infinity;
    else o.maxQueue = checkCount("options.maxQueue (or 'auto' or Infinity)", v, 0);
  }
  if (given.closeTimeout !== undefined) o.closeTimeout = checkTimeout('options.closeTimeout', given.closeTimeout);
  for (const key of ['argv', 'execArgv']) {
    if (given[key] === undefined) continue;
    if (!Array.isArray(given[key])) throw invalid(`options.${key}`, 'an array', given[key]);
    o[key] = given[key].map((a, i) => {
      if (key === 'execArgv' && !is.string(a)) throw invalid(`options.${key}[${i}]`, 'a string', a);
      return key === 'argv' ? String(a) : a;
    });
  }
  if (given.env !== undefined && given.env !== null && !is.object(given.env) && typeof given.env !== 'symbol') {
    throw invalid('options.env', 'an object or worker_threads.SHARE_ENV', given.env);
  }
  o.env = given.env;
  if (given.resourceLimits !== undefined) {
    if (!is.plainObject(given.resourceLimits)) throw invalid('options.resourceLimits', 'an object', given.resourceLimits);
    const r = ownProps(given.resourceLimits);
    rejectUnknown('resourceLimits option', r, ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb']);
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'number' || !(v > 0)) throw invalid(`options.resourceLimits.${k}`, 'a positive number', v, typeof v === 'number' ? RangeError : TypeError);
    }
    o.resourceLimits = { ...r };
  }
  if ('workerData' in given) o.workerData = given.workerData;
  if (given.lanes !== undefined) {
    o.lanes = checkCount('options.lanes', given.lanes, 1);
    if (o.lanes > 64) throw invalid('options.lanes', 'an integer from 1 to 64', o.lanes, RangeError);
  }
  if (given.laneWeights !== undefined) {
    const w = given.laneWeights;
    if (!Array.isArray(w) || w.length === 0) throw invalid('options.laneWeights', 'a non-empty array of positive integers', w);
    w.forEach((x, i) => checkCount(`options.laneWeights[${i}]`, x, 1));
    if (given.lanes !== undefined && w.length !== o.lanes) {
      throw invalid('options.laneWeights', `an array of options.lanes (${o.lanes}) weights`, w, RangeError);
    }
    o.lanes = w.length;
    o.laneWeights = [...w];
  }
  for (const key of ['recordTiming', 'stdout', 'stderr', 'trackUnmanagedFds', 'useAtomics', 'workerHistogram', 'stricterFIFO']) {
    if (given[key] !== undefined && typeof given[key] !== 'boolean') throw invalid(`options.${key}`, 'a boolean', given[key]);
    if (given[key] !== undefined) o[key] = given[key];
  }
  // Piscina treats null as "not given" for atomics.
  if (given.atomics !== undefined && given.atomics !== null && !['sync', 'async', 'disabled'].includes(given.atomics)) {
    throw invalid('options.atomics', "'sync', 'async' or 'disabled'", given.atomics);
  }
  o.atomics = given.atomics;
  if (given.niceIncrement !== undefined) {
    const v = given.niceIncrement;
    if (!is.integer(v)) throw invalid('options.niceIncrement', 'an integer', v);
    // Windows takes thread priorities, some negative; elsewhere it only lowers priority.
    if (v < 0 && process.platform !== 'win32') throw invalid('options.niceIncrement', 'an integer >= 0', v, RangeError);
    o.niceIncrement = v;
  }
  if (given.taskQueue !== undefined && !isTaskQueue(given.taskQueue)) {
    throw invalid('options.taskQueue', 'an object with size, push(), shift() and remove()', given.taskQueue);
  }
  o.taskQueue = given.taskQueue;
  if (given.loadBalancer !== undefined && !is.fn(given.loadBalancer)) {
    throw invalid('options.loadBalancer', 'a function', given.loadBalancer);
  }
  o.loadBalancer = given.loadBalancer;
  return o;
}

const RUN_OPTIONS = ['name', 'filename', 'transferList', 'signal', 'priority'];

/** Returns null when valid, else the error to reject run() with. Reads own properties only. */
function validateRunOptions(options) {
  if (options === undefined || options === null) return null;
  if (!is.plainObject(options)) return invalid('options', 'an object', options, TypeError, 'options must be an object');
  const given = ownProps(options);
  try {
    rejectUnknown('run() option', given, RUN_OPTIONS);
  } catch (err) {
    return err;
  }
  // Piscina's sentences for these are about "arguments".
  if (given.name !== undefined && given.name !== null && (!is.string(given.name) || given.name.length === 0)) {
    return invalid('options.name', 'a non-empty string', given.name, TypeError, is.string(given.name) ? null : 'name argument must be a string');
  }
  if (given.filename !== undefined && given.filename !== null && !is.string(given.filename) && !(given.filename instanceof URL)) {
    return invalid('options.filename', 'a string or URL', given.filename, TypeError, 'filename argument must be a string');
  }
  if (given.transferList !== undefined && given.transferList !== null && !Array.isArray(given.transferList)) {
    return invalid('options.transferList', 'an array', given.transferList, TypeError, 'transferList argument must be an Array');
  }
  const s = given.signal;
  if (s !== undefined && s !== null) {
    const ok = is.object(s) && (is.fn(s.addEventListener) || is.fn(s.once) || is.fn(s.on));
    if (!ok) {
      return invalid('options.signal', "an AbortSignal or an EventEmitter that emits 'abort'", s, TypeError,
        is.object(s) ? null : 'signal argument must be an object');
    }
  }
  if (given.priority !== undefined && (typeof given.priority !== 'number' || Number.isNaN(given.priority))) {
    return invalid('options.priority', 'a number', given.priority);
  }
  return null;
}

module.exports = { DEFAULTS, POOL_OPTIONS, MAX_TIMER_MS, validatePoolOptions, validateRunOptions, toFileHref, invalid, ownProps };
