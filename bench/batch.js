'use strict';
// Question: how fast do many tiny tasks go when handed over at once — nativepool's
// runMany() of 1,000,000 small objects { a, tag } and map() over a generator of as many,
// beside each library's run() burst (100,000 queued at once; Piscina has no batch API;
// it is measured with atomics 'sync', its default, and 'async', and the better counts)?
// Same warm-up for every pool: 3,000 tasks as a run() burst, and for nativepool 3,000
// through runMany() and map() too.
//   node bench/batch.js [--rounds N] [--json] [--tasks 1000000] [--burst 100000] [--libs a,b]

const { main } = require('./lib/harness');
const { createPool, payload, warmUp, WARMUP_TASKS } = require('./lib/adapters');
const fmt = require('./lib/format');

const THREADS = 2;

function* inputs(n) {
  for (let i = 0; i < n; i++) yield payload('object', i);
}

function check(result, i) {
  if (!result || result.a !== i) throw new Error(`wrong result at ${i}: ${JSON.stringify(result)}`);
}

async function timeIt(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const spec = {
  name: 'batch',
  question: 'runMany() / map() of 1M small objects beside a run() burst, 2 threads: tasks/s',
  file: __filename,
  libs: ['nativepool', 'piscina', 'piscina-async'],
  defaultRounds: 3,
  timeoutMs: 300000,
  settings: { threads: THREADS, tasks: 1000000, burst: 100000, warmupTasks: WARMUP_TASKS, task: 'identity on { a: i, tag: "x" }' },
  figures: [
    { key: 'burstPerSec', label: 'run() burst/s', unit: '', better: 'higher' },
    { key: 'runManyPerSec', label: 'runMany()/s', unit: '', better: 'higher', ratio: false },
    { key: 'mapPerSec', label: 'map()/s', unit: '', better: 'higher', ratio: false },
  ],
  progress: (r) => `burst ${Math.round(r.figures.burstPerSec)}/s${r.figures.runManyPerSec ? `, runMany ${Math.round(r.figures.runManyPerSec)}/s, map ${Math.round(r.figures.mapPerSec)}/s` : ''}`,

  async child(lib, opts) {
    const tasks = Number(opts.tasks || spec.settings.tasks);
    const burstN = Number(opts.burst || spec.settings.burst);
    const pool = await createPool(lib, { threads: THREADS });
    const raw = pool.raw;
    const batchApi = lib.startsWith('nativepool') && typeof raw.runMany === 'function';
    await warmUp(pool, 'object', 'burst');
    if (batchApi) {
      await raw.runMany(Array.from(inputs(WARMUP_TASKS)));
      for await (const r of raw.map(inputs(WARMUP_TASKS))) check(r, r.a);
    }
    const figures = {};
    const values = Array.from(inputs(burstN));
    figures.burstPerSec = burstN / await timeIt(async () => {
      const out = await Promise.all(values.map((v) => pool.run('echo', v)));
      check(out[burstN - 1], burstN - 1);
    });
    if (batchApi) {
      const all = Array.from(inputs(tasks));
      figures.runManyPerSec = tasks / await timeIt(async () => {
        const out = await raw.runMany(all);
        check(out[tasks - 1], tasks - 1);
      });
      figures.mapPerSec = tasks / await timeIt(async () => {
        let i = 0;
        for await (const r of raw.map(inputs(tasks))) check(r, i++);
      });
    }
    await pool.destroy();
    return { tasks, figures };
  },

  // runMany() and map() against Piscina's run() burst at its best (the
  // faster of atomics 'sync' and 'async'), from medians of this run.
  finish(report) {
    const med = (lib, key) => (report.libs[lib] && report.libs[lib][key] ? report.libs[lib][key].median : null);
    const bursts = ['piscina', 'piscina-async'].map((lib) => med(lib, 'burstPerSec')).filter((v) => v !== null);
    const p = bursts.length > 0 ? Math.max(...bursts) : null;
    const many = med('nativepool', 'runManyPerSec');
    const map = med('nativepool', 'mapPerSec');
    report.derived = {
      runManyOverPiscinaBurst: p && many ? many / p : null,
      mapOverRunMany: many && map ? map / many : null,
    };
    report.extraLines = [
      `nativepool runMany() ÷ piscina run() burst (its better config): ${fmt.ratio(report.derived.runManyOverPiscinaBurst)} (goal ≥ 40×)`,
      `nativepool map() ÷ runMany(): ${fmt.ratio(report.derived.mapOverRunMany)} (goal ≥ 0.5×)`,
    ];
  },
};

module.exports = spec;
if (require.main === module) main(spec);
