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

function invalid(name, expected, value, Ctor = TypeError) {
  const err = new Ctor(`Expected ${expected} for ${name} but received ${describe(value)}`);
  err.code = Ctor === RangeError ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE';
  return err;
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
    if (value.protocol !== 'file:' && value.protocol !== 'data:') throw invalid(name, 'a file: URL', value.href);
    return value.href;
  }
  if (!is.string(value) || value.length === 0) throw invalid(name, 'a non-empty string path, file:// URL string or URL', value);
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
  runtime: 'thread',
});

// Piscina v5's option names: all are accepted so code moves over unchanged.
// atomics, niceIncrement, trackUnmanagedFds, taskQueue, loadBalancer and
// workerHistogram are accepted and validated but have no effect (README).
const POOL_OPTIONS = [
  'filename', 'name', 'minThreads', 'maxThreads', 'idleTimeout', 'maxQueue',
  'concurrentTasksPerWorker', 'resourceLimits', 'argv', 'execArgv', 'env',
  'workerData', 'closeTimeout', 'recordTiming', 'atomics', 'useAtomics', 'niceIncrement',
  'trackUnmanagedFds', 'taskQueue', 'loadBalancer', 'workerHistogram', 'lanes', 'laneWeights',
  'stdout', 'stderr', 'runtime',
];

function checkCount(name, v, min) {
  if (!is.integer(v)) throw invalid(name, `an integer >= ${min}`, v, typeof v === 'number' ? RangeError : TypeError);
  if (v < min) throw invalid(name, `an integer >= ${min}`, v, RangeError);
  return v;
}

function validatePoolOptions(options) {
  if (options === undefined) options = {};
  if (!is.plainObject(options)) throw invalid('options', 'an object', options);
  rejectUnknown('option', options, POOL_OPTIONS);
  const o = { ...DEFAULTS };
  if (options.filename !== undefined && options.filename !== null) o.filename = toFileHref('options.filename', options.filename);
  if (options.name !== undefined) {
    if (!is.string(options.name) || options.name.length === 0) throw invalid('options.name', 'a non-empty string', options.name);
    o.name = options.name;
  }
  const hasMin = options.minThreads !== undefined;
  const hasMax = options.maxThreads !== undefined;
  if (hasMin) o.minThreads = checkCount('options.minThreads', options.minThreads, 0);
  if (hasMax) o.maxThreads = checkCount('options.maxThreads', options.maxThreads, 1);
  if (hasMin && !hasMax) o.maxThreads = Math.max(o.maxThreads, o.minThreads, 1);
  if (hasMax && !hasMin) o.minThreads = Math.min(o.minThreads, o.maxThreads);
  if (o.minThreads > o.maxThreads) {
    throw invalid('options.minThreads', `an integer <= options.maxThreads (${o.maxThreads})`, o.minThreads, RangeError);
  }
  if (options.idleTimeout !== undefined) {
    const v = options.idleTimeout;
    if (typeof v !== 'number' || Number.isNaN(v)) throw invalid('options.idleTimeout', 'a number of milliseconds >= 0', v);
    if (v < 0) throw invalid('options.idleTimeout', 'a number of milliseconds >= 0', v, RangeError);
    o.idleTimeout = v;
  }
  if (options.concurrentTasksPerWorker !== undefined) {
    o.concurrentTasksPerWorker = checkCount('options.concurrentTasksPerWorker', options.concurrentTasksPerWorker, 1);
  }
  if (options.maxQueue !== undefined) {
    const v = options.maxQueue;
    if (v === 'auto') o.maxQueue = o.maxThreads * o.maxThreads;
    else if (v === Infinity) o.maxQueue = Infinity;
    else o.maxQueue = checkCount("options.maxQueue (or 'auto' or Infinity)", v, 0);
  }
  if (options.closeTimeout !== undefined) {
    const v = options.closeTimeout;
    if (typeof v !== 'number' || Number.isNaN(v)) throw invalid('options.closeTimeout', 'a number of milliseconds >= 0', v);
    if (v < 0) throw invalid('options.closeTimeout', 'a number of milliseconds >= 0', v, RangeError);
    o.closeTimeout = v;
  }
  if (options.recordTiming !== undefined) {
    if (typeof options.recordTiming !== 'boolean') throw invalid('options.recordTiming', 'a boolean', options.recordTiming);
    o.recordTiming = options.recordTiming;
  }
  for (const key of ['argv', 'execArgv']) {
    if (options[key] === undefined) continue;
    if (!Array.isArray(options[key])) throw invalid(`options.${key}`, 'an array', options[key]);
    o[key] = options[key].map((a, i) => {
      if (key === 'execArgv' && !is.string(a)) throw invalid(`options.${key}[${i}]`, 'a string', a);
      return key === 'argv' ? String(a) : a;
    });
  }
  if (options.env !== undefined && options.env !== null && !is.object(options.env) && typeof options.env !== 'symbol') {
    throw invalid('options.env', 'an object or worker_threads.SHARE_ENV', options.env);
  }
  if (options.env !== undefined) o.env = options.env;
  if (options.resourceLimits !== undefined) {
    const r = options.resourceLimits;
    if (!is.plainObject(r)) throw invalid('options.resourceLimits', 'an object', r);
    rejectUnknown('resourceLimits option', r, ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb']);
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'number' || !(v > 0)) throw invalid(`options.resourceLimits.${k}`, 'a positive number', v, typeof v === 'number' ? RangeError : TypeError);
    }
    o.resourceLimits = { ...r };
  }
  if ('workerData' in options) o.workerData = options.workerData;
  if (options.lanes !== undefined) {
    o.lanes = checkCount('options.lanes', options.lanes, 1);
    if (o.lanes > 64) throw invalid('options.lanes', 'an integer from 1 to 64', o.lanes, RangeError);
  }
  if (options.laneWeights !== undefined) {
    const w = options.laneWeights;
    if (!Array.isArray(w) || w.length === 0) throw invalid('options.laneWeights', 'a non-empty array of positive integers', w);
    w.forEach((x, i) => checkCount(`options.laneWeights[${i}]`, x, 1));
    if (options.lanes !== undefined && w.length !== o.lanes) {
      throw invalid('options.laneWeights', `an array of options.lanes (${o.lanes}) weights`, w, RangeError);
    }
    o.lanes = w.length;
    o.laneWeights = [...w];
  }
  for (const key of ['stdout', 'stderr', 'trackUnmanagedFds', 'useAtomics']) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') throw invalid(`options.${key}`, 'a boolean', options[key]);
    if (options[key] !== undefined) o[key] = options[key];
  }
  if (options.atomics !== undefined && !['sync', 'async', 'disabled'].includes(options.atomics)) {
    throw invalid('options.atomics', "'sync', 'async' or 'disabled'", options.atomics);
  }
  if (options.runtime !== undefined) {
    const v = options.runtime;
    if (!is.string(v)) throw invalid('options.runtime', "'thread' or 'process'", v);
    if (v !== 'thread' && v !== 'process') throw invalid('options.runtime', "'thread' or 'process'", v, RangeError);
    o.runtime = v;
  }
  if (options.niceIncrement !== undefined && !is.integer(options.niceIncrement)) {
    throw invalid('options.niceIncrement', 'an integer', options.niceIncrement);
  }
  return o;
}

