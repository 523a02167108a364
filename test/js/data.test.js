'use strict';
// Data across threads (issue #5): structuredClone semantics through
// pool.run(), SharedArrayBuffers shared both ways, transfers that detach the
// source and deliver the bytes, and uncloneables that reject one task.
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { MessageChannel } = require('node:worker_threads');
const Pool = require('../..');
const { generateValues } = require('./helpers/gen-values');
const { oracle, NO_ORACLE } = require('./helpers/oracle');
const { assertCloneEqual } = require('./helpers/clone-equal');
const { RUNTIMES } = require('./helpers/runtimes');

const fixture = path.join(__dirname, '..', 'fixtures', 'data.js');
const root = path.resolve(__dirname, '..', '..');

for (const runtime of RUNTIMES) {
  describe(`data across threads [${runtime}]`, function () {
    this.timeout(60000);
    let pool;
    beforeEach(() => {
      pool = new Pool({ filename: fixture, minThreads: 2, maxThreads: 2, runtime });
    });
    afterEach(() => pool.destroy());

    describe('the structuredClone oracle', () => {
      it('returns what structuredClone returns for 2,000 generated values through an identity handler', async () => {
        const values = generateValues({ seed: 7, count: 2000, largeStrings: true });
        const results = await Promise.all(values.map((v) => pool.run(v)));
        let checked = 0;
        for (let i = 0; i < values.length; i++) {
          const expected = oracle(values[i]);
          if (expected === NO_ORACLE) continue; // V8 itself cannot clone it (see helpers/oracle.js)
          assertCloneEqual(results[i], expected, `value #${i}`);  // includes the identity shape
          checked++;
        }
        assert.ok(checked > values.length * 0.95, `${checked} of ${values.length} values had an oracle`);
      });

      it('keeps -0, NaN, BigInt and lone surrogates', async () => {
        const v = [-0, NaN, 2n ** 100n, -(2n ** 64n), '\ud800x', { k: '\udfff' }];
        const r = await pool.run(v);
        assert.ok(Object.is(r[0], -0));
        assert.ok(Number.isNaN(r[1]));
        assert.deepStrictEqual(r.slice(2), v.slice(2));
      });

      it('clones class instances as plain objects, as structuredClone does', async () => {
        class Point {
          constructor() {
            this.x = 1;
            this.y = [2];
          }
        }
        const r = await pool.run({ p: new Point(), boxed: new String('s') });
        assert.deepStrictEqual(r, structuredClone({ p: new Point(), boxed: new String('s') }));
      });
    });

    describe('uncloneable values', () => {
      for (const [what, make] of [
        ['a function', () => ({ f() {} })],
        ['a symbol', () => [Symbol('s')]],
        ['a WeakMap', () => new WeakMap()],
        ['a Promise', () => Promise.resolve(1)],
      ]) {
        it(`rejects that one task with ERR_DATA_CLONE for ${what}, and the pool carries on`, async () => {
          await assert.rejects(pool.run(make()), (err) => err.name === 'DataCloneError' && err.code === 'ERR_DATA_CLONE' && / could not be cloned/.test(err.message));
          assert.equal(await pool.run(5), 5);
        });
      }
    });

    if (runtime === 'process') {
      describe('SharedArrayBuffer', () => {
        it('rejects a task that carries one with a DataCloneError that says it cannot be shared with a child process, and the pool carries on', async () => {
          const view = new Int32Array(new SharedArrayBuffer(16));
          const err = await assert.rejects(pool.run({ view, i: 0 }, { name: 'bump' }), (e) => {
            assert.equal(e.name, 'DataCloneError');
            assert.equal(e.code, 'ERR_DATA_CLONE');
            assert.match(e.message, /SharedArrayBuffer could not be cloned/);
            assert.match(String(e.cause), /cannot be shared with a child process \(runtime: 'process'\)/);
            return true;
          });
          assert.equal(err, undefined);
          assert.equal(view[0], 0, 'nothing wrote to it');
          assert.equal(await pool.run(5), 5);
        });

        it('rejects a SharedArrayBuffer a handler returns with a DataCloneError', async () => {
          await assert.rejects(pool.run(2, { name: 'makeShared' }), { name: 'DataCloneError', code: 'ERR_DATA_CLONE' });
          assert.equal(await pool.run(6), 6);
        });
      });
    } else {
      describe('SharedArrayBuffer', () => {
        it('shares a SharedArrayBuffer: a handler writes, the main thread sees it, and the same buffer comes back', async () => {
          const view = new Int32Array(new SharedArrayBuffer(16));
          const back = await Promise.all([0, 1, 2, 3, 0, 0].map((i) => pool.run({ view, i }, { name: 'bump' })));
          assert.deepStrictEqual(Array.from(view), [3, 1, 1, 1]);
          for (const b of back) assert.equal(b.buffer, view.buffer, 'the result views the caller’s own SharedArrayBuffer');
        });

        it('shares a SharedArrayBuffer made in a worker with the main thread and the other workers', async () => {
          const made = await pool.run(4, { name: 'makeShared' });
          assert.ok(made.buffer instanceof SharedArrayBuffer);
          made[2] = 40;
          // Run it through both workers: every bump lands in the same memory.
          await Promise.all(Array.from({ length: 20 }, () => pool.run({ view: made, i: 2 }, { name: 'bump' })));
          assert.equal(made[2], 60);
        });

        it('lets Atomics.wait in a worker be woken by Atomics.notify on the main thread', async () => {
          const flag = new Int32Array(new SharedArrayBuffer(8));
          const answer = pool.run(flag, { name: 'waitOn' });
          while (Atomics.load(flag, 1) === 0) await new Promise((r) => setTimeout(r, 5));
          Atomics.store(flag, 0, 1);
          Atomics.notify(flag, 0);
          assert.ok(['ok', 'not-equal'].includes(await answer));
        });

        it('gives a worker started later the SharedArrayBuffers announced before it', async () => {
          const small = new Pool({ filename: fixture, minThreads: 1, maxThreads: 3, idleTimeout: 60000 });
          try {
            const view = new Int32Array(new SharedArrayBuffer(8));
            await small.run({ view, i: 0 }, { name: 'bump' });
            // Block the two existing workers, so the bumps below can only run
            // on a third worker started after the SAB was announced.
            const flags = [new Int32Array(new SharedArrayBuffer(8)), new Int32Array(new SharedArrayBuffer(8))];
            const blocked = flags.map((flag) => small.run(flag, { name: 'waitOn' }));
            for (const flag of flags) while (Atomics.load(flag, 1) === 0) await new Promise((r) => setTimeout(r, 5));
            assert.equal(small.threads.length, 2);
            await Promise.all(Array.from({ length: 10 }, () => small.run({ view, i: 1 }, { name: 'bump' })));
            assert.equal(small.threads.length, 3);
            assert.deepStrictEqual(Array.from(view), [1, 10]);
            for (const flag of flags) {
              Atomics.store(flag, 0, 1);
              Atomics.notify(flag, 0);
            }
            await Promise.all(blocked);
          } finally {
            await small.destroy();
          }
        });

        it('releases a SharedArrayBuffer id once the buffer is collected', function () {
          this.timeout(30000);
          const code = `
            const Pool = require(${JSON.stringify(root)});
            const pool = new Pool({ filename: ${JSON.stringify(fixture)}, minThreads: 1, maxThreads: 1 });
            (async () => {
              let view = new Int32Array(new SharedArrayBuffer(8));
              await pool.run({ view, i: 0 }, { name: 'bump' });
              const before = pool._sharedBufferIds;
              view = null;
              for (let i = 0; i < 20 && pool._sharedBufferIds > 0; i++) { global.gc(); await new Promise((r) => setTimeout(r, 20)); }
              const after = pool._sharedBufferIds;
              const next = new Int32Array(new SharedArrayBuffer(8));
              await pool.run({ view: next, i: 0 }, { name: 'bump' });
              console.log(JSON.stringify({ ok: next[0] === 1, before, after }));
              await pool.destroy();
            })();
          `;
          const r = spawnSync(process.execPath, ['--expose-gc', '-e', code], { encoding: 'utf8', timeout: 25000 });
          assert.equal(r.status, 0, r.stderr);
          const out = JSON.parse(r.stdout);
          assert.deepStrictEqual(out, { ok: true, before: 1, after: 0 });
        });
      });
    }

    describe('transfer', () => {
      for (const size of [1024, 1 << 20]) {
        it(`detaches a ${size}-byte transferList buffer and delivers its bytes`, async () => {
          const u8 = new Uint8Array(size).fill(7);
          u8[size - 1] = 9;
          const r = await pool.run(u8, { name: 'summarize', transferList: [u8.buffer] });
          assert.equal(u8.byteLength, 0, 'source detached');
          assert.deepStrictEqual(r, { length: size, first: 7, last: 9 });
        });
      }

      it('moves a pool buffer by pointer (move()) and detaches the source', async () => {
        const ab = Pool.buffer(1 << 20);
        const u8 = new Uint8Array(ab);
        u8.fill(5);
        const r = await pool.run(Pool.move(u8), { name: 'summarize' });
        assert.equal(ab.byteLength, 0);
        assert.deepStrictEqual(r, { length: 1 << 20, first: 5, last: 5 });
      });

      for (const pooled of [true, false]) {
        it(`moves a result back with move() (${pooled ? 'pool buffer' : 'V8 buffer'}) and detaches it in the worker`, async () => {
          const u8 = await pool.run({ size: 1 << 20, pooled, fill: 3 }, { name: 'moveBack' });
          assert.equal(u8.byteLength, 1 << 20);
          assert.equal(u8[12345], 3);
          const maker = new DataView(u8.buffer).getUint32(0, true);
          assert.ok(maker > 0, 'made by a worker');
          // The worker that made it (its id is in the first 4 bytes) now sees
          // it detached. It is one of two workers: ask until that one answers.
          let answer;
          for (let i = 0; i < 200 && !(answer && answer.worker === maker); i++) {
            const both = await Promise.all([pool.run(null, { name: 'lastMovedLength' }), pool.run(null, { name: 'lastMovedLength' })]);
            answer = both.find((a) => a.worker === maker) || both[0];
          }
          assert.strictEqual(answer.worker, maker, 'the worker that made the buffer answered');
          assert.strictEqual(answer.length, 0, 'it sees its buffer detached');
        });
      }

      if (runtime === 'process') {
        it('rejects a task that moves a MessagePort (it cannot reach another process) with a DataCloneError', async () => {
          const { port1, port2 } = new MessageChannel();
          await assert.rejects(pool.run(port2, { name: 'greet', transferList: [port2] }), { name: 'DataCloneError', code: 'ERR_DATA_CLONE' });
          port1.close();
          assert.equal(await pool.run(7), 7);
        });
      }

      if (runtime === 'thread') it('moves a MessagePort to the worker that runs the task', async () => {
        const { port1, port2 } = new MessageChannel();
        const got = new Promise((resolve) => port1.once('message', resolve));
        assert.equal(await pool.run(port2, { name: 'greet', transferList: [port2] }), 'sent');
        assert.equal(await got, 'hello through the side channel');
        port1.close();
      });

      it('rejects a transferList that holds something not transferable', async () => {
        await assert.rejects(pool.run(1, { transferList: ['x'] }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      });

      it('validates Pool.buffer(size)', () => {
        assert.throws(() => Pool.buffer(-1), RangeError);
        assert.throws(() => Pool.buffer(1.5), RangeError);
        assert.equal(Pool.buffer(0).byteLength, 0);
      });
    });
  });
}
