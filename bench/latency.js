'use strict';
// Question: how long does one round trip take on a warm, otherwise idle pool of 2 threads
// — `await pool.run(v)` one after another, v a small object { a, tag } (the main figure)
// or a number — and what does the main thread spend on it, and while idle?
// Every pool first runs the same warm-up: 3,000 sequential tasks of each payload.
//   node bench/latency.js [--rounds N] [--json] [--samples 20000] [--libs a,b]

const { main } = require('./lib/harness');
const { createPool, payload, warmUp, VARIANTS, LIBRARIES, WARMUP_TASKS } = require('./lib/adapters');
const { distribution } = require('./lib/stats');
const schedstat = require('./lib/schedstat');

const THREADS = 2;
const IDLE_MS = 1000;

async function trips(pool, kind, samples) {
  const us = new Float64Array(samples);
  const before = schedstat.snapshot();
  for (let i = 0; i < samples; i++) {
    const v = payload(kind, i);
    const t0 = process.hrtime.bigint();
    await pool.run('echo', v);
    us[i] = Number(process.hrtime.bigint() - t0) / 1e3;
  }
  const rows = schedstat.diff(before, schedstat.snapshot());
  const mainRow = rows && rows.find((r) => r.main);
  return { d: distribution(us), mainCpuUs: mainRow ? mainRow.runNs / 1e3 / samples : undefined };
}

// Main-thread CPU share while the pool is idle (nothing in flight).
async function idleCpu() {
  const before = schedstat.snapshot();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const wall = Number(process.hrtime.bigint() - t0);
  const rows = schedstat.diff(before, schedstat.snapshot());
  const mainRow = rows && rows.find((r) => r.main);
  return mainRow ? (100 * mainRow.runNs) / wall : undefined;
}

const spec = {
  name: 'latency',
  question: 'sequential round trips on a warm idle pool (2 threads), small objects and numbers: p50 / p99',
  file: __filename,
  libs: [...LIBRARIES, ...VARIANTS],
  defaultRounds: 3,
  timeoutMs: 180000,
  settings: { threads: THREADS, samples: 20000, warmup: WARMUP_TASKS, task: 'identity', payloads: '{ a: i, tag: "x" } and i', clock: 'process.hrtime.bigint', idleMs: IDLE_MS },
  figures: [
    { key: 'p50', label: 'objects p50', unit: 'us', better: 'lower' },
    { key: 'p99', label: 'objects p99', unit: 'us', better: 'lower' },
    { key: 'p50Num', label: 'numbers p50', unit: 'us', better: 'lower' },
    { key: 'p99Num', label: 'numbers p99', unit: 'us', better: 'lower' },
    { key: 'mainCpuUs', label: 'main CPU/trip', unit: 'us', better: 'lower' },
    { key: 'idleCpuPct', label: 'main CPU idle', unit: '%', better: 'lower', ratio: false },
  ],
  progress: (r) => `objects p50 ${r.figures.p50.toFixed(1)} µs p99 ${r.figures.p99.toFixed(1)} µs; numbers p50 ${r.figures.p50Num.toFixed(1)} µs`,

  async child(lib, opts) {
    const samples = Number(opts.samples || spec.settings.samples);
    const pool = await createPool(lib, { threads: THREADS });
    await warmUp(pool, 'object', 'sequential');
    await warmUp(pool, 'number', 'sequential');
    const obj = await trips(pool, 'object', samples);
    const num = await trips(pool, 'number', samples);
    const idleCpuPct = await idleCpu();
    await pool.destroy();
    return {
      samples,
      figures: { p50: obj.d.p50, p99: obj.d.p99, p50Num: num.d.p50, p99Num: num.d.p99, mainCpuUs: obj.mainCpuUs, idleCpuPct },
    };
  },
};

module.exports = spec;
if (require.main === module) main(spec);
