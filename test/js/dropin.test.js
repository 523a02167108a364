'use strict';
// Piscina behaviours a user switching over relies on (issue #10), each
// checked here as well as by Piscina's own suite (npm run test:piscina).
const assert = require('node:assert');
const { MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const os = require('node:os');
const { poolTracker, fixture, rejection, sharedCounter, waitFor } = require('./helpers/pool');

describe('Piscina drop-in', function () {
  this.timeout(20000);
  const pools = poolTracker();
  afterEach(() => pools.cleanup());
  const make = (options = {}) => {
    const cells = sharedCounter(16);
    const pool = pools.make({ filename: fixture('dropin.js'), workerData: { cells }, ...options });
    return { pool, cells, open: () => Atomics.store(cells, 0, 1), started: (id) => Atomics.load(cells, 1 + id) === 1 };
  };

  it('runs an abortable task alone on its worker, whatever concurrentTasksPerWorker says', async () => {
    const { pool, open, started } = make({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2 });
    const plain = pool.run(0, { name: 'gated' });
    const ac = new AbortController();
    const abortable = pool.run(1, { name: 'gated', signal: ac.signal });
    assert.strictEqual(pool.queueSize, 1, 'the abortable task waits for a whole worker');
    await waitFor(() => started(0), 5000, 'the plain task to start');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!started(1), 'the abortable task did not start beside the running one');
    open();
    assert.deepStrictEqual(await Promise.all([plain, abortable]), [0, 1]);
  });

  it('does not start plain tasks beside a running abortable one', async () => {
    const { pool, open, started } = make({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2 });
    const abortable = pool.run(0, { name: 'gated', signal: new AbortController().signal });
    await waitFor(() => started(0), 5000, 'the abortable task to start');
    const plain = pool.run(1, { name: 'gated' });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!started(1));
    open();
    assert.deepStrictEqual(await Promise.all([abortable, plain]), [0, 1]);
  });

  it('counts idleThreads as workers no pending task is placed on', async () => {
    const { pool } = make({ minThreads: 2, maxThreads: 2 });
    assert.strictEqual(pool.idleThreads, 2);
    const a = pool.run(100, { name: 'sleep' });
    assert.strictEqual(pool.idleThreads, 1);
    const b = pool.run(100, { name: 'sleep' });
    assert.strictEqual(pool.idleThreads, 0);
    await Promise.all([a, b]);
    assert.strictEqual(pool.idleThreads, 2);
    await pool.destroy();
    assert.strictEqual(pool.idleThreads, 0);
  });

  it('close({ force: true }) lets the tasks that fit the workers finish and aborts the rest', async () => {
    const { pool } = make({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2 });
    const fits = [pool.run(20, { name: 'sleep' }), pool.run(20, { name: 'sleep' })];
    const beyond = [pool.run(20, { name: 'sleep' }), pool.run(20, { name: 'sleep' })].map((t) => rejection(t));
    const closed = pool.close({ force: true });
    assert.deepStrictEqual(await Promise.all(fits), [20, 20]);
    for (const t of beyond) {
      const err = await t;
      assert.strictEqual(err.name, 'AbortError');
      assert.match(err.message, /The task has been aborted/);
    }
    await closed;
  });

  it("close() past closeTimeout says so with an 'error' (ERR_CLOSE_TIMEOUT) and ends the tasks", async () => {
    const { pool } = make({ minThreads: 1, maxThreads: 1, closeTimeout: 5 });
    const tasks = [pool.run(500, { name: 'sleep' }), pool.run(500, { name: 'sleep' })].map((t) => rejection(t));
    const errors = [];
    pool.on('error', (e) => errors.push(e));
    await new Promise(setImmediate);
    await pool.close();
    for (const t of tasks) assert.match((await t).message, /Terminating worker thread/);
    assert.strictEqual(errors.length, 1);
    assert.strictEqual(errors[0].code, 'ERR_CLOSE_TIMEOUT');
  });

  it('rejects a task holding a MessagePort it does not transfer, as postMessage does', async () => {
    const { pool } = make({ minThreads: 1, maxThreads: 1 });
    const { port1, port2 } = new MessageChannel();
    const err = await rejection(pool.run({ port: port1 }, { name: 'port' }));
    assert.strictEqual(err.code, 'ERR_DATA_CLONE');
    assert.strictEqual(await pool.run({ port: port1 }, { name: 'port', transferList: [port1] }), 'sent');
    await waitFor(() => receiveMessageOnPort(port2) !== undefined, 5000, 'the message on the port');
    port2.close();
  });

  it('reads an empty (reset) histogram the way Node and Piscina do: NaN averages, max 0', async () => {
    const { pool } = make({ minThreads: 1, maxThreads: 1 });
    await pool.run(1, { name: 'mark' });
    pool.histogram.resetRunTime();
    const h = pool.histogram.runTime;
    assert.ok(Number.isNaN(h.mean) && Number.isNaN(h.average) && Number.isNaN(h.stddev));
    assert.strictEqual(h.max, 0);
  });

  it('applies niceIncrement to each worker thread', async function () {
    if (process.platform !== 'linux') this.skip(); // per-thread nice values are Linux's
    const base = os.getPriority();
    const { pool } = make({ minThreads: 1, maxThreads: 1, niceIncrement: 5 });
    assert.strictEqual(await pool.run(null, { name: 'nice' }), Math.min(19, base + 5));
    assert.strictEqual(os.getPriority(), base, 'the main thread is untouched');
  });

  it('keeps every thread with idleTimeout: Infinity', async () => {
    const { pool } = make({ minThreads: 1, maxThreads: 2, idleTimeout: Infinity });
    await Promise.all([pool.run(50, { name: 'sleep' }), pool.run(50, { name: 'sleep' })]);
    const threads = pool.threads.map((t) => t.threadId).sort();
    assert.strictEqual(threads.length, 2);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepStrictEqual(pool.threads.map((t) => t.threadId).sort(), threads);
  });

  it('exposes maxThreads and minThreads, Symbol.dispose and Symbol.asyncDispose', async () => {
    const { pool } = make({ minThreads: 1, maxThreads: 3 });
    assert.strictEqual(pool.maxThreads, 3);
    assert.strictEqual(pool.minThreads, 1);
    assert.strictEqual(typeof pool[Symbol.dispose], 'function');
    let closed = false;
    pool.once('close', () => {
      closed = true;
    });
    pool[Symbol.dispose]();
    await waitFor(() => closed, 5000, "'close'");
  });
});
