'use strict';
// What every example service shares, so each server.js holds only its routes:
//   - config from the environment, checked once at start (a bad value exits with a message)
//   - GET /health (never touches the pool), GET /metrics (Prometheus text) and GET /stats
//     (the pool's figures as JSON)
//   - one AbortSignal per request, aborted when the client goes away before the answer
//   - errors -> HTTP: 400 bad parameter, 503 + Retry-After queue full, 504 task timeout, 500 the rest
//   - listen on 127.0.0.1:PORT, print `listening on http://127.0.0.1:<port>`, and on
//     SIGTERM/SIGINT: stop accepting, finish what is in flight, `await pool.close()`, exit 0
const http = require('node:http');
const os = require('node:os');
const express = require('express');

const HOST = '127.0.0.1';

// --- configuration ----------------------------------------------------------------------

/** Reads an integer environment variable; a bad value throws a message naming it. */
function envInt(name, fallback, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`Expected an integer from ${min} to ${max} for the environment variable ${name} but received '${raw}'`);
  }
  return n;
}

/**
 * The settings every example reads:
 *   PORT               port on 127.0.0.1 (default 3000; 0 picks a free one)
 *   THREADS            worker threads (default: os.availableParallelism())
 *   MAX_QUEUE          tasks allowed to wait for a thread before requests get 503 (default 4 × THREADS)
 *   TASK_TIMEOUT_MS    longest a task may run before its request gets 504 (default: no limit)
 *   SHUTDOWN_TIMEOUT_MS how long SIGTERM waits for in-flight requests (default 30000)
 */
function readConfig({ threads } = {}) {
  const t = envInt('THREADS', threads ?? os.availableParallelism(), { min: 1, max: 1024 });
  return {
    port: envInt('PORT', 3000, { max: 65535 }),
    threads: t,
    maxQueue: envInt('MAX_QUEUE', 4 * t),
    taskTimeoutMs: envInt('TASK_TIMEOUT_MS', undefined, { min: 1 }),
    shutdownTimeoutMs: envInt('SHUTDOWN_TIMEOUT_MS', 30000, { min: 1 }),
  };
}

/** Pool options from the config: a fixed number of threads, a bounded queue, an optional per-task timeout. */
function poolOptions(config, filename) {
  const options = { filename, minThreads: config.threads, maxThreads: config.threads, maxQueue: config.maxQueue };
  if (config.taskTimeoutMs !== undefined) options.timeout = config.taskTimeoutMs;
  return options;
}

// --- parameters -------------------------------------------------------------------------

/** An error the client caused: answered 400 with its message. */
function badRequest(message) {
  const err = new Error(message);
  err.code = 'ERR_BAD_REQUEST';
  err.status = 400;
  return err;
}

/** An integer query parameter within [min, max]; `fallback` when absent, or 400. */
function intParam(query, name, { min, max, fallback }) {
  const raw = query[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw badRequest(`Expected an integer from ${min} to ${max} for ${name} but received ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
  }
  return n;
}

/** A string query parameter (one of `allowed` if given); `fallback` when absent, or 400. */
function stringParam(query, name, { allowed, fallback } = {}) {
  const raw = query[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== 'string' || (allowed && !allowed.includes(raw))) {
    const expected = allowed ? `one of ${allowed.join(', ')}` : 'one string';
    throw badRequest(`Expected ${expected} for ${name} but received ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
  }
  return raw;
}

// --- per request ------------------------------------------------------------------------

/**
 * An AbortSignal that fires when the client disconnects before the response is
 * complete: pass it to pool.run() so a task nobody will read is removed from the
 * queue (or its worker stopped) instead of running to no end.
 */
function requestSignal(res) {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('The client closed the connection'));
  });
  return controller.signal;
}

/** HTTP status and headers for an error from a route or from pool.run(). */
function httpError(err) {
  switch (err && err.code) {
    case 'ERR_QUEUE_FULL':
    case 'ERR_POOL_CLOSED':
      return { status: 503, headers: { 'Retry-After': '1' } };
    case 'ERR_TASK_TIMEOUT':
      return { status: 504, headers: {} };
    default: {
      // 4xx raised by a route (badRequest), by Express (a malformed body) or by multer.
      const status = err && Number.isInteger(err.status) ? err.status : err && err.statusCode;
      return { status: status >= 400 && status < 500 ? status : 500, headers: {} };
    }
  }
}

// --- the app ----------------------------------------------------------------------------

/**
 * An Express app with /health, /metrics and /stats. `figures()` (may return a Promise)
 * adds the example's own figures to /stats; `metrics()` (may return a Promise) replaces
 * the pool's own Prometheus text at /metrics (the cluster aggregates every process).
 * Add routes, then call serve().
 */
