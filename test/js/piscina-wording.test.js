'use strict';
// Piscina's own tests and its users match on some error messages: ours carry
// Piscina's wording for those, and keep our stable `code`.
const assert = require('node:assert/strict');
const { fixture, poolTracker, rejection, outcome } = require('./helpers/pool');
const { gatedPool } = require('./helpers/gate');
const { errors } = require('../../lib/errors');

describe("error messages in Piscina's words", function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it("rejects run() after close() with Piscina's AbortError text and cause, code ERR_POOL_CLOSED", async function () {
    const pool = pools.make({ filename: fixture('double.js'), minThreads: 0, maxThreads: 1 });
    const closing = pool.close();
    const err = await rejection(pool.run(1));
    assert.equal(err.code, 'ERR_POOL_CLOSED');
    assert.equal(err.message, 'The task has been aborted');
    assert.equal(err.name, 'AbortError');
    assert.equal(err.cause, 'queue is being terminated');
    await closing;
  });

  it("says 'Task queue is at limit' when maxQueue is reached, code ERR_QUEUE_FULL", async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { maxQueue: 1 });
    const { task, started } = g.block();
    await started;
    const queued = g.pool.run('queued');
    const err = await rejection(g.pool.run('one too many'));
    assert.equal(err.code, 'ERR_QUEUE_FULL');
    assert.match(err.message, /^Task queue is at limit\b/);
    assert.match(err.message, /maxQueue: 1/);
    g.open();
    await Promise.all([task, queued]);
  });

  it("says 'No task queue available and all Workers are busy' with maxQueue 0, code ERR_QUEUE_FULL", async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { maxQueue: 0 });
    const { task, started } = g.block();
    await started;
    const err = await rejection(g.pool.run('no room'));
    assert.equal(err.code, 'ERR_QUEUE_FULL');
    assert.match(err.message, /No task queue available and all Workers are busy/);
    g.open();
    await task;
  });

  it("says 'Terminating worker thread' for the running and queued tasks destroy() ends, code ERR_POOL_CLOSED", async function () {
    this.timeout(10000);
    const g = gatedPool(pools);
    const { task, started } = g.block();
    await started;
    const queued = outcome(g.pool.run('queued'));
    const running = outcome(task);
    await g.pool.destroy();
    for (const r of [await running, await queued]) {
      assert.equal(r.ok, false);
      assert.equal(r.error.code, 'ERR_POOL_CLOSED');
      assert.match(r.error.message, /^Terminating worker thread: the pool was destroyed/);
    }
  });

  it("says 'filename must be provided to run() or in options object', code ERR_NO_FILENAME", async function () {
    const pool = pools.make({ minThreads: 0, maxThreads: 1 });
    const err = await rejection(pool.run(1));
    assert.equal(err.code, 'ERR_NO_FILENAME');
    assert.match(err.message, /filename must be provided to run\(\) or in options object/);
  });

  it("gives close({ force })'s dropped tasks Piscina's AbortError text with cause 'pool is closed', code ERR_POOL_CLOSED", function () {
    const err = errors.forceClosed();
    assert.equal(err.code, 'ERR_POOL_CLOSED');
    assert.equal(err.name, 'AbortError');
    assert.equal(err.message, 'The task has been aborted');
    assert.equal(err.cause, 'pool is closed');
  });

  it("says 'Close operation timed out' for a close() that reaches closeTimeout, code ERR_CLOSE_TIMEOUT", function () {
    const err = errors.closeTimeout(5);
    assert.equal(err.code, 'ERR_CLOSE_TIMEOUT');
    assert.match(err.message, /^Close operation timed out\b/);
    assert.match(err.message, /closeTimeout: 5 ms/);
  });

  it("carries Node's 'Worker terminated due to reaching memory limit' text when resourceLimits kill a worker, code ERR_WORKER_OUT_OF_MEMORY", async function () {
    this.timeout(60000);
    const pool = pools.make({
      filename: fixture('resilience.js'), minThreads: 1, maxThreads: 1, resourceLimits: { maxOldGenerationSizeMb: 32 },
    });
    const err = await rejection(pool.run(null, { name: 'oom' }));
    assert.equal(err.code, 'ERR_WORKER_OUT_OF_MEMORY');
    assert.match(err.message, /Worker terminated due to reaching memory limit: JS heap out of memory/);
  });

  it("names the exit code as 'worker exited with code: N' and keeps it as exitCode", function () {
    const err = errors.workerExited('exit code 3', { exitCode: 3 });
    assert.equal(err.code, 'ERR_WORKER_EXITED');
    assert.match(err.message, /worker exited with code: 3/);
    assert.equal(err.exitCode, 3);
    assert.doesNotMatch(errors.workerExited().message, /code:/, 'no code is invented when none is known');
  });
});
