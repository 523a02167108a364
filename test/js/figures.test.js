'use strict';
const assert = require('node:assert/strict');
const { fixture, poolTracker, rejection } = require('./helpers/pool');
const { gatedPool } = require('./helpers/gate');

const PERCENTILES = ['p0_001', 'p0_01', 'p0_1', 'p1', 'p2_5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p97_5', 'p99', 'p99_9', 'p99_99', 'p99_999'];

function assertSummary(h, what) {
  assert.ok(h && typeof h === 'object', `${what} is an object`);
  for (const key of ['count', 'average', 'mean', 'stddev', 'min', 'max', ...PERCENTILES]) {
    assert.equal(typeof h[key], 'number', `${what}.${key} is a number`);
    assert.ok(Number.isFinite(h[key]) && h[key] >= 0, `${what}.${key} = ${h[key]}`);
  }
  assert.ok(h.min <= h.p50 && h.p50 <= h.p99 && h.p99 <= h.max, `${what}: min ${h.min} p50 ${h.p50} p99 ${h.p99} max ${h.max}`);
}

describe('pool.completed', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('counts settled tasks, resolved or rejected', async function () {
    const pool = pools.make({ filename: fixture('math.js'), minThreads: 1, maxThreads: 1 });
    assert.equal(pool.completed, 0);
    await Promise.all([pool.run({ a: 1, b: 1 }), pool.run({ a: 1, b: 2 }), pool.run({ a: 2, b: 2 })]);
    assert.equal(pool.completed, 3);
    await rejection(pool.run(null, { filename: fixture('throws.js'), name: 'custom' }));
    assert.equal(pool.completed, 4);
  });

  it('does not count tasks rejected before they were queued', async function () {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
    await rejection(pool.run(1, { name: 5 }));
    const ac = new AbortController();
    ac.abort();
    await rejection(pool.run(1, { signal: ac.signal }));
    assert.equal(pool.completed, 0);
  });
});

describe('pool.queueSize', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('counts tasks waiting for a thread, not running ones', async function () {
    this.timeout(10000);
    const g = gatedPool(pools);
    assert.equal(g.pool.queueSize, 0);
    const { task, started } = g.block();
    await started;
    assert.equal(g.pool.queueSize, 0);
    const queued = [g.pool.run(1), g.pool.run(2), g.pool.run(3)];
    assert.equal(g.pool.queueSize, 3);
    g.open();
    await Promise.all([task, ...queued]);
    assert.equal(g.pool.queueSize, 0);
  });
});

describe('pool.duration', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('is the milliseconds since the pool was created, and grows', async function () {
    const before = Date.now();
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
    const d1 = pool.duration;
    assert.equal(typeof d1, 'number');
    assert.ok(d1 >= 0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const d2 = pool.duration;
    assert.ok(d2 > d1);
    assert.ok(d2 >= 25 && d2 <= Date.now() - before + 5, `duration ${d2} is in ms`);
  });
});

describe('pool.utilization', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('is a number in [0, 1], above 0 once tasks ran', async function () {
    this.timeout(10000);
    const pool = pools.make({ filename: fixture('sleep.js'), minThreads: 2, maxThreads: 2 });
    const u0 = pool.utilization;
    assert.ok(u0 >= 0 && u0 <= 1, `utilization ${u0}`);
    await Promise.all([pool.run(100), pool.run(100), pool.run(100), pool.run(100)]);
    const u1 = pool.utilization;
    assert.ok(u1 > 0 && u1 <= 1, `utilization ${u1}`);
  });
});

describe('pool.histogram', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('summarizes runTime and waitTime in milliseconds with count, mean and percentiles', async function () {
    this.timeout(10000);
    const pool = pools.make({ filename: fixture('sleep.js'), minThreads: 1, maxThreads: 1 });
    await Promise.all(Array.from({ length: 5 }, () => pool.run(20)));
    const { runTime, waitTime } = pool.histogram;
    assertSummary(runTime, 'runTime');
    assertSummary(waitTime, 'waitTime');
    assert.equal(runTime.count, 5);
    assert.equal(waitTime.count, 5);
    // 20 ms sleeps: a run time far below is a unit error (seconds, or a count of 0).
    assert.ok(runTime.p50 >= 15, `runTime.p50 ${runTime.p50} ms`);
    assert.ok(runTime.min >= 15, `runTime.min ${runTime.min} ms`);
    // One thread, five 20 ms tasks queued together: the last one waited >= ~80 ms.
    assert.ok(waitTime.max >= 60, `waitTime.max ${waitTime.max} ms`);
  });

  it('exposes the deprecated runTime and waitTime aliases', async function () {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
    await pool.run(1);
    assertSummary(pool.runTime, 'pool.runTime');
    assertSummary(pool.waitTime, 'pool.waitTime');
  });

  it('resets with resetRunTime() and resetWaitTime()', async function () {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
    await pool.run(1);
    pool.histogram.resetRunTime();
    pool.histogram.resetWaitTime();
    for (const h of [pool.histogram.runTime, pool.histogram.waitTime]) {
      assert.equal(h.count, 0);
      // As Node's histograms read after reset() (and Piscina's tests expect).
      assert.ok(Number.isNaN(h.average) && Number.isNaN(h.mean) && Number.isNaN(h.stddev));
      assert.equal(h.max, 0);
    }
  });

  it('is null for runTime and waitTime with recordTiming: false', async function () {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1, recordTiming: false });
    await pool.run(1);
    assert.equal(pool.histogram.runTime, null);
    assert.equal(pool.histogram.waitTime, null);
  });
});
