'use strict';
// Question: what does nativepool/bullmq cost and gain beside plain BullMQ
// with a sandboxed processor, on one machine's Redis?
//   - tiny jobs (the handler returns its small-integer input), all queued at
//     once: jobs/s, with 1 and with 2 consumer processes (2 threads / a
//     concurrency of 2 each);
//   - sequential round trips on an idle queue: p50;
//   - bytes Redis stores for a job carrying a 100 KB Buffer and for its result.
// Both producers settle by job id from one QueueEvents subscription.
//   node bench/bullmq.js [--jobs 5000] [--samples 300] [--json] [--no-write]
const fs = require('node:fs');
const os = require('node:os');
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const { parseArgs, positiveInt } = require('./lib/args');
const { machine } = require('./lib/machine');
const { table, num, duration } = require('./lib/format');
const { quantile } = require('./lib/stats');
const { startRedis, startConsumer, startProcess } = require('../test/js/helpers/redis');
const { RemotePool } = require('../lib/bullmq');
const { Queue, QueueEvents } = require('bullmq');
const IORedis = require('ioredis');

const THREADS = 2;
const PAYLOAD = 100 * 1000;

/** Plain BullMQ producer: add() with a chosen id, results from one QueueEvents (as RemotePool does, minus the codec). */
async function plainProducer(queue, socket) {
  const connection = { path: socket };
  const q = new Queue(queue, { connection });
  const ev = new QueueEvents(queue, { connection, autorun: false, lastEventId: '0-0' });
  const waiters = new Map();
  ev.on('completed', ({ jobId, returnvalue }) => {
    const w = waiters.get(jobId);
    if (w) { waiters.delete(jobId); w.resolve(returnvalue); }
  });
  ev.on('failed', ({ jobId, failedReason }) => {
    const w = waiters.get(jobId);
    if (w) { waiters.delete(jobId); w.reject(new Error(failedReason)); }
  });
  ev.run().catch(() => undefined);
  await ev.waitUntilReady();
  let seq = 0;
  return {
    queue: q,
    run(x) {
      const jobId = `p-${++seq}`;
      const p = new Promise((resolve, reject) => waiters.set(jobId, { resolve, reject }));
      q.add('default', { x }, { jobId, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
      return p;
    },
    async close() {
      await ev.close();
      await q.close();
    },
  };
}

async function burst(run, jobs) {
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: jobs }, (_, i) => run(i)));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  results.forEach((v, i) => { if (v !== i) throw new Error(`job ${i} returned ${v}`); });
  return jobs / s;
}

async function roundTrips(run, samples) {
  for (let i = 0; i < 20; i++) await run(i);
  const us = [];
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    await run(i);
    us.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return quantile(us, 0.5);
}

async function scenario(redis, kind, consumers, opts) {
  const queue = `bench-${kind}-${consumers}-${Date.now()}`;
  const procs = [];
  for (let i = 0; i < consumers; i++) {
    procs.push(kind === 'nativepool'
      ? startConsumer({ queue, socket: redis.socket, filename: path.join(__dirname, 'fixtures', 'remote-echo.js'), threads: THREADS })
      : startProcess([path.join(__dirname, 'fixtures', 'bullmq-plain-worker.js'), queue, redis.socket, String(THREADS)], 'plain worker'));
  }
  const started = await Promise.all(procs);
  let producer;
  let run;
  if (kind === 'nativepool') {
    producer = new RemotePool({ queue, connection: redis.socket });
    run = (x) => producer.run(x);
  } else {
    producer = await plainProducer(queue, redis.socket);
    run = (x) => producer.run(x);
  }
  try {
    await burst(run, 200); // warm up consumers (sandboxed children, worker threads)
    const jobsPerSec = await burst(run, opts.jobs);
    const p50 = await roundTrips(run, opts.samples);
    return { kind, consumers, jobsPerSec, p50us: p50 };
  } finally {
    await producer.close();
    for (const c of started) {
      c.child.kill('SIGTERM');
      await c.exited;
    }
  }
}

