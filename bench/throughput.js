'use strict';
// Question: how many tiny tasks per second does each pool finish when 100,000 of them
// are queued at once on 2 threads — small objects { a, tag } (the main figure) and plain
// numbers? The handler returns its input. Every pool first runs the same warm-up: 3,000
// tasks of each payload, also queued at once.
//   node bench/throughput.js [--rounds N] [--json] [--tasks 100000] [--libs a,b]

const { main } = require('./lib/harness');
const { createPool, payload, warmUp, VARIANTS, LIBRARIES, WARMUP_TASKS } = require('./lib/adapters');
const schedstat = require('./lib/schedstat');

const THREADS = 2;

async function burst(pool, kind, tasks) {
  const values = new Array(tasks);
  for (let i = 0; i < tasks; i++) values[i] = payload(kind, i);
  const before = schedstat.snapshot();
  const pending = new Array(tasks);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < tasks; i++) pending[i] = pool.run('echo', values[i]);
  const results = await Promise.all(pending);
  const ns = Number(process.hrtime.bigint() - t0);
  const rows = schedstat.diff(before, schedstat.snapshot());
  const last = results[tasks - 1];
  if ((kind === 'object' ? last.a : last) !== tasks - 1) throw new Error(`wrong result ${JSON.stringify(last)}`);
  const mainRow = rows && rows.find((r) => r.main);
  return { perSec: tasks / (ns / 1e9), mainCpuNs: mainRow ? mainRow.runNs / tasks : undefined };
}

const spec = {
  name: 'throughput',
  question: 'tiny tasks queued at once on 2 threads: small objects { a, tag } and numbers, tasks/s',
  file: __filename,
  libs: [...LIBRARIES, ...VARIANTS.filter((v) => v.startsWith('piscina'))],
  defaultRounds: 3,
  timeoutMs: 240000,
  settings: { threads: THREADS, tasks: 100000, warmupTasks: WARMUP_TASKS, task: 'identity', payloads: '{ a: i, tag: "x" } and i' },
  figures: [
    { key: 'tasksPerSec', label: 'objects tasks/s', unit: '', better: 'higher' },
    { key: 'tasksPerSecNum', label: 'numbers tasks/s', unit: '', better: 'higher' },
    { key: 'mainCpuNs', label: 'main CPU/task', unit: 'ns', better: 'lower' },
  ],
  progress: (r) => `${Math.round(r.figures.tasksPerSec)} objects/s, ${Math.round(r.figures.tasksPerSecNum)} numbers/s`,

  async child(lib, opts) {
    const tasks = Number(opts.tasks || spec.settings.tasks);
    const pool = await createPool(lib, { threads: THREADS });
    await warmUp(pool, 'object', 'burst');
    await warmUp(pool, 'number', 'burst');
    const obj = await burst(pool, 'object', tasks);
    const num = await burst(pool, 'number', tasks);
    await pool.destroy();
    return { tasks, figures: { tasksPerSec: obj.perSec, tasksPerSecNum: num.perSec, mainCpuNs: obj.mainCpuNs } };
  },
};

module.exports = spec;
if (require.main === module) main(spec);
