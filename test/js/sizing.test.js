'use strict';
const assert = require('node:assert/strict');
const { poolTracker, waitFor, fixture } = require('./helpers/pool');
const { gatedPool } = require('./helpers/gate');

// Starts n gate tasks, each once the previous one runs, so the test is about
// sizing and not about how tasks submitted together are spread (see the
// work-conservation test in invariants.test.js).
async function blockOneByOne(g, n) {
  const blocked = [];
  for (let i = 1; i <= n; i++) {
    const b = g.block(i);
    await b.started;
    blocked.push(b);
  }
  return blocked;
}

describe('pool.threads', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('starts with minThreads workers', function () {
    assert.equal(pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 2 }).threads.length, 0);
    assert.equal(pools.make({ filename: fixture('echo.js'), minThreads: 2, maxThreads: 3 }).threads.length, 2);
  });

  it('grows toward maxThreads under load and never beyond it', async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { minThreads: 1, maxThreads: 3, idleTimeout: 100 });
    assert.equal(g.pool.threads.length, 1);
    const blocked = await blockOneByOne(g, 3);
    const extra = [g.pool.run('a'), g.pool.run('b')];
    assert.equal(g.pool.threads.length, 3);
    g.open();
    await Promise.all([...blocked.map((b) => b.task), ...extra]);
    assert.ok(g.pool.threads.length <= 3);
  });

  it('shrinks back to minThreads after idleTimeout', async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { minThreads: 1, maxThreads: 2, idleTimeout: 100 });
    const blocked = await blockOneByOne(g, 2);
    assert.equal(g.pool.threads.length, 2);
    const destroyed = new Promise((resolve) => g.pool.once('workerDestroy', resolve));
    g.open();
    await Promise.all(blocked.map((b) => b.task));
    await destroyed;
    await waitFor(() => g.pool.threads.length === 1, 8000, 'the pool to shrink to minThreads');
    assert.equal((await g.pool.run('still serving')).v, 'still serving');
  });

  it('shrinks to zero threads with minThreads 0 and grows again on demand', async function () {
    this.timeout(10000);
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 2, idleTimeout: 50 });
    assert.equal(await pool.run(1), 1);
    await waitFor(() => pool.threads.length === 0, 8000, 'the pool to shrink to zero');
    assert.equal(await pool.run(2), 2);
  });

  it('keeps extra threads while tasks keep arriving within idleTimeout', async function () {
    this.timeout(10000);
    const g = gatedPool(pools, { minThreads: 1, maxThreads: 2, idleTimeout: 60000 });
    const blocked = await blockOneByOne(g, 2);
    g.open();
    await Promise.all(blocked.map((b) => b.task));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(g.pool.threads.length, 2);
  });
});

describe('retiring idle workers', function () {
  this.timeout(10000);
  it('ends a retired worker even when a handler left a ref’d interval running in it', async () => {
    const Pool = require('../..');
    const path = require('node:path');
    const pool = new Pool({
      filename: path.join(__dirname, '..', 'fixtures', 'interval.js'),
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 10,
    });
    try {
      const exited = new Promise((resolve) => pool.once('workerDestroy', resolve));
      assert.equal(await pool.run(1), 'started');
      await exited; // would hang if the interval kept the retired thread alive
      assert.equal(pool.threads.length, 0);
    } finally {
      await pool.destroy();
    }
  });
});
