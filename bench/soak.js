'use strict';
// Question: does a long-running pool hold its memory flat, and does a process that creates
// and destroys pools keep its memory, file descriptors and pool objects bounded?
//
//   npm run bench:soak                                  # 10M tiny, 100k × 1 MiB, 1,000 pools
//   node bench/soak.js --tasks 1000000 --large 10000 --pools 200
//   node bench/soak.js --phases churn --pools 200 [--json] [--no-write]
//
// Three phases, each in its own fresh process (node --expose-gc), nativepool only:
//   tiny   --tasks N  tiny tasks (identity on a small integer), `--window` in flight (10,000)
//   large  --large N  tasks of `--size` bytes (1 MiB) sent and returned, `--inflight` (4) at
//                     once, taking turns between the three ways a buffer travels: by copy,
//                     by transferList (returned with move()) and as a Pool.buffer() moved
//   churn  --pools N  pools of `--threads` threads created, used for one task, destroyed,
//                     one after the other; then gc() until the FinalizationRegistry settles
// Every phase's pools have `--threads` (2) threads, started up front.
// Every `--interval` ms (1000) the child samples RSS (the whole process: main and worker
// threads), the main thread's V8 heap, and open file descriptors. The slope is the
// least-squares line through the samples of the phase's second half (warm-up excluded),
// in MiB per minute; churn also reports it per pool.

const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { main: harnessMain, forkChild, log, RESULTS } = require('./lib/harness');
const { parseArgs, positiveInt } = require('./lib/args');
const { resolveNativepool, nativepoolEnv } = require('./lib/adapters');
const { machine } = require('./lib/machine');
const fmt = require('./lib/format');

const MiB = 2 ** 20;
const FIXTURE = path.join(__dirname, 'fixtures', 'nativepool.js');
const PHASES = ['tiny', 'large', 'churn'];
const DEFAULTS = { tasks: 10_000_000, window: 10_000, large: 100_000, size: MiB, inflight: 4, pools: 1000, threads: 2, interval: 1000 };
// What "flat" means in the checks printed under the table.
// A slope over less than `minSlopeSeconds` of second half is mostly one GC cycle: shown, not judged.
const LIMITS = { slopeMiBPerMin: 1, minSlopeSeconds: 30, churnKiBPerPool: 16, churnFds: 4, churnCollected: 0.9 };

function loadPool() {
  const root = process.env.NATIVEPOOL_PATH || path.resolve(__dirname, '..');
  const mod = require(path.join(root, 'lib', 'index.js'));
  return mod.Pool || mod.default || mod;
}

const openFds = () => fs.readdirSync('/proc/self/fd').length;

// Open fds by kind: 'anon_inode:[eventfd]', 'pipe', 'socket', or the file's path.
function fdKinds() {
  const kinds = {};
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch (err) {
      if (err.code === 'ENOENT') continue; // the fd of the readdir itself, closed since
      throw err;
    }
    const kind = target.replace(/:\[\d+\]$/, '');
    kinds[kind] = (kinds[kind] || 0) + 1;
  }
  return kinds;
}

