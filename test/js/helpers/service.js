'use strict';
// Starting an example service the way its README says, as a child process on a
// free port, and talking to it over real sockets.
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const READY = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/m;

/** A loopback port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts examples/<name> by `npm run example:<name>` (via: 'npm') or
 * `node examples/<name>/server.js` (via: 'node'), or `node <script>` when `script` is
 * given, with PORT set to a free port, and resolves once it printed the ready line.
 * The child leads its own process group so kill() can end npm and everything under it.
 */
async function startExample(name, { env = {}, via = 'npm', script, readyTimeoutMs = 20000 } = {}) {
  const port = await freePort();
  const [cmd, args] = script ? [process.execPath, [script]]
    : via === 'npm' ? ['npm', ['run', `example:${name}`]]
      : [process.execPath, [path.join('examples', name, 'server.js')]];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const service = {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    output: () => `--- stdout\n${stdout}\n--- stderr\n${stderr}`,
    /** Sends `signal` to the started process (npm or node) only. */
    signal: (signal = 'SIGTERM') => child.kill(signal),
    /** Resolves with the exit { code, signal }; rejects after `ms`. */
    waitExit: (ms = 20000) => withTimeout(exited, ms, `${name} to exit`),
    /** Ends the whole process group at once (cleanup). */
    kill() {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* the group is already gone */ }
      }
    },
  };
  try {
    await withTimeout(new Promise((resolve, reject) => {
      const check = () => {
        const m = READY.exec(stdout);
        if (m) resolve(Number(m[1]));
      };
      child.stdout.on('data', check);
      exited.then(({ code, signal }) => reject(new Error(`${name} exited (${signal || code}) before it was ready\n${service.output()}`)));
    }), readyTimeoutMs, `${name} to print its ready line`);
  } catch (err) {
    service.kill();
    throw err;
  }
  return service;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * One request on a connection of its own (no keep-alive pool), so a cluster's
 * primary hands each to the next process. Resolves { status, headers, body }.
 */
function request(url, { method = 'GET', timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** fetch() with a timeout; resolves { status, headers, body (text), json() }. */
async function get(url, { timeoutMs = 20000, ...init } = {}) {
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  const res = await fetch(url, { ...init, signal });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body) };
}

/** Polls `fn` (async) until it returns a truthy value; rejects after `ms` (a hang guard). */
async function until(fn, ms = 10000, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

module.exports = { ROOT, freePort, startExample, request, get, until, withTimeout };
