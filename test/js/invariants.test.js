'use strict';
const assert = require('node:assert/strict');
const { fixture, poolTracker, outcome } = require('./helpers/pool');
const { gatedPool } = require('./helpers/gate');
const { RUNTIMES } = require('./helpers/runtimes');

/** Wraps a promise so a second settlement (impossible for a real Promise, but not for a buggy thenable) is counted. */
function countSettles(promise, counts, i) {
  return promise.then(
    (v) => { counts[i]++; return { ok: true, value: v }; },
    (e) => { counts[i]++; return { ok: false, error: e }; },
  );
}

for (const runtime of RUNTIMES) {
  describe(`pool.run() invariants [${runtime}]`, function () {
    const pools = poolTracker({ runtime });
    afterEach(() => pools.cleanup());

    it('settles 10,000 concurrent run() calls exactly once each with the right values', async function () {
      this.timeout(60000);
      const pool = pools.make({ filename: fixture('math.js'), name: 'double', maxThreads: 2 });
      const N = 10000;
      const counts = new Uint8Array(N);
      const all = [];
      for (let i = 0; i < N; i++) all.push(countSettles(pool.run(i), counts, i));
      const results = await Promise.all(all);
      await new Promise((resolve) => setImmediate(resolve));
      let sum = 0;
      for (let i = 0; i < N; i++) {
        assert.equal(counts[i], 1, `task ${i} settled ${counts[i]} times`);
        assert.ok(results[i].ok, `task ${i} rejected: ${results[i].error}`);
        assert.equal(results[i].value, 2 * i, `task ${i}`);
        sum += results[i].value;
      }
      assert.equal(sum, N * (N - 1));
      assert.equal(pool.completed, N);
      assert.equal(pool.pendingCount, 0);
      assert.equal(pool.queueSize, 0);
    });

    it('settles 10,000 concurrent async tasks across concurrentTasksPerWorker > 1', async function () {
      this.timeout(60000);
      const pool = pools.make({ filename: fixture('math.js'), name: 'asyncAdd', maxThreads: 2, concurrentTasksPerWorker: 8 });
      const N = 10000;
      const results = await Promise.all(Array.from({ length: N }, (_, i) => pool.run({ a: i, b: 1 })));
      assert.equal(results.reduce((s, x) => s + x, 0), (N * (N - 1)) / 2 + N);
      assert.equal(pool.completed, N);
    });

    it('settles every task of a mixed burst exactly once when a worker crashes mid-burst, and keeps serving', async function () {
      this.timeout(30000);
      const pool = pools.make({ filename: fixture('exit.js'), minThreads: 2, maxThreads: 2 });
      const N = 300;
      const crashAt = new Set([60, 200]);
      const counts = new Uint8Array(N);
      const expected = [];
      const all = [];
      for (let i = 0; i < N; i++) {
        let p;
        if (crashAt.has(i)) {
          p = pool.run('exit');
          expected.push('crash');
        } else if (i % 3 === 0) {
          p = pool.run({ a: i, b: 1 }, { filename: fixture('math.js'), name: 'asyncAdd' });
          expected.push(i + 1);
        } else if (i % 3 === 1) {
          p = pool.run(i, { filename: fixture('esm.mjs') });
          expected.push(i * i);
        } else {
          p = pool.run(`v${i}`);
          expected.push(`v${i}`);
        }
        all.push(countSettles(p, counts, i));
      }
      const results = await Promise.all(all);
      await new Promise((resolve) => setImmediate(resolve));
      const wrong = [];
      for (let i = 0; i < N; i++) {
        assert.equal(counts[i], 1, `task ${i} settled ${counts[i]} times`);
        const r = results[i];
        if (expected[i] === 'crash') {
          if (r.ok || r.error.code !== 'ERR_WORKER_EXITED') wrong.push(`${i}: expected ERR_WORKER_EXITED, got ${r.ok ? r.value : r.error.code}`);
        } else if (!r.ok) {
          wrong.push(`${i}: rejected with ${r.error.code || r.error.message}`);
        } else if (r.value !== expected[i]) {
          wrong.push(`${i}: ${r.value} !== ${expected[i]}`);
        }
      }
      assert.deepEqual(wrong, [], `${wrong.length} tasks settled wrongly`);
      assert.equal(await pool.run('after'), 'after');
      assert.equal(pool.threads.length, 2, 'crashed workers were replaced');
    });

    it('runs a queued task on an idle thread while another thread is blocked (no task waits behind a running one)', async function () {
      this.timeout(10000);
      // Both tasks are queued before either new worker is ready to take one.
      const g = gatedPool(pools, { minThreads: 2, maxThreads: 2 });
      const first = g.block(1);
      const second = g.block(2);
      try {
        await second.started;
        assert.equal(g.counter.load(3), 2, 'both gate tasks run at once on the two workers');
      } finally {
        g.open();
        await Promise.all([first.task, second.task]);
      }
    });

    it('rejects only the crashing task with ERR_WORKER_EXITED when one worker serves a burst', async function () {
      this.timeout(30000);
      const pool = pools.make({ filename: fixture('exit.js'), minThreads: 1, maxThreads: 1 });
      const values = Array.from({ length: 100 }, (_, i) => (i === 10 ? 'exit' : i));
      const results = await Promise.all(values.map((v) => outcome(pool.run(v))));
      const failed = results.map((r, i) => (r.ok ? null : `${i}:${r.error.code}`)).filter(Boolean);
      assert.deepEqual(failed, ['10:ERR_WORKER_EXITED']);
      results.forEach((r, i) => {
        if (i !== 10) assert.equal(r.value, i);
      });
    });
  });
}
