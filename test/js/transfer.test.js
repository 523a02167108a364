'use strict';
// Interim transfer semantics (lib/transfer.js): the bytes reach the worker
// and the source is detached, as postMessage's transfer would.
const assert = require('node:assert/strict');
const { Pool, fixture, poolTracker, rejection } = require('./helpers/pool');

const bytes = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

describe('pool.run() transfer', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());
  const make = () => pools.make({ filename: fixture('bytes.js'), minThreads: 1, maxThreads: 1 });

  it('detaches an ArrayBuffer given in transferList and the worker receives its bytes', async function () {
    const pool = make();
    const src = bytes(64);
    const buf = src.buffer;
    const task = pool.run({ buf }, { transferList: [buf] });
    assert.equal(buf.byteLength, 0, 'the source is detached when run() returns');
    const r = await task;
    assert.equal(r.kind, '[object ArrayBuffer]');
    assert.deepEqual(r.bytes, Array.from(bytes(64)));
  });

  it('detaches a typed array moved with Pool.move() and the worker receives its bytes', async function () {
    const pool = make();
    const u8 = bytes(100);
    const task = pool.run(Pool.move(u8));
    assert.equal(u8.byteLength, 0);
    assert.equal(u8.buffer.byteLength, 0);
    const r = await task;
    assert.equal(r.kind, '[object Uint8Array]');
    assert.deepEqual(r.bytes, Array.from(bytes(100)));
  });

  it('detaches the buffer of a typed array listed in transferList', async function () {
    const pool = make();
    const u8 = bytes(16);
    const task = pool.run(u8, { transferList: [u8] });
    assert.equal(u8.byteLength, 0);
    assert.deepEqual((await task).bytes, Array.from(bytes(16)));
  });

  it('moves a large buffer intact', async function () {
    const pool = make();
    const u8 = bytes(4 * 1024 * 1024);
    const expectedSum = u8.reduce((s, x) => s + x, 0);
    const r = await pool.run(Pool.move(u8), { name: 'checksum' });
    assert.equal(u8.byteLength, 0);
    assert.deepEqual(r, { length: 4 * 1024 * 1024, sum: expectedSum });
  });

  it('leaves a buffer that is not transferred intact (copied)', async function () {
    const pool = make();
    const u8 = bytes(8);
    const r = await pool.run(u8);
    assert.equal(u8.byteLength, 8);
    assert.deepEqual(r.bytes, Array.from(u8));
  });

  it('does not detach the source when the task is rejected before it is queued', async function () {
    const pool = make();
    await pool.close();
    const u8 = bytes(8);
    const err = await rejection(pool.run(Pool.move(u8)));
    assert.equal(err.code, 'ERR_POOL_CLOSED');
    assert.equal(u8.byteLength, 8);
  });

  it('rejects (no synchronous throw) a transferList entry that is not transferable', async function () {
    const pool = make();
    let promise;
    assert.doesNotThrow(() => { promise = pool.run(1, { transferList: [{}] }); });
    assert.ok((await rejection(promise)) instanceof TypeError);
  });

  it('returns a moved buffer from the worker', async function () {
    const pool = pools.make({ filename: fixture('bytes.js'), name: 'moveBack', minThreads: 1, maxThreads: 1 });
    const r = await pool.run(5);
    assert.ok(r instanceof Uint8Array);
    assert.deepEqual(Array.from(r), [0, 1, 2, 3, 4]);
  });

  describe("Piscina's Transferable interface", function () {
    it("uses Piscina's registered symbols, so objects written for Piscina are recognised", function () {
      assert.equal(Pool.transferableSymbol, Symbol.for('Piscina.transferable'));
      assert.equal(Pool.valueSymbol, Symbol.for('Piscina.valueOf'));
    });

    it('transfers every buffer a [transferableSymbol] getter returns as an array, and sends [valueSymbol]', async function () {
      const { Shared } = require(fixture('transferable-class.js'));
      const pool = pools.make({ filename: fixture('transferable-class.js'), name: 'describe', minThreads: 1, maxThreads: 1 });
      const data = new ArrayBuffer(64);
      assert.deepEqual(await pool.run(Pool.move(new Shared(data))), { name: 'shared', length: 64 });
      assert.equal(data.byteLength, 0, 'the buffer was transferred');
    });

    it('transfers the array a worker result\'s [transferableSymbol] returns', async function () {
      const pool = pools.make({ filename: fixture('transferable-class.js'), minThreads: 1, maxThreads: 1 });
      const r = await pool.run(null, { name: 'send' });
      assert.equal(r.name, 'shared');
      assert.equal(r.data.byteLength, 128);
      assert.equal(await pool.run(null, { name: 'sentLength' }), 0, "the worker's buffer was detached");
    });
  });
});
