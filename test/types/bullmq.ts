// nativepool/bullmq usages that must compile, and (with @ts-expect-error) must not.
import Pool = require('nativepool');
import { RemotePool, serveQueue, bullPriority, CANCEL_EVENT, RemoteErrorCode, RemoteStats } from 'nativepool/bullmq';

async function main(): Promise<void> {
  const remote = new RemotePool<number, string>({
    queue: 'jobs',
    connection: 'redis://127.0.0.1:6379',
    defaults: { name: 'render', retry: { attempts: 3, delay: 100, backoff: 'exponential', maxDelay: 5000 } },
    maxQueue: 1000,
    resultAge: 600,
  });
  const ac = new AbortController();
  const s: string = await remote.run(1, { name: 'x', priority: 5, signal: ac.signal, timeout: 1000, retry: { attempts: 2 } });
  const onSocket = new RemotePool({ queue: 'jobs', connection: '/tmp/redis.sock' });
  const onObject = new RemotePool({ queue: 'jobs', connection: { host: 'localhost', port: 6379, db: 2 } });
  remote.on('needsDrain', () => undefined).on('drain', () => undefined);
  const stats: RemoteStats = await remote.stats();
  const sizes: number = remote.queueSize + remote.pendingCount + remote.completed + stats.counts.waiting;
  await remote.close();
  await onSocket.close({ force: true });
  await onObject.destroy();

  const pool = new Pool({ filename: '/tmp/worker.js', maxThreads: 4 });
  const server = serveQueue({ queue: 'jobs', connection: { path: '/tmp/redis.sock' }, pool, concurrency: 8, worker: { lockDuration: 10000 } });
  await server.ready();
  const c: number = server.concurrency;
  await server.close();
  const code: RemoteErrorCode = 'ERR_REMOTE_JOB_LOST';
  const p: number = bullPriority(10);
  const ev: 'nativepool:cancel' = CANCEL_EVENT;

  // @ts-expect-error queue is required
  new RemotePool({ connection: 'redis://x' });
  // @ts-expect-error the typed producer's task is a number
  void remote.run('one');
  // @ts-expect-error backoff is 'fixed' or 'exponential'
  void remote.run(1, { retry: { backoff: 'linear' } });
  // @ts-expect-error transferList does not cross Redis
  void remote.run(1, { transferList: [] });
  // @ts-expect-error serveQueue needs a pool
  serveQueue({ queue: 'jobs', connection: 'redis://x' });
  void [s, sizes, c, code, p, ev];
}
void main;
