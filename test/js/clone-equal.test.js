'use strict';
// The structuredClone-semantics comparator the data and wire tests rely on
// (test/js/helpers/clone-equal.js): it must find every kind of difference a
// clone could get wrong, name where, and finish on cycles and deep values.
const assert = require('node:assert/strict');
const { cloneDiff, assertCloneEqual } = require('./helpers/clone-equal');

function differs(a, b, path, reason) {
  const d = cloneDiff(a, b);
  assert.ok(d, 'a difference is reported');
  assert.equal(d.path, path);
  assert.match(d.reason, reason);
  assert.ok(cloneDiff(b, a), 'and the other way round');
}

// An Error whose cause is itself, with a fixed stack so two compare equal.
function selfCaused(message = 'loop') {
  const e = new TypeError(message, { cause: undefined });
  e.cause = e;
  e.stack = `TypeError: ${message}`;
  return e;
}

function richValue() {
  const ab = new ArrayBuffer(16);
  new Uint8Array(ab).set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const shared = { s: 1 };
  const holey = [1, , 3];  // eslint-disable-line no-sparse-arrays
  holey.named = 'x';
  const sparse = [];
  sparse.length = 2 ** 32 - 1;
  sparse[2 ** 32 - 2] = 'last';
  const ownProto = Object.defineProperty({}, '__proto__', { value: 'own', enumerable: true, writable: true, configurable: true });
  const v = {
    prims: [-0, 0, NaN, Infinity, 2n ** 100n, '', '\ud800', true, null, undefined],
    holey, sparse, ownProto,
    dates: [new Date(0), new Date(NaN)],
    re: /a(?<n>b)/giu,
    map: new Map([[{ k: 1 }, 'object key'], ['b', shared]]),
    set: new Set([shared, 1, 'a']),
    views: [new Uint8Array(ab, 1, 4), new Float64Array(ab, 8, 1), new DataView(ab, 2, 3), ab],
    err: new RangeError('bad', { cause: { why: shared } }),
    boxed: [new Number(-0), new String('s'), new Boolean(false), Object(5n)],
  };
  v.self = v;
  v.again = shared;
  return v;
}

