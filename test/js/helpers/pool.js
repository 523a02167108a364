'use strict';
// Shared test helpers: fixture paths, pools that are always destroyed,
// waiting on conditions without timing assertions, and child processes.
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const Pool = require(ROOT);

const fixture = (name) => path.join(ROOT, 'test', 'fixtures', name);

/**
 * Creates pools and destroys every one of them; call `pools.cleanup()` from
 * afterEach. `pools.make(options)` returns a new Pool; `defaults` (e.g.
 * { runtime }) apply to every pool unless options say otherwise.
 */
function poolTracker(defaults = {}) {
  const live = [];
  return {
    runtime: defaults.runtime || 'thread',
    make(options) {
      const pool = new Pool({ ...defaults, ...options });
      live.push(pool);
      return pool;
    },
    async cleanup() {
      const all = live.splice(0);
      await Promise.all(all.map((p) => p.destroy()));
    },
  };
}

/** Resolves when `cond()` is truthy; rejects after `ms` (a hang guard, not a timing check). */
async function waitFor(cond, ms = 10000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The settled outcome of a promise: { ok, value } or { ok: false, error }. */
function outcome(promise) {
  return promise.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
}

/** Resolves with the rejection reason; fails if the promise resolves. */
async function rejection(promise) {
  try {
    const value = await promise;
    throw Object.assign(new Error(`Expected a rejection, got ${JSON.stringify(value)}`), { unexpected: true });
  } catch (err) {
    if (err && err.unexpected) throw err;
    return err;
  }
}

/**
 * Runs `node [nodeArgs] -e code` (or a file with `file`) and resolves with
 * { code, signal, stdout, stderr, elapsedMs, timedOut }. The child is killed
 * after `killAfterMs`.
 */
function runChild({ code, file, args = [], nodeArgs = [], killAfterMs = 5000, cwd = ROOT }) {
  return new Promise((resolve, reject) => {
    const argv = [...nodeArgs, ...(file ? [file] : ['-e', code]), ...args];
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code: exitCode, signal, stdout, stderr, elapsedMs, timedOut });
    });
  });
}

/** An Int32Array over a fresh SharedArrayBuffer with `n` slots. */
const sharedCounter = (n = 4) => new Int32Array(new SharedArrayBuffer(4 * n));

module.exports = { ROOT, Pool, fixture, poolTracker, waitFor, outcome, rejection, runChild, sharedCounter };
