'use strict';

// One adapter per library: the same five operations over each library's own API, each
// with its fastest honest configuration (see bench/README.md, "Settings").
//
//   const pool = await createPool(lib, { threads: 2 });
//   await pool.run('echo', value[, transferList]);   // 'echo' | 'busy' | 'sabTouch' | 'echoMove'
//   pool.supports.transferBack                       // can a worker hand a buffer back without a copy?
//   await pool.destroy();

const fs = require('node:fs');
const path = require('node:path');
const { once } = require('node:events');
const { execFileSync } = require('node:child_process');

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
const LIBRARIES = ['nativepool', 'piscina', 'tinypool', 'poolifier', 'workerpool'];
const ANCHORS = LIBRARIES.filter((l) => l !== 'nativepool');
// Configurations measured beside the defaults where a library documents a
// choice that may be faster for a question: Piscina's `atomics: 'async'`
// (its default is 'sync'), and nativepool without its main-side poll
// (NATIVEPOOL_POLL=0), to show what the poll costs and buys.
const VARIANTS = ['piscina-async', 'nativepool-nopoll'];

// Task values: small objects like real ones, and plain numbers.
//   payload('object', i) -> { a: i, tag: 'x' }; payload('number', i) -> i
const PAYLOADS = ['object', 'number'];
function payload(kind, i) {
  return kind === 'object' ? { a: i, tag: 'x' } : i;
}
// Every pool gets the same warm-up before anything is timed: this many tasks
// shaped like the timed ones (same payload, same burst or sequential form).
const WARMUP_TASKS = 3000;

function nativepoolRoot() {
  return path.resolve(process.env.NATIVEPOOL_PATH || path.resolve(__dirname, '..', '..'));
}

// Decides once (in the parent) whether nativepool is real or Piscina stands in for it.
// Children read the decision from NATIVEPOOL_BENCH_STANDIN so that every run agrees.
function resolveNativepool() {
  const root = nativepoolRoot();
  if (process.env.NATIVEPOOL_BENCH_STANDIN === 'piscina') {
    return { root, real: false, reason: process.env.NATIVEPOOL_BENCH_STANDIN_REASON || 'forced by NATIVEPOOL_BENCH_STANDIN=piscina' };
  }
  const entry = path.join(root, 'lib', 'index.js');
  if (!fs.existsSync(entry)) return { root, real: false, reason: `${entry} does not exist` };
  try {
    const Pool = loadNativepool(root);
    if (typeof Pool !== 'function') return { root, real: false, reason: `${entry} exports no Pool constructor` };
  } catch (err) {
    return { root, real: false, reason: `require(${entry}) failed: ${err.message.split('\n')[0]}` };
  }
  return { root, real: true, reason: null, commit: gitCommit(root) };
}

