'use strict';
// Question: what do workers that are child processes cost, against the anchors'
// process runtimes (tinypool runtime: 'child_process', workerpool workerType:
// 'process')? Two children each:
//   startup   ms from `new Pool` to the first result
//   burst     tiny tasks/s: a burst of small integers through an identity handler, warmed
//   p50 / p99 sequential round trips on the warm, otherwise idle pool
//   node bench/process.js [--rounds N] [--json] [--libs a,b] [--burst 20000] [--samples 3000]

const path = require('node:path');
const { main } = require('./lib/harness');
const { FIXTURES } = require('./lib/adapters');
const { distribution, median } = require('./lib/stats');

const CHILDREN = 2;

function piscinaShaped(pool, destroy) {
  return { run: (value) => pool.run(value), destroy };
}

const factories = {
  nativepool() {
    const root = process.env.NATIVEPOOL_PATH || path.resolve(__dirname, '..');
    const mod = require(path.join(root, 'lib', 'index.js'));
    const Pool = mod.Pool || mod;
    const pool = new Pool({ runtime: 'process', filename: path.join(FIXTURES, 'nativepool.js'), minThreads: CHILDREN, maxThreads: CHILDREN });
    return piscinaShaped(pool, () => pool.destroy());
  },
  tinypool() {
    const { Tinypool } = require('tinypool');
    const pool = new Tinypool({ runtime: 'child_process', filename: path.join(FIXTURES, 'tinypool.js'), minThreads: CHILDREN, maxThreads: CHILDREN, isolateWorkers: false });
    return piscinaShaped(pool, () => pool.destroy());
  },
  workerpool() {
    const workerpool = require('workerpool');
    const pool = workerpool.pool(path.join(FIXTURES, 'workerpool.js'), { workerType: 'process', minWorkers: CHILDREN, maxWorkers: CHILDREN });
    return { run: (value) => pool.exec('echo', [value]), destroy: () => pool.terminate(true) };
  },
};

const spec = {
  name: 'process',
  question: 'child-process workers (2 children): start-up, tiny-task burst, idle round trip',
  file: __filename,
  libs: ['nativepool', 'tinypool', 'workerpool'],
  defaultRounds: 3,
  timeoutMs: 180000,
  settings: {
    children: CHILDREN,
    burst: 20000,
    bursts: 3,
    samples: 3000,
    warmup: 500,
    task: 'identity on a small integer',
    anchors: "tinypool runtime: 'child_process' (isolateWorkers: false), workerpool workerType: 'process'",
  },
  figures: [
    { key: 'startup', label: 'new Pool → 1st result', unit: 'ms', better: 'lower' },
    { key: 'burst', label: 'burst', unit: 'tasks/s', better: 'higher' },
    { key: 'p50', label: 'idle p50', unit: 'us', better: 'lower' },
    { key: 'p99', label: 'idle p99', unit: 'us', better: 'lower' },
  ],
  progress: (r) => `start ${r.figures.startup.toFixed(0)} ms, burst ${Math.round(r.figures.burst)}/s, p50 ${r.figures.p50.toFixed(1)} µs`,

  async child(lib, opts) {
    const burst = Number(opts.burst || spec.settings.burst);
    const samples = Number(opts.samples || spec.settings.samples);
    const t0 = process.hrtime.bigint();
    const pool = factories[lib]();
    await pool.run(0);
    const startup = Number(process.hrtime.bigint() - t0) / 1e6;
    // Warm: both children up and serving.
    await Promise.all(Array.from({ length: CHILDREN * 16 }, (_, i) => pool.run(i)));

    const rates = [];
    for (let k = 0; k < spec.settings.bursts; k++) {
      const b0 = process.hrtime.bigint();
      const all = new Array(burst);
      for (let i = 0; i < burst; i++) all[i] = pool.run(i);
      const out = await Promise.all(all);
      if (out[burst - 1] !== burst - 1) throw new Error(`${lib}: wrong result`);
      rates.push(burst / (Number(process.hrtime.bigint() - b0) / 1e9));
    }

    for (let i = 0; i < spec.settings.warmup; i++) await pool.run(i);
    const us = new Float64Array(samples);
    for (let i = 0; i < samples; i++) {
      const s0 = process.hrtime.bigint();
      await pool.run(i);
      us[i] = Number(process.hrtime.bigint() - s0) / 1e3;
    }
    await Promise.race([pool.destroy(), new Promise((r) => setTimeout(r, 5000).unref())]);
    const d = distribution(us);
    return { figures: { startup, burst: median(rates), p50: d.p50, p99: d.p99 } };
  },
};

module.exports = spec;
if (require.main === module) main(spec);
