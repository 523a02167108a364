'use strict';
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const { pathToFileURL } = require('node:url');
const { Pool, fixture, poolTracker, waitFor, rejection } = require('./helpers/pool');
const { sharedCells } = require('./helpers/cells');
const { RUNTIMES } = require('./helpers/runtimes');

// counter.js cells: [0] runs, [1] order ticket, [2] gate, [3] gate waiters.
function openGate(counter) {
  counter.store(2, 1);
}

for (const runtime of RUNTIMES) {
  describe(`pool.run(task[, options]) [${runtime}]`, function () {
    const pools = poolTracker({ runtime });
    afterEach(() => pools.cleanup());

    describe('handlers', function () {
      it('calls the default export of a CommonJS file', async function () {
        const pool = pools.make({ filename: fixture('math.js'), maxThreads: 1 });
        assert.equal(await pool.run({ a: 4, b: 6 }), 10);
      });

      it('calls a named CommonJS export given by { name }', async function () {
        const pool = pools.make({ filename: fixture('math.js'), maxThreads: 1 });
        assert.equal(await pool.run({ a: 4, b: 6 }, { name: 'multiply' }), 24);
      });

      it("calls a named handler attached to a function module.exports (Piscina README's add.multiply = multiply)", async function () {
        const pool = pools.make({ filename: fixture('named-on-default.js'), maxThreads: 1 });
        assert.equal(await pool.run({ a: 4, b: 6 }), 10);
        assert.equal(await pool.run({ a: 4, b: 6 }, { name: 'multiply' }), 24);
        assert.equal(await pool.run({ a: 4, b: 6 }, { name: 'add' }), 10);
      });

      it('awaits an async CommonJS handler', async function () {
        const pool = pools.make({ filename: fixture('math.js'), maxThreads: 1 });
        assert.equal(await pool.run({ a: 1, b: 41 }, { name: 'asyncAdd' }), 42);
      });

      it('calls the async default export of an ES module', async function () {
        const pool = pools.make({ filename: fixture('esm.mjs'), maxThreads: 1 });
        assert.equal(await pool.run(7), 49);
      });

      it('calls named sync and async exports of an ES module', async function () {
        const pool = pools.make({ filename: fixture('esm.mjs'), maxThreads: 1 });
        assert.equal(await pool.run(3, { name: 'negate' }), -3);
        assert.equal(await pool.run('x', { name: 'tag' }), 'esm:x');
      });

      it('runs a per-task filename on a pool that has none', async function () {
        const pool = pools.make({ maxThreads: 1 });
        assert.equal(await pool.run({ a: 2, b: 3 }, { filename: fixture('math.js') }), 5);
        assert.equal(await pool.run(4, { filename: pathToFileURL(fixture('esm.mjs')) }), 16);
        assert.equal(await pool.run(4, { filename: pathToFileURL(fixture('esm.mjs')).href, name: 'negate' }), -4);
      });

      it('lets a per-task filename override the pool filename', async function () {
        const pool = pools.make({ filename: fixture('math.js'), maxThreads: 1 });
        assert.equal(await pool.run('same', { filename: fixture('echo.js') }), 'same');
        assert.equal(await pool.run({ a: 1, b: 1 }), 2);
      });

      it('mixes files and exports across concurrent tasks', async function () {
        const pool = pools.make({ filename: fixture('math.js'), maxThreads: 2 });
        const results = await Promise.all([
          pool.run({ a: 1, b: 2 }),
          pool.run({ a: 2, b: 3 }, { name: 'multiply' }),
          pool.run(5, { filename: fixture('esm.mjs') }),
          pool.run(5, { filename: fixture('esm.mjs'), name: 'tag' }),
          pool.run({ a: 3, b: 3 }, { name: 'asyncAdd' }),
          pool.run('e', { filename: fixture('echo.js') }),
        ]);
        assert.deepEqual(results, [3, 6, 25, 'esm:5', 6, 'e']);
      });

      it('rejects with ERR_NO_FILENAME when neither the pool nor the task names a file', async function () {
        const pool = pools.make({ minThreads: 0, maxThreads: 1 });
        const err = await rejection(pool.run(1));
        assert.equal(err.code, 'ERR_NO_FILENAME');
      });

      it('rejects with ERR_HANDLER_NOT_FOUND for a missing named export', async function () {
        const pool = pools.make({ filename: fixture('math.js'), maxThreads: 1 });
        const err = await rejection(pool.run(1, { name: 'nope' }));
        assert.equal(err.code, 'ERR_HANDLER_NOT_FOUND');
        assert.match(err.message, /nope/);
        assert.equal(await pool.run({ a: 1, b: 1 }), 2, 'the pool keeps serving');
      });

      it('rejects with ERR_HANDLER_NOT_FOUND when the file exports no function', async function () {
        const pool = pools.make({ filename: fixture('not-a-handler.js'), maxThreads: 1 });
        const err = await rejection(pool.run(1));
        assert.equal(err.code, 'ERR_HANDLER_NOT_FOUND');
      });

      it('rejects when the worker file does not exist and keeps serving', async function () {
        const pool = pools.make({ maxThreads: 1 });
        const err = await rejection(pool.run(1, { filename: fixture('does-not-exist.js') }));
        assert.ok(err instanceof Error);
        assert.equal(await pool.run('ok', { filename: fixture('echo.js') }), 'ok');
      });
    });

    describe('argument validation', function () {
      const bad = [
        ['options is a string', 'fast'],
        ['options.name is a number', { name: 5 }],
        ['options.name is empty', { name: '' }],
        ['options.filename is a number', { filename: 5 }],
        ['options.transferList is not an array', { transferList: 'x' }],
        ['options.signal is not a signal', { signal: 42 }],
        ['options.priority is a string', { priority: 'high' }],
        ['an option is unknown', { nmae: 'add' }],
      ];
      for (const [what, options] of bad) {
        it(`returns a rejected promise (no synchronous throw) when ${what}`, async function () {
          const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
          let promise;
          assert.doesNotThrow(() => { promise = pool.run(1, options); });
          assert.ok(promise instanceof Promise);
          const err = await rejection(promise);
          assert.ok(err instanceof TypeError, `${err && err.constructor.name}: ${err && err.message}`);
        });
      }

      it("suggests 'name' for the misspelled run() option 'nmae'", async function () {
        const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
        const err = await rejection(pool.run(1, { nmae: 'add' }));
        assert.match(err.message, /Did you mean 'name'\?/);
      });

      it('names the bad run() option in the message', async function () {
        const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
        assert.match((await rejection(pool.run(1, { name: 5 }))).message, /options\.name/);
        assert.match((await rejection(pool.run(1, { signal: 42 }))).message, /options\.signal/);
        assert.match((await rejection(pool.run(1, { transferList: 'x' }))).message, /options\.transferList/);
      });

      it('rejects (never throws) when reading a run option throws, and keeps serving', async function () {
        const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
        const boom = new Error('getter');
        let promise;
        assert.doesNotThrow(() => { promise = pool.run(1, { get name() { throw boom; } }); });
        assert.strictEqual(await rejection(promise), boom);
        assert.equal(await pool.run(2), 2);
      });

      it('gives each task its own options when reading one run option calls run() with others', async function () {
        const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
        let inner;
        const outer = pool.run({ a: 3, b: 4 }, {
          filename: fixture('math.js'),
          get name() {
            inner = pool.run({ a: 5, b: 6 }, { priority: 1 });
            return 'multiply';
          },
        });
        assert.equal(await outer, 12);
        assert.deepEqual(await inner, { a: 5, b: 6 });
        // Later options are read afresh: nothing of either call stays behind.
        assert.equal(await pool.run({ a: 2, b: 2 }, { filename: fixture('math.js'), name: 'multiply' }), 4);
        assert.deepEqual(await pool.run({ a: 2 }, { priority: 0 }), { a: 2 });
      });

      it('accepts null and undefined run options', async function () {
        const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
        assert.equal(await pool.run(1, null), 1);
        assert.equal(await pool.run(2, undefined), 2);
        assert.equal(await pool.run(3, { name: null, filename: null, signal: null }), 3);
      });
    });

    describe('options.signal', function () {
      it('rejects with AbortError when the signal is already aborted, and never runs the task', async function () {
        const counter = sharedCells(runtime);
        const pool = pools.make({ filename: fixture('counter.js'), workerData: { counter: counter.spec }, minThreads: 1, maxThreads: 1 });
        const ac = new AbortController();
        ac.abort();
        const err = await rejection(pool.run(1, { signal: ac.signal }));
        assert.equal(err.name, 'AbortError');
        assert.equal(err.code, 'ERR_TASK_ABORTED');
        await pool.run(2);
        assert.equal(counter.load(0), 1, 'only the second task ran');
      });

      it('removes an aborted queued task so it never runs, rejecting with AbortError / ERR_TASK_ABORTED', async function () {
        this.timeout(10000);
        const counter = sharedCells(runtime);
        const pool = pools.make({ filename: fixture('counter.js'), workerData: { counter: counter.spec }, minThreads: 1, maxThreads: 1 });
        const gated = pool.run('gate', { name: 'gate' });
        await waitFor(() => counter.load(3) === 1, 8000, 'the gate task to start');
        const ac = new AbortController();
        const queued = pool.run('aborted', { signal: ac.signal });
        const after = pool.run('after');
        ac.abort();
        const err = await rejection(queued);
        assert.equal(err.name, 'AbortError');
        assert.equal(err.code, 'ERR_TASK_ABORTED');
        openGate(counter);
        assert.equal((await gated).v, 'gate');
        const last = await after;
        assert.equal(last.v, 'after');
        assert.equal(last.order, 2, 'the task queued after the aborted one ran second');
        assert.equal(counter.load(0), 2, 'the aborted task never ran');
      });

      it('carries the abort reason as the cause', async function () {
        const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
        const ac = new AbortController();
        const reason = new Error('user left');
        ac.abort(reason);
        const err = await rejection(pool.run(1, { signal: ac.signal }));
        assert.equal(err.cause, reason);
      });

      it('rejects a running task on abort and keeps serving on a replaced worker', async function () {
        this.timeout(10000);
        const started = sharedCells(runtime, 1);
        const pool = pools.make({ filename: fixture('busy.js'), workerData: { started: started.spec }, minThreads: 1, maxThreads: 1 });
        const [original] = pool.threads;
        const destroyed = new Promise((resolve) => pool.once('workerDestroy', resolve));
        const ac = new AbortController();
        const running = pool.run(null, { signal: ac.signal });
        await waitFor(() => started.load(0) === 1, 8000, 'the busy task to start');
        ac.abort();
        const err = await rejection(running);
        assert.equal(err.name, 'AbortError');
        assert.equal(err.code, 'ERR_TASK_ABORTED');
        assert.equal(await destroyed, original, 'the busy worker was stopped');
        assert.equal(await pool.run('still here', { filename: fixture('echo.js') }), 'still here');
        assert.equal(pool.threads.length, 1);
        assert.notEqual(pool.threads[0], original, 'a new worker replaced the stopped one');
      });

      it('accepts an EventEmitter that emits abort', async function () {
        this.timeout(10000);
        const counter = sharedCells(runtime);
        const pool = pools.make({ filename: fixture('counter.js'), workerData: { counter: counter.spec }, minThreads: 1, maxThreads: 1 });
        const gated = pool.run('gate', { name: 'gate' });
        await waitFor(() => counter.load(3) === 1, 8000, 'the gate task to start');
        const ee = new EventEmitter();
        const queued = pool.run('aborted', { signal: ee });
        ee.emit('abort');
        const err = await rejection(queued);
        assert.equal(err.name, 'AbortError');
        assert.equal(err.code, 'ERR_TASK_ABORTED');
        openGate(counter);
        await gated;
        await pool.run('after');
        assert.equal(counter.load(0), 2, 'the aborted task never ran');
        assert.equal(ee.listenerCount('abort'), 0, 'the abort listener was removed');
      });

      it('removes its abort listener once the task settles', async function () {
        const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
        const ee = new EventEmitter();
        const ac = new AbortController();
        await pool.run(1, { signal: ee });
        await pool.run(2, { signal: ac.signal });
        assert.equal(ee.listenerCount('abort'), 0);
        ac.abort(); // nothing left to abort; must not throw or reject anything
      });

      it('ignores an abort after the task resolved', async function () {
        const pool = pools.make({ filename: fixture('echo.js'), maxThreads: 1 });
        const ac = new AbortController();
        assert.equal(await pool.run('done', { signal: ac.signal }), 'done');
        ac.abort();
        assert.equal(await pool.run('next'), 'next');
      });
    });

    describe('options.priority', function () {
      it('runs queued high-priority tasks before low-priority ones when the only thread is busy', async function () {
        this.timeout(10000);
        const counter = sharedCells(runtime);
        const pool = pools.make({ filename: fixture('counter.js'), workerData: { counter: counter.spec }, minThreads: 1, maxThreads: 1 });
        const gated = pool.run('gate', { name: 'gate' });
        await waitFor(() => counter.load(3) === 1, 8000, 'the gate task to start');
        const completion = [];
        const tasks = [];
        for (let i = 0; i < 4; i++) {
          for (const [label, priority] of [['low', -1], ['high', 1]]) {
            const tag = `${label}${i}`;
            tasks.push(pool.run(tag, { priority }).then((r) => {
              completion.push(tag);
              return r;
            }));
          }
        }
        openGate(counter);
        await gated;
        const results = await Promise.all(tasks);
        const highOrders = results.filter((r) => r.v.startsWith('high')).map((r) => r.order);
        const lowOrders = results.filter((r) => r.v.startsWith('low')).map((r) => r.order);
        assert.ok(Math.max(...highOrders) < Math.min(...lowOrders), `run order high ${highOrders} low ${lowOrders}`);
        assert.deepEqual(completion.slice(0, 4).map((t) => t.slice(0, -1)), ['high', 'high', 'high', 'high'], `completion ${completion}`);
        assert.deepEqual(completion.slice(0, 4), ['high0', 'high1', 'high2', 'high3'], 'FIFO within a priority');
      });

      it('keeps FIFO order among tasks of equal priority', async function () {
        this.timeout(10000);
        const counter = sharedCells(runtime);
        const pool = pools.make({ filename: fixture('counter.js'), workerData: { counter: counter.spec }, minThreads: 1, maxThreads: 1 });
        const gated = pool.run('gate', { name: 'gate' });
        await waitFor(() => counter.load(3) === 1, 8000, 'the gate task to start');
        const tasks = Array.from({ length: 10 }, (_, i) => pool.run(i));
        openGate(counter);
        await gated;
        const results = await Promise.all(tasks);
        assert.deepEqual(results.map((r) => r.order), Array.from({ length: 10 }, (_, i) => i + 2));
      });
    });
  });
}