// The commit nativepool was measured at, when its root is a git checkout;
// NATIVEPOOL_COMMIT names it when the root is a copy (e.g. a snapshot of a build).
function gitCommit(root) {
  if (process.env.NATIVEPOOL_COMMIT) return process.env.NATIVEPOOL_COMMIT;
  try {
    const out = execFileSync('git', ['-C', root, 'log', '-1', '--format=%h %cI %s'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return `${out.trim()}${dirty.trim() ? ' (+ uncommitted changes)' : ''}`;
  } catch {
    return null;
  }
}

// Environment for child processes that pins the decision made by resolveNativepool().
function nativepoolEnv(info) {
  const env = { ...process.env, NATIVEPOOL_PATH: info.root };
  if (!info.real) {
    env.NATIVEPOOL_BENCH_STANDIN = 'piscina';
    env.NATIVEPOOL_BENCH_STANDIN_REASON = info.reason;
  }
  return env;
}

function loadNativepool(root) {
  const mod = require(path.join(root, 'lib', 'index.js'));
  return mod.Pool || mod.default || mod;
}

// Piscina, tinypool and nativepool share a shape: run(task, { name, transferList }).
function piscinaLike(pool, fixtureDefaultIsEcho = true) {
  return {
    raw: pool,
    run(name, value, transferList) {
      const opts = {};
      if (!(fixtureDefaultIsEcho && name === 'echo')) opts.name = name;
      if (transferList) opts.transferList = transferList;
      return pool.run(value, opts);
    },
    supports: { transferBack: true },
    destroy: () => pool.destroy(),
  };
}

const factories = {
  async nativepool({ threads }) {
    if (process.env.NATIVEPOOL_BENCH_STANDIN === 'piscina') {
      const { Piscina } = require('piscina');
      const pool = new Piscina({ filename: path.join(FIXTURES, 'nativepool.js'), minThreads: threads, maxThreads: threads });
      return { ...piscinaLike(pool), standIn: true };
    }
    const Pool = loadNativepool(nativepoolRoot());
    const pool = new Pool({ filename: path.join(FIXTURES, 'nativepool.js'), minThreads: threads, maxThreads: threads });
    return { ...piscinaLike(pool), standIn: false };
  },

  async 'nativepool-nopoll'({ threads }) {
    process.env.NATIVEPOOL_POLL = '0'; // read when the pool is created
    return factories.nativepool({ threads });
  },

  async 'piscina-async'({ threads }) {
    const { Piscina } = require('piscina');
    const pool = new Piscina({ filename: path.join(FIXTURES, 'piscina.js'), minThreads: threads, maxThreads: threads, atomics: 'async' });
    return piscinaLike(pool);
  },

  async piscina({ threads }) {
    const { Piscina } = require('piscina');
    const pool = new Piscina({ filename: path.join(FIXTURES, 'piscina.js'), minThreads: threads, maxThreads: threads });
    return piscinaLike(pool);
  },

  async tinypool({ threads }) {
    const { Tinypool } = require('tinypool');
    const pool = new Tinypool({ filename: path.join(FIXTURES, 'tinypool.js'), minThreads: threads, maxThreads: threads, isolateWorkers: false });
    return piscinaLike(pool);
  },

  async poolifier({ threads }) {
    const { FixedThreadPool } = require('poolifier');
    const pool = new FixedThreadPool(threads, path.join(FIXTURES, 'poolifier.js'), { errorHandler: (e) => console.error(e) });
    // Tasks submitted before the workers report ready were seen to hang under load.
    if (!pool.info.ready) await once(pool.emitter, 'ready');
    return {
      run(name, value, transferList) {
        return pool.execute(value, name, undefined, transferList);
      },
      // poolifier's worker posts results without a transfer list: buffers come back by copy.
      supports: { transferBack: false },
      destroy: () => pool.destroy(),
    };
  },

  async workerpool({ threads }) {
    const workerpool = require('workerpool');
    const pool = workerpool.pool(path.join(FIXTURES, 'workerpool.js'), { workerType: 'thread', minWorkers: threads, maxWorkers: threads });
    return {
      run(name, value, transferList) {
        return pool.exec(name, [value], transferList ? { transfer: transferList } : undefined);
      },
      supports: { transferBack: true },
      destroy: () => pool.terminate(),
    };
  },
};

// Creates the pool and waits until every thread has answered a task.
async function createPool(lib, { threads = 2 } = {}) {
  const factory = factories[lib];
  if (!factory) throw new Error(`unknown library ${lib}; expected one of ${[...LIBRARIES, ...VARIANTS].join(', ')}`);
  const pool = await factory({ threads });
  const destroy = pool.destroy;
  pool.destroyTimedOut = false;
  // Teardown is not measured, and poolifier 5.3.2's destroy() was seen never to resolve
  // under load: wait at most 5 s, the child process exits right after anyway.
  pool.destroy = () => new Promise((resolve, reject) => {
    const t = setTimeout(() => { pool.destroyTimedOut = true; resolve(); }, 5000);
    destroy().then(() => { clearTimeout(t); resolve(); }, (e) => { clearTimeout(t); reject(e); });
  });
  const warm = [];
  for (let i = 0; i < threads * 8; i++) warm.push(pool.run('echo', i));
  await Promise.all(warm);
  return pool;
}

/** Runs `n` tasks as the timed phase will: all at once ('burst') or one after another ('sequential'). */
async function warmUp(pool, kind, form, n = WARMUP_TASKS) {
  if (form === 'burst') {
    const pending = new Array(n);
    for (let i = 0; i < n; i++) pending[i] = pool.run('echo', payload(kind, i));
    await Promise.all(pending);
  } else {
    for (let i = 0; i < n; i++) await pool.run('echo', payload(kind, i));
  }
}

module.exports = { LIBRARIES, ANCHORS, VARIANTS, FIXTURES, PAYLOADS, WARMUP_TASKS, payload, warmUp, createPool, resolveNativepool, nativepoolEnv, loadNativepool };
