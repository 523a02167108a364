// Named imports, as Piscina's README writes them: `import { Piscina } from 'piscina'`.
import Default, { Pool, Piscina, move, isWorkerThread } from 'nativepool';

const p: Pool = new Pool({});
const q: Piscina<number, string> = new Piscina({});
const d: Default = new Default({});
const sameClass: typeof Default = Piscina;
const r: Promise<string> = q.run(1);
const m = move(new ArrayBuffer(1));
const w: boolean = isWorkerThread;

export { p, d, m, w, r, sameClass };
