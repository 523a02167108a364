// pool.stats(), pool.metrics() and nativepool/prometheus: usages that must
// compile, and (with @ts-expect-error) ones that must not.
import Pool = require('nativepool');
import { register } from 'nativepool/prometheus';
import { Registry } from 'prom-client';

const pool = new Pool({ filename: '/tmp/w.js' });
const s: Pool.Stats = pool.stats();
const sum: number = s.completed + s.failed + s.workerExited + s.cancelled + s.aborted + s.timedOut;
const lanes: number[] = s.queuedByLane;
const busy: number = s.workersByState.busy + s.rejected.queueFull + (s.workerExits.crash ?? 0);
const p99: number = s.runTime.p99 + s.waitTime.p50;
for (const w of s.workers) {
  const state: 'starting' | 'idle' | 'busy' | 'stopping' = w.state;
  const heap: number | null = w.heapUsedBytes;
  void [state, heap, w.currentTaskMs, w.tasksDone, w.eventLoopUtilization, w.threadId];
}
const text: string = pool.metrics({ prefix: 'app_', labels: { pool: 'images', shard: 2 } });
const unregister: () => void = register(pool, { registry: new Registry(), labels: { pool: 'images' } });
unregister();
// @ts-expect-error labels are strings or numbers
register(pool, { labels: { pool: true } });
// @ts-expect-error the registry must be a registry
register(pool, { registry: {} });
// @ts-expect-error stats() takes no argument
pool.stats(1);
void [sum, lanes, busy, p99, text];
