'use strict';
// pool.runMany() and pool.map(): order, fail-fast cancellation, settle: 'all',
// aborts, backpressure and exactly-once under a worker crash. Every count is
// read from a SharedArrayBuffer the tasks write (test/fixtures/batch.js).
const assert = require('node:assert');
const { AsyncLocalStorage } = require('node:async_hooks');
const { poolTracker, fixture, waitFor, rejection } = require('./helpers/pool');

function marks(n) {
  return new Int32Array(new SharedArrayBuffer(4 * (4 + n)));
}

function batchPool(pools, n, options = {}) {
  const m = marks(n);
  const pool = pools.make({ filename: fixture('batch.js'), workerData: { marks: m }, minThreads: 2, maxThreads: 2, ...options });
  return {
    pool,
    starts: (i) => Atomics.load(m, 4 + i),
    totalStarts: () => {
      let s = 0;
      for (let i = 0; i < n; i++) s += Atomics.load(m, 4 + i);
      return s;
    },
    peak: () => Atomics.load(m, 1),
    atGate: (k = 1) => waitFor(() => Atomics.load(m, 3) >= k, 10000, `${k} task(s) at the gate`),
    open() {
      Atomics.store(m, 2, 1);
      Atomics.notify(m, 2);
    },
  };
}

const range = (n, f = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

describe('pool.runMany()', function () {
  this.timeout(30000);
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('resolves with every result in input order, each task run exactly once', async () => {
    const n = 5000;
    const b = batchPool(pools, n);
    const out = await b.pool.runMany(range(n));
    assert.deepStrictEqual(out, range(n, (i) => i * 2));
    for (let i = 0; i < n; i++) assert.strictEqual(b.starts(i), 1, `task ${i} started once`);
    assert.strictEqual(b.pool.pendingCount, 0);
  });

  it('takes any iterable and resolves an empty one with []', async () => {
    const b = batchPool(pools, 4);
    assert.deepStrictEqual(await b.pool.runMany(new Set([1, 2, 3])), [2, 4, 6]);
    assert.deepStrictEqual(await b.pool.runMany([]), []);
  });

  it('carries objects both ways like structuredClone', async () => {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 2 });
    const values = [{ a: 1, tag: 'x' }, [1, 'two', null], new Map([[1, { d: new Date(5) }]]), -0, 2n ** 70n, 'é✓', undefined];
    const out = await pool.runMany(values);
    assert.deepStrictEqual(out, values.map((v) => structuredClone(v)));
    assert.ok(Object.is(out[3], -0));
  });

  it('fails fast: rejects with the first error and cancels what is still queued, which never runs', async () => {
    const n = 3000;
    const b = batchPool(pools, n, { minThreads: 1, maxThreads: 1 });
    const err = await rejection(b.pool.runMany(range(n, (i) => ({ i, bad: 3 })), { name: 'failAt' }));
    assert.ok(err instanceof RangeError, 'the task error keeps its class');
    assert.strictEqual(err.message, 'bad 3');
    const atReject = b.totalStarts();
    await waitFor(() => b.pool.pendingCount === 0, 10000, 'the cancelled tasks to leave the pool');
    const after = b.totalStarts();
    assert.ok(after <= atReject + 1, `no task started after the rejection but the one running (${atReject} -> ${after})`);
    assert.ok(after < n, `queued tasks were cancelled (${after} of ${n} ran)`);
    for (let i = 0; i < n; i++) assert.ok(b.starts(i) <= 1, `task ${i} ran at most once`);
    assert.deepStrictEqual(await b.pool.runMany([1, 2]), [2, 4], 'the pool runs the next batch');
  });

  it("settle: 'all' resolves with Promise.allSettled-shaped entries", async () => {
    const b = batchPool(pools, 10);
    const out = await b.pool.runMany(range(10, (i) => ({ i, bad: i % 4 === 1 ? i : -1 })), { name: 'failAt', settle: 'all' });
    assert.strictEqual(out.length, 10);
    out.forEach((entry, i) => {
      if (i % 4 === 1) {
        assert.strictEqual(entry.status, 'rejected');
        assert.ok(entry.reason instanceof RangeError);
        assert.strictEqual(entry.reason.message, `bad ${i}`);
      } else {
        assert.deepStrictEqual(entry, { status: 'fulfilled', value: i });
      }
    });
    for (let i = 0; i < 10; i++) assert.strictEqual(b.starts(i), 1);
  });

  it('rejects only the task whose value cannot be cloned (settle: all) or the batch (fail-fast)', async () => {
    const b = batchPool(pools, 4);
    const out = await b.pool.runMany([1, () => {}, 3], { settle: 'all' });
    assert.deepStrictEqual(out[0], { status: 'fulfilled', value: 2 });
    assert.strictEqual(out[1].status, 'rejected');
    assert.strictEqual(out[1].reason.name, 'DataCloneError');
    assert.deepStrictEqual(out[2], { status: 'fulfilled', value: 6 });
    const err = await rejection(b.pool.runMany([1, Symbol('no'), 3]));
    assert.strictEqual(err.name, 'DataCloneError');
  });

  it('an abort mid-batch rejects with AbortError; tasks not started never run', async () => {
    const n = 200;
    const b = batchPool(pools, n, { minThreads: 1, maxThreads: 1 });
    const ac = new AbortController();
    const p = b.pool.runMany(range(n), { name: 'gate', signal: ac.signal });
    await b.atGate(1);
    ac.abort('enough');
    const err = await rejection(p);
    assert.strictEqual(err.code, 'ERR_TASK_ABORTED');
    assert.strictEqual(err.cause, 'enough');
    b.open();
    await waitFor(() => b.pool.pendingCount === 0, 10000, 'the batch to leave the pool');
    assert.strictEqual(b.starts(0), 1);
    for (let i = 1; i < n; i++) assert.strictEqual(b.starts(i), 0, `task ${i} never ran`);
    assert.deepStrictEqual(await b.pool.runMany([5]), [10], 'a replacement worker serves the next batch');
  });

  it('rejects at once with an already aborted signal, running nothing', async () => {
    const b = batchPool(pools, 3);
    const err = await rejection(b.pool.runMany([0, 1, 2], { signal: AbortSignal.abort() }));
    assert.strictEqual(err.code, 'ERR_TASK_ABORTED');
    assert.strictEqual(b.totalStarts(), 0);
  });

  it('settles every task exactly once when a worker crashes mid-batch; none runs twice, none is lost', async () => {
    const n = 400;
    const b = batchPool(pools, n);
    const out = await b.pool.runMany(range(n, (i) => ({ i, bad: 150 })), { name: 'crashAt', settle: 'all' });
    assert.strictEqual(out.length, n);
    assert.strictEqual(out[150].status, 'rejected');
    assert.strictEqual(out[150].reason.code, 'ERR_WORKER_EXITED');
    // Tiny tasks travel in chunks: the ones the dead worker had finished in
    // its chunk lost their results with it (a contiguous run just before
    // 150); the ones it had not started ran elsewhere.
    const lost = [];
    for (let i = 0; i < n; i++) {
      assert.strictEqual(b.starts(i), 1, `task ${i} started exactly once`);
      if (out[i].status === 'fulfilled') assert.strictEqual(out[i].value, i);
      else {
        assert.strictEqual(out[i].reason.code, 'ERR_WORKER_EXITED', `task ${i}`);
        lost.push(i);
      }
    }
    assert.strictEqual(lost[lost.length - 1], 150);
    assert.deepStrictEqual(lost, range(lost.length, (k) => 151 - lost.length + k), 'the lost ones are the crashed chunk up to 150');
    assert.ok(lost.length <= 256, 'at most a chunk');
    assert.strictEqual(b.pool.pendingCount, 0);
  });

  it('rejects only the crashed task of a batch too small to be chunked', async () => {
    const n = 40;
    const b = batchPool(pools, n);
    const out = await b.pool.runMany(range(n, (i) => ({ i, bad: 15 })), { name: 'crashAt', settle: 'all' });
    for (let i = 0; i < n; i++) {
      assert.strictEqual(b.starts(i), 1, `task ${i} started exactly once`);
      if (i === 15) assert.strictEqual(out[i].reason.code, 'ERR_WORKER_EXITED');
      else assert.deepStrictEqual(out[i], { status: 'fulfilled', value: i });
    }
  });

  it('applies name, priority and timeout to each task', async () => {
    const b = batchPool(pools, 8, { minThreads: 1, maxThreads: 1 });
    const out = await b.pool.runMany(range(4, (i) => ({ i, ms: 1 })), { name: 'later', priority: 1, timeout: 5000 });
    assert.deepStrictEqual(out, [0, 1, 2, 3]);
    const err = await rejection(b.pool.runMany([{ i: 5, ms: 5000 }], { name: 'later', timeout: 50 }));
    assert.strictEqual(err.code, 'ERR_TASK_TIMEOUT');
  });

  it('rejects bad arguments with errors naming them', async () => {
    const b = batchPool(pools, 1);
    const e1 = await rejection(b.pool.runMany(42));
    assert.ok(e1 instanceof TypeError);
    assert.match(e1.message, /tasks/);
    const e2 = await rejection(b.pool.runMany([1], { settle: 'some' }));
    assert.match(e2.message, /options\.settle/);
    const e3 = await rejection(b.pool.runMany([1], { nmae: 'x' }));
    assert.match(e3.message, /nmae/);
    await b.pool.close();
    assert.strictEqual((await rejection(b.pool.runMany([1]))).code, 'ERR_POOL_CLOSED');
  });

  it('rejects what has not settled with ERR_POOL_CLOSED when the pool is destroyed', async () => {
    const b = batchPool(pools, 50, { minThreads: 1, maxThreads: 1 });
    const p = b.pool.runMany(range(50), { name: 'gate', settle: 'all' });
    await b.atGate(1);
    const destroyed = b.pool.destroy();
    b.open();
    const out = await p;
    await destroyed;
    assert.strictEqual(out.length, 50);
    assert.ok(out.every((e) => e.status === 'rejected' && e.reason.code === 'ERR_POOL_CLOSED'));
  });
});

