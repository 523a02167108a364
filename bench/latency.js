'use strict';
// Question: how long does one round trip take on a warm, otherwise idle pool of 2 threads?
// Tasks are sent one at a time; each waits for the previous result.
//   node bench/latency.js [--rounds N] [--json] [--samples 20000] [--libs a,b]

const { main } = require('./lib/harness');
const { createPool } = require('./lib/adapters');
const { distribution } = require('./lib/stats');

const THREADS = 2;

const spec = {
  name: 'latency',
  question: 'sequential round trips on a warm idle pool (2 threads): p50 / p99 / max',
  file: __filename,
  defaultRounds: 3,
  timeoutMs: 120000,
  settings: { threads: THREADS, samples: 20000, warmup: 3000, task: 'identity on a small integer', clock: 'process.hrtime.bigint' },
  figures: [
    { key: 'p50', label: 'p50', unit: 'us', better: 'lower' },
    { key: 'p99', label: 'p99', unit: 'us', better: 'lower' },
    { key: 'max', label: 'max', unit: 'us', better: 'lower' },
    { key: 'mean', label: 'mean', unit: 'us', better: 'lower' },
  ],
  progress: (r) => `p50 ${r.figures.p50.toFixed(1)} µs, p99 ${r.figures.p99.toFixed(1)} µs`,

  async child(lib, opts) {
    const samples = Number(opts.samples || spec.settings.samples);
    const pool = await createPool(lib, { threads: THREADS });
    for (let i = 0; i < spec.settings.warmup; i++) await pool.run('echo', i);

    const us = new Float64Array(samples);
    for (let i = 0; i < samples; i++) {
      const t0 = process.hrtime.bigint();
      await pool.run('echo', i);
      us[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    }
    await pool.destroy();
    const d = distribution(us);
    return { samples, figures: { p50: d.p50, p99: d.p99, max: d.max, mean: d.mean } };
  },
};

module.exports = spec;
if (require.main === module) main(spec);
