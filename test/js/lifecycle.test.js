'use strict';
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { ChildProcess } = require('node:child_process');
const { fixture, poolTracker, rejection, outcome, waitFor } = require('./helpers/pool');
const { sharedCells } = require('./helpers/cells');
const { RUNTIMES } = require('./helpers/runtimes');
const { gatedPool } = require('./helpers/gate');

for (const runtime of RUNTIMES) {
  describe(`pool.close([options]) [${runtime}]`, function () {
    const pools = poolTracker({ runtime });
    afterEach(() => pools.cleanup());

    it('waits for running and queued tasks, which resolve, before it resolves', async function () {
      this.timeout(10000);
      const pool = pools.make({ filename: fixture('sleep.js'), minThreads: 1, maxThreads: 1 });
      const order = [];
      const tasks = [50, 20, 10].map((ms) => pool.run(ms).then((v) => { order.push(v); return v; }));
      await pool.close();
      order.push('closed');
      assert.deepEqual(await Promise.all(tasks), [50, 20, 10]);
      assert.deepEqual(order, [50, 20, 10, 'closed']);
    });

    it('rejects run() with ERR_POOL_CLOSED once close() was called', async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
      const running = pool.run('before');
      const closing = pool.close();
      const err = await rejection(pool.run('after'));
      assert.equal(err.code, 'ERR_POOL_CLOSED');
      assert.equal(await running, 'before');
      await closing;
      assert.equal((await rejection(pool.run('later'))).code, 'ERR_POOL_CLOSED');
    });

    it('never kills a running task before closeTimeout: a ~300 ms task completes when close() is called at once', async function () {
      this.timeout(10000);
      const pool = pools.make({ filename: fixture('sleep.js'), minThreads: 1, maxThreads: 1, closeTimeout: 5000 });
      const task = pool.run(300);
      const closed = pool.close();
      assert.equal(await task, 300);
      await closed;
    });

    it('lets an async ~300 ms task complete when close() is called at once', async function () {
      this.timeout(10000);
      const pool = pools.make({ filename: fixture('sleep.js'), minThreads: 1, maxThreads: 1 });
      const task = pool.run(300, { name: 'async' });
      const closed = pool.close();
      assert.equal(await task, 300);
      await closed;
    });

    it('with { force: true } rejects queued tasks with ERR_POOL_CLOSED but lets running ones finish', async function () {
      this.timeout(10000);
      const g = gatedPool(pools, { closeTimeout: 8000 });
      const { task, started } = g.block();
      await started;
      const queued = [g.pool.run(1), g.pool.run(2), g.pool.run(3)].map(outcome);
      const closed = g.pool.close({ force: true });
      const results = await Promise.all(queued);
      for (const r of results) {
        assert.equal(r.ok, false);
        assert.equal(r.error.code, 'ERR_POOL_CLOSED');
      }
      g.open();
      assert.equal((await task).v, 'gate', 'the running task finished');
      await closed;
      assert.equal(g.runs(), 1, 'no queued task ran');
    });

    it('destroys what is still running once closeTimeout passes', async function () {
      this.timeout(10000);
      const started = sharedCells(runtime, 1);
      const pool = pools.make({ filename: fixture('busy.js'), workerData: { started: started.spec }, minThreads: 1, maxThreads: 1, closeTimeout: 100 });
      const task = outcome(pool.run(null));
      await waitFor(() => started.load(0) === 1, 8000, 'the busy task to start');
      await pool.close();
      const r = await task;
      assert.equal(r.ok, false);
      assert.equal(r.error.code, 'ERR_POOL_CLOSED');
    });

    it('returns the same promise when called twice', function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
      assert.equal(pool.close(), pool.close());
    });

    it('resolves at once on an idle pool', async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
      await pool.close();
      assert.equal(pool.threads.length, 0);
    });

    it('rejects (no synchronous throw) for a non-boolean force', async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
      let promise;
      assert.doesNotThrow(() => { promise = pool.close({ force: 'yes' }); });
      assert.ok((await rejection(promise)) instanceof TypeError);
    });
  });
}

