'use strict';
// Where a run() burst's CPU goes, per thread of this process: the main
// thread, V8's platform (GC helper) threads and the pool's workers, in µs per
// task, read from /proc/self/task/*/stat (Linux) around the timed bursts.
// A diagnostic for nativepool alone, not a comparison (see throughput.js).
//   node bench/thread-cpu.js [--tasks 200000] [--bursts 5] [--threads 2]
const fs = require('node:fs');
const path = require('node:path');
const { intOption } = require('./lib/args');


// tid -> { name, ms } (user + system, clock ticks of 10 ms)
function threadTimes() {
  const out = new Map();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const s = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

async function main() {
  if (process.platform !== 'linux') throw new Error('bench/thread-cpu.js reads /proc: Linux only');
  const tasks = intOption('tasks', 200000);
  const bursts = intOption('bursts', 5);
  const threads = intOption('threads', 2);
  const root = process.env.NATIVEPOOL_PATH || path.resolve(__dirname, '..');
  const { Pool } = require(path.join(root, 'lib', 'index.js'));
  const existing = new Set(threadTimes().keys()); // main, V8 platform, libuv: the rest are the pool's
  const pool = new Pool({ filename: path.join(__dirname, 'fixtures', 'nativepool.js'), minThreads: threads, maxThreads: threads });
  const burst = (n) => {
    const all = new Array(n);
    for (let i = 0; i < n; i++) all[i] = pool.run({ a: i, tag: 'x' });
    return Promise.all(all);
  };
  await burst(3000); // warm-up, and every worker started
  const mainTid = String(process.pid);
  const before = threadTimes();
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < bursts; b++) await burst(tasks);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = threadTimes();
  const n = tasks * bursts;
  const rows = [];
  for (const [tid, ms] of after) {
    const used = ms - (before.get(tid) || 0);
    if (used <= 0) continue;
    rows.push({ tid, usPerTask: (used * 1000) / n });
  }
  rows.sort((a, b) => b.usPerTask - a.usPerTask);
  console.log(`${Math.round(n / seconds)} tasks/s (${bursts} bursts of ${tasks} objects { a, tag }, ${threads} threads)`);
  let total = 0;
  for (const r of rows) {
    total += r.usPerTask;
    const what = r.tid === mainTid ? 'main thread' : existing.has(r.tid) ? 'V8 platform (GC helpers) or libuv' : "the pool's (a worker)";
    console.log(`  thread ${r.tid.padStart(7)}  ${r.usPerTask.toFixed(2).padStart(6)} µs/task  ${what}`);
  }
  console.log(`  total            ${total.toFixed(2).padStart(6)} µs/task (clock ticks of 10 ms: read it over long runs)`);
  await pool.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
