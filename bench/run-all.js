'use strict';
// Runs every bench script (each library in its own fresh process, interleaved rounds),
// prints each script's table and one combined table, checks the issue's targets, and
// writes bench/results/summary.json and bench/results/chart.svg.
//   npm run bench
//   node bench/run-all.js [--json] [--rounds N] [--only throughput,latency] [--from-results]
// --rounds N overrides every script's default; --from-results re-renders the summary and
// chart from the JSON files already in bench/results without measuring.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('./lib/args');
const { runBench, renderReport, RESULTS, log } = require('./lib/harness');
const { machine } = require('./lib/machine');
const { chart } = require('./lib/svg');
const fmt = require('./lib/format');

// Rounds chosen so that the whole run stays under ~10 minutes on the 2-core box.
const PLAN = [
  { name: 'throughput', rounds: 3 },
  { name: 'latency', rounds: 3 },
  { name: 'cpu', rounds: 3 },
  { name: 'payload', rounds: 2 },
  { name: 'service', rounds: 2 },
  { name: 'memory', rounds: 1 },
];

// The combined table's columns and the chart's panels.
const KEY = [
  { script: 'throughput', key: 'tasksPerSec', label: 'tasks/s', unit: '', better: 'higher' },
  { script: 'latency', key: 'p50', label: 'idle p50', unit: 'us', better: 'lower' },
  { script: 'latency', key: 'p99', label: 'idle p99', unit: 'us', better: 'lower' },
  { script: 'cpu', key: 'efficiency', label: 'cpu eff.', unit: '%', better: 'higher' },
  { script: 'payload', key: 'copy_1m', label: 'copy 1 MiB', unit: 'us', better: 'lower' },
  { script: 'payload', key: 'transfer_16m', label: 'move 16 MiB', unit: 'us', better: 'lower' },
  { script: 'service', key: 'workRps', label: '/work req/s', unit: '', better: 'higher' },
  { script: 'service', key: 'healthP99', label: '/health p99', unit: 'us', better: 'lower' },
  { script: 'memory', key: 'afterBurst', label: 'RSS after 1M', unit: 'MiB', better: 'lower' },
];

const LIB_ORDER = ['nativepool', 'piscina', 'tinypool', 'poolifier', 'workerpool', 'inline', 'idle'];

function fig(reports, script, lib, key) {
  const r = reports[script];
  return r && r.libs[lib] ? r.libs[lib][key] : null;
}

function med(reports, script, lib, key) {
  const s = fig(reports, script, lib, key);
  return s ? s.median : null;
}

// The issue's targets, each as a ratio from medians of the same run.
function targets(reports) {
  const t = [];
  const ratio = (a, b) => (a !== null && b ? a / b : null);
  const add = (name, value, ok, goal) => t.push({ name, value, goal, met: value === null ? null : ok(value) });
  add('tiny-task throughput ÷ Piscina', ratio(med(reports, 'throughput', 'nativepool', 'tasksPerSec'), med(reports, 'throughput', 'piscina', 'tasksPerSec')), (v) => v >= 10, '≥ 10×');
  add('idle latency p50 ÷ Piscina', ratio(med(reports, 'latency', 'nativepool', 'p50'), med(reports, 'latency', 'piscina', 'p50')), (v) => v <= 0.25, '≤ 0.25×');
  add('idle latency p99 ÷ Piscina', ratio(med(reports, 'latency', 'nativepool', 'p99'), med(reports, 'latency', 'piscina', 'p99')), (v) => v <= 0.25, '≤ 0.25×');
  add('cpu scheduling efficiency', med(reports, 'cpu', 'nativepool', 'efficiency'), (v) => v >= 97, '≥ 97%');
  add('/health p99 under load ÷ idle server', ratio(med(reports, 'service', 'nativepool', 'healthP99'), med(reports, 'service', 'idle', 'healthP99')), (v) => v <= 2, '≤ 2×');
  return t;
}

function summarize(reports) {
  const any = Object.values(reports)[0];
  const libs = LIB_ORDER.filter((lib) => KEY.some((k) => fig(reports, k.script, lib, k.key)));
  const figures = {};
  for (const lib of libs) {
    figures[lib] = {};
    for (const k of KEY) figures[lib][`${k.script}.${k.key}`] = fig(reports, k.script, lib, k.key);
  }
  const ratios = {};
  for (const lib of libs.filter((l) => l !== 'nativepool')) {
    ratios[lib] = {};
    for (const k of KEY) {
      const a = med(reports, k.script, 'nativepool', k.key);
      const b = med(reports, k.script, lib, k.key);
      ratios[lib][`${k.script}.${k.key}`] = a !== null && b ? a / b : null;
    }
  }
  const np = Object.values(reports).map((r) => r.nativepool);
  return {
    date: new Date().toISOString(),
    machine: machine(),
    nativepool: np.find((n) => !n.real) || np[0] || null,
    scripts: Object.fromEntries(Object.entries(reports).map(([n, r]) => [n, { date: r.date, rounds: r.rounds, seconds: r.seconds, failures: r.failures, nativepool: r.nativepool }])),
    key: KEY,
    figures,
    ratios,
    targets: targets(reports),
    anyReport: any ? any.name : null,
  };
}

function npLabel(summary) {
  return summary.nativepool && !summary.nativepool.real ? 'nativepool†' : 'nativepool';
}