describe('pool.map()', function () {
  this.timeout(30000);
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  function* counting(n, state) {
    try {
      for (let i = 0; i < n; i++) {
        state.pulled = i + 1;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }

  it('yields results in input order from a generator, each task run once', async () => {
    const n = 3000;
    const b = batchPool(pools, n);
    const got = [];
    for await (const r of b.pool.map(counting(n, {}))) got.push(r);
    assert.deepStrictEqual(got, range(n, (i) => i * 2));
    for (let i = 0; i < n; i++) assert.strictEqual(b.starts(i), 1);
  });

  it('keeps at most `concurrency` tasks in flight and reads the source lazily', async () => {
    const n = 60;
    const b = batchPool(pools, n, { concurrentTasksPerWorker: 8 });
    const state = {};
    let i = 0;
    for await (const r of b.pool.map((function* () {
      for (const v of counting(n, state)) yield { i: v, ms: 2 };
    })(), { name: 'later', concurrency: 3 })) {
      assert.strictEqual(r, i++);
      assert.ok(state.pulled - i <= 3, `read ${state.pulled}, yielded ${i}: at most 3 ahead`);
    }
    assert.strictEqual(i, n);
    assert.ok(b.peak() <= 3, `peak in flight ${b.peak()} <= 3`);
    assert.ok(b.peak() >= 2, `tasks did run concurrently (peak ${b.peak()})`);
  });

  it('breaking out of the loop cancels what is queued and closes the source', async () => {
    const n = 2000;
    const b = batchPool(pools, n, { minThreads: 1, maxThreads: 1 });
    const state = {};
    let seen = 0;
    for await (const r of b.pool.map(counting(n, state), { concurrency: 64 })) {
      assert.strictEqual(r, seen * 2);
      if (++seen === 5) break;
    }
    assert.strictEqual(state.closed, true, "the generator's finally ran");
    await waitFor(() => b.pool.pendingCount === 0, 10000, 'the queued tasks to be cancelled');
    assert.ok(b.totalStarts() <= 5 + 64, `at most the window ran (${b.totalStarts()})`);
    assert.ok(state.pulled <= 5 + 64, `the source was read at most a window ahead (${state.pulled})`);
  });

  it('takes an async iterable', async () => {
    const b = batchPool(pools, 20);
    async function* slow() {
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        yield i;
      }
    }
    const got = [];
    for await (const r of b.pool.map(slow(), { concurrency: 4 })) got.push(r);
    assert.deepStrictEqual(got, range(20, (i) => i * 2));
  });

  it('throws the first error at its position, after the results before it', async () => {
    const b = batchPool(pools, 100);
    const got = [];
    const err = await rejection((async () => {
      for await (const r of b.pool.map(range(100, (i) => ({ i, bad: 40 })), { name: 'failAt', concurrency: 16 })) got.push(r);
    })());
    assert.ok(err instanceof RangeError);
    assert.deepStrictEqual(got, range(40));
    await waitFor(() => b.pool.pendingCount === 0, 10000, 'the rest to be cancelled');
    for (let i = 0; i < 100; i++) assert.ok(b.starts(i) <= 1);
  });

  it("settle: 'all' yields Promise.allSettled-shaped entries", async () => {
    const b = batchPool(pools, 6);
    const got = [];
    for await (const e of b.pool.map(range(6, (i) => ({ i, bad: 2 })), { name: 'failAt', settle: 'all' })) got.push(e);
    assert.strictEqual(got[2].status, 'rejected');
    assert.strictEqual(got[2].reason.message, 'bad 2');
    assert.deepStrictEqual(got.filter((e, i) => i !== 2), [0, 1, 3, 4, 5].map((value) => ({ status: 'fulfilled', value })));
  });

  it('an abort rejects the waiting next() with AbortError', async () => {
    const b = batchPool(pools, 50, { minThreads: 1, maxThreads: 1 });
    const ac = new AbortController();
    const it = b.pool.map(range(50), { name: 'gate', signal: ac.signal });
    const first = it.next();
    await b.atGate(1);
    ac.abort();
    assert.strictEqual((await rejection(first)).code, 'ERR_TASK_ABORTED');
    b.open();
    await waitFor(() => b.pool.pendingCount === 0, 10000, 'the batch to leave the pool');
    for (let i = 1; i < 50; i++) assert.strictEqual(b.starts(i), 0);
  });

  it('throws a TypeError for a source that is not iterable, and bad options', () => {
    const b = batchPool(pools, 1);
    assert.throws(() => b.pool.map(5), { name: 'TypeError', message: /iterable/ });
    assert.throws(() => b.pool.map([1], { concurrency: 0 }), { name: 'RangeError', message: /options\.concurrency/ });
  });
});

describe('async context', function () {
  this.timeout(10000);
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('an AsyncLocalStorage value set around run(), runMany() and map() is seen in their continuations', async () => {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
    const als = new AsyncLocalStorage();
    const seen = await Promise.all(range(20, (i) => als.run(`ctx${i}`, () => {
      const kind = i % 3;
      if (kind === 0) return pool.run(i).then(() => als.getStore());
      if (kind === 1) return pool.runMany([i, i]).then(() => als.getStore());
      return (async () => {
        for await (const r of pool.map([i])) assert.strictEqual(r, i);
        return als.getStore();
      })();
    })));
    assert.deepStrictEqual(seen, range(20, (i) => `ctx${i}`));
  });
});

describe('README: runMany() and map()', () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  function table(heading) {
    const start = readme.indexOf(heading);
    assert.ok(start >= 0, `README has ${heading}`);
    const section = readme.slice(start, readme.indexOf('\n### ', start + heading.length));
    const out = {};
    for (const m of section.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)) out[m[1]] = m[2].trim();
    return out;
  }

  it('documents the defaults the code has', () => {
    const { RUN_MANY_WINDOW } = require('../../lib/run-many');
    const { MAP_PER_SLOT } = require('../../lib/map-job');
    const { CHUNK_MAX, CHUNK_MIN_INPUTS, CHUNK_TARGET_NS } = require('../../lib/batch-job');
    const many = table('### `pool.runMany(tasks[, options])`');
    assert.strictEqual(many.settle, "`'fail-fast'`");
    assert.strictEqual(many.concurrency, `\`${RUN_MANY_WINDOW}\``);
    const map = table('### `pool.map(iterable[, options])`');
    assert.strictEqual(map.concurrency, `\`${MAP_PER_SLOT} × maxThreads × concurrentTasksPerWorker\``);
    assert.match(readme, new RegExp(`at most ${CHUNK_MAX} tasks`));
    assert.match(readme, new RegExp(`batches under ${CHUNK_MIN_INPUTS} tasks`));
    assert.match(readme, new RegExp(`about ${CHUNK_TARGET_NS / 1000} µs of work per chunk`));
  });
});
