'use strict';
// Question: with 2,000 tasks of ~1 ms of CPU work on 2 threads, how close does the pool
// get to the ideal wall time (total measured work ÷ threads)? 100% = no scheduling loss.
//   node bench/cpu.js [--rounds N] [--json] [--tasks 2000] [--ms 1] [--libs a,b]

const { main } = require('./lib/harness');
const { createPool } = require('./lib/adapters');
const { calibrate } = require('./fixtures/work');
const schedstat = require('./lib/schedstat');

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
    { key: 'busyWhenRunnable', label: 'busy when runnable', unit: '%', better: 'higher' },
    { key: 'workerOnCpu', label: 'worker on-CPU', unit: '%', better: 'higher', ratio: false },
    { key: 'workerStolen', label: 'worker waiting for CPU', unit: '%', better: 'lower', ratio: false },
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
    const s0 = schedstat.snapshot();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < tasks; i++) pending[i] = pool.run('busy', iterations);
    const worked = await Promise.all(pending);
    const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
    const threads = schedstat.diff(s0, schedstat.snapshot());
    await pool.destroy();

    const workUs = worked.reduce((a, b) => a + b, 0);
    const idealUs = workUs / THREADS;
    // The two busiest non-main threads are the pool's workers: the share of the wall
    // time they spent runnable but waiting for a CPU is what other processes took.
    const workers = threads ? threads.filter((t) => !t.main).slice(0, THREADS) : null;
    const stolen = workers && workers.length ? (100 * workers.reduce((a, t) => a + t.waitNs, 0)) / workers.length / (wallUs * 1e3) : null;
    const onCpu = workers && workers.length ? (100 * workers.reduce((a, t) => a + t.runNs, 0)) / workers.length / (wallUs * 1e3) : null;
    // Of the time the workers could have run (wall minus the time they waited for a CPU),
    // the share they did run: the pool's own idling, with other processes' share removed.
    const busyWhenRunnable = onCpu !== null && stolen < 100 ? (100 * onCpu) / (100 - stolen) : null;
    return {
      iterations,
      threads,
      figures: { efficiency: (100 * idealUs) / wallUs, wallMs: wallUs / 1e3, idealMs: idealUs / 1e3, taskUs: workUs / tasks, busyWhenRunnable, workerOnCpu: onCpu, workerStolen: stolen },
    };
  },
};

module.exports = spec;
if (require.main === module) main(spec);