function renderSummary(summary) {
  const libs = Object.keys(summary.figures);
  const rows = [['library', ...KEY.map((k) => `${k.label} ${k.better === 'higher' ? '↑' : '↓'}`)]];
  for (const lib of libs) {
    rows.push([lib === 'nativepool' ? npLabel(summary) : lib, ...KEY.map((k) => {
      const s = summary.figures[lib][`${k.script}.${k.key}`];
      return s ? fmt.value(s.median, k.unit) : '';
    })]);
  }
  rows.push(null);
  for (const lib of Object.keys(summary.ratios)) {
    rows.push([`${npLabel(summary)} ÷ ${lib}`, ...KEY.map((k) => {
      const r = summary.ratios[lib][`${k.script}.${k.key}`];
      return r === null ? '' : fmt.ratio(r);
    })]);
  }
  const m = summary.machine;
  const lines = [
    '',
    `summary — ${m.cores}× ${m.cpu}, Node ${m.node}, ${summary.date.slice(0, 16)}Z (medians over rounds; spreads in each script's table and JSON)`,
    fmt.table(rows),
    '',
    'targets (issue #6), from medians of this run:',
  ];
  for (const t of summary.targets) {
    const v = t.value === null ? 'n/a' : t.name.includes('efficiency') ? `${t.value.toFixed(1)}%` : fmt.ratio(t.value);
    lines.push(`  ${t.met === null ? 'n/a   ' : t.met ? 'met   ' : 'MISSED'}  ${t.name.padEnd(38)} ${v.padStart(8)}   target ${t.goal}`);
  }
  if (summary.nativepool && !summary.nativepool.real) lines.push(`† Piscina standing in for nativepool: ${summary.nativepool.reason}`);
  return lines.join('\n');
}

function renderChart(summary) {
  const m = summary.machine;
  const pisc = (script, key) => {
    const s = summary.figures.piscina && summary.figures.piscina[`${script}.${key}`];
    return s ? s.median : NaN;
  };
  const idle = summary.figures.idle && summary.figures.idle['service.healthP99'];
  const targetFor = {
    'throughput.tasksPerSec': { value: 10 * pisc('throughput', 'tasksPerSec'), label: 'target 10× Piscina' },
    'latency.p50': { value: pisc('latency', 'p50') / 4, label: 'target ¼ Piscina' },
    'latency.p99': { value: pisc('latency', 'p99') / 4, label: 'target ¼ Piscina' },
    'cpu.efficiency': { value: 97, label: 'target 97%' },
    'service.healthP99': { value: idle ? 2 * idle.median : NaN, label: 'target 2× idle' },
  };
  const panels = KEY.map((k) => ({
    title: `${k.script}: ${k.label}`,
    unit: k.unit,
    better: k.better,
    target: targetFor[`${k.script}.${k.key}`],
    bars: Object.keys(summary.figures)
      .map((lib) => ({ lib, label: lib === 'nativepool' ? npLabel(summary) : lib, s: summary.figures[lib][`${k.script}.${k.key}`] }))
      .filter((b) => b.s || ['nativepool', 'piscina', 'tinypool', 'poolifier', 'workerpool'].includes(b.lib))
      .map((b) => ({ lib: b.lib, label: b.label, median: b.s ? b.s.median : NaN, min: b.s ? b.s.min : NaN, max: b.s ? b.s.max : NaN })),
  }));
  return chart({
    title: 'nativepool vs Piscina, tinypool, poolifier, workerpool (2 threads each)',
    subtitle: `${m.cores}× ${m.cpu} · Node ${m.node} · ${m.os} · ${summary.date.slice(0, 10)} · bars = median over rounds, whiskers = min–max`,
    footnote: summary.nativepool && !summary.nativepool.real ? `† Piscina standing in for nativepool: ${summary.nativepool.reason}` : `nativepool from ${summary.nativepool ? `${summary.nativepool.root} at ${summary.nativepool.commit || '?'}` : '?'}`,
    panels,
    cols: 3,
  });
}

async function main() {
  const args = parseArgs();
  const only = args.extra.only ? String(args.extra.only).split(',') : null;
  const plan = PLAN.filter((p) => !only || only.includes(p.name));
  const reports = {};
  const t0 = Date.now();
  for (const p of PLAN) {
    const file = path.join(RESULTS, `${p.name}.json`);
    if (!plan.includes(p) || args.extra['from-results']) {
      if (fs.existsSync(file)) reports[p.name] = JSON.parse(fs.readFileSync(file, 'utf8'));
      continue;
    }
    const spec = require(`./${p.name}.js`);
    const report = await runBench(spec, { rounds: args.rounds || p.rounds, json: args.json, write: args.write, quiet: true, opts: {} });
    reports[p.name] = report;
    if (!args.json) process.stdout.write(`${spec.render ? spec.render(report) : renderReport(report, spec)}\n`);
  }
  const summary = summarize(reports);
  summary.seconds = (Date.now() - t0) / 1000;
  if (args.write) {
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    fs.writeFileSync(path.join(RESULTS, 'chart.svg'), renderChart(summary));
  }
  if (args.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(`${renderSummary(summary)}\n`);
    log(`\ntotal ${(summary.seconds / 60).toFixed(1)} min; wrote bench/results/summary.json and bench/results/chart.svg`);
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
