'use strict';
// A seeded, deterministic generator of structured-cloneable values, for
// property tests of the wire format against structuredClone.
//
//   const { generateValues } = require('./gen-values');
//   for (const v of generateValues({ seed: 1, count: 1000 })) ...
//
// Covers every type the wire format carries natively: primitives (-0, NaN,
// Infinity, int32 edges, BigInt of any size), strings (Latin-1, BMP, astral,
// lone surrogates, occasionally large), arrays (dense, holey, sparse, with
// named properties), plain and null-prototype objects (integer-like keys),
// Date, RegExp, Map, Set, Error (built-in classes, message, cause),
// ArrayBuffer, every TypedArray kind, DataView, Buffer; plus shared
// references, cycles (through any container) and views sharing a buffer.
//
// Options:
//   seed           uint32 seed (default 1)
//   count          number of values (default 100)
//   maxDepth       nesting bound (default 5)
//   cloneableOnly  only values whose structuredClone is the oracle, i.e. no
//                  invalid Dates (deepStrictEqual cannot compare them) and
//                  no AggregateError (structuredClone drops `errors`)
//                  (default true)
//   largeStrings   allow strings up to ~200k units (default true)

function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPED = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
];
const ERRORS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];
const REGEXPS = [
  ['a+b', 'g'], ['^x$', 'im'], ['\\d{2,}', ''], ['.', 'su'], ['[\\u{1F600}]', 'u'],
  ['(?<y>\\w)', 'dgy'], ['\\p{L}', 'v'], ['\u00e9|\u4e2d', 'i'], ['', ''], ['\\/', 'g'],
];
const DOUBLES = [
  0, -0, NaN, Infinity, -Infinity, 0.5, -1.25, 2 ** 31, -(2 ** 31) - 1, 2 ** 53,
  1e308, 5e-324, Number.MAX_VALUE, Number.EPSILON, 3.141592653589793,
];
const INTS = [0, 1, -1, 21, 127, 128, 255, 256, 65535, 2 ** 31 - 1, -(2 ** 31)];

class Gen {
  constructor(opts) {
    this.rand = mulberry32(opts.seed);
    this.maxDepth = opts.maxDepth;
    this.cloneableOnly = opts.cloneableOnly;
    this.largeStrings = opts.largeStrings;
  }

  int(n) { return Math.floor(this.rand() * n); }
  chance(p) { return this.rand() < p; }
  pick(a) { return a[this.int(a.length)]; }

  // One top-level value; `pool` holds objects already made in this value
  // (including ancestors still being filled), for shared references/cycles.
  value() {
    this.pool = [];
    this.buffers = [];
    return this.any(0);
  }

  any(depth) {
    if (depth > 0 && this.pool.length > 0 && this.chance(0.08)) return this.pick(this.pool);
    if (depth >= this.maxDepth || this.chance(0.4)) return this.primitive();
    return this.object(depth);
  }

  primitive() {
    switch (this.int(9)) {
      case 0: return this.pick([undefined, null, true, false]);
      case 1: return this.pick(INTS);
      case 2: return this.int(2000) - 1000;
      case 3: return this.pick(DOUBLES);
      case 4: return (this.rand() - 0.5) * 10 ** this.int(30);
      case 5: return this.bigint();
      default: return this.string();
    }
  }

  bigint() {
    switch (this.int(4)) {
      case 0: return this.pick([0n, 1n, -1n, 2n ** 63n, -(2n ** 64n), 2n ** 64n - 1n]);
      case 1: return BigInt(this.int(1e9)) - 500000000n;
      default: {
        let b = 0n;
        const words = 1 + this.int(5);
        for (let i = 0; i < words; i++) b = (b << 64n) | BigInt(this.int(2 ** 32)) << 16n;
        return this.chance(0.5) ? -b : b;
      }
    }
  }

  char() {
    switch (this.int(8)) {
      case 0: return String.fromCharCode(0x80 + this.int(0x80));  // Latin-1 high half
      case 1: return String.fromCharCode(0x100 + this.int(0xd700));  // BMP
      case 2: return String.fromCodePoint(0x10000 + this.int(0xfffff));  // astral pair
      case 3: return String.fromCharCode(0xd800 + this.int(0x800));  // lone surrogate
      case 4: return '\0';
      default: return String.fromCharCode(0x20 + this.int(0x5f));  // ASCII
    }
  }

  string() {
    const r = this.rand();
    if (r < 0.1) return '';
    if (r < 0.5) {  // short ASCII, the common case
      let s = '';
      for (let n = 1 + this.int(12); n > 0; n--) s += String.fromCharCode(0x61 + this.int(26));
      return s;
    }
    if (this.largeStrings && r > 0.995) {
      const unit = this.chance(0.5) ? 'x' : '\u20ac\ud800';
      return unit.repeat(1000 + this.int(100000));
    }
    let s = '';
    for (let n = this.int(40); n > 0; n--) s += this.char();
    return s;
  }

