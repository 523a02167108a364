'use strict';
// The idle round trip split by the way its result reached the main thread:
// `await pool.run({ a, tag })` one after another (as latency.js), and for
// each trip the main-side poll's figures before and after (pool._pollStats,
// binding/poll.h): a trip whose window caught the result ('poll'), one whose
// window passed empty ('missed'), and one settled by the doorbell with no
// window at all ('doorbell': the poll was backing off or not due). The p99
// of the whole is made by the slower paths; this shows which. A diagnostic
// for nativepool alone, not a comparison.
//   node bench/latency-paths.js [--trips 20000] [--warmup 3000] [--threads 2]
const path = require('node:path');
const { intOption } = require('./lib/args');


function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main() {
  const trips = intOption('trips', 20000);
  const warmup = intOption('warmup', 3000);
  const threads = intOption('threads', 2);
  const root = process.env.NATIVEPOOL_PATH || path.resolve(__dirname, '..');
  const { Pool } = require(path.join(root, 'lib', 'index.js'));
  const pool = new Pool({ filename: path.join(__dirname, 'fixtures', 'nativepool.js'), minThreads: threads, maxThreads: threads });
  for (let i = 0; i < warmup; i++) await pool.run({ a: i, tag: 'x' }, { name: 'echo' });
  const paths = { poll: [], missed: [], doorbell: [] };
  const all = [];
  let stats = pool._pollStats;
  for (let i = 0; i < trips; i++) {
    const t0 = process.hrtime.bigint();
    await pool.run({ a: i, tag: 'x' }, { name: 'echo' });
    const us = Number(process.hrtime.bigint() - t0) / 1e3;
    const now = pool._pollStats;
    (now.hits > stats.hits ? paths.poll : now.misses > stats.misses ? paths.missed : paths.doorbell).push(us);
    all.push(us);
    stats = now;
  }
  await pool.destroy();
  console.log(`${trips} sequential round trips of { a, tag } on ${threads} threads, after ${warmup}; µs`);
  console.log('path        trips      p50      p90      p99');
  for (const [name, list] of [...Object.entries(paths), ['all', all]]) {
    const s = Float64Array.from(list).sort();
    const f = (q) => (s.length ? quantile(s, q).toFixed(1) : '-').padStart(8);
    console.log(`${name.padEnd(9)} ${String(s.length).padStart(7)} ${f(0.5)} ${f(0.9)} ${f(0.99)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
