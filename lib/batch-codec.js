'use strict';
// The codec of batched tasks (lib/run-many.js, lib/batch-worker.js): a chunk
// of small values as one byte string, written and read in JavaScript, where
// the JIT makes plain objects, numbers and short strings far cheaper than a
// crossing into native code per property.
//
// It carries a subset of what structuredClone carries, exactly: undefined,
// null, booleans, numbers (-0 and NaN too), strings, plain objects (own
// enumerable string keys; a null prototype becomes Object.prototype, as
// structuredClone does) and dense arrays without named properties, nested
// up to MAX_DEPTH, with no object met twice. encodeAll() returns null for a
// list with anything else; the caller then uses the native wire format.
//
// Layout (little-endian): value := tag payload
//   0 undefined | 1 null | 2 false | 3 true | 4 int32 i32 | 5 double f64
//   6 latin1 u32 n, n bytes | 7 utf16 u32 n, 2n bytes
//   8 object, new shape: u32 k, k × (string tag 6|7 and body), k values
//   9 object, known shape: u32 shape, values | 10 array: u32 n, n values
// Shapes (key lists) are numbered per byte string in the order they appear.
const { isProxy } = require('node:util').types;

const MAX_DEPTH = 32;
const MAX_OBJECTS = 64; // per value; more goes native (identity checks stay cheap)
const MAX_ARRAY = 256; // longer arrays go native
const SHAPE_CACHE = 8; // recent shapes a new object is compared with

const OP = Object.prototype;
const AP = Array.prototype;
const getProto = Object.getPrototypeOf;
const keysOf = Object.keys;

class Writer {
  constructor() {
    this.buf = new Uint8Array(1 << 16);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
    this.shapes = []; // key lists, by shape number (the last SHAPE_CACHE are looked up)
    this.seen = [];
  }

  room(n) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u32(v) {
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  string(s) {
    const n = s.length;
    this.room(5 + 2 * n);
    const buf = this.buf;
    const at = this.pos;
    let p = at + 5;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) return this.utf16(s, at);
      buf[p++] = c;
    }
    buf[at] = 6;
    this.view.setUint32(at + 1, n, true);
    this.pos = p;
  }

  utf16(s, at) {
    const n = s.length;
    this.buf[at] = 7;
    this.view.setUint32(at + 1, n, true);
    let p = at + 5;
    for (let i = 0; i < n; i++, p += 2) this.view.setUint16(p, s.charCodeAt(i), true);
    this.pos = p;
  }

  // The number of a recent shape with these keys, or -1. Keys from
  // Object.keys are internalized strings: comparing them is cheap.
  shapeOf(ks) {
    const shapes = this.shapes;
    const stop = Math.max(0, shapes.length - SHAPE_CACHE);
    outer: for (let s = shapes.length - 1; s >= stop; s--) {
      const c = shapes[s];
      if (c.length !== ks.length) continue;
      for (let i = 0; i < ks.length; i++) if (c[i] !== ks[i]) continue outer;
      return s;
    }
    return -1;
  }

  // false: v is outside the subset (the caller rewinds).
  value(v, depth) {
    switch (typeof v) {
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) {
          this.room(5);
          this.buf[this.pos] = 4;
          this.view.setInt32(this.pos + 1, v, true);
          this.pos += 5;
        } else {
          this.room(9);
          this.buf[this.pos] = 5;
          this.view.setFloat64(this.pos + 1, v, true);
          this.pos += 9;
        }
        return true;
      case 'string':
        this.string(v);
        return true;
      case 'boolean':
        this.room(1);
        this.buf[this.pos++] = v ? 3 : 2;
        return true;
      case 'undefined':
        this.room(1);
        this.buf[this.pos++] = 0;
        return true;
      case 'object':
        if (v === null) {
          this.room(1);
          this.buf[this.pos++] = 1;
          return true;
        }
        return this.object(v, depth);
      default:
        return false;
    }
  }

  object(v, depth) {
    if (depth >= MAX_DEPTH || this.seen.length >= MAX_OBJECTS || this.seen.includes(v) || isProxy(v)) return false;
    this.seen.push(v);
    const proto = getProto(v);
    if (proto === AP) {
      const n = v.length;
      if (n > MAX_ARRAY || !Array.isArray(v) || keysOf(v).length !== n) return false; // holes or named props
      this.room(5);
      this.buf[this.pos] = 10;
      this.view.setUint32(this.pos + 1, n, true);
      this.pos += 5;
      for (let i = 0; i < n; i++) if (!this.value(v[i], depth + 1)) return false;
      return true;
    }
    if (proto !== OP && proto !== null) return false;
    const ks = keysOf(v);
    const k = ks.length;
    const shape = this.shapeOf(ks);
    this.room(5);
    if (shape >= 0) {
      this.buf[this.pos] = 9;
      this.view.setUint32(this.pos + 1, shape, true);
      this.pos += 5;
    } else {
      this.buf[this.pos] = 8;
      this.view.setUint32(this.pos + 1, k, true);
      this.pos += 5;
      for (let i = 0; i < k; i++) this.string(ks[i]);
      this.shapes.push(ks);
    }
    // A getter runs once, here, as with structuredClone.
    for (let i = 0; i < k; i++) if (!this.value(v[ks[i]], depth + 1)) return false;
    return true;
  }
}

