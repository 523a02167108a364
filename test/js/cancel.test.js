'use strict';
// Exact cancellation: an abort removes a queued task, skips a task a worker
// holds but has not started, stops only the worker that is running the task,
// and drops the result of a task that finished but was not yet delivered.
// Every case is put in place with a gate (shared cells: a SharedArrayBuffer
// for threads, a log file for child processes), not with timing.
const assert = require('node:assert');
const { poolTracker, rejection, waitFor } = require('./helpers/pool');
const { markedPool } = require('./helpers/marks');
const { RUNTIMES, workerId } = require('./helpers/runtimes');

for (const runtime of RUNTIMES) {
  describe(`exact cancellation [${runtime}]`, function () {
    this.timeout(20000);
    const pools = poolTracker({ runtime });
    afterEach(() => pools.cleanup());

    function destroyCounter(pool) {
      const seen = { n: 0 };
      pool.on('workerDestroy', () => seen.n++);
      return seen;
    }

    it('removes a queued task: it never runs and no worker is touched', async () => {
      const p = markedPool(pools, 8);
      const destroyed = destroyCounter(p.pool);
      const held = p.pool.run(0, { name: 'gate' });
      await p.atGate();
      const ac = new AbortController();
      const queued = p.pool.run(1, { signal: ac.signal });
      ac.abort('stop it');
      const err = await rejection(queued);
      assert.strictEqual(err.code, 'ERR_TASK_ABORTED');
      assert.strictEqual(err.name, 'AbortError');
      assert.strictEqual(err.cause, 'stop it', 'abort(reason) arrives as the cause');
      p.open();
      assert.strictEqual(await held, 0);
      assert.strictEqual(await p.pool.run(2), 2);
      assert.strictEqual(p.ran(1), 0, 'the aborted task never ran');
      assert.strictEqual(destroyed.n, 0, 'no worker was stopped');
    });

    it('skips a task its worker took in a batch but had not started: the running neighbour finishes', async () => {
      const p = markedPool(pools, 8);
      const destroyed = destroyCounter(p.pool);
      // Queued before the worker has booted, so its first take gets all three.
      const ac = new AbortController();
      const running = p.pool.run(0, { name: 'gate' });
      const batched = p.pool.run(1, { signal: ac.signal });
      const after = p.pool.run(2);
      await p.atGate();
      const threadBefore = workerId(p.pool.threads[0]);
      ac.abort();
      assert.strictEqual((await rejection(batched)).code, 'ERR_TASK_ABORTED');
      p.open();
      assert.strictEqual(await running, 0, 'the task running beside it was not killed');
      assert.strictEqual(await after, 2);
      assert.strictEqual(p.ran(1), 0, 'the aborted task never ran');
      assert.strictEqual(destroyed.n, 0);
      assert.strictEqual(await p.pool.run(0, { name: 'thread' }), threadBefore, 'same worker');
    });

    it('stops the worker running an aborted task; its unstarted batch runs on the replacement', async () => {
      const p = markedPool(pools, 8);
      const destroyed = destroyCounter(p.pool);
      const ac = new AbortController();
      const running = p.pool.run(0, { name: 'gate', signal: ac.signal });
      const batched = p.pool.run(1); // same first batch, not started
      await p.atGate();
      const queued = p.pool.run(2); // in the lanes
      ac.abort();
      assert.strictEqual((await rejection(running)).code, 'ERR_TASK_ABORTED');
      assert.strictEqual(await batched, 1, 'the unstarted task went back in line untouched');
      assert.strictEqual(await queued, 2);
      assert.strictEqual(p.ran(1), 1, 'it ran exactly once');
      await waitFor(() => destroyed.n === 1, 5000, 'the stopped worker to exit');
      assert.strictEqual(p.pool.threads.length, 1, 'replaced');
    });

    it('drops the result of a task that finished but was not delivered yet, and stops no worker', async () => {
      const p = markedPool(pools, 8);
      const destroyed = destroyCounter(p.pool);
      await p.pool.run(7); // booted
      const before = p.pool.histogram.runTime.count;
      const ac = new AbortController();
      const done = p.pool.run(1, { signal: ac.signal });
      // Hold the main thread until the worker has completed the task: its
      // result now waits in the completion queue, undelivered.
      const deadline = Date.now() + 10000;
      while (p.pool.histogram.runTime.count === before && Date.now() < deadline);
      assert.ok(p.pool.histogram.runTime.count > before, 'the task completed');
      ac.abort();
      assert.strictEqual((await rejection(done)).code, 'ERR_TASK_ABORTED', 'the abort wins');
      assert.strictEqual(await p.pool.run(2), 2);
      assert.strictEqual(destroyed.n, 0, 'no worker was stopped');
    });

    it('settles every task of an abort storm exactly once, and an aborted task never runs after its rejection', async function () {
      this.timeout(60000);
      const N = 10000;
      const p = markedPool(pools, N, { minThreads: 2, maxThreads: 2 });
      const controllers = [];
      const settled = new Int32Array(N);
      const markAtRejection = new Int32Array(N).fill(-1);
      const results = [];
      let seed = 7;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed / 0x7fffffff;
      };
      for (let i = 0; i < N; i++) {
        const ac = new AbortController();
        controllers.push(ac);
        const task = i % 50 === 0 ? p.pool.run({ id: i, ms: 2 }, { name: 'spin', signal: ac.signal }) : p.pool.run(i, { signal: ac.signal });
        results.push(task.then(
          (v) => {
            settled[i]++;
            return { ok: true, v };
          },
          (err) => {
            settled[i]++;
            markAtRejection[i] = p.ran(i);
            return { ok: false, err };
          },
        ));
        if (rand() < 0.1) ac.abort(); // while queued (or just taken)
        if (i % 100 === 0) await new Promise(setImmediate); // let some run
        if (rand() < 0.05) controllers[Math.floor(rand() * i)].abort(); // anywhere: queued, held, running, done
      }
      const outcomes = await Promise.all(results);
      await new Promise((resolve) => setTimeout(resolve, 50)); // a late run would show now
      let ok = 0;
      for (let i = 0; i < N; i++) {
        assert.strictEqual(settled[i], 1, `task ${i} settled ${settled[i]} times`);
        assert.ok(p.ran(i) <= 1, `task ${i} ran ${p.ran(i)} times`);
        const o = outcomes[i];
        if (o.ok) {
          assert.strictEqual(o.v, i);
          ok++;
        } else {
          assert.strictEqual(o.err.code, 'ERR_TASK_ABORTED', `task ${i}: ${o.err && o.err.stack}`);
          assert.ok(controllers[i].signal.aborted, `task ${i} rejected without an abort: ${o.err.code}`);
          assert.strictEqual(p.ran(i), markAtRejection[i], `aborted task ${i} ran after its rejection`);
        }
        if (!controllers[i].signal.aborted) assert.ok(o.ok, `never-aborted task ${i} failed: ${o.err && o.err.code}`);
      }
      assert.ok(ok > N / 2, 'most tasks ran');
      assert.strictEqual(await p.pool.run(1), 1, 'the pool keeps serving');
    });
  });
}
