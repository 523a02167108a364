'use strict';
const assert = require('node:assert/strict');
const { fixture, poolTracker, waitFor, outcome, rejection, sharedCounter } = require('./helpers/pool');
const { gatedPool } = require('./helpers/gate');

const OUTCOMES = ['completed', 'failed', 'workerExited', 'cancelled', 'aborted', 'timedOut'];
const settledSum = (s) => OUTCOMES.reduce((n, k) => n + s[k], 0);

describe('pool.stats()', function () {
  this.timeout(20000);
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('counts each outcome of a known workload, and the outcomes add up to the tasks accepted', async function () {
    const g = gatedPool(pools, { maxQueue: 4 });
    const pool = g.pool;
    for (let i = 0; i < 5; i++) await Promise.all([1, 2, 3, 4].map((v) => pool.run(v)));
    await Promise.all([1, 2, 3].map(() => outcome(pool.run(null, { filename: fixture('throws.js'), name: 'custom' }))));
    // Refused before they are queued: a bad option, an aborted signal.
    assert.equal((await rejection(pool.run(6, { name: 42 }))).code, 'ERR_INVALID_ARG_TYPE');
    const pre = new AbortController();
    pre.abort();
    await rejection(pool.run(7, { signal: pre.signal }));
    // Hold the only worker, queue 3 behind it and abort 2 of those.
    const { task, started } = g.block();
    await started;
    const acs = [new AbortController(), new AbortController()];
    const queued = [pool.run(1, { signal: acs[0].signal }), pool.run(2, { signal: acs[1].signal }), pool.run(3)];
    // Queue full: maxQueue 4 takes one more, not two.
    const extra = pool.run(4);
    assert.equal((await rejection(pool.run(5))).code, 'ERR_QUEUE_FULL');
    acs.forEach((ac) => ac.abort());
    await Promise.all(queued.slice(0, 2).map(rejection));
    g.open();
    await Promise.all([task, queued[2], extra]);

    const s = pool.stats();
    assert.equal(s.completed, 20 + 1 + 1 + 1, 'the 20, the gate task, and two queued behind it');
    assert.equal(s.failed, 3);
    assert.equal(s.aborted, 2);
    assert.equal(s.workerExited, 0);
    assert.equal(s.cancelled, 0);
    assert.equal(s.timedOut, 0);
    assert.deepEqual(s.rejected, { queueFull: 1, closed: 0, invalid: 1, aborted: 1 });
    assert.equal(s.submitted, 20 + 3 + 1 + 3 + 1);
    assert.equal(settledSum(s), s.submitted, 'every accepted task settled as exactly one outcome');
    assert.equal(s.pending, 0);
    assert.equal(s.queued, 0, 'aborted tasks left in the lanes are not counted as queued');
    assert.equal(s.running, 0);
    // Only tasks that ran are timed (the two aborted ones never ran).
    assert.equal(s.runTime.count, s.completed + s.failed);
    assert.equal(s.waitTime.count, s.completed + s.failed);
    assert.ok(s.peakQueued >= 4, `peakQueued ${s.peakQueued}`);
    await pool.close();
    assert.equal((await rejection(pool.run(8))).code, 'ERR_POOL_CLOSED');
    assert.equal(pool.stats().rejected.closed, 1);
  });

  it('shows queued tasks per lane, the running one, and a busy worker whose currentTaskMs grows', async function () {
    const g = gatedPool(pools);
    const pool = g.pool;
    const { task, started } = g.block();
    await started;
    const high = pool.run('h', { priority: 1 });
    const normal = [pool.run('n1'), pool.run('n2')];
    const low = pool.run('l', { priority: -1 });
    const a = pool.stats();
    assert.equal(a.queued, 4);
    assert.deepEqual(a.queuedByLane, [1, 2, 1]);
    assert.equal(a.pending, 5);
    assert.equal(a.running, 1);
    assert.ok(a.peakQueued >= 0);
    assert.deepEqual(a.workersByState, { starting: 0, idle: 0, busy: 1, stopping: 0 });
    assert.equal(a.workers.length, 1);
    assert.equal(a.workers[0].state, 'busy');
    const first = a.workers[0].currentTaskMs;
    assert.ok(first >= 0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const b = pool.stats();
    assert.ok(b.workers[0].currentTaskMs >= first + 50, `currentTaskMs ${first} -> ${b.workers[0].currentTaskMs}`);
    assert.equal(b.queued, 4, 'still waiting behind the stuck task');
    g.open();
    await Promise.all([task, high, ...normal, low]);
    const c = pool.stats();
    assert.equal(c.queued, 0);
    assert.deepEqual(c.queuedByLane, [0, 0, 0]);
    assert.ok(c.peakQueued >= 4, `peakQueued ${c.peakQueued}`);
    assert.equal(c.workers[0].currentTaskMs, 0);
    assert.equal(c.workers[0].state, 'idle');
  });

  it('describes each worker: thread id, tasks done, heap and utilization', async function () {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 2, maxThreads: 2 });
    await waitFor(() => pool.stats().workersByState.idle === 2, 5000, 'both workers to load');
    await Promise.all(Array.from({ length: 400 }, (_, i) => pool.run(i)));
    const s = pool.stats();
    assert.equal(s.workers.length, 2);
    const threadIds = pool.threads.map((t) => t.threadId).sort();
    assert.deepEqual(s.workers.map((w) => w.threadId).sort(), threadIds);
    assert.equal(s.workers.reduce((n, w) => n + w.tasksDone, 0), 400, 'tasksDone sums to the tasks run');
    for (const w of s.workers) {
      assert.equal(typeof w.id, 'number');
      assert.ok(w.heapUsedBytes > 0, `heapUsedBytes ${w.heapUsedBytes}`);
      assert.ok(w.eventLoopUtilization >= 0 && w.eventLoopUtilization <= 1, `elu ${w.eventLoopUtilization}`);
      assert.equal(w.state, 'idle');
    }
    assert.equal(s.workersStarted, 2);
    assert.ok(s.utilization >= 0 && s.utilization <= 1);
    assert.ok(s.heapUsedBytes >= s.workers[0].heapUsedBytes);
  });

  it('counts worker exits by reason and the tasks they took with them', async function () {
    const pool = pools.make({ filename: fixture('exit.js'), minThreads: 1, maxThreads: 1 });
    assert.equal((await rejection(pool.run('exit'))).code, 'ERR_WORKER_EXITED');
    await waitFor(() => pool.stats().workerExits.crash === 1, 5000, 'the crash to be counted');
    const ac = new AbortController();
    const running = pool.run(null, { filename: fixture('busy.js'), signal: ac.signal });
    await waitFor(() => pool.stats().running === 1, 5000, 'the busy task to start');
    ac.abort();
    await rejection(running);
    await waitFor(() => pool.stats().workerExits.abort === 1, 5000, 'the aborted worker to exit');
    const s = pool.stats();
    assert.equal(s.workerExited, 1);
    assert.equal(s.aborted, 1);
    assert.equal(s.workerExits.crash, 1);
    assert.equal(s.workersStarted, 3, 'each exit was replaced (minThreads 1)');
    await pool.destroy();
    const after = pool.stats();
    assert.equal(after.workerExits.destroy, 1);
    assert.equal(after.workers.length, 0);
  });

  it('counts idle exits and tasks a forced close cancelled', async function () {
    const g = gatedPool(pools, { minThreads: 0, idleTimeout: 20 });
    await g.pool.run(1);
    await waitFor(() => g.pool.stats().workerExits.idle === 1, 5000, 'the idle worker to leave');
    const { task, started } = g.block();
    await started;
    const queued = [g.pool.run(1), g.pool.run(2)];
    const closing = g.pool.close({ force: true });
    await Promise.all(queued.map(rejection));
    g.open();
    await task;
    await closing;
    const s = g.pool.stats();
    assert.equal(s.cancelled, 2);
    assert.equal(settledSum(s), s.submitted);
  });

  it('counts timeouts, retries and recycles, and submitted counts tasks, not attempts', async function () {
    const counters = sharedCounter(8);
    const pool = pools.make({ filename: fixture('resilience.js'), workerData: { counters }, minThreads: 1, maxThreads: 1, maxTasksPerWorker: 4 });
    // Two failures, then an answer on the third attempt.
    assert.equal(await pool.run({ key: 1, failures: 2 }, { name: 'flaky', retry: { attempts: 3 } }), 3);
    // Fails every attempt: the last error is final.
    const failed = await rejection(pool.run({ key: 2, code: 'E_X' }, { name: 'failWith', retry: { attempts: 2 } }));
    assert.equal(failed.code, 'E_X');
    // Hangs past its timeout on the first attempt, answers on the second.
    assert.equal(await pool.run({ key: 3, hangs: 1 }, { name: 'hangThenAnswer', timeout: 150, retry: { attempts: 2 } }), 2);
    // Times out with no retry.
    assert.equal((await rejection(pool.run(null, { name: 'loop', timeout: 100 }))).code, 'ERR_TASK_TIMEOUT');
    await waitFor(() => pool.stats().workerExits.timeout === 2, 5000, 'both timed-out workers to exit');
    const s = pool.stats();
    assert.equal(s.submitted, 4);
    assert.equal(s.retried, 2 + 1 + 1);
    assert.equal(s.completed, 2);
    assert.equal(s.failed, 1);
    assert.equal(s.timedOut, 1);
    assert.equal(settledSum(s), s.submitted);
    assert.ok(s.recycled >= 1, `recycled ${s.recycled} (maxTasksPerWorker 4, ${Atomics.load(counters, 1) + Atomics.load(counters, 2)}+ tasks)`);
    await waitFor(() => pool.stats().workerExits.recycle === pool.stats().recycled, 5000, 'recycled workers to exit');
    assert.equal(pool.stats().runTime.count, s.submitted + s.retried, 'every attempt that ran is timed, the two stopped by a timeout too');
  });
});
