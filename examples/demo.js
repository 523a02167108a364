'use strict';
// `npm run demo`: a burst of tasks through a nativepool, and what it cost.
//   1. 100,000 tiny tasks queued at once (the scheduler's per-task cost)
//   2. 2,000 SHA-256 chains (real CPU work spread over the threads)
//   3. sequential round trips on an idle pool (latency)
const path = require('node:path');
const os = require('node:os');
const Pool = require('..');

const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function main() {
  const threads = Math.max(2, Math.min(4, os.availableParallelism()));
  const pool = new Pool({
    filename: path.join(__dirname, 'demo-worker.js'),
    minThreads: threads,
    maxThreads: threads,
  });
  console.log(`nativepool ${Pool.version}: ${threads} worker threads, Node ${process.version}, ${os.cpus()[0].model}`);
  await pool.run(0); // warm up: workers loaded

  const N = 100_000;
  let t0 = process.hrtime.bigint();
  const doubled = await Promise.all(Array.from({ length: N }, (_, i) => pool.run(i)));
  let secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const sum = doubled.reduce((a, b) => a + b, 0);
  const ok = sum === N * (N - 1);
  console.log(`1. ${fmt(N)} tiny tasks: ${fmt(N / secs)} tasks/s (${((secs * 1e6) / N).toFixed(2)} µs/task), results ${ok ? 'all correct' : 'WRONG'}`);

  const H = 2000;
  pool.histogram.resetRunTime();
  t0 = process.hrtime.bigint();
  const hashes = await Promise.all(Array.from({ length: H }, (_, i) => pool.run({ text: `item ${i}`, rounds: 200 }, { name: 'hash' })));
  secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const run = pool.histogram.runTime;
  console.log(`2. ${fmt(H)} SHA-256 chains: ${secs.toFixed(2)} s wall, ${fmt(H / secs)} tasks/s, run time p50 ${run.p50.toFixed(3)} ms, ${new Set(hashes).size} distinct digests`);

  const R = 2000;
  const lat = [];
  for (let i = 0; i < R; i++) {
    const t = process.hrtime.bigint();
    await pool.run(i);
    lat.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  lat.sort((a, b) => a - b);
  console.log(`3. ${fmt(R)} sequential round trips: p50 ${lat[R >> 1].toFixed(1)} µs, p99 ${lat[Math.floor(R * 0.99)].toFixed(1)} µs`);

  console.log(`completed ${fmt(pool.completed)} tasks, utilization ${(pool.utilization * 100).toFixed(1)}%`);
  await pool.destroy();
  if (!ok) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
