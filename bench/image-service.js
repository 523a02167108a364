'use strict';
// Question: in an Express + multer image service, does moving sharp off the main thread
// into a pool's workers help? sharp already runs libvips on libuv's thread pool, so what
// is left on the event loop is building the pipeline and the callbacks. Measured: images/s
// served and /health latency under that load, for
//   main        sharp called in the route, on the main thread (no pool)
//   main-capped the same, with at most 2 resizes at once (the others wait in line)
//   nativepool  sharp in 2 nativepool threads; upload and result move as pool buffers
//   piscina     sharp in 2 Piscina threads; upload and result transferred (postMessage)
//
// Three processes per run, on 127.0.0.1: the server (Express + multer memory storage, the
// mode above), the load (autocannon, POSTing one multipart upload of a 1024×768 JPEG, asking
// for a 256×192 WebP) and a probe (one keep-alive connection, GET /health every 5 ms).
//   node bench/image-service.js [--seconds 8] [--connections 8] [--rounds 1] [--libs a,b] [--json]

const http = require('node:http');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { once } = require('node:events');
const { main, forkChild } = require('./lib/harness');
const { loadNativepool } = require('./lib/adapters');
const { distribution } = require('./lib/stats');

const THREADS = 2;
const SETTINGS = {
  threads: THREADS,
  seconds: 8,
  connections: 8,
  image: { width: 1024, height: 768, format: 'jpeg', quality: 80 },
  resize: { width: 256, height: 192, format: 'webp' },
  probeIntervalMs: 5,
  probeMarginMs: 1000,
  host: '127.0.0.1',
};

// --- server process -------------------------------------------------------------------
async function makeResize(mode) {
  const { resize } = require('./fixtures/image-work');
  if (mode === 'main') return { run: (upload, params) => resize(upload, params), close: async () => {} };
  if (mode === 'main-capped') {
    // The main thread again, but at most THREADS resizes at once (the rest wait in line),
    // as a pool of THREADS threads bounds them: separates "off the main thread" from
    // "fewer at once".
    let running = 0;
    const waiting = [];
    const release = () => {
      running--;
      if (waiting.length > 0) waiting.shift()();
    };
    return {
      async run(upload, params) {
        if (running >= THREADS) await new Promise((resolve) => waiting.push(resolve));
        running++;
        try {
          return await resize(upload, params);
        } finally {
          release();
        }
      },
      close: async () => {},
    };
  }
  if (mode === 'nativepool') {
    const Pool = loadNativepool(process.env.NATIVEPOOL_PATH || path.resolve(__dirname, '..'));
    const pool = new Pool({ filename: path.join(__dirname, 'fixtures', 'image-nativepool.js'), minThreads: THREADS, maxThreads: THREADS });
    return {
      run(upload, params) {
        const image = Pool.buffer(upload.length);
        new Uint8Array(image).set(upload);
        return pool.run({ image, ...params }, { transferList: [image] });
      },
      close: () => pool.destroy(),
    };
  }
  if (mode === 'piscina') {
    const { Piscina } = require('piscina');
    const pool = new Piscina({ filename: path.join(__dirname, 'fixtures', 'image-piscina.js'), minThreads: THREADS, maxThreads: THREADS });
    return {
      run(upload, params) {
        const image = new Uint8Array(upload).buffer; // one copy, as for nativepool, into a buffer it may transfer
        return pool.run({ image, ...params }, { transferList: [image] });
      },
      close: () => pool.destroy(),
    };
  }
  throw new Error(`unknown mode ${mode}`);
}

async function server(mode) {
  const express = require('express');
  const multer = require('multer');
  require('sharp'); // loaded by the main thread first (sharp's advice for worker threads on glibc)
  const resizer = await makeResize(mode);
  const upload = multer({ storage: multer.memoryStorage() }).single('image');
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  let served = 0;
  let failed = 0;
  let firstError = null;
  app.get('/health', (req, res) => { res.send('ok'); });
  app.post('/resize', upload, async (req, res) => {
    try {
      const out = await resizer.run(req.file.buffer, SETTINGS.resize);
      served++;
      res.type(`image/${out.format}`).send(Buffer.from(out.data));
    } catch (err) {
      failed++;
      firstError ??= String(err.message);
      res.status(500).send(String(err.message));
    }
  });
  const srv = app.listen(0, SETTINGS.host);
  await once(srv, 'listening');
  // Warm-up: every worker has loaded sharp and resized once before anything is measured.
  const warm = await require('sharp')({ create: { width: 64, height: 48, channels: 3, background: '#888' } }).jpeg().toBuffer();
  await Promise.all(Array.from({ length: THREADS * 2 }, () => resizer.run(warm, SETTINGS.resize)));
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const wall0 = process.hrtime.bigint();
  process.send({ type: 'listening', port: srv.address().port });
  await new Promise((resolve) => process.on('message', (m) => { if (m === 'stop') resolve(); }));
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const wallUs = Number(process.hrtime.bigint() - wall0) / 1e3;
  const counts = { served, failed, firstError };
  srv.closeAllConnections();
  srv.close();
  await resizer.close();
  return { ...counts, cpuUs: cpu.user + cpu.system, wallUs, cores: (cpu.user + cpu.system) / wallUs, elu: elu.utilization };
}