  key() {
    switch (this.int(6)) {
      case 0: return String(this.int(20));  // integer-like: ordered first
      case 1: return String(2 ** 32 - 2 - this.int(3));  // largest indices
      case 2: return this.string();
      default: return this.pick(['a', 'b', 'c', 'id', 'name', 'value', 'x', 'length', '__proto__']);
    }
  }

  keep(o) {
    this.pool.push(o);
    return o;
  }

  object(depth) {
    const d = depth + 1;
    switch (this.int(16)) {
      case 0: case 1: { // dense array
        const a = this.keep([]);
        for (let n = this.int(10); n > 0; n--) a.push(this.any(d));
        return a;
      }
      case 2: { // holey array, maybe with a named property
        const a = this.keep(new Array(1 + this.int(12)));
        for (let i = 0; i < a.length; i++) if (this.chance(0.5)) a[i] = this.any(d);
        if (this.chance(0.3)) a.extra = this.any(d);
        return a;
      }
      case 3: { // sparse array with a large length
        const a = this.keep([]);
        a.length = this.pick([100, 5000, 2 ** 20, 2 ** 32 - 1]);
        for (let n = this.int(4); n > 0; n--) a[this.int(a.length)] = this.any(d);
        return a;
      }
      case 4: case 5: case 6: { // plain object
        const o = this.keep(this.chance(0.1) ? Object.create(null) : {});
        for (let n = this.int(8); n > 0; n--) {
          // defineProperty: an own '__proto__' key, as JSON.parse makes it
          Object.defineProperty(o, this.key(), { value: this.any(d), writable: true, enumerable: true, configurable: true });
        }
        return o;
      }
      case 7: { // Map
        const m = this.keep(new Map());
        for (let n = this.int(6); n > 0; n--) m.set(this.any(d), this.any(d));
        return m;
      }
      case 8: { // Set
        const s = this.keep(new Set());
        for (let n = this.int(6); n > 0; n--) s.add(this.any(d));
        return s;
      }
      case 9: { // Date
        const t = this.cloneableOnly || this.chance(0.9) ? this.int(2 ** 42) - 2 ** 41 : NaN;
        return this.keep(new Date(t));
      }
      case 10: {
        const [src, flags] = this.pick(REGEXPS);
        return this.keep(new RegExp(src, flags));
      }
      case 11: return this.error(d);
      case 12: return this.keep(this.arrayBuffer());
      case 13: case 14: return this.view();
      default: { // Buffer, unpooled or from Node's shared pool
        const n = this.int(40);
        const b = this.chance(0.5) ? Buffer.alloc(n) : Buffer.allocUnsafe(n).fill(0);
        for (let i = 0; i < n; i++) b[i] = this.int(256);
        return this.keep(b);
      }
    }
  }

  error(d) {
    const agg = !this.cloneableOnly && this.chance(0.2);
    const C = agg ? AggregateError : this.pick(ERRORS);
    const opts = this.chance(0.3) ? { cause: undefined } : undefined;
    const message = this.chance(0.8) ? this.string() : undefined;
    const e = agg ? new AggregateError([], message, opts) : new C(message, opts);
    this.keep(e);
    if (opts) e.cause = this.any(d);  // after keep(): the cause may be a cycle
    if (agg) Object.defineProperty(e, 'errors', { value: [this.any(d)], writable: true, configurable: true });
    return e;
  }

  arrayBuffer() {
    const ab = new ArrayBuffer(8 * this.int(8));
    const u8 = new Uint8Array(ab);
    for (let i = 0; i < u8.length; i++) u8[i] = this.int(256);
    this.buffers.push(ab);
    return ab;
  }

  view() {
    const shared = this.buffers.length > 0 && this.chance(0.4);
    const ab = shared ? this.pick(this.buffers) : this.arrayBuffer();
    if (this.chance(0.15)) {
      const off = this.int(ab.byteLength + 1);
      return this.keep(new DataView(ab, off, this.int(ab.byteLength - off + 1)));
    }
    const C = this.pick(TYPED);
    const size = C.BYTES_PER_ELEMENT;
    const off = size * this.int(Math.floor(ab.byteLength / size) + 1);
    const len = this.int(Math.floor((ab.byteLength - off) / size) + 1);
    return this.keep(new C(ab, off, len));
  }
}

function generateValues(options = {}) {
  const opts = {
    seed: 1, count: 100, maxDepth: 5, cloneableOnly: true, largeStrings: true, ...options,
  };
  const g = new Gen(opts);
  const out = [];
  for (let i = 0; i < opts.count; i++) out.push(g.value());
  return out;
}

module.exports = { generateValues, mulberry32 };
