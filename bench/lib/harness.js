'use strict';

// The shape every bench script shares.
//
// A script describes itself with a spec and calls main(spec):
//   { name, question, file: __filename, libs, defaultRounds, timeoutMs,
//     figures: [{ key, label, unit, better: 'higher' | 'lower', ratio: true|false }],
//     settings: {...},              // recorded in the JSON
//     child(lib, opts) -> result    // one measurement, in a fresh process
//     runOne?(lib, ctx) -> result   // optional: replaces "fork this script with --child lib"
//     finish?(report)               // optional: adds derived figures to the report }
//
// The parent runs every library in its own fresh child process, `rounds` times,
// rotating the library order each round so no library always goes first or last on a
// noisy machine. Per figure it reports the median and min/max/IQR over rounds, and
// nativepool's ratio to each anchor computed from the medians of the same run.

const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { fork } = require('node:child_process');
const { parseArgs } = require('./args');
const { summarize } = require('./stats');
const { machine } = require('./machine');
const fmt = require('./format');
const { LIBRARIES, resolveNativepool, nativepoolEnv } = require('./adapters');

const RESULTS = path.resolve(__dirname, '..', 'results');

function log(...args) {
  process.stderr.write(`${args.join(' ')}\n`);
}

// Forks `file` with `--child lib` and resolves with the value the child sends.
function forkChild(file, lib, { env, opts, timeoutMs, execArgv = [], onMessage }) {
  return new Promise((resolve, reject) => {
    const child = fork(file, ['--child', lib], {
      env: { ...env, BENCH_CHILD_OPTS: JSON.stringify(opts || {}) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv,
    });
    let stderr = '';
    let settled = false;
    child.stderr.on('data', (d) => { stderr += d; if (stderr.length > 20000) stderr = stderr.slice(-20000); });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`${lib}: timed out after ${timeoutMs} ms${stderr ? `\n${stderr.trim()}` : ""}`));
    }, timeoutMs);
    child.on('message', (msg) => {
      if (onMessage && onMessage(msg, child)) return;
      if (settled) return;
      if (msg && msg.type === 'result') {
        settled = true;
        clearTimeout(timer);
        resolve({ result: msg.result, child });
      } else if (msg && msg.type === 'error') {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${lib}: ${msg.message}`));
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(new Error(`${lib}: child exited (${signal || code}) before reporting${stderr ? `\n${stderr.trim()}` : ''}`));
    });
  });
}

// Child side: run spec.child and send the result to the parent.
async function childMain(spec, lib) {
  const opts = JSON.parse(process.env.BENCH_CHILD_OPTS || '{}');
  // Some pools unref their ports, so a process awaiting only a task result may exit
  // mid-measurement (seen with poolifier). A ref'd timer keeps the child alive.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    const result = await spec.child(lib, opts);
    clearInterval(keepAlive);
    await new Promise((r) => process.send({ type: 'result', result }, r));
    process.exit(0);
  } catch (err) {
    await new Promise((r) => process.send({ type: 'error', message: err && err.stack ? err.stack : String(err) }, r));
    process.exit(1);
  }
}

function rotate(list, k) {
  const n = list.length;
  return list.map((_, i) => list[(i + k) % n]);
}

// Runs the spec in this process as the parent; returns the report (also written to disk).
async function runBench(spec, { rounds, libs, json = false, write = true, quiet = false, opts = {} } = {}) {
  rounds = rounds || spec.defaultRounds || 3;
  libs = libs || spec.libs || LIBRARIES;
  const np = resolveNativepool();
  const env = nativepoolEnv(np);
  const started = Date.now();
  if (!json) {
    log(`\n${spec.name}: ${spec.question}`);
    log(np.real ? `nativepool: ${np.root} at ${np.commit || '?'}` : `nativepool: Piscina standing in (${np.reason})`);
  }

  const runs = [];
  const failures = [];
  for (let round = 0; round < rounds; round++) {
    for (const lib of rotate(libs, round)) {
      const t0 = Date.now();
      const loadavg = os.loadavg()[0];
      try {
        const ctx = { env, opts, round, np };
        const result = spec.runOne
          ? await spec.runOne(lib, ctx)
          : (await forkChild(spec.file, lib, { env, opts, timeoutMs: spec.timeoutMs || 300000, execArgv: spec.execArgv })).result;
        runs.push({ round, lib, ms: Date.now() - t0, loadavg, result });
        if (!json) log(`  round ${round + 1}/${rounds} ${lib.padEnd(10)} ${spec.progress ? spec.progress(result) : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (err) {
        failures.push({ round, lib, error: String(err.message || err) });
        log(`  round ${round + 1}/${rounds} ${lib.padEnd(10)} FAILED: ${String(err.message || err).split('\n').slice(0, 6).join('\n    ')}`);
      }
    }
  }

  const report = {
    name: spec.name,
    question: spec.question,
    date: new Date().toISOString(),
    machine: machine(),
    nativepool: { real: np.real, root: np.root, commit: np.commit || null, standIn: np.real ? null : 'piscina', reason: np.reason },
    rounds,
    loadavg: summarize(runs.map((r) => r.loadavg)),
    settings: spec.settings || {},
    figures: spec.figures,
    libs: {},
    ratios: {},
    runs,
    failures,
    seconds: (Date.now() - started) / 1000,
  };
  for (const lib of libs) {
    const mine = runs.filter((r) => r.lib === lib);
    report.libs[lib] = {};
    for (const f of spec.figures) {
      report.libs[lib][f.key] = summarize(mine.map((r) => (r.result && r.result.figures ? r.result.figures[f.key] : undefined)));
    }
  }
  // Notes a child attached to its result (e.g. why a mode is n/a), deduplicated per library.
  report.notes = {};
  for (const r of runs) {
    for (const [k, v] of Object.entries((r.result && r.result.notes) || {})) {
      report.notes[r.lib] ??= {};
      report.notes[r.lib][k] = v;
    }
  }
  if (spec.finish) spec.finish(report);
  computeRatios(report, libs);

  if (write) {
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, `${spec.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  }
  if (quiet) return report;
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${spec.render ? spec.render(report) : renderReport(report, spec)}\n`);
  return report;
}

// nativepool's median ÷ each anchor's median, per figure (and per derived figure).
function computeRatios(report, libs) {
  const npFigs = report.libs.nativepool;
  if (!npFigs) return;
  for (const lib of libs) {
    if (lib === 'nativepool') continue;
    report.ratios[lib] = {};
    for (const f of report.figures) {
      if (f.ratio === false) continue;
      const a = npFigs[f.key];
      const b = report.libs[lib] && report.libs[lib][f.key];
      report.ratios[lib][f.key] = a && b && b.median ? a.median / b.median : null;
    }
  }
}

function libLabel(report, lib) {
  return lib === 'nativepool' && !report.nativepool.real ? 'nativepool†' : lib;
}

// Table: rows = libraries, columns = figures ("median [min–max]"), then one row per
// anchor with nativepool's ratio to it.
function renderReport(report, spec, { figures = report.figures, title = true, footer = true } = {}) {
  const libs = Object.keys(report.libs);
  const header = ['library', ...figures.map((f) => `${f.label}${f.better === 'higher' ? ' ↑' : f.better === 'lower' ? ' ↓' : ''}`)];
  const rows = [header];
  for (const lib of libs) rows.push([libLabel(report, lib), ...figures.map((f) => fmt.cell(report.libs[lib][f.key], f.unit))]);
  const anchors = Object.keys(report.ratios);
  if (anchors.length) {
    rows.push(null);
    for (const a of anchors) {
      rows.push([`${libLabel(report, 'nativepool')} ÷ ${a}`, ...figures.map((f) => (f.ratio === false ? '' : fmt.ratio(report.ratios[a][f.key])))]);
    }
  }
  const lines = [];
  if (title) {
    lines.push('', `${report.name} — ${report.question}`);
    lines.push(`${report.machine.cores}× ${report.machine.cpu}, Node ${report.machine.node}, ${report.rounds} round(s), ${report.date.slice(0, 16)}Z, 1-min load avg ${report.loadavg ? report.loadavg.median.toFixed(1) : '?'}; median [min–max] over rounds; ↑/↓ = higher/lower is better`);
  }
  lines.push(fmt.table(rows));
  if (!footer) return lines.join('\n');
  if (report.extraLines) lines.push(...report.extraLines);
  for (const [lib, notes] of Object.entries(report.notes || {})) {
    for (const [k, v] of Object.entries(notes)) lines.push(`note: ${libLabel(report, lib)} ${k}: ${v}`);
  }
  if (report.failures.length) lines.push(`failures: ${report.failures.map((f) => `${f.lib} (round ${f.round + 1})`).join(', ')}`);
  if (!report.nativepool.real) lines.push(`† Piscina standing in for nativepool: ${report.nativepool.reason}`);
  return lines.join('\n');
}

// Entry point of each bench script.
function main(spec) {
  const args = parseArgs();
  if (args.child) return childMain(spec, args.child);
  return runBench(spec, { rounds: args.rounds, libs: args.libs, json: args.json, write: args.write, opts: args.extra })
    .catch((err) => { console.error(err); process.exitCode = 1; });
}

module.exports = { main, runBench, renderReport, forkChild, log, RESULTS };
