'use strict';
// express-compute on every core: a primary forks WORKERS processes, each with its own
// nativepool, all serving /compute, /hash, /health and /stats on one port.
//   node examples/cluster/server.js     (or: npm run example:cluster)
// Environment: WORKERS (default: half the cores, at least 1), THREADS per process
// (default: cores ÷ WORKERS, at least 1, so processes × threads ≤ cores), and PORT,
// MAX_QUEUE, TASK_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS as in ../shared/service.js.
//
// The primary prints the ready line once every process listens. On SIGTERM (or SIGINT)
// it passes the signal on; each process finishes its in-flight requests and closes its
// pool; the primary exits 0 when all of them exited 0. A process that dies otherwise is
// replaced. GET /stats, in whichever process answers, adds `cluster`: every process's
// figures, gathered by the primary over IPC, and their totals.
const cluster = require('node:cluster');
const os = require('node:os');
const { envInt, readConfig, poolOptions, poolFigures, startService, HOST } = require('../shared/service');

// IPC message kinds: a process asks the primary for the cluster's figures (STATS), the
// primary asks every process for its own (REPORT) and answers with all of them.
const STATS = 'nativepool-example:stats';
const REPORT = 'nativepool-example:report';
// A process asks the primary for the cluster's Prometheus text (METRICS): the primary's
// prom-client AggregatorRegistry gathers every process's registry and sums them.
const METRICS = 'nativepool-example:metrics';
const GATHER_MS = 1000;

const cores = os.availableParallelism();

if (cluster.isPrimary) {
  primary();
} else {
  child();
}

function primary() {
  let workers;
  let config;
  try {
    workers = envInt('WORKERS', Math.max(1, Math.floor(cores / 2)), { min: 1, max: 256 });
    config = readConfig({ threads: Math.max(1, Math.floor(cores / workers)) });
  } catch (err) {
    console.error(`cluster: ${err.message}`);
    process.exit(1);
  }
  const env = { THREADS: String(config.threads) };
  let listening = 0;
  let closing = false;
  let failed = false;

  const fork = () => cluster.fork(env);
  cluster.on('listening', (worker, address) => {
    listening++;
    if (listening === workers) console.log(`listening on http://${HOST}:${address.port}`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (closing) {
      if (code !== 0) failed = true;
      if (Object.keys(cluster.workers).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    console.error(`cluster: process ${worker.process.pid} exited (${signal || code}); starting another`);
    fork();
  });
  const shutdown = () => {
    if (closing) return;
    closing = true;
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  serveStats();
  serveMetrics();
  for (let i = 0; i < workers; i++) fork();
}

// A process can die between isConnected() and send(): then send() fails, and
// without a callback that failure is an 'error' event that would take the
// primary down. The gathering just goes on without it (GATHER_MS bounds it).
function ignoreGone() {}

/** Primary: answers a process's METRICS with the whole cluster's Prometheus text. */
function serveMetrics() {
  const { AggregatorRegistry } = require('prom-client');
  const aggregator = new AggregatorRegistry();
  cluster.on('message', async (worker, msg) => {
    if (!msg || msg.cmd !== METRICS) return;
    let text;
    try {
      text = await aggregator.clusterMetrics();
    } catch (err) {
      text = `# nativepool example: the cluster's metrics could not be gathered: ${err.message}\n`;
    }
    if (worker.isConnected()) worker.send({ cmd: METRICS, id: msg.id, text }, ignoreGone);
  });
}

/** Primary: answers a process's STATS with every live process's REPORT (those in within GATHER_MS). */
function serveStats() {
  let nextId = 0;
  const gathering = new Map();
  cluster.on('message', (worker, msg) => {
    if (msg && msg.cmd === REPORT) {
      const add = gathering.get(msg.id);
      if (add) add(msg.stats);
      return;
    }
    if (!msg || msg.cmd !== STATS) return;
    const id = ++nextId;
    const live = Object.values(cluster.workers).filter((w) => w.isConnected());
    const processes = [];
    const done = () => {
      clearTimeout(timer);
      gathering.delete(id);
      if (worker.isConnected()) worker.send({ cmd: STATS, id: msg.id, processes }, ignoreGone);
    };
    const timer = setTimeout(done, GATHER_MS);
    gathering.set(id, (stats) => {
      processes.push(stats);
      if (processes.length === live.length) done();
    });
    for (const w of live) w.send({ cmd: REPORT, id }, ignoreGone);
  });
}

function child() {
  const Pool = require('nativepool');
  const { computeApp, WORKER } = require('../express-compute/app');
  let own = null;
  let nextId = 0;
  const asking = new Map();
  process.on('message', (msg) => {
    if (msg && msg.cmd === REPORT && own) process.send({ cmd: REPORT, id: msg.id, stats: own() });
    else if (msg && msg.cmd === STATS && asking.has(msg.id)) asking.get(msg.id)(msg.processes);
    else if (msg && msg.cmd === METRICS && asking.has(msg.id)) asking.get(msg.id)(msg.text);
  });
  const ask = (cmd) => new Promise((resolve) => {
    const id = ++nextId;
    const timer = setTimeout(() => finish(null), 2 * GATHER_MS);
    const finish = (answer) => {
      clearTimeout(timer);
      asking.delete(id);
      resolve(answer);
    };
    asking.set(id, finish);
    process.send({ cmd, id });
  });
  const clusterFigures = () => ask(STATS);
  startService(`cluster process ${process.pid}`, (config) => {
    const pool = new Pool(poolOptions(config, WORKER));
    // This process's pool in its prom-client registry, which the primary's
    // AggregatorRegistry reads over IPC (constructing one here is what makes
    // prom-client answer those requests); every process labels it the same.
    const promClient = require('prom-client');
    require('nativepool/prometheus').register(pool, { registry: promClient.register, labels: { pool: 'compute' } });
    new promClient.AggregatorRegistry(); // eslint-disable-line no-new
    const app = computeApp(pool, {
      metrics: async () => (await ask(METRICS)) || pool.metrics(),
      figures: async () => {
        const processes = (await clusterFigures()) || [];
        processes.sort((a, b) => a.pid - b.pid);
        const total = { processes: processes.length, threads: 0, queueSize: 0, pendingCount: 0, completed: 0 };
        for (const p of processes) for (const k of ['threads', 'queueSize', 'pendingCount', 'completed']) total[k] += p.pool[k];
        return { cluster: { total, processes } };
      },
    });
    own = () => ({ pid: process.pid, pool: poolFigures(pool), requests: app.locals.requests });
    return { app, pool };
  }, { quiet: true });
}
