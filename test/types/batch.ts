// runMany() and map(): usages that must compile, and misuses that must not.
import Pool = require('nativepool');

const typed = new Pool<number, string>({ filename: '/tmp/w.js' });

async function batch(): Promise<void> {
  const all: string[] = await typed.runMany([1, 2, 3]);
  const some: string[] = await typed.runMany(new Set([1]), { name: 'fn', priority: 1, timeout: 50, signal: AbortSignal.timeout(10) });
  const settled: PromiseSettledResult<string>[] = await typed.runMany([1], { settle: 'all' });
  for (const s of settled) if (s.status === 'fulfilled') void s.value.toUpperCase();
  for await (const r of typed.map([1, 2], { concurrency: 4 })) void r.toUpperCase();
  async function* gen(): AsyncGenerator<number> {
    yield 1;
  }
  for await (const e of typed.map(gen(), { settle: 'all' })) if (e.status === 'rejected') void e.reason;
  // @ts-expect-error transferList is not a batch option
  await typed.runMany([1], { transferList: [] });
  // @ts-expect-error settle takes 'all' or 'fail-fast'
  await typed.runMany([1], { settle: 'some' });
  void all;
  void some;
}

void batch;
