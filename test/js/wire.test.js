'use strict';
// The wire format against its oracle, structuredClone: for cloneable `v`,
// wireDecode(wireEncode(v)) deep-equals structuredClone(v) and has the same
// identity structure (shared references, cycles, views sharing a buffer).
// Where nativepool deliberately differs, the oracle is adjusted and the test
// says so: Buffers decode as Buffers, Errors keep custom names, own
// properties and AggregateError#errors.

const assert = require('node:assert');
const path = require('node:path');
const { MessageChannel, Worker } = require('node:worker_threads');
const addon = require('../../lib/binding');
const { generateValues } = require('./helpers/gen-values');

const { wireEncode, wireDecode, wireRoundTrip } = addon;
const viaBuffer = (v, ext) => wireDecode(wireEncode(v, ext), ext);

const { identityShape, oracle, NO_ORACLE } = require('./helpers/oracle');
const { assertCloneEqual } = require('./helpers/clone-equal');

function assertDataCloneError(fn, what) {
  assert.throws(fn, (err) => {
    assert.strictEqual(err.name, 'DataCloneError');
    assert.strictEqual(err.code, 'ERR_DATA_CLONE');
    assert.ok(err instanceof Error);
    if (what) assert.ok(err.message.includes(what), `message ${JSON.stringify(err.message)} names ${what}`);
    return true;
  });
}

