'use strict';

// Small, dependency-free statistics used by every bench script.

function sorted(values) {
  return Float64Array.from(values).sort();
}

// Nearest-rank quantile on an already sorted array, q in [0, 1].
function quantileSorted(s, q) {
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
}

function quantile(values, q) {
  return quantileSorted(sorted(values), q);
}

function median(values) {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// Summary of one figure over rounds: the median and the spread around it.
function summarize(values) {
  const finite = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return null;
  const s = sorted(finite);
  return {
    median: median(finite),
    min: s[0],
    max: s[s.length - 1],
    q1: quantileSorted(s, 0.25),
    q3: quantileSorted(s, 0.75),
    n: s.length,
    samples: finite,
  };
}

// Latency distribution of one run (values in any unit).
function distribution(values) {
  const s = sorted(values);
  return {
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
    max: s[s.length - 1],
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    n: s.length,
  };
}

module.exports = { median, quantile, quantileSorted, summarize, distribution };
