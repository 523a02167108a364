'use strict';
const assert = require('node:assert/strict');
const { fixture, poolTracker, rejection } = require('./helpers/pool');
const { RUNTIMES } = require('./helpers/runtimes');

for (const runtime of RUNTIMES) {
  describe(`task errors [${runtime}]`, function () {
    const pools = poolTracker({ runtime });
    afterEach(() => pools.cleanup());
    const make = () => pools.make({ filename: fixture('throws.js'), minThreads: 1, maxThreads: 1 });

    it('keeps a custom Error subclass: name, constructor.name, message, stack, cause and own properties', async function () {
      const pool = make();
      const err = await rejection(pool.run(null, { name: 'custom' }));
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'ValidationError');
      assert.equal(err.constructor.name, 'ValidationError');
      assert.equal(err.message, 'bad email');
      assert.equal(typeof err.stack, 'string');
      assert.match(err.stack, /throws\.js/, 'the stack points into the worker file');
      assert.match(err.stack, /bad email/);
      assert.ok(err.cause instanceof RangeError, 'the cause keeps its class');
      assert.equal(err.cause.message, 'too short');
      assert.equal(err.field, 'email');
      assert.deepEqual(err.details, { min: 3, got: [1, 2] });
      assert.equal(err.status, 422);
    });

    it('keeps the same class for two errors of the same custom name', async function () {
      const pool = make();
      const a = await rejection(pool.run(null, { name: 'custom' }));
      const b = await rejection(pool.run(null, { name: 'asyncCustom' }));
      assert.equal(a.constructor, b.constructor);
    });

    it('keeps a custom error thrown by an async handler, with a non-Error cause', async function () {
      const pool = make();
      const err = await rejection(pool.run(null, { name: 'asyncCustom' }));
      assert.equal(err.name, 'ValidationError');
      assert.equal(err.message, 'async bad email');
      assert.equal(err.cause, 'plain cause');
      assert.equal(err.status, 422);
    });

    it('keeps a TypeError instanceof TypeError', async function () {
      const pool = make();
      const err = await rejection(pool.run(null, { name: 'typeError' }));
      assert.ok(err instanceof TypeError);
      assert.equal(err.name, 'TypeError');
      assert.match(err.stack, /throws\.js/);
    });

    for (const [what, value] of [['a number', 42], ['a string', 'just a string'], ['a plain object', { a: 1, nested: [true] }], ['null', null], ['undefined', undefined]]) {
      it(`rejects with the thrown value as is when it is ${what}`, async function () {
        const pool = make();
        const err = await rejection(pool.run(value, { name: 'value' }));
        assert.deepEqual(err, value);
      });
    }

    it('keeps serving after a task throws', async function () {
      const pool = make();
      await rejection(pool.run(null, { name: 'custom' }));
      assert.equal(await pool.run('fine', { filename: fixture('echo.js') }), 'fine');
      assert.equal(pool.threads.length, 1);
    });

    it('rejects one task with ERR_DATA_CLONE when its result is a function, and the pool carries on', async function () {
      const pool = pools.make({ filename: fixture('uncloneable.js'), minThreads: 1, maxThreads: 1 });
      const [bad, good] = await Promise.all([rejection(pool.run(null)), pool.run('carry on', { name: 'ok' })]);
      assert.equal(bad.code, 'ERR_DATA_CLONE');
      assert.equal(good, 'carry on');
      assert.equal(await pool.run(1, { name: 'ok' }), 1);
    });

    it('rejects with ERR_DATA_CLONE when the result is a symbol', async function () {
      const pool = pools.make({ filename: fixture('uncloneable.js'), minThreads: 1, maxThreads: 1 });
      const err = await rejection(pool.run(null, { name: 'symbol' }));
      assert.equal(err.code, 'ERR_DATA_CLONE');
    });

    it('rejects with ERR_DATA_CLONE (no synchronous throw) when the argument is a function', async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
      let promise;
      assert.doesNotThrow(() => { promise = pool.run(() => 1); });
      const err = await rejection(promise);
      assert.equal(err.code, 'ERR_DATA_CLONE');
      assert.equal(err.name, 'DataCloneError');
      assert.equal(await pool.run('next'), 'next');
    });

    it('rejects with ERR_DATA_CLONE when a function is nested in the argument', async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
      const err = await rejection(pool.run({ a: [1, { f() {} }] }));
      assert.equal(err.code, 'ERR_DATA_CLONE');
      assert.equal(pool.pendingCount, 0, 'the rejected task is not tracked');
    });
  });
}
