'use strict';
// Question: what does a per-task timeout cost the tiny-task burst (issue #12:
// under 5%)? 100,000 tasks (handler returns its input) queued at once on 2
// threads, in a fresh process per measurement, in three modes:
//   off          no timeout
//   timeout      the pool option timeout: 60000 (every task is tracked and
//                watched by the one interval; none expires)
//   run-timeout  the same as a run() option on every task
// Modes alternate within each round; the table gives medians and each mode's
// ratio of tasks/s to `off`, and the process's CPU time per task (all
// threads; steadier than wall time on a shared machine).
//   node bench/timeout.js [--rounds 5] [--tasks 100000] [--modes off,timeout] [--json]
// NATIVEPOOL_PATH=/some/checkout measures `off` there too (row `off@path`).
const path = require('node:path');
const { fork } = require('node:child_process');

const MODES = ['off', 'timeout', 'run-timeout'];
const THREADS = 2;
const WARMUP = 2000;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function child(mode, root, tasks) {
  const Pool = require(root);
  const pool = new Pool({
    filename: path.join(__dirname, 'fixtures', 'nativepool.js'), minThreads: THREADS, maxThreads: THREADS,
    ...(mode === 'timeout' ? { timeout: 60000 } : {}),
  });
  const runOptions = mode === 'run-timeout' ? { name: 'echo', timeout: 60000 } : { name: 'echo' };
  const stop = () => {};
  const warm = [];
  for (let i = 0; i < WARMUP; i++) warm.push(pool.run(i, runOptions));
  await Promise.all(warm);
  const pending = new Array(tasks);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < tasks; i++) pending[i] = pool.run(i, runOptions);
  const results = await Promise.all(pending);
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  stop();
  if (results[tasks - 1] !== tasks - 1) throw new Error(`wrong result ${results[tasks - 1]}`);
  await pool.destroy();
  return { rate: tasks / (ns / 1e9), cpuUs: (cpu.user + cpu.system) / tasks };
}

function measure(mode, root, tasks) {
  return new Promise((resolve, reject) => {
    const c = fork(__filename, ['--child', mode, '--root', root, '--tasks', String(tasks)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    c.on('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m.result)));
    c.on('exit', (code) => code !== 0 && reject(new Error(`${mode}: exit ${code}`)));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const rounds = Number(arg('rounds', 5));
  const tasks = Number(arg('tasks', 100000));
  const here = path.resolve(__dirname, '..');
  const modes = arg('modes', MODES.join(',')).split(',');
  if (!modes.includes('off') || modes.some((m) => !MODES.includes(m))) throw new Error(`--modes: some of ${MODES.join(',')}, with off`);
  const runs = modes.map((mode) => ({ label: mode, mode, root: here }));
  if (process.env.NATIVEPOOL_PATH) runs.push({ label: 'off@path', mode: 'off', root: path.resolve(process.env.NATIVEPOOL_PATH) });
  const rates = Object.fromEntries(runs.map((r) => [r.label, []]));
  const cpus = Object.fromEntries(runs.map((r) => [r.label, []]));
  for (let round = 0; round < rounds; round++) {
    const order = runs.slice(round % runs.length).concat(runs.slice(0, round % runs.length));
    for (const r of order) {
      const { rate, cpuUs } = await measure(r.mode, r.root, tasks);
      rates[r.label].push(rate);
      cpus[r.label].push(cpuUs);
    }
  }
  const base = median(rates.off);
  const baseCpu = median(cpus.off);
  const rows = runs.map((r) => ({
    mode: r.label,
    tasksPerSec: Math.round(median(rates[r.label])),
    min: Math.round(Math.min(...rates[r.label])),
    max: Math.round(Math.max(...rates[r.label])),
    ratioToOff: Number((median(rates[r.label]) / base).toFixed(3)),
    cpuUsPerTask: Number(median(cpus[r.label]).toFixed(3)),
    cpuRatioToOff: Number((median(cpus[r.label]) / baseCpu).toFixed(3)),
  }));
  const report = {
    question: 'tiny-task burst, 2 threads: tasks/s with and without a per-task timeout', tasks, rounds, loadavg: require('node:os').loadavg(), rows,
  };
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(`${tasks} tiny tasks, 2 threads, ${rounds} rounds (median, min-max), load ${report.loadavg.map((l) => l.toFixed(1)).join(' ')}`);
  for (const row of rows) {
    console.log(`${row.mode.padEnd(11)} ${String(row.tasksPerSec).padStart(8)} tasks/s  (${row.min}-${row.max})  ×${row.ratioToOff}` +
      `   cpu ${row.cpuUsPerTask.toFixed(2)} µs/task  ×${row.cpuRatioToOff}`);
  }
}

if (process.argv.includes('--child')) {
  child(arg('child'), arg('root'), Number(arg('tasks', 100000))).then(
    (result) => process.send({ result }, () => process.exit(0)),
    (err) => process.send({ error: String(err && err.stack) }, () => process.exit(1)),
  );
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
