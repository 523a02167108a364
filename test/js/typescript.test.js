'use strict';
// TypeScript worker files (issue #10, #18): loaded the way the parent loads
// them — through tsx's hooks, or Node's own type stripping where this Node
// has it (process.features.typescript, default from 22.18 / 23.6) — and a
// coded ERR_HANDLER_LOAD naming the file where neither is there.
const assert = require('node:assert');
const { runChild, fixture, ROOT } = require('./helpers/pool');

const strips = Boolean(process.features && process.features.typescript);
// Node 20 does not apply ESM loader hooks (tsx's, registered by --import) in
// worker threads: an .mts handler cannot load there; CommonJS .ts can (tsx's
// require hook). Node 22 and later apply them.
const esmHooksInWorkers = Number(process.versions.node.split('.')[0]) >= 22;

function script() {
  return `
    const Pool = require(${JSON.stringify(ROOT)});
    const pool = new Pool({ filename: ${JSON.stringify(fixture('ts/add.ts'))}, minThreads: 1, maxThreads: 1 });
    const outcome = (p) => p.then((v) => ({ ok: v }), (e) => ({ code: e.code, message: e.message }));
    (async () => {
      const add = await outcome(pool.run({ a: 2, b: 3 }));
      const mul = await outcome(pool.run({ a: 2, b: 3 }, { name: 'mul' }));
      const sub = await outcome(pool.run({ a: 2, b: 3 }, { filename: ${JSON.stringify(fixture('ts/sub.mts'))} }));
      await pool.destroy();
      console.log(JSON.stringify({ add, mul, sub }));
    })();
  `;
}

describe('TypeScript worker files', function () {
  this.timeout(60000);

  it(`run under tsx (node --import tsx): CommonJS .ts${esmHooksInWorkers ? ' and ESM .mts' : '; ESM .mts rejects with ERR_HANDLER_LOAD on Node 20'}`, async () => {
    const r = await runChild({ code: script(), nodeArgs: ['--import', 'tsx'], killAfterMs: 30000 });
    assert.strictEqual(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.deepStrictEqual(out.add, { ok: 5 });
    assert.deepStrictEqual(out.mul, { ok: 6 });
    if (esmHooksInWorkers) {
      assert.deepStrictEqual(out.sub, { ok: -1 });
    } else {
      assert.strictEqual(out.sub.code, 'ERR_HANDLER_LOAD');
      assert.match(out.sub.message, /sub\.mts/);
    }
  });

  it(`${strips ? 'run' : 'reject with ERR_HANDLER_LOAD naming the file'} under plain node ${process.version} (type stripping: ${strips ? 'yes' : 'no'})`, async () => {
    const r = await runChild({ code: script(), killAfterMs: 30000 });
    assert.strictEqual(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    if (strips) {
      assert.deepStrictEqual(out, { add: { ok: 5 }, mul: { ok: 6 }, sub: { ok: -1 } });
    } else {
      assert.strictEqual(out.add.code, 'ERR_HANDLER_LOAD');
      assert.match(out.add.message, /add\.ts/);
    }
  });
});