const RUN_OPTIONS = ['name', 'filename', 'transferList', 'signal', 'priority'];

/** Returns null when valid, else the error to reject run() with. */
function validateRunOptions(options) {
  if (options === undefined || options === null) return null;
  if (!is.plainObject(options)) return invalid('options', 'an object', options);
  try {
    rejectUnknown('run() option', options, RUN_OPTIONS);
  } catch (err) {
    return err;
  }
  if (options.name !== undefined && options.name !== null && (!is.string(options.name) || options.name.length === 0)) {
    return invalid('options.name', 'a non-empty string', options.name);
  }
  if (options.filename !== undefined && options.filename !== null && !is.string(options.filename) && !(options.filename instanceof URL)) {
    return invalid('options.filename', 'a string or URL', options.filename);
  }
  if (options.transferList !== undefined && options.transferList !== null && !Array.isArray(options.transferList)) {
    return invalid('options.transferList', 'an array', options.transferList);
  }
  const s = options.signal;
  if (s !== undefined && s !== null) {
    const ok = is.object(s) && (is.fn(s.addEventListener) || is.fn(s.once) || is.fn(s.on));
    if (!ok) return invalid('options.signal', "an AbortSignal or an EventEmitter that emits 'abort'", s);
  }
  if (options.priority !== undefined && (typeof options.priority !== 'number' || Number.isNaN(options.priority))) {
    return invalid('options.priority', 'a number', options.priority);
  }
  return null;
}

module.exports = { DEFAULTS, POOL_OPTIONS, validatePoolOptions, validateRunOptions, toFileHref, invalid };
