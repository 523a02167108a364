'use strict';
// Question: behind an Express server, how many requests/s does /work (which awaits
// pool.run of a ~0.2 ms CPU task) serve, and how badly does that load delay /health
// (which does not use the pool)? Compared with doing the work inline on the event loop,
// and with /health on an idle server.
//
// Three processes per run, all on 127.0.0.1: the server (Express + the pool), the load
// (autocannon, programmatic, on /work) and a probe (one keep-alive connection, one /health
// request every 5 ms, timed with process.hrtime.bigint). The probe starts after the load
// has ramped up and stops before it ends.
//   node bench/service.js [--rounds N] [--json] [--seconds 5] [--connections 16] [--libs a,b]

const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { once } = require('node:events');
const { main, forkChild } = require('./lib/harness');
const { createPool, LIBRARIES } = require('./lib/adapters');
const { calibrate, busy } = require('./fixtures/work');
const { distribution } = require('./lib/stats');

const THREADS = 2;
const SETTINGS = {
  threads: THREADS,
  seconds: 5,
  connections: 16,
  workUs: 200,
  probeIntervalMs: 5,
  probeMarginMs: 750,
  host: '127.0.0.1',
};

// --- server process -------------------------------------------------------------------
async function server(mode, opts) {
  const express = require('express');
  const iterations = calibrate(Number(opts.workUs || SETTINGS.workUs));
  const pool = mode === 'inline' || mode === 'idle' ? null : await createPool(mode, { threads: THREADS });
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  let workServed = 0;
  app.use('/work', (req, res, next) => { workServed++; next(); });
  app.get('/health', (req, res) => { res.send('ok'); });
  app.get('/work', async (req, res) => {
    const us = pool ? await pool.run('busy', iterations) : busy(iterations);
    res.send(us > 0 ? 'done' : 'odd');
  });
  const srv = app.listen(0, SETTINGS.host);
  await once(srv, 'listening');
  // Whole-process CPU (main thread + pool threads) and main-thread event-loop
  // utilization from now until 'stop': what each library costs the server per request.
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const wall0 = process.hrtime.bigint();
  process.send({ type: 'listening', port: srv.address().port });
  await new Promise((resolve) => process.on('message', (m) => { if (m === 'stop') resolve(); }));
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const wallUs = Number(process.hrtime.bigint() - wall0) / 1e3;
  srv.closeAllConnections();
  srv.close();
  if (pool) await pool.destroy();
  return { iterations, workServed, cpuUs: cpu.user + cpu.system, wallUs, cores: (cpu.user + cpu.system) / wallUs, elu: elu.utilization };
}

// --- load process ---------------------------------------------------------------------
async function load(opts) {
  const autocannon = require('autocannon');
  const result = await autocannon({
    url: `http://${SETTINGS.host}:${opts.port}/work`,
    connections: opts.connections,
    duration: opts.seconds,
  });
  return {
    rps: result.requests.total / result.duration,
    total: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    workP50Ms: result.latency.p50,
    workP99Ms: result.latency.p99,
  };
}

// --- probe process --------------------------------------------------------------------
async function probe(opts) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () => new Promise((resolve, reject) => {
    const req = http.get({ host: SETTINGS.host, port: opts.port, path: '/health', agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  await get(); // open the connection before timing
  await sleep(opts.delayMs);
  const us = [];
  const end = Date.now() + opts.durationMs;
  let next = Date.now();
  while (Date.now() < end) {
    const t0 = process.hrtime.bigint();
    await get();
    us.push(Number(process.hrtime.bigint() - t0) / 1e3);
    next += SETTINGS.probeIntervalMs;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    else next = Date.now();
  }
  agent.destroy();
  return distribution(us);
}

// --- parent: one run = server + (load) + probe ------------------------------------------
async function runOne(lib, { env, opts }) {
  const seconds = Number(opts.seconds || SETTINGS.seconds);
  const connections = Number(opts.connections || SETTINGS.connections);
  let resolvePort;
  const portP = new Promise((r) => { resolvePort = r; });
  let serverChild;
  const serverDone = forkChild(__filename, `server:${lib}`, {
    env,
    opts,
    timeoutMs: (seconds + 60) * 1000,
    onMessage: (m, child) => {
      if (m && m.type === 'listening') { serverChild = child; resolvePort(m.port); return true; }
      return false;
    },
  });
  serverDone.catch((err) => resolvePort(Promise.reject(err)));
  const port = await portP;
  let out;
  let srv;
  try {
    const margin = SETTINGS.probeMarginMs;
    const probeP = forkChild(__filename, 'probe', {
      env, opts: { port, delayMs: margin, durationMs: seconds * 1000 - 2 * margin }, timeoutMs: (seconds + 30) * 1000,
    });
    const loadP = lib === 'idle' ? null
      : forkChild(__filename, 'load', { env, opts: { port, seconds, connections }, timeoutMs: (seconds + 30) * 1000 });
    const health = (await probeP).result;
    const work = loadP ? (await loadP).result : null;
    out = {
      work,
      health,
      figures: {
        workRps: work ? work.rps : null,
        healthP50: health.p50,
        healthP99: health.p99,
        healthMax: health.max,
      },
    };
  } finally {
    if (serverChild) serverChild.send('stop');
    srv = await serverDone.then((r) => r.result, () => null);
  }
  out.server = srv;
  if (srv) {
    out.figures.serverCores = srv.cores;
    out.figures.serverCpuPerReq = srv.workServed ? srv.cpuUs / srv.workServed : null;
    out.figures.mainElu = 100 * srv.elu;
  }
  return out;
}

const spec = {
  name: 'service',
  question: 'Express: /work req/s (awaits a ~0.2 ms pool task) and /health latency measured during that load',
  file: __filename,
  libs: [...LIBRARIES, 'inline', 'idle'],
  defaultRounds: 3,
  settings: {
    ...SETTINGS,
    rows: 'inline = /work runs the busy loop on the event loop; idle = no load, probe only (the baseline)',
    load: 'autocannon programmatic API, its own process',
    probe: 'own process, sequential GET /health every 5 ms on one keep-alive connection',
  },
  figures: [
    { key: 'workRps', label: '/work req/s', unit: '', better: 'higher' },
    { key: 'healthP50', label: '/health p50', unit: 'us', better: 'lower' },
    { key: 'healthP99', label: '/health p99', unit: 'us', better: 'lower' },
    { key: 'healthMax', label: '/health max', unit: 'us', better: 'lower' },
    { key: 'serverCpuPerReq', label: 'server CPU/req', unit: 'us', better: 'lower' },
    { key: 'serverCores', label: 'server cores', unit: '', better: 'lower', ratio: false },
    { key: 'mainElu', label: 'main ELU', unit: '%', better: 'lower' },
  ],
  progress: (r) => `${r.figures.workRps ? Math.round(r.figures.workRps) : '-'} req/s, /health p99 ${Math.round(r.figures.healthP99)} µs`,
  runOne,

  async child(role, opts) {
    if (role.startsWith('server:')) return server(role.slice(7), opts);
    if (role === 'load') return load(opts);
    if (role === 'probe') return probe(opts);
    throw new Error(`unknown role ${role}`);
  },
};

module.exports = spec;
if (require.main === module) main(spec);
