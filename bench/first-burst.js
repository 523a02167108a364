'use strict';
// Where a run() burst's time goes, burst by burst, from the first one after
// the warm-up on: tasks/s, main-thread GC pauses (scavenges and major GCs,
// from PerformanceObserver 'gc' entries), CPU per task of the whole process,
// and (Linux) of its threads: the main one, the threads that existed before
// the pool (V8's platform threads — GC helpers and the JIT's background
// compiles — and libuv's), and the pool's. The first burst after a small
// warm-up pays for the JIT and for the young generation growing; compare it
// with the later ones, and with --warmup 30000. A diagnostic for nativepool
// alone, not a comparison (see throughput.js).
//   node bench/first-burst.js [--tasks 100000] [--bursts 5] [--warmup 3000] [--threads 2]
const path = require('node:path');
const { intOption } = require('./lib/args');
const schedstat = require('./lib/schedstat');
const { PerformanceObserver, constants } = require('node:perf_hooks');


async function main() {
  const tasks = intOption('tasks', 100000);
  const bursts = intOption('bursts', 5);
  const warmup = intOption('warmup', 3000);
  const threads = intOption('threads', 2);
  const gc = { ms: 0, minor: 0, major: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.ms += e.duration;
      if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
      else gc.major++;
    }
  }).observe({ entryTypes: ['gc'] });
  const before = new Set((schedstat.snapshot() || new Map()).keys()); // main, V8 platform, libuv: the rest are the pool's
  const root = process.env.NATIVEPOOL_PATH || path.resolve(__dirname, '..');
  const { Pool } = require(path.join(root, 'lib', 'index.js'));
  const pool = new Pool({ filename: path.join(__dirname, 'fixtures', 'nativepool.js'), minThreads: threads, maxThreads: threads });
  const burst = async (n) => {
    const values = new Array(n);
    for (let i = 0; i < n; i++) values[i] = { a: i, tag: 'x' };
    const pending = new Array(n);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) pending[i] = pool.run(values[i], { name: 'echo' });
    const results = await Promise.all(pending);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (results[n - 1].a !== n - 1) throw new Error('wrong result');
    return ms;
  };
  await burst(warmup);
  await new Promise((resolve) => setTimeout(resolve, 50));
  console.log(`${bursts} bursts of ${tasks} objects { a, tag } on ${threads} threads, after ${warmup} warm-up tasks`);
  console.log('burst   tasks/s   GC ms (scavenges, major)   CPU µs/task: all   main   V8+libuv   pool');
  for (let b = 1; b <= bursts; b++) {
    const g = { ...gc };
    const cpu = process.cpuUsage();
    const t0 = schedstat.snapshot();
    const ms = await burst(tasks);
    const used = process.cpuUsage(cpu);
    const split = { main: 0, before: 0, pool: 0 };
    for (const r of schedstat.diff(t0, schedstat.snapshot()) || []) {
      const d = r.runNs / 1e3 / tasks;
      if (r.main) split.main += d;
      else if (before.has(String(r.tid))) split.before += d;
      else split.pool += d;
    }
    const all = (used.user + used.system) / tasks;
    console.log(
      `${String(b).padStart(5)}  ${String(Math.round((tasks / ms) * 1000)).padStart(8)}  ` +
      `${(gc.ms - g.ms).toFixed(0).padStart(6)} (${gc.minor - g.minor}, ${gc.major - g.major})`.padEnd(27) +
      `${all.toFixed(2).padStart(18)} ${split.main.toFixed(2).padStart(6)} ${split.before.toFixed(2).padStart(10)} ${split.pool.toFixed(2).padStart(6)}`,
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  await pool.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
