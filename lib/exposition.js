'use strict';
// The pool's metrics as Prometheus metric families, computed at scrape time
// from one stats() snapshot and the native histograms, and their text
// exposition format (pool.metrics(), no dependency). lib/prometheus.js hands
// the same families to prom-client.
//
// Naming follows Prometheus: base units (seconds, bytes, ratios), `_total`
// counters, a `pool` label on every series, low-cardinality labels only.
const { snapshot } = require('./stats');
const { invalid } = require('./options');
const { version } = require('../package.json');

const NS_PER_S = 1e9;
// Histogram edges in ns: the usual decimal edges from 1 µs to 60 s. The
// core moves each down to the nearest native bucket bound (src/histogram.h),
// so every cumulative count is exact: le="0.000999423" is the 1 ms edge.
const EDGES_NS = [
  1e3, 2.5e3, 5e3, 1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5,
  1e6, 2.5e6, 5e6, 1e7, 2.5e7, 5e7, 1e8, 2.5e8, 5e8,
  1e9, 2.5e9, 5e9, 1e10, 3e10, 6e10,
];

const STATUS_OF = [
  ['ok', 'completed'], ['error', 'failed'], ['worker_exited', 'workerExited'],
  ['cancelled', 'cancelled'], ['aborted', 'aborted'], ['timeout', 'timedOut'],
];
const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * families(figures, labels) -> [{ name, help, type, aggregator, values }]:
 * prom-client's metric JSON shape (values: { labels, value, metricName? }),
 * without the prefix (see withPrefix). `aggregator` is how prom-client's
 * AggregatorRegistry combines cluster workers' series.
 */
function families(figures, labels) {
  const s = snapshot(figures);
  const L = (extra) => (extra ? { ...labels, ...extra } : labels);
  const one = (name, type, help, value, aggregator = 'sum') => ({ name, help, type, aggregator, values: [{ labels: L(), value }] });
  const by = (name, type, help, label, entries, aggregator = 'sum') => ({
    name, help, type, aggregator, values: entries.map(([k, v]) => ({ labels: L({ [label]: k }), value: v })),
  });
  return [
    by('info', 'gauge', 'The nativepool version running the pool (always 1).', 'version', [[version, 1]], 'max'),
    one('tasks_submitted_total', 'counter', 'Tasks accepted by run().', s.submitted),
    by('tasks_completed_total', 'counter', 'Tasks settled, by how: ok, error, worker_exited, cancelled, aborted, timeout.',
      'status', STATUS_OF.map(([status, key]) => [status, s[key]])),
    by('tasks_rejected_total', 'counter', 'Tasks run() refused without accepting them, by reason.',
      'reason', Object.entries(s.rejected).map(([k, v]) => [snake(k), v])),
    one('tasks_retried_total', 'counter', 'Task attempts run again after a failure.', s.retried),
    histogram(figures, 'task_wait_seconds', 'Time tasks waited from run() until a worker started them.', 'wait', L()),
    histogram(figures, 'task_run_seconds', 'Time workers spent running tasks.', 'run', L()),
    one('queue_depth', 'gauge', 'Tasks waiting for a worker.', s.queued),
    one('queue_depth_peak', 'gauge', 'The most tasks that waited for a worker at once.', s.peakQueued, 'max'),
    by('lane_queue_depth', 'gauge', 'Tasks waiting for a worker, by priority lane (0 is the highest).',
      'lane', s.queuedByLane.map((v, i) => [String(i), v])),
    one('tasks_pending', 'gauge', 'Tasks accepted and not yet settled (waiting, held or running).', s.pending),
    one('tasks_running', 'gauge', 'Tasks a worker is running now.', s.running),
    by('workers', 'gauge', 'Workers by state: starting, idle, busy, stopping.', 'state', Object.entries(s.workersByState)),
    one('workers_started_total', 'counter', 'Workers started.', s.workersStarted),
    by('worker_exits_total', 'counter', 'Workers that exited, by reason: crash, oom, abort, timeout, recycle, idle, destroy.',
      'reason', Object.entries(s.workerExits)),
    one('worker_recycles_total', 'counter', 'Workers replaced by recycling (maxTasksPerWorker, maxHeapUsedMb).', s.recycled),
    one('workers_heap_used_bytes', 'gauge', 'V8 heap in use, summed over the workers (each publishes it at most once a second).', s.heapUsedBytes),
    one('utilization_ratio', 'gauge', 'Share of the pool\'s thread time (maxThreads x lifetime) spent running tasks.', s.utilization, 'average'),
  ];
}

/** A histogram family from the native histogram `kind`, in seconds. */
function histogram(figures, name, help, kind, labels) {
  const h = figures.native.histogramBuckets(kind, EDGES_NS);
  const values = h.edges.map((edge, i) => ({
    metricName: `${name}_bucket`, labels: { ...labels, le: edge / NS_PER_S }, value: h.counts[i],
  }));
  values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  values.push({ metricName: `${name}_sum`, labels, value: h.sum / NS_PER_S });
  values.push({ metricName: `${name}_count`, labels, value: h.count });
  return { name, help, type: 'histogram', aggregator: 'sum', values };
}

/** The families with `prefix` on every name (metric and sample names). */
function withPrefix(list, prefix) {
  return list.map((f) => ({
    ...f,
    name: prefix + f.name,
    values: f.values.map((v) => (v.metricName === undefined ? v : { ...v, metricName: prefix + v.metricName })),
  }));
}

const escapeHelp = (s) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s) => String(s).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
function formatValue(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Prometheus text exposition format 0.0.4 of `list` (prefixed families). */
function render(list) {
  const lines = [];
  for (const f of list) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const v of f.values) {
      const keys = Object.keys(v.labels);
      const labels = keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(v.labels[k])}"`).join(',')}}`;
      lines.push(`${v.metricName || f.name}${labels} ${formatValue(v.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Labels the metrics set themselves.
const RESERVED = new Set(['le', 'status', 'reason', 'state', 'lane', 'version']);

/** options.prefix: 'nativepool_' by default; '' or a metric name prefix. */
function checkPrefix(prefix) {
  if (prefix === undefined) return 'nativepool_';
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
    throw invalid('options.prefix', 'a string of letters, digits, _ and : (not starting with a digit)', prefix);
  }
  return prefix;
}

/** options.labels: constant labels for every series, plus `pool` (the pool's id unless given). */
function checkLabels(labels, figures) {
  const out = { pool: String(figures.native.id) };
  if (labels === undefined) return out;
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    throw invalid('options.labels', 'an object of label names to strings', labels);
  }
  for (const key of Object.keys(labels)) {
    if (!LABEL_NAME.test(key) || key.startsWith('__') || RESERVED.has(key)) {
      throw invalid(`options.labels.${key}`, `a Prometheus label name other than ${[...RESERVED].join(', ')}`, key, RangeError);
    }
    const v = labels[key];
    if (typeof v !== 'string' && typeof v !== 'number') throw invalid(`options.labels.${key}`, 'a string', v);
    out[key] = String(v);
  }
  return out;
}

/** pool.metrics(options): the text exposition of one pool. */
function metricsText(figures, options = {}) {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
  const has = (k) => Object.hasOwn(options, k) && options[k] !== undefined;
  const prefix = checkPrefix(has('prefix') ? options.prefix : undefined);
  const labels = checkLabels(has('labels') ? options.labels : undefined, figures);
  return render(withPrefix(families(figures, labels), prefix));
}

module.exports = { families, withPrefix, render, metricsText, checkPrefix, checkLabels, EDGES_NS };
