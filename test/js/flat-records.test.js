'use strict';
// Flat records (src/wire.h IsFlatRecord: a scalar, or an object of scalars
// with Latin-1 keys) are decoded in JS on a worker thread
// (lib/wire-helpers.js decodeFlat, fed from the port's inbox). The oracle
// is structuredClone: whatever wrote the record — run()'s own encoder
// (encodeTask) or the binding's (wireEncode, the general path) — the value
// decoded must clone-equal it.
const assert = require('node:assert/strict');
const binding = require('../../lib/binding');
const { assertCloneEqual } = require('./helpers/clone-equal');
const { fixture, poolTracker } = require('./helpers/pool');

const { encodeTask, decodeFlat, flat } = binding.wireHelpers;
const FLAT = binding.constants.wire.classify.FLAT;

function keyed(n, prefix) {
  const o = {};
  for (let i = 0; i < n; i++) o[`${prefix}${i}`] = i % 2 === 0 ? i : `v${i}`;
  return o;
}

// Every kind of scalar at its edges, and objects of them.
const VALUES = [
  0, 1, -1, 63, 64, -64, -65, 8191, 8192, 2147483647, -2147483648, 2147483648, -2147483649,
  -0, 0.5, -1e-300, 1e300, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE,
  '', 'x', 'tag', 'é\u00ff\u0080\u0000', 'a'.repeat(16), 'b'.repeat(17), 'c'.repeat(5000),
  true, false, null, undefined,
  {}, { a: 1, tag: 'x' }, { tag: 'x', a: 1 }, { u: undefined, n: null, t: true, f: false, d: -0, s: 'é' },
  JSON.parse('{"__proto__": 1, "b": 2}'),
  { long: 'z'.repeat(300), short: 'z' },
  keyed(64, 'k'), keyed(65, 'k'),
];

describe('flat records decoded in JS (decodeFlat)', function () {
  it("reads back what run()'s encoder wrote, as structuredClone would copy it", () => {
    for (const [i, v] of VALUES.entries()) {
      const r = encodeTask(v);
      // Too long for run()'s 4 KiB scratch: the binding writes it (next test).
      if (typeof v === 'string' && v.length > 4000) {
        assert.equal(r, undefined);
        continue;
      }
      assert.equal(typeof r, 'number', `value #${i} is flat`);
      const back = decodeFlat(flat, 0);
      assertCloneEqual(back, structuredClone(v), `value #${i}`);
    }
  });

  it("reads back what the binding's encoder wrote for the same values", () => {
    for (const [i, v] of VALUES.entries()) {
      const message = binding.wireEncode(v); // header (2 bytes), then the record
      assertCloneEqual(decodeFlat(message, 2), structuredClone(v), `value #${i}`);
    }
  });

  it('keeps a __proto__ key an own property, not the prototype', () => {
    const v = JSON.parse('{"__proto__": { "polluted": true }, "a": 1}');
    // Not flat (an object inside): through the binding. A flat one:
    assert.notEqual(typeof encodeTask(v), 'number');
    encodeTask(JSON.parse('{"__proto__": "p", "a": 1}'));
    const back = decodeFlat(flat, 0);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.keys(back), ['__proto__', 'a']);
    assert.equal(Object.getOwnPropertyDescriptor(back, '__proto__').value, 'p');
    assert.equal({}.polluted, undefined);
  });

  it('gives every short string its own characters, whatever shares its cache slot', () => {
    // Far more distinct strings than the cache has slots, each read twice in
    // a row and again later, so slots are hit, missed and overwritten.
    const words = [];
    for (let i = 0; i < 20000; i++) words.push(i.toString(36).padStart((i % 16) + 1, '~'));
    for (let round = 0; round < 2; round++) {
      for (const w of words) {
        for (let twice = 0; twice < 2; twice++) {
          const r = encodeTask({ [w]: w });
          assert.equal(typeof r, 'number');
          const back = decodeFlat(flat, 0);
          assert.deepEqual(Object.keys(back), [w]);
          assert.equal(back[w], w);
        }
      }
    }
  });

  describe('through a worker thread', function () {
    this.timeout(20000);
    const pools = poolTracker({ runtime: 'thread' });
    afterEach(() => pools.cleanup());

    it('delivers every flat argument of a batch as structuredClone would, and returns it the same way', async () => {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
      await pool.run(0); // started, so the values below reach it as one batch
      // run()'s own encoder (no options), and the binding's (a signal makes
      // a task go the general way): both decoded in the worker's JS.
      const direct = VALUES.map((v) => pool.run(v));
      const general = VALUES.map((v) => pool.run(v, { signal: new AbortController().signal }));
      const back = await Promise.all([...direct, ...general]);
      for (const [i, v] of [...VALUES, ...VALUES].entries()) assertCloneEqual(back[i], structuredClone(v), `task #${i}`);
    });

    it('decodes a batch larger than the inbox, each task once', async () => {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
      await pool.run(0);
      // 256 tasks (a whole batch) of ~1 KiB records: 256 KiB, four times the 64 KiB inbox.
      const tasks = [];
      for (let i = 0; i < 256; i++) tasks.push({ i, pad: String.fromCharCode(97 + (i % 26)).repeat(1000) });
      const back = await Promise.all(tasks.map((t) => pool.run(t)));
      assert.deepEqual(back, tasks);
    });
  });
});

// The answer encodeTask gives is FLAT + length: a sanity check of the constant this file relies on.
assert.ok(FLAT > 0);
