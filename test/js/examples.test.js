'use strict';
// examples/express-compute and examples/cluster, started by their documented
// commands as child processes and driven over real HTTP. (The image service has
// its own file, examples-image.test.js.)
const assert = require('node:assert/strict');
const { createHash } = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const { startExample, request, get, until } = require('./helpers/service');

const sumBelow = (n) => (BigInt(n) * BigInt(n - 1)) / 2n;
const sha256Chain = (text, rounds) => {
  let d = text;
  for (let i = 0; i < rounds; i++) d = createHash('sha256').update(d).digest('hex');
  return d;
};
// Far more work than any test waits for: only an abort or a timeout ends it.
const ENDLESS = 1e15;

describe('examples/express-compute', function () {
  this.timeout(60000);

  describe('npm run example:express-compute (THREADS=2)', () => {
    let svc;
    before(async () => {
      svc = await startExample('express-compute', { env: { THREADS: '2' } });
    });
    after(() => svc && svc.kill());

    it('answers GET /health with 200 {"ok":true}', async () => {
      const r = await get(`${svc.url}/health`);
      assert.equal(r.status, 200);
      assert.deepStrictEqual(r.json(), { ok: true });
    });

    it('answers GET /compute?n=N with {"n":N,"sum":0+1+…+(N-1)}', async () => {
      for (const n of [0, 1, 2, 1000, 123457]) {
        const r = await get(`${svc.url}/compute?n=${n}`);
        assert.equal(r.status, 200, r.body);
        assert.match(r.headers.get('content-type'), /^application\/json/);
        assert.deepStrictEqual(r.json(), { n, sum: Number(sumBelow(n)) });
      }
    });

    it('writes the sum exactly when it passes 2^53', async () => {
      const n = 2 ** 27 + 3; // sum ≈ 9.0e15 > 2^53
      const r = await get(`${svc.url}/compute?n=${n}`);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.body, `{"n":${n},"sum":${sumBelow(n)}}`);
    });

    it('answers GET /hash with SHA-256 chained `rounds` times (default 1)', async () => {
      const r = await get(`${svc.url}/hash?text=${encodeURIComponent('héllo wörld')}&rounds=5`);
      assert.equal(r.status, 200, r.body);
      assert.deepStrictEqual(r.json(), { text: 'héllo wörld', rounds: 5, hash: sha256Chain('héllo wörld', 5) });
      const once = await get(`${svc.url}/hash?text=abc`);
      assert.deepStrictEqual(once.json(), { text: 'abc', rounds: 1, hash: sha256Chain('abc', 1) });
    });

    it('answers a bad parameter with 400 and a JSON message naming it', async () => {
      const cases = [
        ['/compute', 'n'], ['/compute?n=', 'n'], ['/compute?n=-1', 'n'], ['/compute?n=1.5', 'n'], ['/compute?n=abc', 'n'],
        ['/compute?n=1&n=2', 'n'], ['/compute?n=9007199254740992', 'n'],
        ['/hash', 'text'], ['/hash?text=a&rounds=0', 'rounds'], ['/hash?text=a&rounds=x', 'rounds'],
      ];
      for (const [path, name] of cases) {
        const r = await get(`${svc.url}${path}`);
        assert.equal(r.status, 400, `${path}: ${r.body}`);
        const body = r.json();
        assert.equal(body.code, 'ERR_BAD_REQUEST');
        assert.match(body.error, new RegExp(`for ${name} `), path);
      }
    });

    it('answers an unknown route with 404 JSON', async () => {
      const r = await get(`${svc.url}/nope`);
      assert.equal(r.status, 404);
      assert.equal(r.json().code, 'ERR_NOT_FOUND');
    });

    it('serves the pool figures at /stats, counting the tasks it ran', async () => {
      const before = (await get(`${svc.url}/stats`)).json();
      await Promise.all([1, 2, 3].map((n) => get(`${svc.url}/compute?n=${n}`)));
      const after = (await get(`${svc.url}/stats`)).json();
      assert.equal(after.pool.threads, 2);
      assert.equal(after.pool.completed - before.pool.completed, 3);
      assert.equal(after.pool.queueSize, 0);
      assert.ok(after.pool.utilization >= 0 && after.pool.utilization <= 1);
      assert.ok(after.pool.runTime.count >= 3 && after.pool.runTime.p99 >= after.pool.runTime.p50);
      assert.ok(after.requests.answered > before.requests.answered);
    });

    it('serves Prometheus text at /metrics, counting the tasks it ran', async () => {
      const count = (text) => Number(/^nativepool_tasks_submitted_total\{[^}]*\} (\d+)$/m.exec(text)[1]);
      const before = await get(`${svc.url}/metrics`);
      assert.equal(before.status, 200);
      assert.match(before.headers.get('content-type'), /^text\/plain/);
      await Promise.all([1, 2].map((n) => get(`${svc.url}/compute?n=${n}`)));
      const after = await get(`${svc.url}/metrics`);
      assert.equal(count(after.body) - count(before.body), 2);
      assert.match(after.body, /^# TYPE nativepool_task_run_seconds histogram$/m);
    });
  });

  describe('node examples/express-compute/server.js (THREADS=1, MAX_QUEUE=0)', () => {
    let svc;
    before(async () => {
      svc = await startExample('express-compute', { via: 'node', env: { THREADS: '1', MAX_QUEUE: '0' } });
    });
    after(() => svc && svc.kill());

    const stats = async () => (await get(`${svc.url}/stats`)).json();

    it('aborts the task of a client that disconnects, and keeps serving', async () => {
      const client = new AbortController();
      const pending = get(`${svc.url}/compute?n=${ENDLESS}`, { signal: client.signal }).catch((err) => err);
      await until(async () => (await stats()).pool.pendingCount === 1, 10000, 'the endless task to be running');
      client.abort();
      assert.equal((await pending).name, 'AbortError');
      const s = await until(async () => {
        const v = await stats();
        return v.pool.pendingCount === 0 && v.pool.queueSize === 0 && v.requests.aborted === 1 && v;
      }, 10000, 'the server to abort the task');
      assert.equal(s.requests.failed, 0);
      const r = await get(`${svc.url}/compute?n=10`);
      assert.deepStrictEqual(r.json(), { n: 10, sum: 45 });
    });

    it('answers 503 with Retry-After when the queue is full, and serves again once it drains', async () => {
      const client = new AbortController();
      const pending = get(`${svc.url}/compute?n=${ENDLESS}`, { signal: client.signal }).catch((err) => err);
      await until(async () => (await stats()).pool.pendingCount === 1, 10000, 'the endless task to be running');
      const health = await get(`${svc.url}/health`, { timeoutMs: 2000 });
      assert.equal(health.status, 200, 'the event loop answers while the only thread is busy');
      const r = await get(`${svc.url}/compute?n=5`);
      assert.equal(r.status, 503, r.body);
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal(r.json().code, 'ERR_QUEUE_FULL');
      client.abort();
      await pending;
      await until(async () => (await stats()).pool.pendingCount === 0, 10000, 'the pool to drain');
      assert.deepStrictEqual((await get(`${svc.url}/compute?n=5`)).json(), { n: 5, sum: 10 });
      assert.equal((await stats()).requests.queueFull, 1);
    });

    it('on SIGTERM stops accepting, answers every request in flight, and exits 0', async () => {
      // Three requests on one thread: one running, and (MAX_QUEUE=0) the others answered 503 —
      // so send them one connection each and hold one running long enough to see the refusal.
      const n = 5e8;
      const inFlight = get(`${svc.url}/compute?n=${n}`);
      await until(async () => (await stats()).pool.pendingCount === 1, 10000, 'the task to be running');
      assert.ok(svc.signal('SIGTERM'));
      // A new connection is refused while the running request is still being served.
      await until(() => request(`${svc.url}/health`, { timeoutMs: 2000 }).then(() => false, (err) => err.code === 'ECONNREFUSED'),
        10000, 'new connections to be refused');
      assert.equal(svc.child.exitCode, null, `still running while a request is in flight\n${svc.output()}`);
      const r = await inFlight;
      assert.equal(r.status, 200, r.body);
      assert.equal(r.body, `{"n":${n},"sum":${sumBelow(n)}}`);
      assert.deepStrictEqual(await svc.waitExit(), { code: 0, signal: null }, svc.output());
    });
  });

  describe('npm run example:express-compute under SIGTERM with a queue (THREADS=2)', () => {
    it('answers all of 8 requests in flight (running and queued) after SIGTERM to npm, and exits 0', async () => {
      const svc = await startExample('express-compute', { env: { THREADS: '2' } });
      try {
        const ns = Array.from({ length: 8 }, (_, i) => 2e8 + i);
        const all = ns.map((n) => get(`${svc.url}/compute?n=${n}`));
        await until(async () => (await get(`${svc.url}/stats`)).json().pool.pendingCount >= 6, 10000, 'requests to reach the pool');
        svc.signal('SIGTERM');
        const answers = await Promise.all(all);
        answers.forEach((r, i) => {
          assert.equal(r.status, 200, r.body);
          assert.equal(r.body, `{"n":${ns[i]},"sum":${sumBelow(ns[i])}}`);
        });
        assert.deepStrictEqual(await svc.waitExit(), { code: 0, signal: null }, svc.output());
      } finally {
        svc.kill();
      }
    });
  });

  describe('TASK_TIMEOUT_MS (the pool\'s per-task timeout)', () => {
    it('answers 504 when a task runs past TASK_TIMEOUT_MS, and keeps serving', async () => {
      const svc = await startExample('express-compute', { env: { THREADS: '1', TASK_TIMEOUT_MS: '300' } });
      try {
        const t0 = Date.now();
        const r = await get(`${svc.url}/compute?n=${ENDLESS}`);
        assert.equal(r.status, 504, r.body);
        assert.equal(r.json().code, 'ERR_TASK_TIMEOUT');
        assert.ok(Date.now() - t0 < 10000, `answered after ${Date.now() - t0} ms`);
        assert.deepStrictEqual((await get(`${svc.url}/compute?n=4`)).json(), { n: 4, sum: 6 });
        assert.equal((await get(`${svc.url}/stats`)).json().requests.timedOut, 1);
      } finally {
        svc.kill();
      }
    });
  });
});