/** Bytes Redis holds for one job carrying a 100 KB Buffer: its data field and its result. */
async function payloadBytes(redis) {
  const client = new IORedis({ path: redis.socket });
  const out = {};
  try {
    for (const kind of ['nativepool', 'bullmq']) {
      const queue = `bench-bytes-${kind}-${Date.now()}`;
      const buf = randomBytes(PAYLOAD); // binary data (an image, a file), not a run of one byte
      let c;
      let producer;
      let value;
      if (kind === 'nativepool') {
        c = await startConsumer({ queue, socket: redis.socket, filename: path.join(__dirname, 'fixtures', 'remote-echo.js'), threads: 1 });
        producer = new RemotePool({ queue, connection: redis.socket });
        value = await producer.run(buf);
        if (!Buffer.isBuffer(value) || !value.equals(buf)) throw new Error('nativepool: the Buffer did not come back as a Buffer');
      } else {
        c = await startProcess([path.join(__dirname, 'fixtures', 'bullmq-plain-worker.js'), queue, redis.socket, '1'], 'plain worker');
        producer = await plainProducer(queue, redis.socket);
        value = await producer.run(buf);
      }
      const [key] = (await client.keys(`bull:${queue}:*`)).filter((k) => /:[^:]*-\d+$/.test(k));
      out[kind] = {
        data: await client.hstrlen(key, 'data'),
        result: await client.hstrlen(key, 'returnvalue'),
        resultIsBuffer: Buffer.isBuffer(value),
      };
      await producer.close();
      c.child.kill('SIGTERM');
      await c.exited;
    }
  } finally {
    await client.quit();
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const opts = {
    jobs: args.extra.jobs === undefined ? 5000 : positiveInt('--jobs', args.extra.jobs),
    samples: args.extra.samples === undefined ? 300 : positiveInt('--samples', args.extra.samples),
  };
  const loadBefore = os.loadavg();
  const redis = await startRedis();
  const rows = [];
  let bytes;
  try {
    for (const consumers of [1, 2]) {
      for (const kind of ['nativepool', 'bullmq']) {
        const r = await scenario(redis, kind, consumers, opts);
        rows.push(r);
        if (!args.json) process.stderr.write(`${kind} x${consumers}: ${num(r.jobsPerSec)} jobs/s, p50 ${duration(r.p50us)}\n`);
      }
    }
    bytes = await payloadBytes(redis);
  } finally {
    await redis.destroy();
  }
  const result = {
    name: 'bullmq',
    question: 'nativepool/bullmq beside plain BullMQ with a sandboxed processor: tiny-job throughput and round trip, bytes per 100 KB Buffer job',
    settings: { ...opts, threadsOrConcurrencyPerConsumer: THREADS, payloadBytes: PAYLOAD, redis: 'redis-server on a unix socket, persistence off' },
    machine: machine(),
    loadavg: { before: loadBefore, after: os.loadavg() },
    rows,
    bytes,
  };
  if (args.write) {
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'bullmq.json'), `${JSON.stringify(result, null, 2)}\n`);
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  console.log(`load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const label = { nativepool: 'nativepool/bullmq (nativepool-worker)', bullmq: 'BullMQ, sandboxed processor' };
  console.log(table([
    ['consumers × 2', 'jobs/s (tiny, all queued)', 'p50 round trip (idle)'],
    ...rows.map((r) => [`${label[r.kind]}, ${r.consumers}`, num(r.jobsPerSec), duration(r.p50us)]),
  ]));
  console.log();
  console.log(table([
    ['100 KB Buffer job', 'job data in Redis', 'result in Redis', 'result arrives as'],
    ...Object.entries(bytes).map(([k, b]) => [label[k], `${num(b.data)} B`, `${num(b.result)} B`, b.resultIsBuffer ? 'Buffer' : 'plain object']),
  ]));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
