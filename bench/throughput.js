'use strict';
// Question: how many tiny tasks per second does each pool finish when 100,000 of them
// (handler returns its input) are queued at once on 2 threads?
//   node bench/throughput.js [--rounds N] [--json] [--tasks 100000] [--libs a,b]

const { main } = require('./lib/harness');
const { createPool } = require('./lib/adapters');

const THREADS = 2;

const spec = {
  name: 'throughput',
  question: 'tiny tasks (identity handler) queued at once on 2 threads: tasks/s',
  file: __filename,
  defaultRounds: 3,
  timeoutMs: 180000,
  settings: { threads: THREADS, tasks: 100000, warmupTasks: 2000, task: 'identity on a small integer' },
  figures: [
    { key: 'tasksPerSec', label: 'tasks/s', unit: '', better: 'higher' },
    { key: 'usPerTask', label: 'µs/task', unit: 'us', better: 'lower' },
  ],
  progress: (r) => `${Math.round(r.figures.tasksPerSec)} tasks/s`,

  async child(lib, opts) {
    const tasks = Number(opts.tasks || spec.settings.tasks);
    const pool = await createPool(lib, { threads: THREADS });
    const warm = [];
    for (let i = 0; i < spec.settings.warmupTasks; i++) warm.push(pool.run('echo', i));
    await Promise.all(warm);

    const pending = new Array(tasks);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < tasks; i++) pending[i] = pool.run('echo', i);
    const results = await Promise.all(pending);
    const ns = Number(process.hrtime.bigint() - t0);
    if (results[tasks - 1] !== tasks - 1) throw new Error(`wrong result ${results[tasks - 1]}`);
    await pool.destroy();
    return { tasks, figures: { tasksPerSec: tasks / (ns / 1e9), usPerTask: ns / 1e3 / tasks } };
  },
};

module.exports = spec;
if (require.main === module) main(spec);
