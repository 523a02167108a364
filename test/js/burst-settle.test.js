'use strict';
// A job that keeps calling run() settles, at each hand-over of its queued
// tasks to the core, the tasks that already came back (lib/pool.js
// #settleCompleted). What that must keep: every task settles once with its
// own value, in its caller's async context; no listener runs inside run();
// and a loop of awaits that keeps feeding itself still leaves timers their
// turn (test/js/faults.test.js). The worker's progress is read from a
// SharedArrayBuffer it counts in, so each test knows results came back
// while its loop was still running.
const assert = require('node:assert');
const { AsyncLocalStorage } = require('node:async_hooks');
const { poolTracker, fixture, sharedCounter } = require('./helpers/pool');

// Blocks this thread until counters[key] >= n (the worker notifies at each
// count), or throws after `ms`.
function waitCount(counters, key, n, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const seen = Atomics.load(counters, key);
    if (seen >= n) return;
    const left = end - Date.now();
    if (left <= 0) throw new Error(`counter ${key} stayed at ${seen}, waited for ${n}`);
    Atomics.wait(counters, key, seen, left);
  }
}

describe('settling inside a burst of run() calls', function () {
  this.timeout(30000);
  const pools = poolTracker();
  afterEach(() => pools.cleanup());
  // One worker, with every handler name the test uses looked up already: a
  // name's first task waits for that lookup, and its result then follows
  // its count by a microtask (a whole batch of them by many); afterwards a
  // result is pushed as soon as its handler returns.
  const make = async (options = {}) => {
    const counters = sharedCounter(64);
    Atomics.store(counters, 9, 1); // an open gate
    const pool = pools.make({ filename: fixture('resilience.js'), workerData: { counters }, minThreads: 1, maxThreads: 1, ...options });
    await pool.run({ key: 8, v: 0 }, { name: 'counted' });
    await pool.run({ key: 8, gate: 9, v: 0 }, { name: 'gated' });
    await pool.run({ key: 8, failures: 0 }, { name: 'flaky' });
    return { pool, counters };
  };

  it('settles what came back while the loop runs, each task once with its own value', async () => {
    const { pool, counters } = await make();
    const before = pool.completed;
    const n = 2000;
    const pending = new Array(n);
    for (let i = 0; i < n; i++) {
      pending[i] = pool.run({ key: 1, v: i }, { name: 'counted' });
      // The first 256 went to the core at the 257th call: wait until the
      // worker ran them all, so the next hand-over (the 513th) finds them.
      if (i === 300) waitCount(counters, 1, 256);
    }
    const settledInLoop = pool.completed - before;
    assert.ok(settledInLoop >= 255, `${settledInLoop} tasks settled during the loop, at least 255 expected`);
    assert.ok(settledInLoop < n, 'the last queue had not even gone to the core');
    const results = await Promise.all(pending);
    for (let i = 0; i < n; i++) assert.strictEqual(results[i], i);
    assert.strictEqual(pool.completed - before, n, 'each settled once');
    assert.strictEqual(Atomics.load(counters, 1), n, 'each ran once');
  });

  it('a worker that dies mid-loop: each task settles once, and the tasks it held run once on its replacement', async () => {
    const { pool, counters } = await make();
    const before = pool.completed;
    let created = 0;
    pool.on('workerCreate', () => created++);
    const n = 2000;
    const pending = new Array(n);
    let dying;
    for (let i = 0; i < n; i++) {
      pending[i] = pool.run({ key: 10, v: i }, { name: 'counted' });
      if (i === 300) {
        waitCount(counters, 10, 256); // the first hand-over ran: its results wait to be settled
        // Queued behind tasks 257..300 and before 301..511: the 513th call
        // hands it over, and the worker exits there, holding what follows.
        dying = pool.run({ key: 11 }, { name: 'exitOnce' });
      }
      if (i === 600) waitCount(counters, 11, 1); // the worker is exiting
    }
    const settledInLoop = pool.completed - before;
    assert.ok(settledInLoop >= 256, `${settledInLoop} tasks settled during the loop, at least 256 expected`);
    await assert.rejects(dying, { code: 'ERR_WORKER_EXITED' });
    const results = await Promise.all(pending);
    for (let i = 0; i < n; i++) assert.strictEqual(results[i], i);
    assert.strictEqual(pool.completed - before, n + 1, 'each settled once (completed counts the failed one too)');
    assert.strictEqual(Atomics.load(counters, 10), n, 'each ran once: none was lost or run again');
    assert.strictEqual(Atomics.load(counters, 11), 1, 'the task that ended its worker was not run again');
    assert.strictEqual(created, 1, 'one replacement worker');
  });

  it("emits 'drain' for room it made inside the loop only after the loop", async () => {
    // 400 slots: 'needsDrain' at 400 tasks pending, 'drain' below that.
    const { pool, counters } = await make({ concurrentTasksPerWorker: 400 });
    const before = pool.completed;
    let inLoop = false;
    const heard = [];
    for (const event of ['drain', 'needsDrain']) pool.on(event, () => heard.push([event, inLoop]));
    const n = 520;
    const pending = new Array(n);
    inLoop = true;
    for (let i = 0; i < n; i++) {
      // The first 256 wait for gate counters[6]; they go to the core at the
      // 257th call, so 400 are pending at the 400th.
      pending[i] = i < 256 ? pool.run({ key: 5, gate: 6, v: i }, { name: 'gated' }) : pool.run({ key: 7, v: i }, { name: 'counted' });
      if (i === 450) {
        assert.deepStrictEqual(heard, [['needsDrain', true]], 'run() itself emits needsDrain, as Piscina does');
        Atomics.store(counters, 6, 1);
        Atomics.notify(counters, 6);
        waitCount(counters, 5, 256);
      }
      // The 513th call hands over the next 256 and settles the first 256:
      // 257 pending, room again.
    }
    const settledInLoop = pool.completed - before;
    inLoop = false;
    assert.ok(settledInLoop >= 255, `${settledInLoop} settled in the loop`);
    assert.deepStrictEqual(heard, [['needsDrain', true]], "no 'drain' listener ran inside the loop");
    await new Promise((resolve) => queueMicrotask(resolve));
    assert.deepStrictEqual(heard, [['needsDrain', true], ['drain', false]], "'drain' a microtask after the loop");
    const results = await Promise.all(pending);
    for (let i = 0; i < n; i++) assert.strictEqual(results[i], i);
  });

  it('emits taskRetry for a retry it settled inside the loop only after the loop, and the retry still runs once', async () => {
    const { pool, counters } = await make();
    let inLoop = false;
    const retries = [];
    pool.on('taskRetry', (e) => retries.push({ attempt: e.attempt, inLoop }));
    inLoop = true;
    const flaky = pool.run({ key: 2, failures: 1 }, { name: 'flaky', retry: { attempts: 2, delay: 0 } });
    waitCount(counters, 2, 1); // its first attempt failed on a worker
    const pending = [];
    // Calls run() until the failure is settled at a hand-over (every 256th
    // call) and retried at once (delay 0): its second attempt runs while the
    // loop still does.
    const end = Date.now() + 10000;
    for (let i = 0; i < 512 || Atomics.load(counters, 2) < 2; i++) {
      if (Date.now() > end) throw new Error(`the retry did not run during ${i} run() calls`);
      pending.push(pool.run({ key: 3, v: i }, { name: 'counted' }));
    }
    inLoop = false;
    assert.deepStrictEqual(retries, [], 'no taskRetry listener ran inside the loop');
    assert.strictEqual(await flaky, 2);
    assert.deepStrictEqual(retries, [{ attempt: 1, inLoop: false }]);
    assert.deepStrictEqual(await Promise.all(pending), Array.from({ length: pending.length }, (_, i) => i));
    assert.strictEqual(Atomics.load(counters, 2), 2, 'two attempts, no more');
  });

  it('resolves each task in the async context of its own run() call', async () => {
    const { pool, counters } = await make();
    const als = new AsyncLocalStorage();
    const n = 1000;
    const seen = new Array(n);
    const before = pool.completed;
    for (let i = 0; i < n; i++) {
      seen[i] = als.run({ i }, () => pool.run({ key: 4, v: i }, { name: 'counted' }).then((v) => [v, als.getStore()]));
      if (i === 300) waitCount(counters, 4, 256);
    }
    assert.ok(pool.completed - before >= 255, 'tasks settled inside other tasks\' run() calls');
    const out = await Promise.all(seen);
    for (let i = 0; i < n; i++) {
      assert.strictEqual(out[i][0], i);
      assert.deepStrictEqual(out[i][1], { i }, `task ${i} saw another task's store`);
    }
  });
});
