'use strict';
// Question: what does it cost to send a Uint8Array to a worker and get it back, by copy,
// by transfer (transferList out, move()/Transfer back) and as a SharedArrayBuffer view,
// at 1 KiB, 1 MiB and 16 MiB? Figure: median round-trip time per task.
//   node bench/payload.js [--rounds N] [--json] [--libs a,b]

const { main, renderReport } = require('./lib/harness');
const { createPool } = require('./lib/adapters');
const { median } = require('./lib/stats');

const THREADS = 2;
const SIZES = [
  { key: '1k', label: '1 KiB', bytes: 1024, iterations: 2000, warmup: 200 },
  { key: '1m', label: '1 MiB', bytes: 1 << 20, iterations: 200, warmup: 20 },
  { key: '16m', label: '16 MiB', bytes: 16 << 20, iterations: 30, warmup: 5 },
];
const MODES = ['copy', 'transfer', 'sab'];

function fill(view) {
  for (let i = 0; i < view.length; i += 4096) view[i] = i & 0xff;
  return view;
}

// One mode at one size: sequential round trips, returns per-task µs.
async function measure(pool, mode, size) {
  const times = [];
  const total = size.warmup + size.iterations;
  if (mode === 'copy') {
    const input = fill(new Uint8Array(size.bytes));
    for (let i = 0; i < total; i++) {
      const t0 = process.hrtime.bigint();
      const out = await pool.run('echo', input);
      const us = Number(process.hrtime.bigint() - t0) / 1e3;
      if (out.length !== size.bytes) throw new Error(`copy: got ${out.length} bytes`);
      if (i >= size.warmup) times.push(us);
    }
  } else if (mode === 'transfer') {
    let view = fill(new Uint8Array(size.bytes));
    for (let i = 0; i < total; i++) {
      const t0 = process.hrtime.bigint();
      const out = await pool.run('echoMove', view, [view.buffer]);
      const us = Number(process.hrtime.bigint() - t0) / 1e3;
      if (view.byteLength !== 0) throw new Error('transfer: the source was not detached');
      if (out.length !== size.bytes) throw new Error(`transfer: got ${out.length} bytes`);
      view = out;
      if (i >= size.warmup) times.push(us);
    }
  } else {
    const view = fill(new Uint8Array(new SharedArrayBuffer(size.bytes)));
    view[0] = 0;
    for (let i = 0; i < total; i++) {
      const t0 = process.hrtime.bigint();
      await pool.run('sabTouch', view);
      const us = Number(process.hrtime.bigint() - t0) / 1e3;
      if (i >= size.warmup) times.push(us);
    }
    if (view[0] !== total % 256) throw new Error(`sab: worker writes not seen (byte 0 = ${view[0]}, expected ${total % 256})`);
  }
  return times;
}

const figures = [];
for (const size of SIZES) {
  for (const mode of MODES) figures.push({ key: `${mode}_${size.key}`, label: `${mode} ${size.label}`, unit: 'us', better: 'lower', size: size.key, mode });
}

const spec = {
  name: 'payload',
  question: 'Uint8Array round trip by copy / transfer / SharedArrayBuffer at 1 KiB, 1 MiB, 16 MiB: median µs per task',
  file: __filename,
  defaultRounds: 3,
  timeoutMs: 180000,
  settings: {
    threads: THREADS,
    sizes: SIZES,
    handler: 'copy: identity; transfer: transferList to the worker, move()/Transfer back; sab: worker writes byte 0 and returns the view',
  },
  figures,
  progress: (r) => `copy 1 MiB ${Math.round(r.figures.copy_1m)} µs`,

  async child(lib) {
    const pool = await createPool(lib, { threads: THREADS });
    const out = {};
    const notes = {};
    for (const size of SIZES) {
      for (const mode of MODES) {
        if (mode === 'transfer' && !pool.supports.transferBack) {
          out[`${mode}_${size.key}`] = null;
          notes.transfer = 'n/a: results cannot be transferred back from the worker';
          continue;
        }
        try {
          out[`${mode}_${size.key}`] = median(await measure(pool, mode, size));
        } catch (err) {
          // A mode that misbehaves (e.g. a SharedArrayBuffer that arrives as a copy) is
          // reported as n/a with the reason; the other modes are still measured.
          out[`${mode}_${size.key}`] = null;
          notes[mode] = `n/a: ${err.message}`;
        }
      }
    }
    await pool.destroy();
    return { figures: out, notes };
  },

  render(report) {
    return SIZES.map((size, i) => renderReport(report, spec, { figures: figures.filter((f) => f.size === size.key), title: i === 0, footer: i === SIZES.length - 1 })).join('\n\n');
  },
};

module.exports = spec;
if (require.main === module) main(spec);