const writer = new Writer();

/** values[from..to) as one byte string, or null if one of them is outside the subset. */
function encodeAll(values, from, to) {
  const w = writer;
  w.pos = 0;
  w.shapes.length = 0;
  for (let i = from; i < to; i++) {
    w.seen.length = 0;
    if (!w.value(values[i], 0)) return null;
  }
  return w.buf.slice(0, w.pos);
}

/** Decodes `count` values from bytes (a Uint8Array) into out[at..]. */
function decodeAll(bytes, count, out, at = 0) {
  const r = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos: 0, shapes: [] };
  for (let i = 0; i < count; i++) out[at + i] = read(r);
  if (r.pos !== bytes.length) throw new Error('nativepool: malformed batch bytes');
  return out;
}

function readString(r) {
  const tag = r.bytes[r.pos];
  const n = r.view.getUint32(r.pos + 1, true);
  const start = r.pos + 5;
  if (tag === 6) {
    r.pos = start + n;
    if (n < 24) {
      let s = '';
      for (let i = start; i < start + n; i++) s += String.fromCharCode(r.bytes[i]);
      return s;
    }
    return Buffer.prototype.latin1Slice.call(r.bytes, start, start + n);
  }
  if (tag !== 7) throw new Error('nativepool: malformed batch bytes');
  r.pos = start + 2 * n;
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.view.getUint16(start + 2 * i, true));
  return s;
}

function fill(r, keys) {
  const o = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const v = read(r);
    // An own '__proto__' key is data, never the prototype.
    if (key === '__proto__') Object.defineProperty(o, key, { value: v, writable: true, enumerable: true, configurable: true });
    else o[key] = v;
  }
  return o;
}

function read(r) {
  const tag = r.bytes[r.pos];
  switch (tag) {
    case 0: r.pos++; return undefined;
    case 1: r.pos++; return null;
    case 2: r.pos++; return false;
    case 3: r.pos++; return true;
    case 4: r.pos += 5; return r.view.getInt32(r.pos - 4, true);
    case 5: r.pos += 9; return r.view.getFloat64(r.pos - 8, true);
    case 6:
    case 7: return readString(r);
    case 8: {
      const k = r.view.getUint32(r.pos + 1, true);
      r.pos += 5;
      const keys = new Array(k);
      for (let i = 0; i < k; i++) keys[i] = readString(r);
      r.shapes.push(keys);
      return fill(r, keys);
    }
    case 9: {
      const keys = r.shapes[r.view.getUint32(r.pos + 1, true)];
      r.pos += 5;
      if (keys === undefined) throw new Error('nativepool: malformed batch bytes');
      return fill(r, keys);
    }
    case 10: {
      const n = r.view.getUint32(r.pos + 1, true);
      r.pos += 5;
      const a = new Array(n);
      for (let i = 0; i < n; i++) a[i] = read(r);
      return a;
    }
    default:
      throw new Error('nativepool: malformed batch bytes');
  }
}

module.exports = { encodeAll, decodeAll };