function kindsGrown(before, after) {
  const out = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[k] || 0) - (before[k] || 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

const slopeText = (v, unit = 'MiB/min') => (v === null || v === undefined ? 'n/a' : `${Math.abs(v) < 0.005 ? '0' : v.toFixed(2)} ${unit}`);

// Samples the process every `ms`; `progress()` names the work done. A burst of tiny tasks
// can keep the event loop inside one completion callback for seconds (timers do not fire),
// so the phase loops also call tick() between batches; whichever comes first takes the sample.
function sampler(ms, progress) {
  const t0 = process.hrtime.bigint();
  const samples = [];
  let last = -Infinity;
  const take = () => {
    const m = process.memoryUsage();
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    last = t;
    const s = { t, rss: m.rss / MiB, heapUsed: m.heapUsed / MiB, external: m.external / MiB, arrayBuffers: m.arrayBuffers / MiB, fds: openFds(), done: progress() };
    samples.push(s);
    process.send({ type: 'progress', line: `${t.toFixed(0).padStart(4)} s  done ${fmt.num(s.done)}  rss ${s.rss.toFixed(0)} MiB  heap ${s.heapUsed.toFixed(0)} MiB  fds ${s.fds}` });
  };
  const tick = () => {
    if (Number(process.hrtime.bigint() - t0) / 1e9 - last >= ms / 1000) take();
  };
  take();
  const timer = setInterval(tick, ms / 4);
  return {
    samples,
    tick,
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

// Least-squares slope of y over x; null with fewer than 3 points.
function slope(points) {
  const n = points.length;
  if (n < 3) return null;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const [x, y] of points) { sx += x; sy += y; sxx += x * x; sxy += x * y; }
  const d = n * sxx - sx * sx;
  return d === 0 ? null : (n * sxy - sx * sy) / d;
}

// Slope (per minute) of `key` over the samples taken in the second half of the phase.
function secondHalfSlope(samples, key) {
  const end = samples[samples.length - 1].t;
  const s = slope(samples.filter((p) => p.t >= end / 2).map((p) => [p.t / 60, p[key]]));
  return s;
}

function memoryFigures(samples) {
  return {
    seconds: samples[samples.length - 1].t,
    samples: samples.length,
    rssStart: samples[0].rss,
    rssEnd: samples[samples.length - 1].rss,
    rssPeak: Math.max(...samples.map((s) => s.rss)),
    rssSlope: secondHalfSlope(samples, 'rss'),
    heapSlope: secondHalfSlope(samples, 'heapUsed'),
    externalSlope: secondHalfSlope(samples, 'external'),
  };
}

async function gcSettle(rounds = 5) {
  for (let i = 0; i < rounds; i++) {
    global.gc();
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function tinyPhase(Pool, o) {
  const pool = new Pool({ filename: FIXTURE, minThreads: o.threads, maxThreads: o.threads });
  await Promise.all(Array.from({ length: o.threads * 4 }, (_, i) => pool.run(i)));
  let done = 0;
  const s = sampler(o.interval, () => done);
  let wrong = 0;
  while (done < o.tasks) {
    const n = Math.min(o.window, o.tasks - done);
    const pending = new Array(n);
    for (let i = 0; i < n; i++) pending[i] = pool.run((done + i) & 0xffff);
    const results = await Promise.all(pending);
    for (let i = 0; i < n; i++) if (results[i] !== ((done + i) & 0xffff)) wrong++;
    done += n;
    s.tick();
  }
  const samples = s.stop();
  await pool.destroy();
  if (wrong) throw new Error(`${wrong} tiny tasks returned a wrong value`);
  const figures = memoryFigures(samples);
  return { samples, figures: { ...figures, work: done, rate: done / figures.seconds } };
}

async function largePhase(Pool, o) {
  const pool = new Pool({ filename: FIXTURE, minThreads: o.threads, maxThreads: o.threads });
  await Promise.all(Array.from({ length: o.threads * 4 }, (_, i) => pool.run(i)));
  let next = 0;
  let done = 0;
  const s = sampler(o.interval, () => done);
  const check = (view, i) => {
    if (view.byteLength !== o.size || view[0] !== (i & 0xff) || view[o.size - 1] !== ((i * 7) & 0xff)) {
      throw new Error(`large task ${i} came back with the wrong bytes`);
    }
  };
  const stamp = (view, i) => { view[0] = i & 0xff; view[o.size - 1] = (i * 7) & 0xff; return view; };
  async function lane() {
    let view = new Uint8Array(o.size);
    while (next < o.large) {
      const i = next++;
      let back;
      switch (i % 3) {
        case 0: // by copy, both ways
          back = await pool.run(stamp(view, i), { name: 'echo' });
          break;
        case 1: // transferList out, move() back
          back = await pool.run(stamp(view, i), { name: 'echoMove', transferList: [view.buffer] });
          break;
        default: // a pool-allocated buffer, moved out and back; dropped afterwards
          back = await pool.run(Pool.move(stamp(new Uint8Array(Pool.buffer(o.size)), i)), { name: 'echoMove' });
      }
      check(back, i);
      if (i % 3 !== 2) view = back;
      done++;
      s.tick();
    }
  }
  await Promise.all(Array.from({ length: o.inflight }, lane));
  const samples = s.stop();
  await pool.destroy();
  const figures = memoryFigures(samples);
  return { samples, figures: { ...figures, work: done, rate: done / figures.seconds } };
}

async function churnPhase(Pool, o) {
  let collected = 0;
  const registry = new FinalizationRegistry(() => { collected++; });
  let done = 0;
  let threads = 0;
  const perPool = []; // [pool index, rss MiB, fds] after each pool is destroyed
  await gcSettle();
  const fdsBefore = openFds();
  const kindsBefore = fdKinds();
  const s = sampler(o.interval, () => done);
  for (let i = 0; i < o.pools; i++) {
    // One block per pool so nothing in this frame keeps the pool reachable afterwards.
    await (async () => {
      const pool = new Pool({ filename: FIXTURE, minThreads: o.threads, maxThreads: o.threads });
      registry.register(pool, i);
      threads = Math.max(threads, pool.threads.length);
      const v = await pool.run(i);
      if (v !== i) throw new Error(`pool ${i} returned ${v}`);
      await pool.destroy();
    })();
    done++;
    perPool.push([done, process.memoryUsage.rss() / MiB, openFds()]);
    s.tick();
  }
  const samples = s.stop();
  const beforeGc = collected;
  await gcSettle(10);
  const fdsAfter = openFds();
  const fdsGrown = kindsGrown(kindsBefore, fdKinds());
  const figures = memoryFigures(samples);
  const half = perPool.filter(([n]) => n > o.pools / 2);
  const kib = slope(half.map(([n, rss]) => [n, rss * 1024]));
  return {
    samples,
    perPool,
    threads,
    fdsGrown,
    figures: {
      ...figures,
      work: done,
      rate: done / figures.seconds,
      rssPerPoolKiB: kib,
      rssAfterGc: process.memoryUsage.rss() / MiB,
      fdsBefore,
      fdsAfter,
      fdsPer100Pools: (fdsAfter - fdsBefore) / (o.pools / 100),
      collectedBeforeGc: beforeGc,
      collected,
    },
  };
}

// Child side (forked by the parent with --child <phase>).
const spec = {
  name: 'soak',
  async child(phase, raw) {
    const o = options(raw);
    const Pool = loadPool();
    if (phase === 'tiny') return tinyPhase(Pool, o);
    if (phase === 'large') return largePhase(Pool, o);
    if (phase === 'churn') return churnPhase(Pool, o);
    throw new Error(`unknown phase ${phase}`);
  },
};

function options(extra) {
  const o = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS)) if (extra[k] !== undefined) o[k] = positiveInt(`--${k}`, extra[k]);
  o.phases = extra.phases ? String(extra.phases).split(',') : PHASES;
  for (const p of o.phases) if (!PHASES.includes(p)) throw new Error(`--phases expects some of ${PHASES.join(',')}, got ${p}`);
  o.timeoutMin = extra['timeout-min'] !== undefined ? positiveInt('--timeout-min', extra['timeout-min']) : 120;
  return o;
}

function checks(phases) {
  const out = [];
  const add = (name, value, ok, goal, shown) => out.push({ name, value, goal, met: value === null || value === undefined ? null : ok(value), shown });
  for (const p of ['tiny', 'large', 'churn']) {
    const f = phases[p] && phases[p].figures;
    if (!f) continue;
    const judged = f.seconds / 2 >= LIMITS.minSlopeSeconds;
    const goal = `≤ ${LIMITS.slopeMiBPerMin} MiB/min${judged ? '' : ` (n/a: second half < ${LIMITS.minSlopeSeconds} s)`}`;
    add(`${p}: RSS slope, second half`, judged ? f.rssSlope : null, (v) => v <= LIMITS.slopeMiBPerMin, goal, slopeText(f.rssSlope));
    add(`${p}: main heap slope, second half`, judged ? f.heapSlope : null, (v) => v <= LIMITS.slopeMiBPerMin, goal, slopeText(f.heapSlope));
  }
  const c = phases.churn && phases.churn.figures;
  if (c) {
    add('churn: RSS growth per pool, second half', c.rssPerPoolKiB, (v) => v <= LIMITS.churnKiBPerPool, `≤ ${LIMITS.churnKiBPerPool} KiB/pool`, slopeText(c.rssPerPoolKiB, 'KiB/pool'));
    add('churn: open fds after - before', c.fdsAfter - c.fdsBefore, (v) => v <= LIMITS.churnFds, `≤ ${LIMITS.churnFds}`, `${c.fdsBefore} → ${c.fdsAfter}`);
    add('churn: pools collected after gc()', c.collected / c.work, (v) => v >= LIMITS.churnCollected, `≥ ${LIMITS.churnCollected * 100}%`, `${c.collected} of ${c.work}`);
  }
  return out;
}

function render(report) {
  const rows = [['phase', 'work', 'wall', 'rate', 'RSS start', 'RSS end', 'RSS peak', 'RSS slope ½', 'heap slope ½', 'external slope ½', 'samples']];
  const unitOf = { tiny: 'tasks', large: `× ${fmt.num(report.settings.size / MiB)} MiB`, churn: 'pools' };
  for (const [name, p] of Object.entries(report.phases)) {
    const f = p.figures;
    if (!f) { rows.push([name, 'FAILED', '', '', '', '', '', '', '', '', '']); continue; }
    rows.push([name, `${fmt.num(f.work)} ${unitOf[name]}`, `${f.seconds.toFixed(1)} s`, `${fmt.num(f.rate)}/s`,
      fmt.value(f.rssStart, 'MiB'), fmt.value(f.rssEnd, 'MiB'), fmt.value(f.rssPeak, 'MiB'),
      slopeText(f.rssSlope), slopeText(f.heapSlope), slopeText(f.externalSlope), String(f.samples)]);
  }
  const m = report.machine;
  const lines = ['', `soak — ${report.question}`,
    `${m.cores}× ${m.cpu}, Node ${m.node}, ${report.date.slice(0, 16)}Z, 1-min load avg ${report.loadavg.toFixed(1)}; nativepool ${report.nativepool.root} at ${report.nativepool.commit || '?'}`,
    `slope ½ = least-squares slope over the samples of the phase's second half (every ${report.settings.interval} ms); RSS is the whole process, heap and external the main thread's`,
    fmt.table(rows)];
  const c = report.phases.churn && report.phases.churn.figures;
  if (c) {
    lines.push('', `churn: ${c.work} pools (${report.phases.churn.threads} threads each), one task each, destroyed one after the other`,
      `  RSS ${c.rssStart.toFixed(1)} → ${c.rssEnd.toFixed(1)} MiB (${fmt.num(c.rssPerPoolKiB)} KiB per pool over the second half), ${c.rssAfterGc.toFixed(1)} MiB after gc()`,
      `  open fds ${c.fdsBefore} before → ${c.fdsAfter} after (${fmt.num(c.fdsPer100Pools)} per 100 pools)${Object.keys(report.phases.churn.fdsGrown).length ? `; by kind: ${Object.entries(report.phases.churn.fdsGrown).map(([k, d]) => `${k} ${d > 0 ? '+' : ''}${d}`).join(', ')}` : ''}`,
      `  pools collected: ${c.collectedBeforeGc} during the run, ${c.collected} of ${c.work} after gc()`);
  }
  lines.push('', 'checks:');
  for (const k of report.checks) {
    lines.push(`  ${k.met === null ? 'n/a   ' : k.met ? 'met   ' : 'MISSED'}  ${k.name.padEnd(42)} ${String(k.shown).padStart(16)}   want ${k.goal}`);
  }
  for (const f of report.failures) lines.push(`FAILED ${f.phase}: ${f.error.split('\n').slice(0, 6).join('\n    ')}`);
  return lines.join('\n');
}

async function parent(args) {
  const o = options(args.extra);
  const np = resolveNativepool();
  if (!np.real) throw new Error(`soak measures nativepool only, and it does not load: ${np.reason}`);
  const env = nativepoolEnv(np);
  const started = Date.now();
  const loadavg = os.loadavg()[0];
  const phases = {};
  const failures = [];
  if (!args.json) log(`soak: nativepool ${np.root} at ${np.commit || '?'}`);
  for (const phase of o.phases) {
    if (!args.json) log(`\n${phase}:`);
    const t0 = Date.now();
    try {
      const { result } = await forkChild(__filename, phase, {
        env,
        opts: args.extra,
        timeoutMs: o.timeoutMin * 60_000,
        execArgv: ['--expose-gc'],
        onMessage: (msg) => {
          if (msg && msg.type !== 'progress') return false;
          if (!args.json) log(`  ${phase} ${msg.line}`);
          return true;
        },
      });
      phases[phase] = result;
      if (!args.json) log(`  ${phase} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      phases[phase] = { figures: null };
      failures.push({ phase, error: String(err.message || err) });
      log(`  ${phase} FAILED: ${String(err.message || err).split('\n').slice(0, 6).join('\n    ')}`);
    }
  }
  const report = {
    name: 'soak',
    question: 'memory, fds and pool objects held over a long run and over pool churn',
    date: new Date().toISOString(),
    machine: machine(),
    nativepool: { real: true, root: np.root, commit: np.commit || null },
    loadavg,
    settings: { ...o, fixture: path.relative(path.resolve(__dirname, '..'), FIXTURE), limits: LIMITS },
    phases,
    failures,
    seconds: (Date.now() - started) / 1000,
  };
  report.checks = checks(phases);
  if (args.write) {
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, 'soak.json'), `${JSON.stringify(report, null, 2)}\n`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${render(report)}\n`);
  if (failures.length) process.exitCode = 1;
}

if (require.main === module) {
  const args = parseArgs();
  if (args.child) harnessMain(spec);
  else parent(args).catch((err) => { console.error(err); process.exitCode = 1; });
}

module.exports = { slope, secondHalfSlope };