function createApp(pool, { figures, metrics } = {}) {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const requests = { answered: 0, badRequest: 0, queueFull: 0, timedOut: 0, aborted: 0, failed: 0 };
  app.locals.requests = requests;
  app.use((req, res, next) => {
    res.once('finish', () => requests.answered++);
    next();
  });

  app.get('/health', (req, res) => {
    res.json({ ok: true });
  });
  // Prometheus text: the pool's own metrics (pool.metrics(), no dependency).
  app.get('/metrics', async (req, res) => {
    const text = metrics ? await metrics() : pool.metrics();
    res.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
  // The pool's figures as JSON.
  app.get('/stats', async (req, res) => {
    res.json({ pid: process.pid, pool: poolFigures(pool), requests, ...(figures ? await figures() : {}) });
  });
  return app;
}

/** The figures nativepool has today (completed, queue, utilization, run/wait time percentiles). */
function poolFigures(pool) {
  const { runTime, waitTime } = pool.histogram;
  return {
    threads: pool.threads.length,
    queueSize: pool.queueSize,
    pendingCount: pool.pendingCount,
    completed: pool.completed,
    utilization: pool.utilization,
    runTime,
    waitTime,
  };
}

/** The last middleware: 404 for unknown routes, then errors mapped to HTTP with a JSON body. */
function finishApp(app) {
  const { requests } = app.locals;
  app.use((req, res) => {
    res.status(404).json({ error: `No route for ${req.method} ${req.path}`, code: 'ERR_NOT_FOUND' });
  });
  app.use((err, req, res, next) => {
    if (err && err.code === 'ERR_TASK_ABORTED') requests.aborted++;
    if (res.destroyed) return; // the client is gone: nobody to answer
    if (res.headersSent) return res.destroy(err);
    const { status, headers } = httpError(err);
    if (err && err.code === 'ERR_QUEUE_FULL') requests.queueFull++;
    else if (status === 504) requests.timedOut++;
    else if (status < 500) requests.badRequest++;
    else if (status === 500) {
      requests.failed++;
      console.error(`${req.method} ${req.originalUrl}: ${err && err.stack ? err.stack : err}`);
    }
    res.status(status).set(headers).json({ error: String(err && err.message ? err.message : err), code: (err && err.code) || 'ERR_INTERNAL' });
  });
}

/**
 * Listens on 127.0.0.1:port, prints the ready line (unless `quiet`), and shuts
 * down on SIGTERM/SIGINT: server.close() (no new connections), idle keep-alive
 * connections closed, in-flight requests answered, then `await pool.close()` and
 * exit 0. After shutdownTimeoutMs the rest is cut off and the exit code is 1.
 * Resolves with the http.Server once it listens.
 */
function serve(app, pool, config, { quiet = false } = {}) {
  finishApp(app);
  let closing = false;
  const unfinished = new Set(); // responses not yet written out in full
  const server = http.createServer((req, res) => {
    // While closing, no connection is kept alive: a request that arrives on an open one is
    // answered with `Connection: close`, and a response that finishes leaves its connection
    // idle, so idle connections are closed again after it.
    if (closing) res.setHeader('Connection', 'close');
    unfinished.add(res);
    res.once('close', () => unfinished.delete(res));
    res.once('finish', () => {
      unfinished.delete(res);
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    app(req, res);
  });
  // Node's closeIdleConnections(), which server.close() calls too, counts a connection as
  // idle once its response is end()ed (res.finished), before its bytes are written out
  // (res.writableFinished), and destroys it: a large body still in flight is cut off. So
  // idle connections are closed only while no response is half-written; the 'finish' of
  // the last one closes them.
  const closeIdleConnections = server.closeIdleConnections;
  server.closeIdleConnections = function () {
    for (const res of unfinished) if (res.writableEnded) return;
    closeIdleConnections.call(this);
  };
  server.listen(config.port, HOST);
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    for (const res of unfinished) if (!res.headersSent) res.setHeader('Connection', 'close');
    const deadline = setTimeout(() => {
      console.error(`shutdown: in-flight work did not finish within ${config.shutdownTimeoutMs} ms`);
      server.closeAllConnections();
      pool.destroy().finally(() => process.exit(1));
    }, config.shutdownTimeoutMs);
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeIdleConnections();
    });
    try {
      await pool.close();
    } catch (err) {
      console.error(`shutdown: closing the pool failed: ${err.message}`);
      process.exit(1);
    }
    clearTimeout(deadline);
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      if (!quiet) console.log(`listening on http://${HOST}:${server.address().port}`);
      resolve(server);
    });
  });
}

/**
 * Reads the config, lets `build(config)` make the pool and the app ({ app, pool }), and
 * serves them. Anything that fails on the way (a bad environment variable, a bad pool
 * option, a port in use) ends the process with one line naming `name` and exit code 1.
 */
async function startService(name, build, { quiet = false } = {}) {
  try {
    const config = readConfig();
    const { app, pool } = build(config);
    return await serve(app, pool, config, { quiet });
  } catch (err) {
    console.error(`${name}: ${err.message}`);
    process.exit(1);
  }
}

module.exports = {
  HOST, envInt, readConfig, poolOptions, badRequest, intParam, stringParam, requestSignal, httpError, createApp, poolFigures, serve, startService,
};