describe('cloneDiff: deep equality with structuredClone semantics', () => {
  describe('finds values equal', () => {
    it('finds a value with every cloneable kind, cycles and shared references equal to its structuredClone', () => {
      const v = richValue();
      assert.equal(cloneDiff(structuredClone(v), v), null);
      assert.equal(cloneDiff(v, v), null);
    });

    it('finds two self-causing Errors equal, and so does not overflow where assert.deepStrictEqual does on Node 22+', () => {
      assert.equal(cloneDiff(selfCaused(), selfCaused()), null);
      assert.equal(cloneDiff([selfCaused(), { e: selfCaused() }], [selfCaused(), { e: selfCaused() }]), null);
    });

    it('compares 100,000 levels of nesting without recursion', () => {
      const deep = (n, leaf) => { let v = leaf; for (let i = 0; i < n; i++) v = i % 2 ? [v] : { v }; return v; };
      assert.equal(cloneDiff(deep(100000, 1), deep(100000, 1)), null);
      const d = cloneDiff(deep(100000, 1), deep(100000, 2));
      assert.ok(d);
      assert.equal(d.path.length, '$'.length + 50000 * '.v'.length + 50000 * '[0]'.length);
      assert.match(d.reason, /^1 vs 2$/);
    });
  });

  describe('detects primitives that differ', () => {
    it('detects -0 against 0', () => differs([0], [-0], '$[0]', /^0 vs -0$/));
    it('detects NaN against a number', () => differs({ n: NaN }, { n: 0 }, '$.n', /NaN vs 0/));
    it('detects 1n against 1 (type)', () => differs([1n], [1], '$[0]', /bigint 1n vs number 1/));
    it('detects strings that differ only in a lone surrogate', () => differs(['a\ud800'], ['a\udc00'], '$[0]', /vs/));
    it('detects undefined against null', () => differs([undefined], [null], '$[0]', /undefined undefined vs object null/));
  });

  describe('detects objects that differ', () => {
    it('detects a class instance against a plain object with the same keys', () => {
      class Point { constructor() { this.x = 1; } }
      differs(new Point(), { x: 1 }, '$', /prototype Point\.prototype vs Object\.prototype/);
    });
    it('detects a null-prototype object against a plain one', () => differs(Object.create(null), {}, '$', /prototype null vs Object\.prototype/));
    it('detects the same keys in another order', () => differs({ a: 1, b: 2 }, { b: 2, a: 1 }, '$', /own enumerable keys differ at #0/));
    it('detects a missing key', () => differs({ a: 1, b: 2 }, { a: 1 }, '$', /own enumerable keys differ at #1/));
    it('detects a hole against an undefined element', () => differs([, 1], [undefined, 1], '$', /keys differ at #0/));  // eslint-disable-line no-sparse-arrays
    it('detects sparse arrays of different lengths', () => {
      const a = [], b = [];
      a.length = 2 ** 32 - 1;
      b.length = 2 ** 32 - 2;
      differs(a, b, '$', /array length 4294967295 vs 4294967294/);
    });
    it('detects an own enumerable symbol key whose value differs', () => {
      const s = Symbol('k');
      differs({ [s]: 1 }, { [s]: 2 }, '$[Symbol(k)]', /1 vs 2/);
    });
    it('detects a difference below a key that is not an identifier', () => differs({ 'a b': [{ x: 1 }] }, { 'a b': [{ x: 2 }] }, '$["a b"][0].x', /1 vs 2/));
  });

  describe('detects built-ins that differ', () => {
    it('detects Dates one millisecond apart, and an invalid Date against a valid one', () => {
      differs(new Date(1), new Date(2), '$', /Date time 1 vs 2/);
      differs(new Date(NaN), new Date(0), '$', /Date time NaN vs 0/);
    });
    it('detects RegExps with other flags or source', () => {
      differs(/a/g, /a/gi, '$', /RegExp \/a\/g vs \/a\/gi/);
      differs(/a/, /b/, '$', /RegExp/);
    });
    it('detects a Map with the same entries in another order', () => {
      differs(new Map([[1, 'a'], [2, 'b']]), new Map([[2, 'b'], [1, 'a']]), '$.<entry 0 key>', /1 vs 2/);
    });
    it('detects a Map whose object key differs in content, and one whose value differs', () => {
      differs(new Map([[{ k: 1 }, 0]]), new Map([[{ k: 2 }, 0]]), '$.<entry 0 key>.k', /1 vs 2/);
      differs(new Map([['k', [1]]]), new Map([['k', [2]]]), '$.<entry 0 value>[0]', /1 vs 2/);
      differs(new Map([['k', 1]]), new Map(), '$', /Map size 1 vs 0/);
    });
    it('detects a Set with the same elements in another order', () => differs(new Set([1, 2]), new Set([2, 1]), '$.<element 0>', /1 vs 2/));
    it('detects typed arrays with equal elements but another element type', () => {
      differs(new Float32Array([1]), new Float64Array([1]), '$', /prototype Float32Array\.prototype vs Float64Array\.prototype/);
      differs(Buffer.from([1]), new Uint8Array([1]), '$', /prototype Buffer\.prototype vs Uint8Array\.prototype/);
    });
    it('detects typed arrays whose bytes differ, -0 against 0 included', () => {
      differs(new Float64Array([0]), new Float64Array([-0]), '$', /bytes differ at byte 7 of the view/);
      differs(new Uint8Array([1, 2]), new Uint8Array([1, 3]), '$', /bytes differ at byte 1/);
    });
    it('detects equal view contents at another byteOffset', () => {
      const a = new ArrayBuffer(4), b = new ArrayBuffer(4);
      differs(new Uint8Array(a, 0, 2), new Uint8Array(b, 2, 2), '$', /byteOffset 0 vs 2/);
    });
    it('detects a difference in the part of the buffer outside the view', () => {
      const a = new Uint8Array([1, 2, 3, 4]), b = new Uint8Array([1, 2, 3, 5]);
      differs(a.subarray(0, 2), b.subarray(0, 2), '$.buffer', /bytes differ at byte 3/);
    });
    it('detects DataViews over other ranges, ArrayBuffers of other sizes and a resizable against a fixed one', () => {
      differs(new DataView(new ArrayBuffer(4), 1), new DataView(new ArrayBuffer(4), 2), '$', /byteOffset 1 vs 2/);
      differs(new ArrayBuffer(4), new ArrayBuffer(5), '$', /byteLength 4 vs 5/);
      differs(new ArrayBuffer(4, { maxByteLength: 8 }), new ArrayBuffer(4), '$', /resizable true vs false/);
    });
    it('detects boxed primitives that differ, and a boxed against a bare primitive', () => {
      differs(new Number(0), new Number(-0), '$', /boxed/);
      differs([new String('a')], ['a'], '$[0]', /object .* vs string/);
    });
    it('treats functions as equal only when identical', () => {
      const f = () => 1;
      assert.equal(cloneDiff([f], [f]), null);
      differs([f], [() => 1], '$[0]', /different objects that cannot be compared/);
    });
  });

  describe('detects errors that differ', () => {
    it('detects another Error class', () => differs(new TypeError('m'), new RangeError('m'), '$', /prototype TypeError\.prototype vs RangeError\.prototype/));
    it('detects another message, and an absent message against an empty one', () => {
      const a = new Error('a'), b = new Error('b');
      b.stack = a.stack;
      differs(a, b, '$', /message 'a' vs 'b'/);
      const none = new Error(), empty = new Error('');
      empty.stack = none.stack;
      differs(none, empty, '$', /own message absent vs present/);
    });
    it('detects another name set on the instance', () => {
      const a = new Error('m'), b = new Error('m');
      b.stack = a.stack;
      b.name = 'Custom';
      differs(a, b, '$', /error name 'Error' vs 'Custom'/);
    });
    it('detects a cause that differs deep down, and an absent cause against cause: undefined', () => {
      const a = new Error('m', { cause: { list: [1] } }), b = new Error('m', { cause: { list: [2] } });
      b.stack = a.stack;
      differs(a, b, '$.cause.list[0]', /1 vs 2/);
      const none = new Error('m'), undef = new Error('m', { cause: undefined });
      undef.stack = none.stack;
      differs(none, undef, '$', /own cause absent vs present/);
    });
    it('detects AggregateError errors that differ', () => {
      const a = new AggregateError([1], 'm'), b = new AggregateError([2], 'm');
      b.stack = a.stack;
      differs(a, b, '$.errors[0]', /1 vs 2/);
    });
  });

  describe('detects identity structure that differs', () => {
    it('detects one shared object against two equal copies, both ways round', () => {
      const o = { x: 1 };
      differs([o, o], [{ x: 1 }, { x: 1 }], '$[1]', /shared-reference shape differs/);
    });
    it('detects a self-loop against a loop through a second object', () => {
      const a = {};
      a.next = a;
      const b = {}, c = {};
      b.next = c;
      c.next = b;
      differs(a, b, '$.next', /shared-reference shape differs/);
    });
    it('detects a self-causing Error against one caused by another, equal-looking, self-causing Error', () => {
      const b = selfCaused();
      b.cause = selfCaused();
      differs(selfCaused(), b, '$.cause', /shared-reference shape differs/);
    });
    it('detects views that share a buffer against views over equal but separate buffers', () => {
      const ab = new ArrayBuffer(4);
      differs([new Uint8Array(ab), new Uint8Array(ab)], [new Uint8Array(4), new Uint8Array(4)], '$[1].buffer', /shared-reference shape differs/);
    });
  });

  describe('assertCloneEqual', () => {
    it('throws an AssertionError naming the label, the path and the difference, and passes equal values', () => {
      assert.throws(() => assertCloneEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }, 'value #7'), (err) => {
        assert.ok(err instanceof assert.AssertionError);
        assert.equal(err.message, 'value #7 differs from its clone oracle at $.a[1].b: 2 vs 3');
        return true;
      });
      assertCloneEqual(selfCaused(), selfCaused(), 'self-caused');
    });
  });
});
