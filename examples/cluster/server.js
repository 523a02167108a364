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
// replaced.
const cluster = require('node:cluster');
const os = require('node:os');
const { envInt, readConfig, poolOptions, startService, HOST } = require('../shared/service');

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
  for (let i = 0; i < workers; i++) fork();
}

function child() {
  const Pool = require('nativepool');
  const { computeApp, WORKER } = require('../express-compute/app');
  startService(`cluster process ${process.pid}`, (config) => {
    const pool = new Pool(poolOptions(config, WORKER));
    return { app: computeApp(pool), pool };
  }, { quiet: true });
}
