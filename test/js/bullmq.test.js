'use strict';
// nativepool/bullmq with a consumer in this process (serveQueue over a local
// Pool) and a real redis-server on a unix socket: data and error fidelity,
// cancellation, priorities, retries, backpressure, lifecycle, and the results
// a producer did not hear about. test/js/bullmq-cluster.test.js runs the CLI
// consumers; bullmq-restart.test.js restarts Redis.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Pool, fixture, rejection } = require('./helpers/pool');
const { startRedis, waitUntil, ROOT } = require('./helpers/redis');
const { RemotePool, serveQueue } = require(path.join(ROOT, 'lib', 'bullmq'));
const IORedis = require('ioredis');
const os = require('node:os');
const { spawnSync } = require('node:child_process');

const REMOTE = fixture('remote.js');

describe('nativepool/bullmq', function () {
  this.timeout(30000);
  let redis;
  let live = [];
  let n = 0;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    if (redis) await redis.destroy();
  });
  afterEach(async () => {
    const all = live.splice(0).reverse();
    for (const close of all) await close();
  });

  const queueName = () => `t${process.pid}-${++n}`;
  function producer(queue, options = {}) {
    const remote = new RemotePool({ queue, connection: redis.socket, ...options });
    live.push(() => remote.destroy());
    return remote;
  }
  function consumer(queue, { threads = 2, poolOptions = {}, ...options } = {}) {
    const pool = new Pool({ filename: REMOTE, minThreads: threads, maxThreads: threads, ...poolOptions });
    const server = serveQueue({ queue, connection: redis.socket, pool, ...options });
    live.push(async () => {
      await server.close();
      await pool.destroy();
    });
    return { pool, server };
  }
  async function both(options) {
    const queue = queueName();
    const { pool, server } = consumer(queue, options);
    await server.ready();
    return { queue, pool, server, remote: producer(queue) };
  }
  const tmp = (name) => path.join(redis.dir, `${n}-${name}`);
  const counts = (remote) => remote.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');

  describe('data and errors', () => {
    it('returns BigInt, Map, Set, Date, typed arrays, Buffers and class instances as a local pool does', async () => {
      const { remote, pool } = await both();
      const value = {
        big: 2n ** 70n,
        map: new Map([[1, new Set(['a', 'b'])], ['k', { nested: [1, 2, 3] }]]),
        date: new Date(1700000000000),
        u16: new Uint16Array([1, 65535]),
        f64: new Float64Array([Math.PI, -0]),
        buf: Buffer.from('hello wire'),
        neg: -0,
        nan: NaN,
        undef: undefined,
        re: /x+/gi,
        point: new (class Point { constructor() { this.x = 1; this.y = [2]; } })(), // V8's serializer, as locally
        boxed: new Number(3),
      };
      const [remotely, locally] = await Promise.all([remote.run(value), pool.run(value)]);
      assert.deepStrictEqual(remotely, locally);
      assert.ok(Buffer.isBuffer(remotely.buf) === Buffer.isBuffer(locally.buf));
      assert.equal(remotely.big, 2n ** 70n);
      assert.ok(Object.is(remotely.f64[1], -0));
    });

    it("rejects with the handler error's class name, code, own properties and cause, as a local pool does", async () => {
      const { remote, pool } = await both();
      const [remotely, locally] = await Promise.all([
        rejection(remote.run(null, { name: 'quota' })),
        rejection(pool.run(null, { name: 'quota' })),
      ]);
      assert.ok(remotely instanceof Error);
      assert.equal(remotely.constructor.name, 'QuotaError');
      assert.equal(remotely.name, 'QuotaError');
      assert.equal(remotely.message, 'over quota');
      assert.equal(remotely.code, 'E_QUOTA');
      assert.equal(remotely.limit, 10n);
      assert.deepStrictEqual(remotely.seen, new Map([['a', new Set([1, 2])]]));
      assert.deepStrictEqual(remotely.at, new Date(0));
      assert.ok(remotely.cause instanceof RangeError);
      assert.equal(remotely.cause.message, 'limit 10');
      assert.match(remotely.stack, /remote\.js/);
      for (const key of ['name', 'message', 'code', 'limit', 'seen', 'at']) assert.deepStrictEqual(remotely[key], locally[key], key);
    });

    it('rejects with a thrown non-Error value itself', async () => {
      const { remote } = await both();
      assert.deepStrictEqual(await rejection(remote.run({ why: 'plain', n: 1n }, { name: 'throwValue' })), { why: 'plain', n: 1n });
    });

    it('rejects a SharedArrayBuffer or MessagePort task with ERR_DATA_CLONE and queues nothing', async () => {
      const { remote } = await both();
      const { port1, port2 } = new MessageChannel();
      for (const task of [new SharedArrayBuffer(8), { port: port1 }, () => 1]) {
        const err = await rejection(remote.run(task));
        assert.equal(err.code, 'ERR_DATA_CLONE');
        assert.equal(err.name, 'DataCloneError');
      }
      port1.close();
      port2.close();
      assert.equal(remote.pendingCount, 0);
      assert.deepStrictEqual(Object.values(await counts(remote)), [0, 0, 0, 0, 0, 0]);
    });

    it('fails a job whose result cannot cross Redis with ERR_DATA_CLONE, without retrying it', async () => {
      const { remote } = await both();
      const err = await rejection(remote.run(null, { name: 'shared', retry: { attempts: 3 } }));
      assert.equal(err.code, 'ERR_DATA_CLONE');
      const [job] = await remote.queue.getJobs(['failed']);
      assert.equal(job.attemptsMade, 1);
    });

    it('rejects an unknown handler name with ERR_HANDLER_NOT_FOUND, without retrying it', async () => {
      const { remote } = await both();
      const err = await rejection(remote.run(1, { name: 'nope', retry: { attempts: 5 } }));
      assert.equal(err.code, 'ERR_HANDLER_NOT_FOUND');
      assert.equal(err.name, 'TypeError');
      const [job] = await remote.queue.getJobs(['failed']);
      assert.equal(job.attemptsMade, 1);
    });
  });

  describe('cancellation', () => {
    it('aborting a queued job rejects with ERR_TASK_ABORTED, removes it from Redis, and it never runs', async () => {
      const queue = queueName();
      const remote = producer(queue);
      const ran = tmp('ran');
      const ac = new AbortController();
      const p = remote.run({ ran }, { name: 'mark', signal: ac.signal });
      await waitUntil(async () => (await counts(remote)).prioritized === 1, 5000, 'the job to be queued');
      ac.abort(new Error('user gave up'));
      const err = await rejection(p);
      assert.equal(err.code, 'ERR_TASK_ABORTED');
      assert.equal(err.cause.message, 'user gave up');
      await waitUntil(async () => (await counts(remote)).prioritized === 0, 5000, 'the job to be removed');
      const { server } = consumer(queue);
      await server.ready();
      assert.equal(await remote.run(7), 7); // the consumer is serving, and the aborted job was not there
      assert.equal(fs.existsSync(ran), false);
      assert.equal(remote.pendingCount, 0);
    });

    it('aborting a running job rejects at once and stops its thread on the consumer', async () => {
      const { remote, pool } = await both({ threads: 1 });
      const started = tmp('started');
      const ac = new AbortController();
      const p = remote.run({ started, ms: 60000 }, { name: 'block', signal: ac.signal });
      await waitUntil(() => fs.existsSync(started), 10000, 'the job to start');
      ac.abort();
      assert.equal((await rejection(p)).code, 'ERR_TASK_ABORTED');
      // The consumer aborted its local task: the job fails with the abort long before the 60 s block ends.
      await waitUntil(async () => (await counts(remote)).failed === 1, 10000, 'the consumer to abort the job');
      const [job] = await remote.queue.getJobs(['failed']);
      assert.match(job.failedReason, /^AbortError: The task has been aborted/);
      assert.equal(job.attemptsMade, 1);
      assert.equal(await remote.run('after', { name: 'echo' }), 'after'); // its one thread was replaced
      assert.equal(pool.options.maxThreads, 1);
    });

    it('rejects at once, queueing nothing, when the signal is already aborted', async () => {
      const queue = queueName();
      const remote = producer(queue);
      const err = await rejection(remote.run(1, { signal: AbortSignal.abort() }));
      assert.equal(err.code, 'ERR_TASK_ABORTED');
      assert.equal(remote.pendingCount, 0);
      assert.equal((await counts(remote)).prioritized, 0);
    });
  });

  describe('scheduling', () => {
    it('runs higher priorities first, as a local pool does (BullMQ priority 1048576 - p)', async () => {
      const queue = queueName();
      const remote = producer(queue);
      const log = tmp('order');
      const ps = [0, 5, -5, 10, 1].map((p) => remote.run({ x: p, ms: 1, log }, { name: 'slow', priority: p }));
      await waitUntil(async () => (await counts(remote)).prioritized === 5, 5000, 'five queued jobs');
      const { server } = consumer(queue, { threads: 1 });
      await Promise.all(ps);
      assert.equal(server.concurrency, 1);
      const order = fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => Number(line.split(' ')[0]));
      assert.deepStrictEqual(order, [10, 5, 1, 0, -5]);
    });

    it('retries a handler crash (ERR_WORKER_EXITED) per retry, and succeeds on the second attempt', async () => {
      const { remote } = await both();
      const marker = tmp('crash-once');
      assert.equal(await remote.run({ marker }, { name: 'crashOnce', retry: { attempts: 2 } }), 'second attempt');
      assert.ok(fs.existsSync(marker));
    });

    it('gives up after retry.attempts with the last error, its attempts count set', async () => {
      const { remote } = await both();
      const marker = tmp('crash-always');
      const t0 = Date.now();
      const err = await rejection(remote.run({ marker }, { name: 'crashAlways', retry: { attempts: 3, delay: 100, backoff: 'exponential' } }));
      assert.equal(err.code, 'ERR_WORKER_EXITED');
      assert.equal(err.attempts, 3);
      assert.equal(fs.readFileSync(marker, 'utf8'), 'xxx');
      assert.ok(Date.now() - t0 >= 300, 'waited 100 + 200 ms between the attempts');
    });

    it('caps the backoff at retry.maxDelay', async () => {
      const { remote } = await both();
      const marker = tmp('capped');
      const t0 = Date.now();
      const err = await rejection(remote.run({ marker }, { name: 'crashAlways', retry: { attempts: 3, delay: 5000, backoff: 'exponential', maxDelay: 50 } }));
      assert.equal(err.attempts, 3);
      assert.ok(Date.now() - t0 < 4000, 'did not wait the uncapped 5 s + 10 s');
    });

    it('passes timeout to the consumer pool: a task running past it rejects with ERR_TASK_TIMEOUT', async () => {
      const { remote } = await both();
      const err = await rejection(remote.run({ started: tmp('t-started'), ms: 10000 }, { name: 'block', timeout: 200 }));
      assert.equal(err.code, 'ERR_TASK_TIMEOUT');
    });
  });

  describe('backpressure and lifecycle', () => {
    it("rejects past maxQueue with ERR_QUEUE_FULL, emitting 'needsDrain' then 'drain'", async () => {
      const queue = queueName();
      const remote = producer(queue, { maxQueue: 3 });
      const events = [];
      remote.on('needsDrain', () => events.push('needsDrain'));
      remote.on('drain', () => events.push('drain'));
      const ps = [1, 2, 3].map((x) => remote.run(x));
      assert.equal(remote.needsDrain, true);
      assert.equal((await rejection(remote.run(4))).code, 'ERR_QUEUE_FULL');
      assert.equal(remote.queueSize, 3);
      const { server } = consumer(queue);
      await server.ready();
      assert.deepStrictEqual(await Promise.all(ps), [1, 2, 3]);
      assert.deepStrictEqual(events.slice(0, 2), ['needsDrain', 'drain']);
      assert.equal(remote.needsDrain, false);
      assert.equal(remote.queueSize, 0);
      assert.equal(remote.completed, 3);
    });

    it('close() waits for pending results; run() after it rejects with ERR_POOL_CLOSED', async () => {
      const { remote } = await both();
      const ps = [1, 2, 3].map((x) => remote.run({ x, ms: 50 }, { name: 'slow' }));
      const closed = remote.close();
      assert.equal((await rejection(remote.run(4))).code, 'ERR_POOL_CLOSED');
      await closed;
      assert.deepStrictEqual((await Promise.all(ps)).map((r) => r.x), [1, 2, 3]);
    });

    it('destroy() rejects every pending run() with ERR_POOL_CLOSED', async () => {
      const queue = queueName();
      const remote = producer(queue);
      const ps = [1, 2].map((x) => rejection(remote.run(x)));
      await remote.destroy();
      for (const err of await Promise.all(ps)) assert.equal(err.code, 'ERR_POOL_CLOSED');
    });

    it('stats() reports this producer and the queue counts', async () => {
      const queue = queueName();
      const remote = producer(queue);
      const p = remote.run(1);
      await waitUntil(async () => (await counts(remote)).prioritized === 1, 5000, 'the job to be queued');
      const s = await remote.stats();
      assert.equal(s.pending, 1);
      assert.equal(s.queueSize, 1);
      assert.equal(s.counts.prioritized, 1);
      const { server } = consumer(queue);
      await server.ready();
      assert.equal(await p, 1);
    });
  });

  describe('results the producer did not hear about', () => {
    async function redisClient() {
      const client = new IORedis({ path: redis.socket });
      live.push(() => client.quit());
      return client;
    }

    it('settles from Redis a job whose completed event it missed (event stream trimmed while disconnected)', async () => {
      const queue = queueName();
      const { server } = consumer(queue);
      await server.ready();
      const remote = producer(queue, { reconcileInterval: 100 });
      assert.equal(await remote.run('heard'), 'heard');
      const client = await redisClient();
      // Drop the event readers (ioredis reconnects after ~1 s), complete a job meanwhile, trim the stream.
      const list = await client.client('LIST');
      const readers = list.split('\n').filter((l) => / name=\S+:qe /.test(l)).map((l) => /id=(\d+)/.exec(l)[1]);
      assert.ok(readers.length >= 1, list);
      for (const id of readers) await client.client('KILL', 'ID', id);
      const p = remote.run('missed');
      await waitUntil(async () => (await counts(remote)).completed === 2, 5000, 'the job to complete');
      await client.xtrim(`bull:${queue}:events`, 'MAXLEN', 0);
      assert.equal(await p, 'missed');
    });

    it('rejects with ERR_REMOTE_JOB_LOST when its queued job is removed by someone else', async () => {
      const queue = queueName();
      const remote = producer(queue);
      const p = remote.run(1);
      await waitUntil(async () => (await counts(remote)).prioritized === 1, 5000, 'the job to be queued');
      const [job] = await remote.queue.getJobs(['prioritized']);
      assert.equal(await remote.queue.remove(job.id), 1);
      const err = await rejection(p);
      assert.equal(err.code, 'ERR_REMOTE_JOB_LOST');
      assert.equal(err.jobId, job.id);
    });

    it('rejects with ERR_REMOTE_JOB_LOST when Redis forgets a queued job (FLUSHALL)', async () => {
      const queue = queueName();
      const remote = producer(queue, { reconcileInterval: 100 });
      const p = remote.run(1);
      await waitUntil(async () => (await counts(remote)).prioritized === 1, 5000, 'the job to be queued');
      const client = await redisClient();
      await client.flushall();
      assert.equal((await rejection(p)).code, 'ERR_REMOTE_JOB_LOST');
    });
  });

  describe('options', () => {
    it('throws a TypeError naming a bad RemotePool or serveQueue option', () => {
      assert.throws(() => new RemotePool({ queue: 'a:b', connection: redis.socket }), /options\.queue/);
      assert.throws(() => new RemotePool({ queue: 'q', connection: 42 }), /options\.connection/);
      assert.throws(() => new RemotePool({ queue: 'q', connection: redis.socket, maxQeue: 1 }), /Did you mean 'maxQueue'/);
      assert.throws(() => new RemotePool({ queue: 'q', connection: redis.socket, maxQueue: 0 }), RangeError);
      assert.throws(() => new RemotePool({ queue: 'q', connection: redis.socket, defaults: { retry: { attempts: 0 } } }), /defaults\.retry\.attempts/);
      assert.throws(() => serveQueue({ queue: 'q', connection: redis.socket, pool: {} }), /options\.pool/);
      const pool = new Pool({ filename: REMOTE, maxThreads: 1 });
      live.push(() => pool.destroy());
      assert.throws(() => serveQueue({ queue: 'q', connection: redis.socket, pool, concurrency: 0 }), /options\.concurrency/);
    });

    it('rejects run() with a TypeError naming a bad run option, queueing nothing', async () => {
      const remote = producer(queueName());
      const cases = [
        [{ priority: 'high' }, /options\.priority/],
        [{ timeout: -1 }, /options\.timeout/],
        [{ retry: { attempts: 2, retryOn: () => true } }, /retryOn/],
        [{ retry: { backoff: 'linear' } }, /options\.retry\.backoff/],
        [{ signal: 'x' }, /options\.signal/],
        [{ transferList: [] }, /Unknown run\(\) option 'transferList'/],
      ];
      for (const [options, re] of cases) assert.match((await rejection(remote.run(1, options))).message, re);
      assert.equal(remote.pendingCount, 0);
    });

    it("documents RemotePool's defaults and run() options in the README as the code has them", () => {
      const { DEFAULTS } = require(path.join(ROOT, 'lib', 'bullmq', 'options'));
      const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
      const table = (heading) => {
        const start = readme.indexOf(heading);
        assert.ok(start >= 0, heading);
        const section = readme.slice(start, readme.indexOf('\n### ', start + heading.length));
        return Object.fromEntries([...section.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()]));
      };
      const ctor = table('### `new RemotePool(options)`');
      for (const key of ['prefix', 'maxQueue', 'resultAge', 'reconcileInterval']) {
        const v = DEFAULTS[key];
        assert.equal(ctor[key], typeof v === 'string' ? `\`'${v}'\`` : `\`${v}\``, key);
      }
      assert.deepStrictEqual(Object.keys(table('### `remote.run(task[, options])`')).sort(), ['name', 'priority', 'retry', 'signal', 'timeout']);
    });

    it('sizes consumer concurrency to the local pool (maxThreads x concurrentTasksPerWorker) and shortens BullMQ lock times', async () => {
      const queue = queueName();
      const { server } = consumer(queue, { threads: 3, poolOptions: { concurrentTasksPerWorker: 2 } });
      await server.ready();
      assert.equal(server.concurrency, 6);
      assert.equal(server.worker.concurrency, 6);
      assert.equal(server.worker.opts.lockDuration, 10000);
      assert.equal(server.worker.opts.stalledInterval, 5000);
      const { server: tuned } = consumer(queue, { threads: 1, worker: { lockDuration: 2000, maxStalledCount: 2 } });
      await tuned.ready();
      assert.deepStrictEqual([tuned.worker.opts.lockDuration, tuned.worker.opts.stalledInterval, tuned.worker.opts.maxStalledCount], [2000, 5000, 2]);
    });
  });

  describe('package', () => {
    it('resolves nativepool/bullmq through the exports map for require and import', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nativepool-bullmq-exports-'));
      try {
        fs.mkdirSync(path.join(dir, 'node_modules'));
        fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'nativepool'), 'dir');
        fs.writeFileSync(path.join(dir, 'esm.mjs'), `
          import { RemotePool, serveQueue } from 'nativepool/bullmq';
          import remote from 'nativepool/bullmq';
          import { createRequire } from 'node:module';
          const required = createRequire(import.meta.url)('nativepool/bullmq');
          console.log(RemotePool === required.RemotePool, serveQueue === required.serveQueue, remote === required, typeof RemotePool);
        `);
        const r = spawnSync(process.execPath, [path.join(dir, 'esm.mjs')], { cwd: dir, encoding: 'utf8', timeout: 10000 });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'true true true function');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('throws ERR_MISSING_PEER_DEPENDENCY naming bullmq when it is not installed, and the Pool still loads', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nativepool-no-bullmq-'));
      try {
        fs.cpSync(path.join(ROOT, 'lib'), path.join(dir, 'lib'), { recursive: true });
        fs.cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
        fs.cpSync(path.join(ROOT, 'build', 'Release', 'nativepool.node'), path.join(dir, 'build', 'Release', 'nativepool.node'));
        const code = `
          const Pool = require('./lib');
          const { RemotePool } = require('./lib/bullmq');
          try { new RemotePool({ queue: 'q', connection: 'redis://127.0.0.1:1' }); } catch (err) { console.log(err.code, /npm install bullmq/.test(err.message), typeof Pool); }
        `;
        const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8', timeout: 10000 });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'ERR_MISSING_PEER_DEPENDENCY true function');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