for (const runtime of RUNTIMES) {
  describe(`pool.destroy() [${runtime}]`, function () {
    const pools = poolTracker({ runtime });
    afterEach(() => pools.cleanup());

    it('rejects queued tasks with ERR_POOL_CLOSED and resolves', async function () {
      this.timeout(10000);
      const g = gatedPool(pools);
      const { task, started } = g.block();
      await started;
      const queued = [g.pool.run(1), g.pool.run(2)].map(outcome);
      await g.pool.destroy();
      for (const r of await Promise.all(queued)) {
        assert.equal(r.ok, false);
        assert.equal(r.error.code, 'ERR_POOL_CLOSED');
      }
      const running = await outcome(task);
      assert.equal(running.ok, false, 'the running task was stopped');
      assert.equal(running.error.code, 'ERR_POOL_CLOSED');
      assert.equal(g.runs(), 0);
    });

    it('stops a task that never returns', async function () {
      this.timeout(10000);
      const started = sharedCells(runtime, 1);
      const pool = pools.make({ filename: fixture('busy.js'), workerData: { started: started.spec }, minThreads: 1, maxThreads: 1 });
      const task = outcome(pool.run(null));
      await waitFor(() => started.load(0) === 1, 8000, 'the busy task to start');
      await pool.destroy();
      assert.equal((await task).ok, false);
      assert.equal(pool.threads.length, 0);
    });

    it('rejects run() with ERR_POOL_CLOSED afterwards', async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
      await pool.destroy();
      assert.equal((await rejection(pool.run(1))).code, 'ERR_POOL_CLOSED');
    });

    it('can be called twice', async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
      await Promise.all([pool.destroy(), pool.destroy()]);
      await pool.destroy();
    });
  });
}

for (const runtime of RUNTIMES) {
  describe(`pool[Symbol.asyncDispose]() [${runtime}]`, function () {
    const pools = poolTracker({ runtime });
    afterEach(() => pools.cleanup());

    it('exists and closes the pool, letting running tasks finish', async function () {
      this.timeout(10000);
      assert.equal(typeof Symbol.asyncDispose, 'symbol');
      const pool = pools.make({ filename: fixture('sleep.js'), minThreads: 1, maxThreads: 1 });
      assert.equal(typeof pool[Symbol.asyncDispose], 'function');
      const task = pool.run(50);
      let closed = false;
      pool.once('close', () => { closed = true; });
      await pool[Symbol.asyncDispose]();
      assert.equal(await task, 50);
      assert.equal(closed, true);
      assert.equal((await rejection(pool.run(1))).code, 'ERR_POOL_CLOSED');
    });
  });
}

for (const runtime of RUNTIMES) {
  describe(`pool events [${runtime}]`, function () {
    const pools = poolTracker({ runtime });
    afterEach(() => pools.cleanup());

    it("emits 'workerCreate' with the Worker when a thread starts", async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
      const created = [];
      pool.on('workerCreate', (w) => created.push(w));
      await pool.run(1);
      assert.equal(created.length, 1);
      if (runtime === 'thread') assert.ok(created[0] instanceof Worker);
      else assert.ok(created[0] instanceof ChildProcess && Number.isInteger(created[0].pid), 'a child process, with its pid');
      assert.equal(pool.threads[0], created[0]);
    });

    it("emits 'workerDestroy' with the Worker when a thread ends", async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
      await pool.run(1);
      const [worker] = pool.threads;
      const destroyed = [];
      pool.on('workerDestroy', (w) => destroyed.push(w));
      await pool.destroy();
      assert.deepEqual(destroyed, [worker]);
    });

    it("emits 'close' once when the pool has closed", async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
      let count = 0;
      pool.on('close', () => count++);
      await pool.run(1);
      await pool.close();
      await pool.destroy();
      assert.equal(count, 1);
    });

    it("emits 'message' for what a worker posts with parentPort.postMessage (process.send in a child)", async function () {
      const pool = pools.make({ filename: fixture('message.js'), minThreads: 1, maxThreads: 1 });
      const message = new Promise((resolve) => pool.once('message', resolve));
      assert.equal(await pool.run(5), 'posted');
      assert.deepEqual(await message, { from: 'worker', v: 5 });
    });

    it("emits 'message' posted by a timer the handler left behind, while the worker is idle", async function () {
      this.timeout(5000);
      const pool = pools.make({ filename: fixture('later.js'), minThreads: 1, maxThreads: 1 });
      const message = new Promise((resolve) => pool.once('message', resolve));
      assert.equal(await pool.run(20), 'returned');
      assert.deepEqual(await message, { later: 20 });
    });

    it("emits 'error' for an uncaught exception in a worker, and replaces the worker", async function () {
      this.timeout(5000);
      const pool = pools.make({ filename: fixture('throws.js'), minThreads: 1, maxThreads: 1 });
      const error = new Promise((resolve) => pool.once('error', resolve));
      assert.equal(await pool.run(null, { name: 'uncaught' }), 'scheduled');
      const err = await error;
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'uncaught in worker');
      assert.equal(await pool.run('ok', { filename: fixture('echo.js') }), 'ok');
    });
  });
}
