'use strict';
// Issue #12: per-task timeouts, retries with backoff, recycling by task
// count and heap, and ready(). Threads race only through SharedArrayBuffer
// counters; every test has a timeout.
const assert = require('node:assert');
const { poolTracker, fixture, rejection, sharedCounter, waitFor } = require('./helpers/pool');

describe('resilience', function () {
  this.timeout(30000);
  const pools = poolTracker();
  afterEach(() => pools.cleanup());
  const make = (options = {}) => {
    const counters = sharedCounter(64);
    const pool = pools.make({ filename: fixture('resilience.js'), workerData: { counters }, minThreads: 1, maxThreads: 2, ...options });
    return { pool, counters };
  };

  describe('timeout', () => {
    it('rejects an endless task with a TimeoutError (ERR_TASK_TIMEOUT) and keeps serving', async () => {
      const { pool } = make({ maxThreads: 1 });
      const events = [];
      pool.on('taskTimeout', (e) => events.push(e));
      const destroyed = [];
      pool.on('workerDestroy', (w, info) => destroyed.push(info));
      const t0 = Date.now();
      const err = await rejection(pool.run(null, { name: 'loop', timeout: 200 }));
      assert.strictEqual(err.name, 'TimeoutError');
      assert.strictEqual(err.code, 'ERR_TASK_TIMEOUT');
      assert.ok(Date.now() - t0 >= 200, 'not before its time');
      assert.strictEqual(await pool.run(5, { name: 'id' }), 5, 'a replacement serves');
      assert.strictEqual(events.length, 1);
      assert.strictEqual(events[0].timeout, 200);
      await waitFor(() => destroyed.length === 1, 5000, 'the stopped worker to exit');
      assert.strictEqual(destroyed[0].reason, 'timeout');
    });

    it('fails exactly the task that timed out in the middle of a burst', async () => {
      const { pool } = make({ minThreads: 2, maxThreads: 2 });
      const burst = [];
      for (let i = 0; i < 400; i++) {
        burst.push(i === 200 ? pool.run(null, { name: 'loop', timeout: 100 }).catch((e) => e.code) : pool.run(i, { name: 'id' }));
      }
      const results = await Promise.all(burst);
      results.forEach((r, i) => assert.strictEqual(r, i === 200 ? 'ERR_TASK_TIMEOUT' : i));
    });

    it('counts from the moment the task starts, not from submission', async () => {
      const { pool } = make({ minThreads: 1, maxThreads: 1, timeout: 250 });
      const first = pool.run(300, { name: 'sleep', timeout: Infinity }); // holds the only worker
      const second = pool.run(150, { name: 'sleep' }); // waits ~300 ms queued, then runs 150 ms
      assert.strictEqual(await first, 300);
      assert.strictEqual(await second, 150, 'time spent queued does not count');
    });

    it('uses the pool default unless run() overrides it', async () => {
      const { pool } = make({ timeout: 100 });
      assert.strictEqual((await rejection(pool.run(1000, { name: 'sleep' }))).code, 'ERR_TASK_TIMEOUT');
      assert.strictEqual(await pool.run(200, { name: 'sleep', timeout: 5000 }), 200);
    });

    it('rejects bad values naming the option', async () => {
      assert.throws(() => make({ timeout: -1 }), { name: 'RangeError', message: /options\.timeout/ });
      assert.throws(() => make({ timeout: '5' }), { name: 'TypeError', message: /options\.timeout/ });
      const { pool } = make();
      const err = await rejection(pool.run(1, { name: 'id', timeout: 0 }));
      assert.ok(err instanceof RangeError && /options\.timeout/.test(err.message));
    });
  });

  describe('retry', () => {
    it('resolves a handler that fails twice on its third attempt', async () => {
      const { pool, counters } = make();
      const retries = [];
      pool.on('taskRetry', (e) => retries.push(e));
      const n = await pool.run({ key: 1, failures: 2 }, { name: 'flaky', retry: { attempts: 3 } });
      assert.strictEqual(n, 3);
      assert.strictEqual(Atomics.load(counters, 1), 3);
      assert.deepStrictEqual(retries.map((e) => [e.attempt, e.error.code]), [[1, 'E_FLAKY'], [2, 'E_FLAKY']]);
    });

    it('rejects with the last error and attempts = 2 when only two are allowed', async () => {
      const { pool, counters } = make({ retry: { attempts: 2 } });
      const err = await rejection(pool.run({ key: 2, failures: 2 }, { name: 'flaky' }));
      assert.strictEqual(err.code, 'E_FLAKY');
      assert.strictEqual(err.message, 'flaky failure 2');
      assert.strictEqual(err.attempts, 2);
      assert.strictEqual(Atomics.load(counters, 2), 2);
    });

    it('keeps the pool default for retry: undefined and turns it off for retry: null', async () => {
      const { pool, counters } = make({ retry: { attempts: 3 } });
      assert.strictEqual(await pool.run({ key: 10, failures: 2 }, { name: 'flaky', retry: undefined }), 3);
      const err = await rejection(pool.run({ key: 11, failures: 2 }, { name: 'flaky', retry: null }));
      assert.strictEqual(err.code, 'E_FLAKY');
      assert.strictEqual(Atomics.load(counters, 11), 1, 'retry: null ran it once');
    });

    it('waits the exponential delays between attempts', async () => {
      const { pool } = make();
      const delays = [];
      pool.on('taskRetry', (e) => delays.push(e.delay));
      const t0 = Date.now();
      const n = await pool.run({ key: 3, failures: 3 }, { name: 'flaky', retry: { attempts: 4, delay: 50, backoff: 'exponential' } });
      const elapsed = Date.now() - t0;
      assert.strictEqual(n, 4);
      assert.deepStrictEqual(delays, [50, 100, 200]);
      assert.ok(elapsed >= 350, `waited ${elapsed} ms, at least 350 expected`);
      assert.ok(elapsed < 5000, `waited ${elapsed} ms`);
    });

    it('caps delays at maxDelay', async () => {
      const { pool } = make();
      const delays = [];
      pool.on('taskRetry', (e) => delays.push(e.delay));
      await pool.run({ key: 4, failures: 3 }, { name: 'flaky', retry: { attempts: 4, delay: 10, backoff: 'exponential', maxDelay: 25 } });
      assert.deepStrictEqual(delays, [10, 20, 25]);
    });

    it('rejects at once when aborted during the delay, and never runs again', async () => {
      const { pool, counters } = make();
      const ac = new AbortController();
      pool.on('taskRetry', () => setTimeout(() => ac.abort(), 20));
      const t0 = Date.now();
      const err = await rejection(pool.run({ key: 5, failures: 5 }, { name: 'flaky', signal: ac.signal, retry: { attempts: 5, delay: 2000 } }));
      assert.strictEqual(err.code, 'ERR_TASK_ABORTED');
      assert.ok(Date.now() - t0 < 1500, 'did not wait for the delay');
      await new Promise((r) => setTimeout(r, 100));
      assert.strictEqual(Atomics.load(counters, 5), 1);
    });

    it('does not retry failures a second try cannot change', async () => {
      const { pool, counters } = make({ retry: { attempts: 5 } });
      const err = await rejection(pool.run({ key: 6, code: 'ERR_DATA_CLONE' }, { name: 'failWith' }));
      assert.strictEqual(err.code, 'ERR_DATA_CLONE');
      assert.strictEqual(Atomics.load(counters, 6), 1);
      assert.strictEqual((await rejection(pool.run(1, { name: 'nope' }))).code, 'ERR_HANDLER_NOT_FOUND');
    });

    it('asks retryOn(err, attempt) when given', async () => {
      const { pool, counters } = make();
      const seen = [];
      const retryOn = (err, attempt) => {
        seen.push([err.code, attempt]);
        return attempt < 2;
      };
      const err = await rejection(pool.run({ key: 7, failures: 10 }, { name: 'flaky', retry: { attempts: 10, retryOn } }));
      assert.strictEqual(err.attempts, 2);
      assert.deepStrictEqual(seen, [['E_FLAKY', 1], ['E_FLAKY', 2]]);
      assert.strictEqual(Atomics.load(counters, 7), 2);
    });

    it('retries a timed-out attempt and settles once', async () => {
      const { pool, counters } = make();
      const n = await pool.run({ key: 8, hangs: 1 }, { name: 'hangThenAnswer', timeout: 150, retry: { attempts: 2 } });
      assert.strictEqual(n, 2);
      assert.strictEqual(Atomics.load(counters, 8), 2);
    });

    it('times out a retried attempt by its own clock while the stopped one has not left its thread yet', async () => {
      // Attempt 1 blocks 700 ms in native code, where terminate() cannot stop
      // it: until then its thread still runs it, with its old start. Attempt 2
      // runs 150 ms on the other thread meanwhile and must not be timed out.
      const { pool } = make({ minThreads: 2, maxThreads: 2 });
      await Promise.all([pool.run(1, { name: 'id' }), pool.run(2, { name: 'id' })]);
      const timedOut = [];
      pool.on('taskTimeout', (e) => timedOut.push(e.attempt));
      const n = await pool.run({ key: 12, block: 700, ms: 150 }, { name: 'blockOnceThenBusy', timeout: 200, retry: { attempts: 2 } });
      assert.strictEqual(n, 2);
      assert.deepStrictEqual(timedOut, [1]);
    });

    it('keeps a transferred buffer for the next attempt', async () => {
      const { pool } = make();
      const fixtureData = fixture('data.js');
      const u8 = new Uint8Array(200 * 1024).fill(9);
      const r = await pool.run(u8, { filename: fixtureData, name: 'summarize', transferList: [u8.buffer], retry: { attempts: 2 } });
      assert.strictEqual(u8.byteLength, 0, 'detached');
      assert.deepStrictEqual(r, { length: 200 * 1024, first: 9, last: 9 });
    });

    it('validates the retry option', () => {
      assert.throws(() => make({ retry: { attempts: 0 } }), { name: 'RangeError', message: /options\.retry\.attempts/ });
      assert.throws(() => make({ retry: { backoff: 'linear' } }), { name: 'TypeError', message: /options\.retry\.backoff/ });
      assert.throws(() => make({ retry: { atempts: 2 } }), /Did you mean 'attempts'/);
    });
  });

  describe('recycling', () => {
    it('maxTasksPerWorker: 5 spreads 50 tasks over at least 10 threads, none failing', async () => {
      const { pool } = make({ minThreads: 1, maxThreads: 1, maxTasksPerWorker: 5 });
      const recycled = [];
      pool.on('workerRecycle', (w, info) => recycled.push(info.reason));
      const ids = [];
      for (let i = 0; i < 50; i++) ids.push(await pool.run(null, { name: 'thread' }));
      assert.ok(new Set(ids).size >= 10, `${new Set(ids).size} distinct threads`);
      assert.ok(recycled.length >= 9 && recycled.every((r) => r === 'tasks'), JSON.stringify(recycled));
      const burst = await Promise.all(Array.from({ length: 50 }, () => pool.run(null, { name: 'thread' })));
      assert.strictEqual(burst.length, 50);
    });

    it('maxHeapUsedMb: a worker leaking 10 MB per call is recycled and nothing fails', async function () {
      this.timeout(60000);
      const { pool } = make({ minThreads: 1, maxThreads: 1, maxHeapUsedMb: 64 });
      const reasons = [];
      pool.on('workerRecycle', (w, info) => reasons.push(info.reason));
      const ids = [];
      for (let i = 0; i < 30; i++) ids.push(await pool.run(null, { name: 'leak' }));
      assert.ok(reasons.includes('heap'), JSON.stringify(reasons));
      assert.ok(new Set(ids).size >= 2);
    });

    it('rejects the task of a worker killed by resourceLimits with ERR_WORKER_OUT_OF_MEMORY and replaces it', async function () {
      this.timeout(60000);
      const { pool } = make({ minThreads: 1, maxThreads: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
      const reasons = [];
      pool.on('workerDestroy', (w, info) => reasons.push(info.reason));
      const err = await rejection(pool.run(null, { name: 'oom' }));
      assert.strictEqual(err.code, 'ERR_WORKER_OUT_OF_MEMORY');
      assert.strictEqual(await pool.run(3, { name: 'id' }), 3);
      await waitFor(() => reasons.length === 1, 5000, 'the worker to exit');
      assert.deepStrictEqual(reasons, ['oom']);
    });
  });

  describe('ready()', () => {
    it('resolves once minThreads workers have loaded the file', async () => {
      const { pool } = make({ minThreads: 2, maxThreads: 2, name: 'id' });
      await pool.ready();
      assert.strictEqual(pool.threads.length, 2);
      assert.strictEqual(await pool.run(4), 4);
    });

    it('rejects with a code for a missing file', async () => {
      const pool = pools.make({ filename: fixture('does-not-exist.js'), minThreads: 1 });
      const err = await rejection(pool.ready());
      assert.strictEqual(err.code, 'ERR_HANDLER_LOAD');
      assert.match(err.message, /does-not-exist\.js/);
    });

    it('rejects with a code for a syntax error', async () => {
      const pool = pools.make({ filename: fixture('bad/syntax-error.js'), minThreads: 1 });
      const err = await rejection(pool.ready());
      assert.strictEqual(err.code, 'ERR_HANDLER_LOAD');
      assert.ok(err.cause instanceof SyntaxError);
    });

    it('rejects with ERR_HANDLER_NOT_FOUND when the export is missing', async () => {
      const pool = pools.make({ filename: fixture('bad/no-default.js'), minThreads: 0 });
      assert.strictEqual((await rejection(pool.ready())).code, 'ERR_HANDLER_NOT_FOUND');
    });

    it('rejects with ERR_WORKER_INIT when the file exits while loading', async () => {
      const pool = pools.make({ filename: fixture('bad/top-exit.js'), minThreads: 1 });
      const err = await rejection(pool.ready());
      assert.strictEqual(err.code, 'ERR_WORKER_INIT');
      assert.strictEqual(err.exitCode, 7);
    });
  });

  it('settles 100,000 tasks with random timeouts, retries and aborts exactly once each', async function () {
    this.timeout(120000);
    const { pool } = make({ minThreads: 2, maxThreads: 2 });
    const N = 100000;
    const settled = new Uint8Array(N);
    let seed = 11;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const all = [];
    for (let i = 0; i < N; i++) {
      const options = { name: 'flaky' };
      const r = rand();
      if (r < 0.1) options.retry = { attempts: 3 };
      if (r > 0.95) options.timeout = 1 + Math.floor(rand() * 5);
      let ac = null;
      if (rand() < 0.05) {
        ac = new AbortController();
        options.signal = ac.signal;
      }
      const failures = rand() < 0.1 ? 1 : 0;
      all.push(pool.run({ key: 10 + (i % 50), failures: failures ? 1 << 30 : 0 }, options).then(
        () => { settled[i]++; },
        (err) => {
          settled[i]++;
          assert.ok(['E_FLAKY', 'ERR_TASK_ABORTED', 'ERR_TASK_TIMEOUT'].includes(err.code), err.stack);
        },
      ));
      if (ac && rand() < 0.5) ac.abort();
      if (i % 1000 === 0) await new Promise(setImmediate);
    }
    await Promise.all(all);
    for (let i = 0; i < N; i++) assert.strictEqual(settled[i], 1, `task ${i}`);
    assert.strictEqual(pool.pendingCount, 0);
  });
});