describe('examples/shared/service.js serve() on SIGTERM', function () {
  this.timeout(60000);
  const BIG = 64 << 20;

  it('delivers whole a response still being written, on a kept-alive connection, and exits 0', async () => {
    const svc = await startExample('big-response', {
      script: path.join(__dirname, '..', 'fixtures', 'big-response-service.js'),
      env: { BIG_BYTES: String(BIG) },
    });
    const agent = new http.Agent({ keepAlive: true });
    try {
      // The client reads the headers and stops: the server's res.end() has been called, and
      // most of the 64 MiB waits behind the full socket buffers. Node's closeIdleConnections()
      // (which server.close() calls) treats such a connection as idle and destroys it.
      const res = await new Promise((resolve, reject) => {
        http.get(`${svc.url}/big`, { agent }, resolve).on('error', reject);
      });
      res.pause();
      assert.equal(res.headers.connection, 'keep-alive');
      assert.ok(svc.signal('SIGTERM'));
      // The server has run its shutdown (server.close() and what it calls) once it refuses.
      await until(() => request(`${svc.url}/health`, { timeoutMs: 2000 }).then(() => false, (err) => err.code === 'ECONNREFUSED'),
        10000, 'new connections to be refused');
      const got = await new Promise((resolve, reject) => {
        let n = 0;
        res.on('data', (chunk) => { n += chunk.length; });
        res.once('end', () => resolve(n));
        res.once('error', reject);
        res.once('aborted', () => reject(new Error(`the response was cut off after ${n} bytes`)));
        res.resume();
      });
      assert.equal(got, BIG);
      assert.deepStrictEqual(await svc.waitExit(), { code: 0, signal: null }, svc.output());
    } finally {
      agent.destroy();
      svc.kill();
    }
  });
});

