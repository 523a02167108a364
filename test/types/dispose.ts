// `await using` with a Pool (Node 24+ runs it; tsc checks the contract on
// every Node): index.d.ts declares [Symbol.asyncDispose].
import Pool = require('nativepool');

export async function scoped(): Promise<number> {
  await using pool = new Pool({ filename: __dirname + '/worker.js' });
  return pool.run<number, number>(21);
}

export async function onStack(): Promise<void> {
  await using stack = new AsyncDisposableStack();
  const pool = stack.use(new Pool({ filename: __dirname + '/worker.js' }));
  await pool.run(1);
}

// `using` (sync): index.d.ts declares [Symbol.dispose] (it starts close()).
export function scopedSync(): void {
  using pool = new Pool({ filename: __dirname + '/worker.js' });
  void pool.queueSize;
}
