'use strict';
// Question: with 2,000 tasks of ~1 ms of CPU work on 2 threads, how close does the pool
// get to the ideal wall time (total measured work ÷ threads)? 100% = no scheduling loss.
//   node bench/cpu.js [--rounds N] [--json] [--tasks 2000] [--ms 1] [--libs a,b]

const { main } = require('./lib/harness');
const { createPool } = require('./lib/adapters');
const { calibrate } = require('./fixtures/work');

const THREADS = 2;

const spec = {
  name: 'cpu',
  question: '2,000 × ~1 ms busy tasks on 2 threads: wall time vs ideal (work ÷ threads)',
  file: __filename,
  defaultRounds: 3,
  timeoutMs: 120000,
  settings: { threads: THREADS, tasks: 2000, taskMs: 1, warmupTasks: 40, calibration: 'busy-loop iterations per ms, calibrated on the main thread of each child; each task reports its own measured run time' },
  figures: [
    { key: 'efficiency', label: 'efficiency', unit: '%', better: 'higher' },
    { key: 'wallMs', label: 'wall ms', unit: '', better: 'lower' },
    { key: 'idealMs', label: 'ideal ms', unit: '', better: 'lower', ratio: false },
    { key: 'taskUs', label: 'mean task', unit: 'us', better: 'lower', ratio: false },
  ],
  progress: (r) => `${r.figures.efficiency.toFixed(1)}% of ideal`,

  async child(lib, opts) {
    const tasks = Number(opts.tasks || spec.settings.tasks);
    const ms = Number(opts.ms || spec.settings.taskMs);
    const iterations = calibrate(ms * 1000);
    const pool = await createPool(lib, { threads: THREADS });
    const warm = [];
    for (let i = 0; i < spec.settings.warmupTasks; i++) warm.push(pool.run('busy', iterations));
    await Promise.all(warm);

    const pending = new Array(tasks);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < tasks; i++) pending[i] = pool.run('busy', iterations);
    const worked = await Promise.all(pending);
    const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
    await pool.destroy();

    const workUs = worked.reduce((a, b) => a + b, 0);
    const idealUs = workUs / THREADS;
    return {
      iterations,
      figures: { efficiency: (100 * idealUs) / wallUs, wallMs: wallUs / 1e3, idealMs: idealUs / 1e3, taskUs: workUs / tasks },
    };
  },
};

module.exports = spec;
if (require.main === module) main(spec);