describe('examples/cluster', function () {
  this.timeout(60000);

  it('refuses to start with a bad WORKERS value, naming it', async () => {
    await assert.rejects(startExample('cluster', { env: { WORKERS: 'many' } }), /WORKERS/);
  });

  describe('npm run example:cluster (WORKERS=2, THREADS=1)', () => {
    let svc;
    before(async () => {
      svc = await startExample('cluster', { env: { WORKERS: '2', THREADS: '1' } });
    });
    after(() => svc && svc.kill());

    it('aggregates /metrics over every process with prom-client\'s AggregatorRegistry', async () => {
      const counts = (text) => ({
        submitted: Number(/^nativepool_tasks_submitted_total\{pool="compute"\} (\d+)$/m.exec(text)[1]),
        queueFull: Number(/^nativepool_tasks_rejected_total\{pool="compute",reason="queue_full"\} (\d+)$/m.exec(text)[1]),
      });
      const before = counts((await request(`${svc.url}/metrics`)).body);
      // Requests spread over both processes; the sums count them all. The primary hands
      // connections to whichever process is free, so one process may get more than its
      // queue holds (MAX_QUEUE 4): those are answered 503 and counted as rejected.
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => request(`${svc.url}/compute?n=${i + 1}`)));
      const statuses = answers.map((r) => r.status);
      const ok = statuses.filter((s) => s === 200).length;
      assert.equal(ok + statuses.filter((s) => s === 503).length, 8, `statuses ${statuses}`);
      const text = (await request(`${svc.url}/metrics`)).body;
      const after = counts(text);
      assert.deepStrictEqual({ submitted: after.submitted - before.submitted, queueFull: after.queueFull - before.queueFull },
        { submitted: ok, queueFull: 8 - ok });
      assert.match(text, /^nativepool_workers\{pool="compute",state="idle"\} 2$/m);
    });

    it('serves the express-compute routes from two processes on one port', async () => {
      const pids = new Set();
      for (let i = 0; i < 8 && pids.size < 2; i++) {
        const r = await request(`${svc.url}/stats`);
        assert.equal(r.status, 200);
        const s = JSON.parse(r.body);
        assert.equal(s.pool.threads, 1);
        pids.add(s.pid);
      }
      assert.equal(pids.size, 2, 'two processes answered');
      // Whichever process answers, /stats carries every process's figures and their totals.
      await Promise.all([10, 20, 30, 40].map((n) => request(`${svc.url}/compute?n=${n}`)));
      const { cluster } = JSON.parse((await request(`${svc.url}/stats`)).body);
      assert.deepStrictEqual(cluster.processes.map((p) => p.pid), [...pids].sort((a, b) => a - b));
      const completed = cluster.processes.reduce((sum, p) => sum + p.pool.completed, 0);
      assert.ok(completed >= 4, `completed ${completed}`);
      assert.deepStrictEqual(cluster.total, { processes: 2, threads: 2, queueSize: 0, pendingCount: 0, completed });
      const c = await request(`${svc.url}/compute?n=100000`);
      assert.deepStrictEqual(JSON.parse(c.body), { n: 100000, sum: Number(sumBelow(100000)) });
      const h = await request(`${svc.url}/hash?text=x&rounds=2`);
      assert.deepStrictEqual(JSON.parse(h.body), { text: 'x', rounds: 2, hash: sha256Chain('x', 2) });
      const bad = await request(`${svc.url}/compute?n=-3`);
      assert.equal(bad.status, 400);
      assert.deepStrictEqual(JSON.parse((await request(`${svc.url}/health`)).body), { ok: true });
    });

    it('replaces a process that dies and keeps serving', async () => {
      const victim = JSON.parse((await request(`${svc.url}/stats`)).body).pid;
      process.kill(victim, 'SIGKILL');
      const pids = new Set();
      await until(async () => {
        const s = await request(`${svc.url}/stats`).then((r) => JSON.parse(r.body), () => null);
        if (s) pids.add(s.pid);
        return [...pids].filter((p) => p !== victim).length === 2;
      }, 20000, 'two live processes, one of them new, to answer');
      assert.match(svc.output(), new RegExp(`process ${victim} exited \\(SIGKILL\\); starting another`));
    });

    it('on SIGTERM answers the requests in flight in every process and exits 0', async () => {
      const ns = Array.from({ length: 6 }, (_, i) => 3e8 + i);
      const all = ns.map((n) => request(`${svc.url}/compute?n=${n}`));
      // Each process answers /stats for itself: wait until the tasks are spread and pending.
      await until(async () => {
        const seen = new Map();
        for (let i = 0; i < 6; i++) {
          const s = JSON.parse((await request(`${svc.url}/stats`)).body);
          seen.set(s.pid, s.pool.pendingCount);
        }
        return seen.size === 2 && [...seen.values()].every((p) => p > 0);
      }, 10000, 'both processes to hold requests');
      svc.signal('SIGTERM');
      const answers = await Promise.all(all);
      answers.forEach((r, i) => {
        assert.equal(r.status, 200, r.body);
        assert.equal(r.body, `{"n":${ns[i]},"sum":${sumBelow(ns[i])}}`);
      });
      assert.deepStrictEqual(await svc.waitExit(), { code: 0, signal: null }, svc.output());
    });
  });
});
