'use strict';
// The pool's figures, computed when read (never per task in JS): Piscina's
// histogram summaries and utilization, stats() (lib/stats.js) and the
// metrics (lib/exposition.js), from the native counters and the few
// counters below.
//
// Counters: what the native core cannot know. Task outcomes are counted
// where a record settles (TaskTable: by status in the settle batch, and in
// abort, timeout and the final failure after retries); refusals where run()
// refuses; worker starts, exits and recycles from the worker set's events;
// retries where a task is resubmitted (counters.count('retried')).

const NS_PER_MS = 1e6;
const HISTOGRAM_KEYS = [
  ['p0_001', 0.001], ['p0_01', 0.01], ['p0_1', 0.1], ['p1', 1], ['p2_5', 2.5], ['p10', 10],
  ['p25', 25], ['p50', 50], ['p75', 75], ['p90', 90], ['p97_5', 97.5], ['p99', 99],
  ['p99_9', 99.9], ['p99_99', 99.99], ['p99_999', 99.999],
];
const PERCENTILES = HISTOGRAM_KEYS.map(([, p]) => p);

/** How a task's promise settled: an index into Counters#outcomes. */
const OUTCOME = Object.freeze({
  OK: 0, // resolved
  ERROR: 1, // the handler threw or rejected (or its result could not be cloned)
  WORKER_EXITED: 2, // its worker went away while running it
  CANCELLED: 3, // never ran: the pool was closed (force) or destroyed, or no worker could load
  ABORTED: 4, // its AbortSignal fired
  TIMEOUT: 5, // its timeout passed
});
const OUTCOME_COUNT = 6;

/** Why run() refused a task (it was never accepted). */
const REJECT_REASONS = ['queueFull', 'closed', 'invalid', 'aborted'];
/** Why workers left, known today; any other reason is counted as it occurs. */
const EXIT_REASONS = ['crash', 'oom', 'abort', 'timeout', 'recycle', 'idle', 'destroy'];

class Counters {
  /** By OUTCOME; the task table increments them as records settle. */
  outcomes = new Float64Array(OUTCOME_COUNT);
  rejected = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0]));
  exits = Object.fromEntries(EXIT_REASONS.map((r) => [r, 0]));
  started = 0; // workers
  events = Object.create(null); // name -> count: 'retried', 'recycled', ...

  /** A rare event: count('retried'), count('recycled'). */
  count(name, n = 1) {
    this.events[name] = (this.events[name] || 0) + n;
  }

  event(name) {
    return this.events[name] || 0;
  }

  /** A worker left for `reason` ('crash', 'oom', 'abort', 'idle', 'destroy', ...). */
  exit(reason) {
    const key = typeof reason === 'string' && reason !== '' ? reason : 'unknown';
    this.exits[key] = (this.exits[key] || 0) + 1;
  }

  /** run() refuses a task: count it, and return the rejected promise. */
  refuse(reason, err) {
    this.rejected[reason]++;
    return Promise.reject(err);
  }

}

/**
 * Piscina's summary shape, in ms, from a native histogram in ns. An empty
 * histogram (none recorded, or just reset) reads as Node's does: average,
 * mean and stddev NaN, min and max 0.
 */
function toSummary(h) {
  if (h.count === 0) {
    const empty = { count: 0, average: NaN, mean: NaN, stddev: NaN, min: 0, max: 0 };
    for (const [key] of HISTOGRAM_KEYS) empty[key] = 0;
    return empty;
  }
  const out = {
    count: h.count,
    average: h.mean / NS_PER_MS,
    mean: h.mean / NS_PER_MS,
    stddev: h.stddev / NS_PER_MS,
    min: h.min / NS_PER_MS,
    max: h.max / NS_PER_MS,
  };
  HISTOGRAM_KEYS.forEach(([key], i) => {
    out[key] = h.percentiles[i] / NS_PER_MS;
  });
  return out;
}

/** The key lib/prometheus.js reads a pool's figures by. */
const kFigures = Symbol('nativepool.figures');

class Figures {
  native;
  options;
  counters = new Counters();
  tasks = null; // TaskTable, from watch()
  workers = null; // WorkerSet, from watch()
  #startTime = process.hrtime.bigint();

  constructor(native, options) {
    this.native = native;
    this.options = options;
  }

  /** Follows the pool's parts: workers started, recycled and exited come from their events. */
  watch(tasks, workers) {
    this.tasks = tasks;
    this.workers = workers;
    workers.on('create', () => {
      this.counters.started++;
    });
    workers.on('recycle', () => this.counters.count('recycled'));
    workers.on('destroy', (w) => this.counters.exit(w.reason));
  }

  count(name, n) {
    this.counters.count(name, n);
  }

  /** Milliseconds since the pool was created. */
  get duration() {
    return Number(process.hrtime.bigint() - this.#startTime) / NS_PER_MS;
  }

  /** Share of the pool's thread time (maxThreads × duration) spent running tasks. */
  get utilization() {
    const stats = this.native.stats();
    const capacity = Number(process.hrtime.bigint() - this.#startTime) * this.options.maxThreads;
    return capacity > 0 ? Math.min(1, stats.busyNs / capacity) : 0;
  }

  /** The native histogram `kind` ('run' | 'wait') as a summary in ms, always. */
  timing(kind) {
    return toSummary(this.native.histogram(kind, PERCENTILES));
  }

  summary(kind) {
    if (!this.options.recordTiming) return null;
    return this.timing(kind);
  }

  get histogram() {
    const native = this.native;
    const figures = this;
    return {
      get runTime() { return figures.summary('run'); },
      get waitTime() { return figures.summary('wait'); },
      resetRunTime: () => native.resetHistogram('run'),
      resetWaitTime: () => native.resetHistogram('wait'),
    };
  }
}

module.exports = {
  Figures, Counters, toSummary, HISTOGRAM_KEYS, OUTCOME, OUTCOME_COUNT, REJECT_REASONS, EXIT_REASONS, kFigures,
};