// --- load process ---------------------------------------------------------------------
async function load(opts) {
  const autocannon = require('autocannon');
  const sharp = require('sharp');
  const { width, height, quality } = SETTINGS.image;
  const input = await sharp({ create: { width, height, channels: 3, background: { r: 90, g: 140, b: 200 }, noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
    .jpeg({ quality })
    .toBuffer();
  const form = new FormData();
  form.append('image', new Blob([input], { type: 'image/jpeg' }), 'photo.jpg');
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  const result = await autocannon({
    url: `http://${SETTINGS.host}:${opts.port}/resize`,
    method: 'POST',
    headers: { 'content-type': encoded.headers.get('content-type') },
    body,
    connections: opts.connections,
    duration: opts.seconds,
  });
  return {
    inputBytes: input.length,
    rps: result.requests.total / result.duration,
    total: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
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
  await get();
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

// --- parent: one run = server + load + probe --------------------------------------------
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
  try {
    const margin = SETTINGS.probeMarginMs;
    const probeP = forkChild(__filename, 'probe', { env, opts: { port, delayMs: margin, durationMs: seconds * 1000 - 2 * margin }, timeoutMs: (seconds + 30) * 1000 });
    const loadP = forkChild(__filename, 'load', { env, opts: { port, seconds, connections }, timeoutMs: (seconds + 30) * 1000 });
    const health = (await probeP).result;
    const work = (await loadP).result;
    out = { work, health, figures: { imagesPerSec: work.rps, resizeP99: work.p99Ms * 1000, healthP50: health.p50, healthP99: health.p99, healthMax: health.max } };
  } finally {
    if (serverChild) serverChild.send('stop');
  }
  const srv = await serverDone.then((r) => r.result, () => null);
  out.server = srv;
  if (srv) {
    out.figures.cpuPerImage = srv.served ? srv.cpuUs / srv.served : null;
    out.figures.serverCores = srv.cores;
    out.figures.mainElu = 100 * srv.elu;
    if (srv.failed || out.work.non2xx) out.notes = { failures: `${srv.failed} failed resizes (${srv.firstError}), ${out.work.non2xx} non-2xx answers` };
  }
  return out;
}

const spec = {
  name: 'image-service',
  question: 'Express + multer + sharp: images/s and /health latency with sharp on the main thread, in nativepool, in Piscina',
  file: __filename,
  libs: ['main', 'main-capped', 'nativepool', 'piscina'],
  defaultRounds: 1,
  settings: {
    ...SETTINGS,
    rows: 'main = sharp called in the route (libvips still runs on libuv\'s thread pool); main-capped = the same with at most 2 resizes at once; nativepool / piscina = sharp in 2 pool threads',
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE || '4 (default)',
    load: 'autocannon programmatic API, its own process, one pre-encoded multipart body',
    probe: 'own process, sequential GET /health every 5 ms on one keep-alive connection',
  },
  figures: [
    { key: 'imagesPerSec', label: 'images/s', unit: '', better: 'higher' },
    { key: 'resizeP99', label: '/resize p99', unit: 'us', better: 'lower' },
    { key: 'healthP50', label: '/health p50', unit: 'us', better: 'lower' },
    { key: 'healthP99', label: '/health p99', unit: 'us', better: 'lower' },
    { key: 'healthMax', label: '/health max', unit: 'us', better: 'lower' },
    { key: 'cpuPerImage', label: 'server CPU/image', unit: 'us', better: 'lower' },
    { key: 'serverCores', label: 'server cores', unit: '', better: 'lower', ratio: false },
    { key: 'mainElu', label: 'main ELU', unit: '%', better: 'lower' },
  ],
  progress: (r) => `${Math.round(r.figures.imagesPerSec)} images/s, /health p99 ${Math.round(r.figures.healthP99)} µs`,
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
