'use strict';
// The pool's figures, computed when read (never per task in JS): Piscina's
// histogram summaries and utilization, from the native counters.

const NS_PER_MS = 1e6;
const HISTOGRAM_KEYS = [
  ['p0_001', 0.001], ['p0_01', 0.01], ['p0_1', 0.1], ['p1', 1], ['p2_5', 2.5], ['p10', 10],
  ['p25', 25], ['p50', 50], ['p75', 75], ['p90', 90], ['p97_5', 97.5], ['p99', 99],
  ['p99_9', 99.9], ['p99_99', 99.99], ['p99_999', 99.999],
];
const PERCENTILES = HISTOGRAM_KEYS.map(([, p]) => p);

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

class Figures {
  #native;
  #options;
  #startTime = process.hrtime.bigint();

  constructor(native, options) {
    this.#native = native;
    this.#options = options;
  }

  /** Milliseconds since the pool was created. */
  get duration() {
    return Number(process.hrtime.bigint() - this.#startTime) / NS_PER_MS;
  }

  /** Share of the pool's thread time (maxThreads × duration) spent running tasks. */
  get utilization() {
    const stats = this.#native.stats();
    const capacity = Number(process.hrtime.bigint() - this.#startTime) * this.#options.maxThreads;
    return capacity > 0 ? Math.min(1, stats.busyNs / capacity) : 0;
  }

  summary(kind) {
    if (!this.#options.recordTiming) return null;
    return toSummary(this.#native.histogram(kind, PERCENTILES));
  }

  get histogram() {
    const native = this.#native;
    const figures = this;
    return {
      get runTime() { return figures.summary('run'); },
      get waitTime() { return figures.summary('wait'); },
      resetRunTime: () => native.resetHistogram('run'),
      resetWaitTime: () => native.resetHistogram('wait'),
    };
  }
}

module.exports = { Figures, toSummary, HISTOGRAM_KEYS };
