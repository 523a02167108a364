'use strict';
// Question: how much memory does each pool hold — resident set size after the pool has
// started, and after a burst of one million tiny tasks (submitted in chunks of 10,000 so
// the promises fit), before and after a full GC?
//   node bench/memory.js [--rounds N] [--json] [--tasks 1000000] [--chunk 10000] [--libs a,b]

const { main } = require('./lib/harness');
const { createPool } = require('./lib/adapters');

const THREADS = 2;
const MiB = 2 ** 20;

function rssMiB() {
  return process.memoryUsage.rss() / MiB;
}

async function settle() {
  for (let i = 0; i < 3; i++) {
    global.gc();
    await new Promise((r) => setTimeout(r, 50));
  }
}

const spec = {
  name: 'memory',
  question: 'RSS after pool start and after a one-million-task burst (chunks of 10,000)',
  file: __filename,
  defaultRounds: 2,
  timeoutMs: 600000,
  execArgv: ['--expose-gc'],
  settings: { threads: THREADS, tasks: 1000000, chunk: 10000, task: 'identity on a small integer', measure: 'process.memoryUsage.rss() of the whole process (main + worker threads)' },
  figures: [
    { key: 'baseline', label: 'node alone', unit: 'MiB', better: 'lower', ratio: false },
    { key: 'started', label: 'pool started', unit: 'MiB', better: 'lower' },
    { key: 'afterBurst', label: 'after burst', unit: 'MiB', better: 'lower' },
    { key: 'afterGc', label: 'after burst+GC', unit: 'MiB', better: 'lower' },
    { key: 'burstTasksPerSec', label: 'burst tasks/s', unit: '', better: 'higher' },
  ],
  progress: (r) => `started ${r.figures.started.toFixed(0)} MiB, after ${r.figures.afterBurst.toFixed(0)} MiB`,

  async child(lib, opts) {
    const tasks = Number(opts.tasks || spec.settings.tasks);
    const chunk = Number(opts.chunk || spec.settings.chunk);
    await settle();
    const baseline = rssMiB();
    const pool = await createPool(lib, { threads: THREADS });
    await settle();
    const started = rssMiB();

    let peak = started;
    const t0 = process.hrtime.bigint();
    for (let done = 0; done < tasks; done += chunk) {
      const n = Math.min(chunk, tasks - done);
      const pending = new Array(n);
      for (let i = 0; i < n; i++) pending[i] = pool.run('echo', done + i);
      await Promise.all(pending);
      peak = Math.max(peak, rssMiB());
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const afterBurst = rssMiB();
    await settle();
    const afterGc = rssMiB();
    await pool.destroy();
    return { tasks, chunk, peak, figures: { baseline, started, afterBurst, afterGc, burstTasksPerSec: tasks / seconds } };
  },
};

module.exports = spec;
if (require.main === module) main(spec);
