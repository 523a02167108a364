'use strict';
// One producer and consumer processes started by the nativepool-worker CLI on
// one real redis-server: throughput with exactly-once settling, a consumer
// killed with SIGKILL mid-job (BullMQ's stalled-job check hands its jobs to
// the other), a consumer drained by SIGTERM, and a crash retried per `retry`.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { fixture } = require('./helpers/pool');
const { startRedis, startConsumer, waitUntil, CLI, ROOT } = require('./helpers/redis');
const { RemotePool } = require(path.join(ROOT, 'lib', 'bullmq'));

const REMOTE = fixture('remote.js');
// Short locks so a killed consumer's jobs are recovered within ~1-2 s.
const FAST_STALL = ['--lock-duration', '1000', '--stalled-interval', '500'];

describe('nativepool/bullmq across processes (nativepool-worker)', function () {
  this.timeout(60000);
  let redis;
  let n = 0;
  let live = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    if (redis) await redis.destroy();
  });
  afterEach(async () => {
    for (const close of live.splice(0).reverse()) await close();
  });

  const queueName = () => `c${process.pid}-${++n}`;
  function producer(queue) {
    const remote = new RemotePool({ queue, connection: redis.socket });
    live.push(() => remote.destroy());
    return remote;
  }
  async function consumer(queue, args = [], threads = 2) {
    const c = await startConsumer({ queue, socket: redis.socket, filename: REMOTE, threads, args });
    live.push(async () => {
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      await c.exited;
    });
    return c;
  }
  /** Runs every task, counting how often each promise settles; resolves with the outcomes. */
  function settleAll(promises) {
    const settled = new Array(promises.length).fill(0);
    const outcomes = new Array(promises.length);
    return Promise.all(
      promises.map((p, i) =>
        p.then(
          (value) => { settled[i]++; outcomes[i] = { ok: true, value }; },
          (error) => { settled[i]++; outcomes[i] = { ok: false, error }; },
        ),
      ),
    ).then(() => ({ settled, outcomes }));
  }
  const logLines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [])
    .map((line) => line.split(' ').map(Number));

  it("prints exactly 'nativepool-worker ready queue=<name> threads=<n>' when consuming", async () => {
    const queue = queueName();
    const c = await consumer(queue, [], 3);
    assert.equal(c.line, `nativepool-worker ready queue=${queue} threads=3`);
    const remote = producer(queue);
    assert.deepStrictEqual(await remote.run(5, { name: 'whoami' }), { x: 5, pid: c.pid });
    assert.equal(c.stdoutAfter(), '');
  });

  it('exits 2 naming the problem for a missing or bad flag', () => {
    for (const [args, re] of [
      [['--queue', 'q', '--filename', REMOTE], /--redis is required/],
      [['--queue', 'q', '--redis', redis.socket, '--filename', REMOTE, '--threads', 'two'], /--threads expects an integer >= 1/],
      [['--queue', 'q', '--redis', redis.socket, '--filename', REMOTE, '--runtime', 'fiber'], /--runtime expects thread or process/],
      [['--queue', 'q', '--redis', redis.socket, '--filename', REMOTE, '--thread', '2'], /Unknown option '--thread'/],
    ]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 10000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    }
  });

  it('settles 10,000 tiny jobs on two consumers exactly once each, with the right values', async () => {
    const queue = queueName();
    const [a, b] = await Promise.all([consumer(queue), consumer(queue)]);
    const remote = producer(queue);
    const N = 10000;
    const tasks = Array.from({ length: N }, (_, i) => remote.run(i, { name: 'whoami' }));
    const { settled, outcomes } = await settleAll(tasks);
    assert.ok(settled.every((c) => c === 1));
    const byPid = new Map();
    outcomes.forEach((o, i) => {
      assert.ok(o.ok, o.error && o.error.stack);
      assert.equal(o.value.x, i);
      byPid.set(o.value.pid, (byPid.get(o.value.pid) || 0) + 1);
    });
    assert.deepStrictEqual([...byPid.keys()].sort(), [a.pid, b.pid].sort(), 'both consumers took jobs');
    assert.equal(remote.completed, N);
    assert.equal(remote.pendingCount, 0);
    assert.equal(remote.queueSize, 0);
    assert.equal((await remote.queue.getJobCounts('completed')).completed, N);
  });

  it('completes the jobs of a consumer killed with SIGKILL mid-job on the other, settling each once', async () => {
    const queue = queueName();
    const [a, b] = await Promise.all([consumer(queue, FAST_STALL), consumer(queue, FAST_STALL)]);
    const remote = producer(queue);
    const log = path.join(redis.dir, `${queue}.log`);
    const N = 40;
    const all = settleAll(Array.from({ length: N }, (_, x) => remote.run({ x, ms: 150, log }, { name: 'slow' })));
    await waitUntil(() => logLines(log).some(([, pid]) => pid === a.pid), 10000, 'consumer A to start a job');
    a.child.kill('SIGKILL');
    const startedOnA = new Set(logLines(log).filter(([, pid]) => pid === a.pid).map(([x]) => x));
    const { settled, outcomes } = await all;
    assert.ok(settled.every((c) => c === 1));
    outcomes.forEach((o, x) => {
      assert.ok(o.ok, o.error && o.error.stack);
      assert.equal(o.value.x, x);
    });
    // Jobs A started but never finished ran again, on B (at-least-once execution).
    const rerun = outcomes.map((o) => o.value).filter((v) => startedOnA.has(v.x) && v.pid === b.pid);
    assert.ok(rerun.length >= 1, 'at least one of the killed consumer’s jobs completed on the other');
    assert.ok(outcomes.every((o) => o.value.pid === a.pid || o.value.pid === b.pid));
    assert.equal((await a.exited).signal, 'SIGKILL');
  });

  it('drains a consumer on SIGTERM: its active jobs finish there, none runs twice, it exits 0', async () => {
    const queue = queueName();
    const [a, b] = await Promise.all([consumer(queue), consumer(queue)]);
    const remote = producer(queue);
    const log = path.join(redis.dir, `${queue}.log`);
    const N = 30;
    const all = settleAll(Array.from({ length: N }, (_, x) => remote.run({ x, ms: 200, log }, { name: 'slow' })));
    await waitUntil(() => logLines(log).some(([, pid]) => pid === a.pid), 10000, 'consumer A to start a job');
    a.child.kill('SIGTERM');
    const { settled, outcomes } = await all;
    assert.equal((await a.exited).code, 0, a.stderr());
    assert.ok(settled.every((c) => c === 1));
    const runs = logLines(log);
    assert.equal(runs.length, N, 'each job ran exactly once');
    const ranOn = new Map(runs.map(([x, pid]) => [x, pid]));
    outcomes.forEach((o, x) => {
      assert.ok(o.ok, o.error && o.error.stack);
      assert.equal(o.value.pid, ranOn.get(x), 'finished where it started');
    });
    assert.ok(outcomes.some((o) => o.value.pid === a.pid) && outcomes.some((o) => o.value.pid === b.pid));
    assert.equal(a.stdoutAfter(), '');
  });

  it('retries a job whose handler crashed its thread (ERR_WORKER_EXITED) per retry', async () => {
    const queue = queueName();
    const c = await consumer(queue);
    const remote = producer(queue);
    const marker = path.join(redis.dir, `${queue}.crash`);
    assert.equal(await remote.run({ marker }, { name: 'crashOnce', retry: { attempts: 2 } }), 'second attempt');
    const err = await remote.run({ marker: `${marker}-always` }, { name: 'crashAlways' }).then(
      () => assert.fail('resolved'),
      (e) => e,
    );
    assert.equal(err.code, 'ERR_WORKER_EXITED');
    assert.equal(fs.readFileSync(`${marker}-always`, 'utf8'), 'x', 'no retry without retry');
    assert.equal(c.child.exitCode, null, 'the consumer process keeps serving');
  });
});