describe('wire format', function () {
  this.timeout(120000);

  describe('property test against structuredClone', () => {
    const values = generateValues({ seed: 20240501, count: 3000, maxDepth: 5 });

    function check(v, actual, label) {
      const expected = oracle(v);
      if (expected === NO_ORACLE) {
        fallbacks++;
        assert.deepStrictEqual(wireEncode(actual), wireEncode(v), label);
        assert.deepStrictEqual(identityShape(actual), identityShape(v), `identity of ${label}`);
        return;
      }
      assertCloneEqual(actual, expected, label);  // includes the identity shape
    }
    let fallbacks = 0;

    it('round-trips 3000 generated values through a Buffer like structuredClone does', () => {
      fallbacks = 0;
      values.forEach((v, i) => check(v, viaBuffer(v), `value #${i}`));
      assert.ok(fallbacks < values.length / 50, `${fallbacks} values without a structuredClone oracle`);
    });

    it('round-trips the same values in C++ without a Buffer (wireRoundTrip)', () => {
      values.forEach((v, i) => check(v, wireRoundTrip(v), `value #${i}`));
    });

    it('is deterministic: the same value encodes to the same bytes', () => {
      for (const v of values.slice(0, 300)) assert.deepStrictEqual(wireEncode(v), wireEncode(v));
    });

    it('round-trips another seed with deeper nesting', () => {
      generateValues({ seed: 7, count: 500, maxDepth: 9, largeStrings: false })
        .forEach((v, i) => check(v, viaBuffer(v), `deep value #${i}`));
    });
  });

  describe('primitives', () => {
    it('keeps -0, NaN, Infinity and int32 edges', () => {
      for (const n of [-0, 0, NaN, Infinity, -Infinity, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 0.1, -1e-300]) {
        assert.ok(Object.is(viaBuffer(n), n), String(n));
      }
      assert.ok(Object.is(viaBuffer([-0])[0], -0));
    });

    it('keeps BigInts of any size and sign', () => {
      for (const b of [0n, 1n, -1n, 2n ** 64n, -(2n ** 64n) + 1n, 2n ** 1000n + 12345n, -(3n ** 200n)]) {
        assert.strictEqual(viaBuffer(b), b);
      }
    });

    it('keeps strings with lone surrogates, Latin-1, astral and large content', () => {
      const strings = ['', 'hello', 'caf\u00e9\u00ff', '\ud800', 'a\udc00b', '\ud83d\ude00', '\0\0',
        'x'.repeat(1 << 20), '\u20ac'.repeat(300000)];
      for (const s of strings) assert.strictEqual(viaBuffer(s), s);
    });

    it('encodes Latin-1 strings one byte per character', () => {
      assert.ok(wireEncode('\u00e9'.repeat(1000)).length < 1010);
      assert.ok(wireEncode('\u0100'.repeat(1000)).length > 2000);
    });

    it('round-trips undefined as the whole value and with no argument', () => {
      assert.strictEqual(viaBuffer(undefined), undefined);
      assert.strictEqual(wireDecode(wireEncode()), undefined);
    });
  });

  describe('arrays and objects', () => {
    it('keeps holes, length and named properties of arrays', () => {
      const a = [1, , 3, , ]; // eslint-disable-line no-sparse-arrays
      a.name = 'x';
      const r = viaBuffer(a);
      assert.deepStrictEqual(r, a);
      assert.strictEqual(r.length, 4);
      assert.ok(!(1 in r) && !(3 in r));
    });

    it('encodes a sparse array of length 2^32-1 by its elements', () => {
      const a = [];
      a[2 ** 32 - 2] = 'last';
      a[7] = 'seven';
      const bytes = wireEncode(a);
      assert.ok(bytes.length < 64);
      const r = wireDecode(bytes);
      assert.strictEqual(r.length, 2 ** 32 - 1);
      assert.deepStrictEqual(Object.keys(r), ['7', '4294967294']);
    });

    it('keeps integer-like keys first, in structuredClone order', () => {
      const o = { b: 1, 10: 2, a: 3, 2: 4, '-1': 5, 4294967295: 6 };
      assert.deepStrictEqual(Object.keys(viaBuffer(o)), Object.keys(structuredClone(o)));
    });

    it('turns null-prototype objects into plain objects, as structuredClone does', () => {
      const o = Object.assign(Object.create(null), { a: 1 });
      const r = viaBuffer(o);
      assert.strictEqual(Object.getPrototypeOf(r), Object.prototype);
      assert.deepStrictEqual(r, { a: 1 });
    });

    it("keeps an own '__proto__' key as data, batched or built directly", () => {
      const o = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
      for (const v of [o, { cyc: o, self: null }]) {
        if (v.self === null) v.self = v;  // a cycle builds the outer object directly
        const r = viaBuffer(v);
        const inner = r.cyc || r;
        assert.strictEqual(Object.getPrototypeOf(inner), Object.prototype);
        assert.ok(Object.hasOwn(inner, '__proto__'));
        assert.deepStrictEqual(inner, structuredClone(o));
      }
      const direct = JSON.parse('{"__proto__": 1}');
      direct.self = direct;
      const r = viaBuffer(direct);
      assert.ok(Object.hasOwn(r, '__proto__') && r.self === r);
      assert.strictEqual(Object.getPrototypeOf(r), Object.prototype);
      assert.strictEqual({}.polluted, undefined);
    });

    it('builds long arrays in chunks, with holes and named properties after them', () => {
      const long = Array.from({ length: 10000 }, (_, i) => (i % 3 ? i : { i }));
      assert.deepStrictEqual(viaBuffer(long), long);
      const holey = long.slice();
      holey[9000] = undefined;
      delete holey[9001];
      holey.tag = 'named';
      assert.deepStrictEqual(viaBuffer(holey), holey);
      const cyclic = Array.from({ length: 9000 }, (_, i) => i);
      cyclic.push(cyclic);
      const r = viaBuffer(cyclic);
      assert.strictEqual(r[9000], r);
      assert.strictEqual(r[8999], 8999);
      const nums = Array.from({ length: 5000 }, (_, i) => i / 3);
      nums[2] = -0;
      assert.deepStrictEqual(viaBuffer(nums), nums);
      assert.ok(Object.is(viaBuffer(nums)[2], -0));
    });

    it('reads getters once and skips symbols and non-enumerables', () => {
      let reads = 0;
      const o = { get g() { reads++; return 5; }, [Symbol('s')]: 1 };
      Object.defineProperty(o, 'hidden', { value: 1, enumerable: false });
      assert.deepStrictEqual(viaBuffer(o), { g: 5 });
      assert.strictEqual(reads, 1);
    });

    it('keeps keys right across many shapes, re-entrant encodes and throwing getters', () => {
      const shapes = Array.from({ length: 12 }, (_, i) => Object.fromEntries(
        Array.from({ length: 1 + (i % 4) }, (_, j) => [`k${i}_${j}`, j])));
      const mixed = Array.from({ length: 60 }, (_, i) => ({ ...shapes[(i * 5) % 12] }));
      assert.deepStrictEqual(viaBuffer(mixed), mixed);
      const inner = { get x() { return wireDecode(wireEncode({ p: 1, q: { r: 2 } })); }, y: 3 };
      assert.deepStrictEqual(viaBuffer(inner), { x: { p: 1, q: { r: 2 } }, y: 3 });
      const bad = { get k0_0() { throw new Error('getter'); } };
      assert.throws(() => wireEncode(bad), /getter/);
      assert.deepStrictEqual(viaBuffer({ k0_0: 'ok' }), { k0_0: 'ok' });
      assert.deepStrictEqual(viaBuffer(mixed), mixed);
    });

    it('writes objects of flat values in JS the way the encoder would, and falls back for the rest', () => {
      // lib/wire-helpers.js encodeFlat(): numbers, booleans, null, undefined
      // and Latin-1 strings. Everything else, and what does not fit its
      // 4 KiB, takes the general path with the values it already read.
      const flatOnes = [
        { a: 1, tag: 'x' },
        { max: 2 ** 31 - 1, min: -(2 ** 31), over: 2 ** 31, under: -(2 ** 31) - 1, negZero: -0, nan: NaN, inf: -Infinity, half: 1.5, big: 2 ** 53 + 2 },
        { t: true, f: false, n: null, u: undefined, empty: '', latin: 'caf\u00e9 \u00ff\u0080', 10: 'ten', 2: 'two' },
        {},
        Object.assign(Object.create(null), { z: 1 }),
      ];
      const general = [
        { wide: 'snow \u2603' },
        { ['k\u0100ey']: 1 },
        { long: 'x'.repeat(5000) },
        Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`key${i}`, i])),
        { big: 10n },
        { nested: { a: 1 } },
        { list: [1, 2] },
      ];
      for (const v of [...flatOnes, ...general]) {
        const expected = structuredClone(v);
        const r = viaBuffer(v);
        assert.deepStrictEqual(r, expected);
        assert.deepStrictEqual(Object.keys(r), Object.keys(expected));
        for (const k of Object.keys(expected)) if (typeof expected[k] !== 'object') assert.ok(Object.is(r[k], expected[k]), `${k}: ${String(r[k])}`);
        assert.deepStrictEqual(wireRoundTrip(v), expected);
      }
      // A flat object met twice is one object on the other side.
      const f = { a: 1 };
      const both = viaBuffer([f, { f }, f]);
      assert.strictEqual(both[0], both[2]);
      assert.strictEqual(both[1].f, both[0]);
      // A getter runs once, and one that encodes something of its own (which
      // uses the same scratch bytes) leaves the outer object intact.
      let reads = 0;
      const sneaky = { get x() { reads++; wireEncode({ p: 'inner', q: 2 }); return 'outer'; }, y: 3 };
      assert.deepStrictEqual(viaBuffer(sneaky), { x: 'outer', y: 3 });
      assert.strictEqual(reads, 1);
    });

    it('builds a shape it has seen many times with the same keys, values and own data properties', () => {
      // lib/wire-helpers.js compiles a maker for a shape after 8 objects in a
      // row; each round here crosses that point, and keys that need quoting
      // or are integer-like must come out as they went in.
      const shapes = [
        { a: 1, tag: 'x' },
        { '': 0, '"q"': 1, 'a\\b': 2, 'line\u2028sep': 3, '\ud800lone': 4, 10: 5, 2: 6, constructor: 7, toString: 8 },
        { nested: { a: 1, tag: 'y' }, list: [{ a: 2, tag: 'z' }] },
        JSON.parse('{"__proto__": {"polluted": true}, "b": 1}'),
      ];
      for (const shape of shapes) {
        for (let i = 0; i < 40; i++) {
          const v = { ...structuredClone(shape) };
          if (Object.hasOwn(shape, '__proto__')) Object.defineProperty(v, '__proto__', { value: { i }, enumerable: true, writable: true, configurable: true });
          const r = viaBuffer(v);
          assert.deepStrictEqual(r, structuredClone(v), `round ${i} of ${JSON.stringify(Object.keys(shape))}`);
          assert.deepStrictEqual(Object.keys(r), Object.keys(structuredClone(v)));
          assert.strictEqual(Object.getPrototypeOf(r), Object.prototype);
        }
      }
      assert.strictEqual({}.polluted, undefined);
    });

    it('decodes the same under --disallow-code-generation-from-strings (no makers compiled)', () => {
      const { spawnSync } = require('node:child_process');
      const script = `
        const { wireEncode, wireDecode } = require(${JSON.stringify(require.resolve('../../lib/binding'))});
        let ok = 0;
        for (let i = 0; i < 30; i++) {
          const r = wireDecode(wireEncode({ a: i, tag: 'x' }));
          if (r.a === i && r.tag === 'x' && Object.keys(r).join() === 'a,tag') ok++;
        }
        process.stdout.write(String(ok));`;
      const out = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], { encoding: 'utf8', timeout: 30000 });
      assert.strictEqual(out.status, 0, out.stderr);
      assert.strictEqual(out.stdout, '30');
    });

    it('propagates an exception thrown by a getter', () => {
      const o = { get boom() { throw new RangeError('from getter'); } };
      assert.throws(() => wireEncode(o), { name: 'RangeError', message: 'from getter' });
    });
  });

  describe('identity', () => {
    it('keeps shared references and cycles through every container', () => {
      const shared = { s: 1 };
      const o = { shared, again: shared, list: [shared] };
      o.self = o;
      o.list.push(o.list);
      const m = new Map();
      m.set(m, m);
      const s = new Set();
      s.add(s);
      o.m = m;
      o.s = s;
      const e = new Error('loop');
      e.cause = e;
      o.e = e;
      const r = viaBuffer(o);
      assert.strictEqual(r.self, r);
      assert.strictEqual(r.shared, r.again);
      assert.strictEqual(r.list[0], r.shared);
      assert.strictEqual(r.list[1], r.list);
      assert.strictEqual(r.m.get(r.m), r.m);
      assert.ok(r.s.has(r.s));
      assert.strictEqual(r.e.cause, r.e);
    });

    it('keeps views sharing one ArrayBuffer sharing it, and the buffer itself', () => {
      const ab = new ArrayBuffer(16);
      const v = { a: new Uint8Array(ab, 4, 4), b: new Float64Array(ab, 8, 1), d: new DataView(ab), ab };
      v.again = v.a;
      const r = viaBuffer(v);
      assert.strictEqual(r.a.buffer, r.ab);
      assert.strictEqual(r.b.buffer, r.ab);
      assert.strictEqual(r.d.buffer, r.ab);
      assert.strictEqual(r.again, r.a);
      r.a[0] = 9;
      assert.strictEqual(new Uint8Array(r.ab)[4], 9);
      assert.strictEqual(r.a.byteOffset, 4);
    });

    it('handles graphs with more objects than the linear identity scan', () => {
      const nodes = Array.from({ length: 500 }, (_, i) => ({ i }));
      const v = { nodes, pairs: nodes.map((n, i) => [n, nodes[(i * 7) % 500]]) };
      const ab = new ArrayBuffer(8);
      v.views = [new Uint8Array(ab), new Int16Array(ab, 2, 1), new Date(1), /x/, new Map(), ab];
      v.views.push(v.views[1], v.views[2], v.views[3], v.views[4]);
      const r = viaBuffer(v);
      assert.deepStrictEqual(identityShape(r), identityShape(v));
      assert.strictEqual(r.pairs[3][1], r.nodes[21]);
      assert.strictEqual(r.views[6], r.views[1]);
      assert.strictEqual(r.views[1].buffer, r.views[5]);
      assert.strictEqual(r.views[9], r.views[4]);
    });
  });

  describe('built-in objects', () => {
    it('keeps Date, RegExp (source and flags), Map and Set', () => {
      const v = [new Date(0), new Date(8.64e15), /a\/b[\u{1F600}]/giu, /x/dsy, new Map([[{ k: 1 }, 'v']]), new Set([1, 'a', 1n])];
      assert.deepStrictEqual(viaBuffer(v), structuredClone(v));
      assert.ok(Number.isNaN(viaBuffer(new Date(NaN)).getTime()));
    });

    it('keeps every TypedArray kind and DataView, by copy', () => {
      const kinds = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
        Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
      for (const C of kinds) {
        const a = new C(4);
        a.fill(C.name.startsWith('Big') ? -3n : 3);
        const r = viaBuffer(a);
        assert.strictEqual(Object.getPrototypeOf(r), C.prototype);
        assert.deepStrictEqual(r, a);
        assert.notStrictEqual(r.buffer, a.buffer);
      }
      const dv = new DataView(new ArrayBuffer(8), 2, 4);
      dv.setInt16(0, -2);
      assert.deepStrictEqual(viaBuffer(dv), dv);
    });

    it('decodes a Buffer as a Buffer (structuredClone would give a Uint8Array)', () => {
      const b = Buffer.from('hello');
      const r = viaBuffer(b);
      assert.ok(Buffer.isBuffer(r));
      assert.strictEqual(Object.getPrototypeOf(r), Buffer.prototype);
      assert.strictEqual(r.toString(), 'hello');
      assert.ok(!Buffer.isBuffer(viaBuffer(new Uint8Array(2))));
    });

    it('carries a 1 KiB Uint8Array', () => {
      const a = new Uint8Array(1024).map((_, i) => i * 7);
      assert.deepStrictEqual(viaBuffer(a), a);
    });
  });

  describe('errors', () => {
    const classes = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];

    it('keeps the class, message, stack and cause of each built-in error', () => {
      for (const C of classes) {
        const e = new C('msg', { cause: { why: 1 } });
        const r = viaBuffer(e);
        assert.strictEqual(Object.getPrototypeOf(r), C.prototype);
        assert.strictEqual(r.name, C.name);
        assert.strictEqual(r.message, 'msg');
        assert.strictEqual(r.stack, e.stack);
        assert.deepStrictEqual(r.cause, { why: 1 });
        assert.deepStrictEqual(Object.getOwnPropertyNames(r).sort(), ['cause', 'message', 'stack']);
        assert.ok(!Object.keys(r).includes('cause'));
      }
    });

    it('keeps own enumerable properties, unlike structuredClone', () => {
      const e = new TypeError('bad');
      e.code = 'E_BAD';
      e.details = { n: [1, 2] };
      e[0] = 'index-like';
      const r = viaBuffer(e);
      assert.strictEqual(r.code, 'E_BAD');
      assert.deepStrictEqual(r.details, { n: [1, 2] });
      assert.deepStrictEqual(Object.keys(r), ['0', 'code', 'details']);
      assert.ok(r instanceof TypeError);
    });

    it('keeps the name of a custom subclass on an Error', () => {
      class MyError extends Error {}
      MyError.prototype.name = 'MyError';
      const e = new MyError('custom');
      const r = viaBuffer(e);
      assert.strictEqual(r.name, 'MyError');
      assert.strictEqual(r.message, 'custom');
      assert.ok(r instanceof Error);
      assert.ok(!Object.keys(r).includes('name'));
      class Sub extends RangeError {}
      assert.strictEqual(Object.getPrototypeOf(viaBuffer(new Sub('x'))), RangeError.prototype);
    });

    it('keeps an error without a message without one', () => {
      const r = viaBuffer(new Error());
      assert.ok(!Object.hasOwn(r, 'message'));
    });

    it('keeps AggregateError#errors, unlike structuredClone', () => {
      const e = new AggregateError([new Error('one'), 2], 'many');
      const r = viaBuffer(e);
      assert.ok(r instanceof AggregateError);
      assert.strictEqual(r.errors[0].message, 'one');
      assert.strictEqual(r.errors[1], 2);
    });
  });

  describe('uncloneable values', () => {
    it('throws DataCloneError naming a function', () => {
      assertDataCloneError(() => wireEncode(function foo() {}), 'function foo() {} could not be cloned.');
      assertDataCloneError(() => wireEncode({ nested: [() => 1] }), 'could not be cloned');
    });

    it('throws DataCloneError for symbols, WeakMap, WeakSet, WeakRef, FinalizationRegistry and Promise', () => {
      assertDataCloneError(() => wireEncode(Symbol('s')), 'Symbol(s)');
      assertDataCloneError(() => wireEncode(new WeakMap()), '#<WeakMap>');
      assertDataCloneError(() => wireEncode(new WeakSet()), '#<WeakSet>');
      assertDataCloneError(() => wireEncode(new WeakRef({})), '#<WeakRef>');
      assertDataCloneError(() => wireEncode(new FinalizationRegistry(() => {})), 'FinalizationRegistry');
      assertDataCloneError(() => wireEncode(Promise.resolve()), '#<Promise>');
      const p = Promise.resolve();
      assertDataCloneError(() => wireEncode([p], []), '#<Promise>');  // even with a side channel
    });

    it('throws DataCloneError for a detached ArrayBuffer', () => {
      const ab = new ArrayBuffer(8);
      structuredClone(ab, { transfer: [ab] });
      assertDataCloneError(() => wireEncode(ab), 'detached');
    });

    it('throws DataCloneError for nesting deeper than 1000 levels, and carries 1000', () => {
      const deep = (n, wrap) => { let v = null; for (let i = 0; i < n; i++) v = wrap(v); return v; };
      for (const wrap of [(v) => [v], (v) => ({ v }), (v) => new Map([[0, v]]), (v) => new Set([v])]) {
        assertCloneEqual(viaBuffer(deep(1000, wrap)), deep(1000, wrap), `1000 levels of ${wrap(null).constructor.name}`);
        assertDataCloneError(() => wireEncode(deep(1001, wrap)), 'nesting exceeds the limit of 1000');
      }
    });

    it('throws DataCloneError for values needing the side channel when there is none', () => {
      assertDataCloneError(() => wireEncode(new SharedArrayBuffer(4)), 'SharedArrayBuffer');
      assertDataCloneError(() => wireEncode(new Proxy({}, {})));
      assertDataCloneError(() => wireEncode(new (class Point { constructor() { this.x = 1; } })()), '#<Point>');
    });
  });

  describe('externals', () => {
    it('passes Proxies, class instances, SharedArrayBuffers and MessagePorts through the array', () => {
      class Point { constructor() { this.x = 1; } }
      const { port1, port2 } = new MessageChannel();
      const proxy = new Proxy({ a: 1 }, {});
      const sab = new SharedArrayBuffer(8);
      const view = new Int32Array(sab, 4, 1);
      const point = new Point();
      const v = { proxy, point, sab, view, port1, num: new Number(3) };
      const ext = [];
      const bytes = wireEncode(v, ext);
      assert.strictEqual(ext.length, 6);
      const r = wireDecode(bytes, ext);
      assert.strictEqual(r.proxy, proxy);
      assert.strictEqual(r.point, point);
      assert.strictEqual(r.sab, sab);
      assert.strictEqual(r.view, view);
      assert.strictEqual(r.port1, port1);
      port1.close();
      port2.close();
    });

    it('sends a repeated external once and keeps its identity', () => {
      const sab = new SharedArrayBuffer(4);
      const ext = [];
      const r = wireDecode(wireEncode([sab, { again: sab }], ext), ext);
      assert.strictEqual(ext.length, 1);
      assert.strictEqual(r[0], r[1].again);
    });

    it('round-trips externals through wireRoundTrip', () => {
      const proxy = new Proxy([], {});
      const ext = [];
      assert.strictEqual(wireRoundTrip({ p: proxy }, ext).p, proxy);
    });

    it('rejects an external slot with no value', () => {
      const bytes = wireEncode(new SharedArrayBuffer(1), []);
      assert.throws(() => wireDecode(bytes, []), { code: 'ERR_WIRE_EXTERNAL' });
      assert.throws(() => wireDecode(bytes), { code: 'ERR_WIRE_EXTERNAL' });
    });

    it('rejects externals that are not an array', () => {
      assert.throws(() => wireEncode(1, {}), TypeError);
      assert.throws(() => wireDecode(wireEncode(1), 'x'), TypeError);
    });
  });

  describe('environments', () => {
    it('works in worker threads, each with its own state, and after they exit', async function () {
      this.timeout(30000);
      const addonPath = path.join(__dirname, '../../lib/binding.js');
      const source = `
        const { parentPort, workerData } = require('node:worker_threads');
        const { wireEncode, wireDecode } = require(workerData.addonPath);
        parentPort.on('message', (bytes) => {
          const v = wireDecode(bytes);
          v.seenBy = 'worker';
          parentPort.postMessage(wireEncode(v));
        });`;
      for (let round = 0; round < 3; round++) {
        const workers = [0, 1].map(() => new Worker(source, { eval: true, workerData: { addonPath } }));
        const results = await Promise.all(workers.map((w, i) => new Promise((resolve, reject) => {
          w.once('message', (bytes) => resolve(wireDecode(bytes)));
          w.once('error', reject);
          const v = { i, m: new Map([[i, new Set([i])]]), e: new RangeError('r'), b: Buffer.from('x') };
          v.self = v;
          w.postMessage(wireEncode(v));
        })));
        results.forEach((r, i) => {
          assert.strictEqual(r.i, i);
          assert.strictEqual(r.self, r);
          assert.strictEqual(r.seenBy, 'worker');
          assert.ok(r.e instanceof RangeError && Buffer.isBuffer(r.b));
        });
        await Promise.all(workers.map((w) => w.terminate()));
      }
      assert.deepStrictEqual(viaBuffer({ still: 'works' }), { still: 'works' });
    });
  });

  describe('malformed input', () => {
    it('throws ERR_WIRE_MALFORMED for every truncation of valid messages', () => {
      for (const v of generateValues({ seed: 99, count: 60, maxDepth: 3, largeStrings: false })) {
        const bytes = wireEncode(v);
        for (let n = 0; n < bytes.length; n++) {
          assert.throws(() => wireDecode(bytes.subarray(0, n)), { code: 'ERR_WIRE_MALFORMED' });
        }
      }
    });

    it('throws ERR_WIRE_MALFORMED for a wrong version and trailing bytes', () => {
      const bytes = Buffer.from(wireEncode(1));
      bytes[1] = 99;
      assert.throws(() => wireDecode(bytes), { code: 'ERR_WIRE_MALFORMED', message: /version 99/ });
      assert.throws(() => wireDecode(Buffer.concat([wireEncode(1), Buffer.from([0])])), { code: 'ERR_WIRE_MALFORMED' });
    });

    it('decodes from an ArrayBuffer, a Uint8Array at an odd offset, or a DataView', () => {
      const bytes = wireEncode({ s: '\u4e2d\u6587' });
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      assert.deepStrictEqual(wireDecode(shifted.subarray(1)), { s: '\u4e2d\u6587' });
      assert.deepStrictEqual(wireDecode(new DataView(shifted.buffer, 1)), { s: '\u4e2d\u6587' });
      const ab = new Uint8Array(bytes).buffer;
      assert.deepStrictEqual(wireDecode(ab), { s: '\u4e2d\u6587' });
      const shared = new Uint8Array(new SharedArrayBuffer(bytes.length + 4), 4);
      shared.set(bytes);
      assert.deepStrictEqual(wireDecode(shared), { s: '\u4e2d\u6587' });
      assert.deepStrictEqual(wireDecode(new DataView(shared.buffer, 4)), { s: '\u4e2d\u6587' });
      assert.deepStrictEqual(wireDecode(new Uint16Array(new Uint8Array([...wireEncode(7), 0]).buffer, 0, 2)), 7);
      assert.throws(() => wireDecode('nope'), TypeError);
    });

    it('survives random mutations of valid messages: a value or ERR_WIRE_MALFORMED', () => {
      let seed = 5;
      const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32; };
      for (const v of generateValues({ seed: 3, count: 200, maxDepth: 3, largeStrings: false })) {
        const bytes = Buffer.from(wireEncode(v));
        for (let k = 0; k < 10; k++) {
          const m = Buffer.from(bytes);
          m[2 + Math.floor(rand() * (m.length - 2))] = Math.floor(rand() * 256);
          try {
            wireDecode(m);
          } catch (err) {
            // Bytes that parse can still be rejected by JS (e.g. bad RegExp flags).
            assert.ok(err.code === 'ERR_WIRE_MALFORMED' || err.code === 'ERR_WIRE_EXTERNAL' ||
                      err instanceof SyntaxError || err instanceof RangeError, String(err));
          }
        }
      }
    });
  });
});
