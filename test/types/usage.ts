// Usages that must compile.
import Pool = require('nativepool');
import { Worker } from 'node:worker_threads';
import type { ChildProcess } from 'node:child_process';

const pool = new Pool({ filename: __dirname + '/worker.js', minThreads: 1, maxThreads: 4, maxQueue: 'auto' });
const typed = new Pool<number, string>({ filename: new URL('file:///tmp/w.js'), idleTimeout: 1000 });

async function main(): Promise<void> {
  const n: number = await pool.run<number, number>(21);
  const s: string = await typed.run(21);
  const any: unknown = await pool.run({ a: 1 }, { name: 'fn', filename: '/tmp/w.js', priority: 1 });
  const ac = new AbortController();
  await pool.run(new Uint8Array(4), { signal: ac.signal, transferList: [new ArrayBuffer(8)] });
  await pool.run(Pool.move(new Uint8Array(8)));
  const big: ArrayBuffer = Pool.buffer(1 << 20);
  await pool.run(Pool.move(new Uint8Array(big)), { transferList: [pool.buffer(16)] });
  pool.on('workerCreate', (w: Worker) => void w.threadId);
  const procs = new Pool({ filename: '/tmp/w.js', runtime: 'process' });
  procs.on('workerCreate', (child: ChildProcess) => void child.pid);
  pool.on('error', (e: Error) => void e.message);
  pool.once('drain', () => undefined);
  const p50: number | undefined = pool.histogram.runTime?.p50;
  const q: number = pool.queueSize + pool.completed + pool.utilization + pool.duration + pool.threads.length;
  const needs: boolean = pool.needsDrain;
  const inWorker: boolean = Pool.isWorkerThread;
  const v: string = Pool.version;
  const sym: symbol = Pool.transferableSymbol;
  const P2: typeof Pool = Pool.Pool;
  const resilient = new Pool({ filename: '/tmp/w.js', timeout: 5000, retry: { attempts: 3, delay: 100, backoff: 'exponential', maxDelay: 1000, retryOn: (e, n) => n < 3 && e instanceof Error }, maxTasksPerWorker: 1000, maxHeapUsedMb: 256 });
  await resilient.ready();
  await resilient.run(1, { timeout: 100, retry: null });
  await resilient.run(1, { retry: { attempts: 2 } });
  resilient.on('taskTimeout', (e) => void e.error.code);
  resilient.on('taskRetry', (e) => void (e.attempt + e.delay));
  resilient.on('workerRecycle', (w, info) => void [w.threadId, info.reason]);
  resilient.on('workerDestroy', (w, info) => void [w.threadId, info.reason === 'timeout', info.exitCode]);
  await pool.close({ force: true });
  await typed.destroy();
  void [n, s, any, p50, q, needs, inWorker, v, sym, P2];
}
void main;
