'use strict';
const assert = require('node:assert/strict');
const { poolTracker, rejection, waitFor } = require('./helpers/pool');
const { gatedPool } = require('./helpers/gate');

describe('options.maxQueue', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('rejects with ERR_QUEUE_FULL when maxQueue is reached', async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { maxQueue: 2 });
    const { task, started } = g.block();
    await started;
    const queued = [g.pool.run(1), g.pool.run(2)];
    let promise;
    assert.doesNotThrow(() => { promise = g.pool.run(3); });
    const err = await rejection(promise);
    assert.equal(err.code, 'ERR_QUEUE_FULL');
    g.open();
    await task;
    const results = await Promise.all(queued);
    assert.deepEqual(results.map((r) => r.v), [1, 2]);
    assert.equal(g.runs(), 3, 'the rejected task never ran');
  });

  it('accepts tasks again once the queue has room', async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { maxQueue: 1 });
    const { task, started } = g.block();
    await started;
    const first = g.pool.run('a');
    assert.equal((await rejection(g.pool.run('b'))).code, 'ERR_QUEUE_FULL');
    g.open();
    await Promise.all([task, first]);
    assert.equal((await g.pool.run('c')).v, 'c');
  });

  it("with maxQueue 'auto' queues maxThreads² tasks and rejects the next", async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { maxQueue: 'auto', minThreads: 1, maxThreads: 1 });
    const { task, started } = g.block();
    await started;
    const queued = g.pool.run('one');
    assert.equal((await rejection(g.pool.run('two'))).code, 'ERR_QUEUE_FULL');
    g.open();
    await Promise.all([task, queued]);
  });

  it('with maxQueue 0 runs tasks that a free thread takes at once', async function () {
    const g = gatedPool(pools, { maxQueue: 0 });
    assert.equal((await g.pool.run('x')).v, 'x');
  });
});

describe('pool.needsDrain', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it("is false on a new pool", function () {
    const g = gatedPool(pools, { maxQueue: 2 });
    assert.equal(g.pool.needsDrain, false);
  });

  it("becomes true with a 'needsDrain' event when the queue fills, then false with 'drain'", async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { maxQueue: 2 });
    const events = [];
    g.pool.on('needsDrain', () => events.push(['needsDrain', g.pool.needsDrain]));
    g.pool.on('drain', () => events.push(['drain', g.pool.needsDrain]));
    const { task, started } = g.block();
    await started;
    const queued = [g.pool.run(1)];
    assert.equal(g.pool.needsDrain, false, 'one queued of two');
    queued.push(g.pool.run(2));
    assert.equal(g.pool.needsDrain, true, 'the queue is full');
    assert.deepEqual(events, [['needsDrain', true]]);
    const drained = new Promise((resolve) => g.pool.once('drain', resolve));
    g.open();
    await Promise.all([task, ...queued]);
    await drained;
    assert.equal(g.pool.needsDrain, false);
    assert.deepEqual(events.slice(0, 2), [['needsDrain', true], ['drain', false]]);
  });

  it("emits 'needsDrain' once per crossing, not once per task", async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { maxQueue: 3 });
    let count = 0;
    g.pool.on('needsDrain', () => count++);
    const { task, started } = g.block();
    await started;
    const queued = [g.pool.run(1), g.pool.run(2), g.pool.run(3)];
    const rejected = [rejection(g.pool.run(4)), rejection(g.pool.run(5))];
    assert.equal(count, 1);
    g.open();
    await Promise.all([task, ...queued, ...rejected]);
    await waitFor(() => g.pool.needsDrain === false, 8000, 'needsDrain to clear');
  });

  it('with maxQueue Infinity becomes true once every thread is busy', async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { maxQueue: Infinity, minThreads: 1, maxThreads: 1 });
    const { task, started } = g.block();
    await started;
    assert.equal(g.pool.needsDrain, true);
    g.open();
    await task;
    assert.equal(g.pool.needsDrain, false);
  });
});
