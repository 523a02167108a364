'use strict';
// Redis restarts mid-run (same socket, persistence off: it comes back empty).
// Decided and documented: a pending run() whose job Redis no longer has
// rejects with ERR_REMOTE_JOB_LOST; one whose result had been written first
// resolves; nothing hangs, nothing settles twice; producer and consumer
// reconnect on their own and serve new jobs.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { fixture } = require('./helpers/pool');
const { startRedis, startConsumer, waitUntil, ROOT } = require('./helpers/redis');
const { RemotePool } = require(path.join(ROOT, 'lib', 'bullmq'));

describe('nativepool/bullmq when Redis restarts', function () {
  this.timeout(60000);
  let redis;
  let consumer;
  let remote;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    if (remote) await remote.destroy();
    if (consumer) {
      consumer.child.kill('SIGKILL');
      await consumer.exited;
    }
    if (redis) await redis.destroy();
  });

  it('settles every pending run() once (a result, or ERR_REMOTE_JOB_LOST) and serves new jobs after', async () => {
    const queue = `r${process.pid}`;
    consumer = await startConsumer({ queue, socket: redis.socket, filename: fixture('remote.js'), threads: 2 });
    remote = new RemotePool({ queue, connection: redis.socket, reconcileInterval: 500 });
    const log = path.join(redis.dir, 'restart.log');
    const N = 30;
    const settled = new Array(N).fill(0);
    const outcomes = new Array(N);
    const all = Promise.all(
      Array.from({ length: N }, (_, x) => remote.run({ x, ms: 100, log }, { name: 'slow' }).then(
        (value) => { settled[x]++; outcomes[x] = { ok: true, value }; },
        (error) => { settled[x]++; outcomes[x] = { ok: false, error }; },
      )),
    );
    const started = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').length : 0);
    await waitUntil(() => started() >= 3, 10000, 'three jobs to start');
    // A result the producer has read survives the restart; one that was only
    // written to Redis may not (the restart empties Redis before the
    // producer reads it): wait until one has been read.
    await waitUntil(() => outcomes.some((o) => o && o.ok), 10000, 'a first result');
    await redis.restart();
    await all;
    assert.ok(settled.every((c) => c === 1));
    const resolved = outcomes.filter((o) => o.ok);
    const lost = outcomes.filter((o) => !o.ok);
    for (const o of lost) assert.equal(o.error.code, 'ERR_REMOTE_JOB_LOST', o.error.stack);
    outcomes.forEach((o, x) => o.ok && assert.equal(o.value.x, x));
    assert.ok(resolved.length >= 1, 'jobs finished before the restart resolved');
    assert.ok(lost.length >= 1, 'jobs queued at the restart were lost, and said so');
    assert.equal(remote.pendingCount, 0);

    // Both sides reconnected: new jobs run.
    const after = await Promise.all([1, 2, 3].map((x) => remote.run(x, { name: 'whoami' })));
    assert.deepStrictEqual(after, [1, 2, 3].map((x) => ({ x, pid: consumer.pid })));
  });
});
