'use strict';
const assert = require('node:assert/strict');
const http = require('node:http');
const client = require('prom-client');
const { register } = require('nativepool/prometheus');
const { fixture, poolTracker, rejection } = require('./helpers/pool');
const prom = require('./helpers/prom-text');
const { version } = require('../../package.json');

const sleep = fixture('sleep.js');

/** Serves `registry` on a loopback port; resolves with { url, close }. */
function serve(registry) {
  const server = http.createServer((req, res) => {
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    }, (err) => {
      res.writeHead(500);
      res.end(String(err && err.stack));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/metrics`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

async function scrape(url) {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return prom.parse(await res.text());
}

/**
 * A known workload on one thread: 30 instant tasks, 10 of 60 ms, 5 that
 * throw, one of 150 ms with two tasks aborted while queued behind it. Each
 * class ends at least 40 ms below the next bucket edge the test reads (and a
 * sleep never ends early), so a preempted or ASan-slowed task stays in its
 * bucket.
 */
async function workload(pool) {
  await Promise.all(Array.from({ length: 30 }, () => pool.run(0)));
  await Promise.all(Array.from({ length: 10 }, () => pool.run(60)));
  // From the file the worker already loaded: a first task of another file
  // would count that file's load in its run time (over 25 ms under ASan).
  await Promise.all(Array.from({ length: 5 }, () => rejection(pool.run(null, { name: 'fail' }))));
  const long = pool.run(150);
  const acs = [new AbortController(), new AbortController()];
  const aborted = acs.map((ac, i) => pool.run(i, { signal: ac.signal }));
  acs.forEach((ac) => ac.abort());
  await Promise.all(aborted.map(rejection));
  await long;
  return { ok: 41, error: 5, aborted: 2, ran: 46 };
}

describe('nativepool/prometheus', function () {
  this.timeout(20000);
  const pools = poolTracker();
  const servers = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await pools.cleanup();
  });

  it('serves metrics a scrape over HTTP finds equal to pool.stats() after a known workload', async function () {
    const registry = new client.Registry();
    const pool = pools.make({ filename: sleep, minThreads: 1, maxThreads: 1 });
    register(pool, { registry, labels: { pool: 'images' } });
    const known = await workload(pool);
    const server = await serve(registry);
    servers.push(server);
    const m = await scrape(server.url);
    const s = pool.stats();
    const L = { pool: 'images' };
    const v = (family, labels = {}, name = family) => prom.value(m, family, name, { ...L, ...labels });

    assert.equal(m.get('nativepool_tasks_submitted_total').type, 'counter');
    assert.equal(v('nativepool_tasks_submitted_total'), s.submitted);
    assert.equal(s.submitted, known.ok + known.error + known.aborted);
    assert.equal(v('nativepool_tasks_completed_total', { status: 'ok' }), known.ok);
    assert.equal(v('nativepool_tasks_completed_total', { status: 'ok' }), s.completed);
    assert.equal(v('nativepool_tasks_completed_total', { status: 'error' }), s.failed);
    assert.equal(v('nativepool_tasks_completed_total', { status: 'error' }), known.error);
    assert.equal(v('nativepool_tasks_completed_total', { status: 'aborted' }), known.aborted);
    for (const status of ['worker_exited', 'cancelled', 'timeout']) {
      assert.equal(v('nativepool_tasks_completed_total', { status }), 0, status);
    }
    assert.equal(v('nativepool_queue_depth'), s.queued);
    assert.equal(s.queued, 0);
    assert.equal(v('nativepool_tasks_running'), 0);
    assert.equal(v('nativepool_tasks_pending'), 0);
    assert.equal(v('nativepool_queue_depth_peak'), s.peakQueued);
    for (const [state, n] of Object.entries(s.workersByState)) assert.equal(v('nativepool_workers', { state }), n, state);
    for (const [reason, n] of Object.entries(s.workerExits)) assert.equal(v('nativepool_worker_exits_total', { reason }), n, reason);
    assert.equal(v('nativepool_workers_started_total'), 1);
    assert.equal(v('nativepool_info', { version }), 1);
    const u = v('nativepool_utilization_ratio');
    assert.ok(u > 0 && u <= 1, `utilization ${u}`);

    // Histograms: cumulative, monotone, +Inf == _count == the tasks that ran.
    const run = prom.histogram(m, 'nativepool_task_run_seconds', L);
    const wait = prom.histogram(m, 'nativepool_task_wait_seconds', L);
    assert.equal(run.count, known.ran);
    assert.equal(wait.count, known.ran);
    assert.equal(run.count, s.completed + s.failed);
    assert.ok(run.sum >= 10 * 0.06 + 0.15, `run _sum ${run.sum} s covers the sleeps`);
    // Exact counts at the edges around the sleeps: 35 tasks took far less
    // than 50 ms, 10 about 60 ms, one 150 ms.
    const at = (edge) => run.buckets.find(([le]) => le <= edge && le > edge * 0.96)[1];
    assert.equal(at(0.05), 35);
    assert.equal(at(0.1), 45);
    assert.equal(at(0.25), 46);
  });

  it('renders the same figures from pool.metrics() with no dependency', async function () {
    const registry = new client.Registry();
    const pool = pools.make({ filename: sleep, minThreads: 1, maxThreads: 1 });
    register(pool, { registry, labels: { pool: 'p', service: 'api' } });
    await workload(pool);
    const fromRegistry = prom.parse(await registry.metrics());
    const text = pool.metrics({ labels: { pool: 'p', service: 'api' } });
    assert.equal(typeof text, 'string');
    const own = prom.parse(text);
    assert.deepEqual([...own.keys()].sort(), [...fromRegistry.keys()].sort());
    const moving = new Set(['nativepool_utilization_ratio', 'nativepool_workers_heap_used_bytes']);
    for (const [name, fam] of own) {
      assert.equal(fam.type, fromRegistry.get(name).type, name);
      if (moving.has(name)) continue;
      assert.deepEqual(fam.samples, fromRegistry.get(name).samples, name);
    }
    prom.histogram(own, 'nativepool_task_run_seconds', { pool: 'p' });
    assert.match(pool.metrics({ prefix: 'jobs_' }), /^jobs_tasks_submitted_total\{pool="\d+"\} 48$/m);
  });

  it('keeps several pools in one registry apart by their pool label', async function () {
    const registry = new client.Registry();
    const a = pools.make({ filename: sleep, minThreads: 1, maxThreads: 1 });
    const b = pools.make({ filename: sleep, minThreads: 1, maxThreads: 1 });
    register(a, { registry, labels: { pool: 'a' } });
    register(b, { registry, labels: { pool: 'b' } });
    await Promise.all([1, 2, 3].map(() => a.run(0)));
    await b.run(0);
    const m = prom.parse(await registry.metrics());
    assert.equal(prom.value(m, 'nativepool_tasks_submitted_total', 'nativepool_tasks_submitted_total', { pool: 'a' }), 3);
    assert.equal(prom.value(m, 'nativepool_tasks_submitted_total', 'nativepool_tasks_submitted_total', { pool: 'b' }), 1);
    assert.equal(prom.histogram(m, 'nativepool_task_run_seconds', { pool: 'a' }).count, 3);
    assert.throws(() => register(b, { registry, labels: { pool: 'a' } }), /labels/);
    assert.throws(() => register(a, { registry, labels: { pool: 'a2' } }), /already registered/);
  });

  it('removes its metrics when the last pool is unregistered, and can register again', async function () {
    const registry = new client.Registry();
    const pool = pools.make({ filename: sleep, minThreads: 1, maxThreads: 1 });
    const unregister = register(pool, { registry, prefix: 'app_pool_' });
    assert.ok(registry.getSingleMetric('app_pool_tasks_submitted_total'));
    unregister();
    unregister();
    assert.equal(registry.getSingleMetric('app_pool_tasks_submitted_total'), undefined);
    assert.equal((await registry.metrics()).trim(), '');
    const again = register(pool, { registry, prefix: 'app_pool_' });
    unregister(); // the first registration's function, called again, leaves the second alone
    assert.ok(registry.getSingleMetric('app_pool_tasks_submitted_total'));
    await pool.run(0);
    const m = prom.parse(await registry.metrics());
    assert.equal(prom.value(m, 'app_pool_tasks_submitted_total', 'app_pool_tasks_submitted_total'), 1);
    again();
    assert.equal(registry.getSingleMetric('app_pool_tasks_submitted_total'), undefined);
  });

  it('names counters the OpenMetrics way in an OpenMetrics registry', async function () {
    const registry = new client.Registry(client.Registry.OPENMETRICS_CONTENT_TYPE);
    const pool = pools.make({ filename: sleep, minThreads: 1, maxThreads: 1 });
    register(pool, { registry });
    await pool.run(0);
    const text = await registry.metrics();
    assert.match(text, /^# TYPE nativepool_tasks_submitted counter$/m);
    assert.match(text, /^nativepool_tasks_submitted_total\{pool="\d+"\} 1$/m);
    assert.doesNotMatch(text, /_total_total/);
  });

  it('sums cluster workers\' series with prom-client\'s AggregatorRegistry', async function () {
    // Two registries stand for two cluster workers, each with its own pool.
    const regs = [new client.Registry(), new client.Registry()];
    const ps = regs.map((registry) => {
      const pool = pools.make({ filename: sleep, minThreads: 1, maxThreads: 1 });
      register(pool, { registry, labels: { pool: 'resize' } });
      return pool;
    });
    await Promise.all([ps[0].run(0), ps[0].run(0), ps[1].run(0)]);
    const merged = client.AggregatorRegistry.aggregate(await Promise.all(regs.map((r) => r.getMetricsAsJSON())));
    const m = prom.parse(await merged.metrics());
    assert.equal(prom.value(m, 'nativepool_tasks_submitted_total', 'nativepool_tasks_submitted_total', { pool: 'resize' }), 3);
    assert.equal(prom.histogram(m, 'nativepool_task_run_seconds', { pool: 'resize' }).count, 3);
    assert.equal(prom.value(m, 'nativepool_info', 'nativepool_info', { pool: 'resize' }), 1, 'info is a max, not a sum');
  });

  it('rejects a bad pool, registry, prefix or labels with an error naming it', function () {
    const registry = new client.Registry();
    const pool = pools.make({ filename: sleep, minThreads: 0, maxThreads: 1 });
    assert.throws(() => register({}, { registry }), { name: 'TypeError', message: /for pool/ });
    assert.throws(() => register(pool, { registry: {} }), { name: 'TypeError', message: /options.registry/ });
    assert.throws(() => register(pool, { registry, prefix: '9x' }), { name: 'TypeError', message: /options.prefix/ });
    assert.throws(() => register(pool, { registry, labels: { status: 'x' } }), { name: 'RangeError', message: /options.labels.status/ });
    assert.throws(() => register(pool, { registry, labels: { 'a-b': 'x' } }), { name: 'RangeError', message: /options.labels.a-b/ });
    assert.throws(() => register(pool, { registry, labels: { team: {} } }), { name: 'TypeError', message: /options.labels.team/ });
    assert.throws(() => pool.metrics({ prefix: 'bad prefix' }), { name: 'TypeError', message: /options.prefix/ });
    assert.equal(registry.getMetricsAsArray().length, 0, 'nothing was registered');
  });

  it('uses prom-client\'s default registry when none is given', async function () {
    const pool = pools.make({ filename: sleep, minThreads: 1, maxThreads: 1 });
    const unregister = register(pool, { prefix: 'defaultreg_' });
    try {
      await pool.run(0);
      const m = prom.parse(await client.register.metrics());
      assert.equal(prom.value(m, 'defaultreg_tasks_submitted_total', 'defaultreg_tasks_submitted_total'), 1);
    } finally {
      unregister();
    }
  });
});
