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
  { name: 'batch', rounds: 3 },
  { name: 'cpu', rounds: 3 },
  { name: 'payload', rounds: 2 },
  { name: 'service', rounds: 2 },
  { name: 'memory', rounds: 1 },
];

// The combined table's columns and the chart's panels.
const KEY = [
  { script: 'throughput', key: 'tasksPerSec', label: 'objects/s', unit: '', better: 'higher' },
  { script: 'latency', key: 'p50', label: 'idle p50', unit: 'us', better: 'lower' },
  { script: 'latency', key: 'p99', label: 'idle p99', unit: 'us', better: 'lower' },
  { script: 'batch', key: 'runManyPerSec', label: 'runMany/s', unit: '', better: 'higher' },
  { script: 'cpu', key: 'efficiency', label: 'cpu eff.', unit: '%', better: 'higher' },
  { script: 'payload', key: 'copy_1m', label: 'copy 1 MiB', unit: 'us', better: 'lower' },
  { script: 'payload', key: 'transfer_16m', label: 'move 16 MiB', unit: 'us', better: 'lower' },
  { script: 'service', key: 'workRps', label: '/work req/s', unit: '', better: 'higher' },
  { script: 'service', key: 'healthP99', label: '/health p99', unit: 'us', better: 'lower' },
  { script: 'memory', key: 'afterBurst', label: 'RSS after 1M', unit: 'MiB', better: 'lower' },
];

const LIB_ORDER = ['nativepool', 'nativepool-nopoll', 'piscina', 'piscina-async', 'tinypool', 'poolifier', 'workerpool', 'inline', 'idle'];

function fig(reports, script, lib, key) {
  const r = reports[script];
  return r && r.libs[lib] ? r.libs[lib][key] : null;
}

function med(reports, script, lib, key) {
  const s = fig(reports, script, lib, key);
  return s ? s.median : null;
}

// The best median among Piscina's configurations (its default and atomics: 'async').
function bestPiscina(reports, script, key, better) {
  const all = ['piscina', 'piscina-async'].map((lib) => med(reports, script, lib, key)).filter((v) => v !== null);
  if (all.length === 0) return null;
  return better === 'higher' ? Math.max(...all) : Math.min(...all);
}

// The issue's targets (#13), each as a ratio from medians of the same run,
// against Piscina at its best configuration for that figure.
function targets(reports) {
  const t = [];
  const ratio = (a, b) => (a !== null && b ? a / b : null);
  const add = (name, value, ok, goal) => t.push({ name, value, goal, met: value === null ? null : ok(value) });
  const np = (script, key) => med(reports, script, 'nativepool', key);
  add('run() burst of objects ÷ Piscina', ratio(np('throughput', 'tasksPerSec'), bestPiscina(reports, 'throughput', 'tasksPerSec', 'higher')), (v) => v >= 15, '≥ 15×');
  add('idle round trip p50 ÷ Piscina', ratio(np('latency', 'p50'), bestPiscina(reports, 'latency', 'p50', 'lower')), (v) => v <= 0.25, '≤ 0.25×');
  add('idle round trip p99 ÷ Piscina', ratio(np('latency', 'p99'), bestPiscina(reports, 'latency', 'p99', 'lower')), (v) => v <= 0.25, '≤ 0.25×');
  add('runMany() ÷ Piscina run() burst', ratio(np('batch', 'runManyPerSec'), med(reports, 'batch', 'piscina', 'burstPerSec')), (v) => v >= 40, '≥ 40×');
  add('map() ÷ runMany()', ratio(np('batch', 'mapPerSec'), np('batch', 'runManyPerSec')), (v) => v >= 0.5, '≥ 0.5×');
  add('cpu scheduling efficiency', np('cpu', 'efficiency'), (v) => v >= 97, '≥ 97%');
  add('/health p99 under load ÷ idle server', ratio(np('service', 'healthP99'), med(reports, 'service', 'idle', 'healthP99')), (v) => v <= 2, '≤ 2×');
  add('RSS after 1M tasks ÷ Piscina', ratio(np('memory', 'afterBurst'), med(reports, 'memory', 'piscina', 'afterBurst')), (v) => v <= 1, '≤ 1×');
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
  for (const lib of libs.filter((l) => !l.startsWith('nativepool'))) {
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
    'targets (issue #13), from medians of this run (Piscina at its best configuration per figure):',
  ];
  for (const t of summary.targets) {
    const v = t.value === null ? 'n/a' : t.name.includes('efficiency') ? `${t.value.toFixed(1)}%` : fmt.ratio(t.value);
    lines.push(`  ${t.met === null ? 'n/a   ' : t.met ? 'met   ' : 'MISSED'}  ${t.name.padEnd(40)} ${v.padStart(8)}   target ${t.goal}`);
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
    'throughput.tasksPerSec': { value: 15 * pisc('throughput', 'tasksPerSec'), label: 'target 15× Piscina' },
    'batch.runManyPerSec': { value: 40 * pisc('batch', 'burstPerSec'), label: 'target 40× Piscina burst' },
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
