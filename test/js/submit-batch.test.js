'use strict';
// run()'s flat tasks are encoded by run() and handed to the core together at
// the end of the job (lib/submit-batch.js). What a caller must not be able to
// tell: order, the value each task got, how often its values were read, and
// what destroy() and stats() see right after run().
const assert = require('node:assert/strict');
const asyncHooks = require('node:async_hooks');
const { Pool, fixture, poolTracker, waitFor, rejection } = require('./helpers/pool');
const { sharedCells } = require('./helpers/cells');
const { RUNTIMES } = require('./helpers/runtimes');

for (const runtime of RUNTIMES) {
  describe(`run() with flat arguments, queued for the core [${runtime}]`, function () {
    this.timeout(20000);
    const pools = poolTracker({ runtime });
    afterEach(() => pools.cleanup());

    it('starts tasks in the order run() was called, whatever path each argument took', async () => {
      const counter = sharedCells(runtime);
      const pool = pools.make({ filename: fixture('counter.js'), workerData: { counter: counter.spec }, minThreads: 1, maxThreads: 1 });
      const gated = pool.run('gate', { name: 'gate' });
      await waitFor(() => counter.load(3) === 1, 8000, 'the gate task to start');
      // Flat arguments (queued in JS), others (submitted at once), and a task with a
      // signal (tracked: submitted at once), interleaved in one job.
      const kinds = ['flat', 'nested', 'flat', 'signal', 'flat', 'array', 'flat', 'string', 'nested', 'flat'];
      const tasks = kinds.map((kind, i) => {
        switch (kind) {
          case 'flat': return pool.run({ i });
          case 'nested': return pool.run({ i, inner: { i } });
          case 'array': return pool.run([i]);
          case 'string': return pool.run(`task ${i}`);
          default: return pool.run({ i }, { signal: new AbortController().signal });
        }
      });
      counter.store(2, 1); // open the gate
      await gated;
      const results = await Promise.all(tasks);
      assert.deepEqual(results.map((r) => r.order), kinds.map((_, i) => i + 2));
    });

    it('keeps the argument as it was when run() was called', async () => {
      const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
      const task = { n: 1, s: 'before' };
      const p = pool.run(task);
      task.n = 2;
      task.s = 'after';
      delete task.n;
      assert.deepEqual(await p, { n: 1, s: 'before' });
    });

    it('reads each value of a plain object once, flat or not', async () => {
      const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
      let reads = 0;
      const flatTask = { get x() { reads++; return 7; } };
      const nestedTask = { get x() { reads++; return { y: [1, 2] }; } };
      assert.deepEqual(await pool.run(flatTask), { x: 7 });
      assert.equal(reads, 1);
      assert.deepEqual(await pool.run(nestedTask), { x: { y: [1, 2] } });
      assert.equal(reads, 2);
    });

    it("keeps each task its values when reading one object's value runs another task", async () => {
      const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
      let inner;
      let reads = 0;
      const task = {
        first: 'a',
        get second() {
          reads++;
          inner = pool.run({ x: 1, y: 'inner', z: true });
          return 2;
        },
        third: 'c',
      };
      const outer = pool.run(task);
      assert.deepEqual(await outer, { first: 'a', second: 2, third: 'c' });
      assert.deepEqual(await inner, { x: 1, y: 'inner', z: true });
      assert.equal(reads, 1);
      assert.deepEqual(await pool.run({ k: 'after' }), { k: 'after' });
    });

    it('keeps each task its own bytes when an async_hooks init hook calls run() inside run()', async () => {
      const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
      let inner = null;
      let busy = false;
      const hook = asyncHooks.createHook({
        init(id, type) {
          if (type !== 'Piscina.Task' || busy) return;
          busy = true;
          inner = pool.run({ inner: 'yes', n: 2 });
        },
      }).enable();
      let outer;
      try {
        outer = pool.run({ outer: 'value', n: 1 });
      } finally {
        hook.disable();
      }
      assert.deepEqual(await outer, { outer: 'value', n: 1 });
      assert.deepEqual(await inner, { inner: 'yes', n: 2 });
    });

    it('sends own enumerable keys only, and leaves out a key a getter deleted before it was reached, as structuredClone does', async () => {
      const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
      const make = () => ({ get a() { delete this.b; return 1; }, b: 2, c: 'three', nested: { get x() { delete this.y; return 'x'; }, y: 1 } });
      const hidden = Object.defineProperty({ shown: 1 }, 'hidden', { value: 2, enumerable: false });
      Object.prototype.polluted = 'inherited'; // eslint-disable-line no-extend-native
      let back;
      try {
        back = await Promise.all([pool.run(make()), pool.run(hidden), pool.run({ own: 1 })]);
      } finally {
        delete Object.prototype.polluted;
      }
      assert.deepEqual(back[0], structuredClone(make()));
      assert.deepEqual(Object.keys(back[0]), ['a', 'c', 'nested']);
      assert.deepEqual(Object.keys(back[1]), ['shown']);
      assert.deepEqual(Object.keys(back[2]), ['own']);
    });

    it('encodes what the encoder recognizes by kind, not by prototype, as before', async () => {
      const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
      const date = Object.setPrototypeOf(new Date(86400000), Object.prototype);
      const buffer = Object.setPrototypeOf(new Uint8Array([1, 2, 3]).buffer, Object.prototype);
      const back = await Promise.all([pool.run(date), pool.run(buffer), pool.run(Object.create(null))]);
      assert.ok(back[0] instanceof Date);
      assert.equal(back[0].getTime(), 86400000);
      assert.deepEqual(new Uint8Array(back[1]), new Uint8Array([1, 2, 3]));
      assert.equal(Object.getPrototypeOf(back[2]), Object.prototype);
      assert.deepEqual(back[2], {});
    });

    it('delivers every task of a job larger than one hand-over (tasks and bytes), each once', async () => {
      const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 2 });
      const n = 700; // more than 256 tasks and, at ~300 bytes each, more than 64 KiB
      const pad = 'x'.repeat(300);
      const results = await Promise.all(Array.from({ length: n }, (_, i) => pool.run({ i, pad })));
      assert.deepEqual(results.map((r) => r.i), Array.from({ length: n }, (_, i) => i));
      assert.ok(results.every((r) => r.pad === pad));
      assert.equal(pool.stats().completed, n);
    });

    it('counts tasks queued in this job in stats() at once', async () => {
      const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
      const before = pool.stats().submitted;
      const all = [pool.run(1), pool.run({ a: 2 })];
      assert.equal(pool.stats().submitted - before, 2);
      await Promise.all(all);
    });

    it('rejects tasks queued in the job that destroys the pool with ERR_POOL_CLOSED, each once', async () => {
      const pool = new Pool({ filename: fixture('echo.js'), maxThreads: 1, runtime });
      let settled = 0;
      const all = Array.from({ length: 5 }, (_, i) => pool.run({ i }).finally(() => settled++));
      const destroyed = pool.destroy();
      const errs = await Promise.all(all.map(rejection));
      await destroyed;
      assert.deepEqual(errs.map((e) => e.code), Array(5).fill('ERR_POOL_CLOSED'));
      assert.equal(settled, 5);
    });
  });
}
