'use strict';
// The JavaScript half of the converter (binding/convert_encode.cc and
// convert_decode.cc): the few things cheaper or only possible in JS —
// classifying an object, reading a plain object's keys and values in one
// call, building objects, views and errors. lib/binding.js hands the result
// of makeWireHelpers() to the addon once per environment (addon.initialize).
//
// `K` is the addon's own table (addon.constants.wire): the codes classify()
// returns, and the order of the view and error kinds of src/wire.h, so both
// sides read the same numbers from one place.
const { isProxy, isMap, isSet, isRegExp, isWeakMap, isWeakSet, isPromise, isAnyArrayBuffer } = require('node:util').types;

function makeWireHelpers(K) {
  const getProto = Object.getPrototypeOf;
  const keys = Object.keys;
  const hasOwnProperty = Object.prototype.hasOwnProperty;
  const OP = Object.prototype;
  const defineProperty = Object.defineProperty;
  const mapEntries = Map.prototype.entries;
  const setValues = Set.prototype.values;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const WR = globalThis.WeakRef;
  const FR = globalThis.FinalizationRegistry;
  const bufferFrom = Buffer.from;
  // WireViewKind order; 'Buffer' (a Uint8Array with Buffer.prototype) is built by Buffer.from.
  const views = K.viewKinds.map((name) => (name === 'Buffer' ? null : globalThis[name]));
  const bufferKind = K.viewKinds.indexOf('Buffer');
  // WireErrorKind order (the built-in classes; custom names are built as Error).
  const errors = K.errorKinds.map((name) => globalThis[name]);
  const aggregateKind = K.errorKinds.indexOf('AggregateError');
  const { MAP, SET, REGEXP, UNCLONEABLE, EXTERNAL, FLAT } = K.classify;

  // Identity for large graphs (Encoder::IdentityCall): with an id map, the id
  // v already has, as -1 - id; else v gets `next` and the result is undefined.
  function seen(ids, v, next) {
    if (ids === undefined) return undefined;
    const r = mapGet.call(ids, v);
    if (r !== undefined) return -1 - r;
    mapSet.call(ids, v, next);
    return undefined;
  }

  // Key lists of the last few object shapes. shapeTag(ks) = generation * 4 +
  // slot; EnvState::shapes caches the characters per slot under that tag, so
  // the encoder reads each key once per shape, and a tag it has not seen
  // (a new shape, or any missed update) just makes it read the keys again.
  const shapes = [[], [], [], []];
  const gens = [0, 0, 0, 0];
  let shapeNext = 0;
  function shapeTag(ks) {
    outer: for (let s = 0; s < 4; s++) {
      const c = shapes[s];
      if (c.length !== ks.length) continue;
      for (let i = 0; i < ks.length; i++) if (c[i] !== ks[i]) continue outer;
      return gens[s] * 4 + s;
    }
    const s = shapeNext;
    shapes[s] = ks;
    gens[s] = (gens[s] + 1) & 0xfffffff;
    shapeNext = (s + 1) & 3;
    return gens[s] * 4 + s;
  }

  // Encoding: a plain object whose values are all flat — numbers, booleans,
  // null, undefined, Latin-1 strings — is written here as its OBJECT record
  // (src/wire.h), into `flat`, which the encoder copies as soon as classify()
  // answers FLAT + length: one JS call instead of a call into V8 per value
  // and per key. The values were read once, into classify's array, before
  // anything is written, so a getter that encodes something of its own
  // cannot disturb it, and an object that does not fit goes the general way
  // with the values already read. Numbers as WireWriter::Number writes them:
  // an int32 (not -0) as INT32, else DOUBLE.
  const TAG = { UNDEFINED: 0x00, NULL: 0x01, FALSE: 0x02, TRUE: 0x03, INT32: 0x04, DOUBLE: 0x05, STRING1: 0x07, OBJECT: 0x0b };
  const FLAT_BYTES = 4096;
  const flat = new Uint8Array(FLAT_BYTES);
  const flatView = new DataView(flat.buffer);
  // Each write returns the next offset, or -1 if it does not fit or is not flat.
  function putVarint(at, v) {
    while (v >= 0x80) {
      flat[at++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    flat[at++] = v;
    return at;
  }
  function putLatin1(at, str) {
    const n = str.length;
    if (at + 6 + n > FLAT_BYTES) return -1;
    flat[at++] = TAG.STRING1;
    at = putVarint(at, n);
    for (let i = 0; i < n; i++) {
      const c = str.charCodeAt(i);
      if (c > 0xff) return -1;
      flat[at++] = c;
    }
    return at;
  }
  function putFlatValue(at, v) {
    if (at + 10 > FLAT_BYTES) return -1;
    switch (typeof v) {
      case 'number':
        if ((v | 0) === v && 1 / v !== -Infinity) {
          flat[at++] = TAG.INT32;
          return putVarint(at, ((v << 1) ^ (v >> 31)) >>> 0);
        }
        flat[at++] = TAG.DOUBLE;
        flatView.setFloat64(at, v, true);
        return at + 8;
      case 'string':
        return putLatin1(at, v);
      case 'boolean':
        flat[at++] = v ? TAG.TRUE : TAG.FALSE;
        return at;
      case 'undefined':
        flat[at++] = TAG.UNDEFINED;
        return at;
      default:
        if (v !== null) return -1; // an object, a function, a symbol, a BigInt
        flat[at++] = TAG.NULL;
        return at;
    }
  }
  // The object of keys ks[0, n) and values vs[0, n). FLAT + length, or -1.
  function encodeFlat(ks, vs, n) {
    let at = 0;
    flat[at++] = TAG.OBJECT;
    at = putVarint(at, n);
    for (let i = 0; i < n; i++) {
      at = putLatin1(at, ks[i]);
      if (at < 0) return -1;
      at = putFlatValue(at, vs[i]);
      if (at < 0) return -1;
    }
    return FLAT + at;
  }

  // Decoding: a plain object of a shape seen often is made by a function
  // whose object literal has that shape's keys — one allocation with its
  // final hidden class, instead of a keyed store (and a key lookup) per
  // property: a decode of { a, tag } 0.7-0.9 -> 0.5 us. A shape earns a
  // maker after MAKER_AFTER objects in a row, so objects whose keys keep
  // changing compile nothing; an environment compiles at most 256
  // (makerBudget), and none where code generation from strings is disallowed.
  // A literal defines own data properties, as structuredClone does; a
  // '__proto__' key (which a literal would take for the prototype) keeps
  // the general path below.
  const MAKER_AFTER = 8;
  const MAKER_MAX_KEYS = 16;
  let makerBudget = 256;
  const makers = [null, null, null, null]; // { keys, make }
  let makerNext = 0;
  let candidate = null; // keys of the shape seen last without a maker
  let candidateSeen = 0;
  function sameKeys(ks, kv) {
    for (let i = 0; i < ks.length; i++) if (ks[i] !== kv[2 * i]) return false;
    return true;
  }
  // The maker for the n pairs at the start of kv ([key, value, ...]), or null.
  function makerFor(kv, n) {
    for (let s = 0; s < 4; s++) {
      const m = makers[s];
      if (m !== null && m.keys.length === n && sameKeys(m.keys, kv)) return m.make;
    }
    if (n === 0 || n > MAKER_MAX_KEYS || makerBudget <= 0) return null;
    if (candidate !== null && candidate.length === n && sameKeys(candidate, kv)) {
      if (++candidateSeen < MAKER_AFTER) return null;
    } else {
      const ks = new Array(n);
      for (let i = 0; i < n; i++) {
        const k = kv[2 * i];
        // '__proto__' in a literal sets the prototype: such objects keep the slow path.
        if (typeof k !== 'string' || k === '__proto__') return null;
        ks[i] = k;
      }
      candidate = ks;
      candidateSeen = 1;
      return null;
    }
    const ks = candidate;
    candidate = null;
    makerBudget--;
    // JSON.stringify quotes any string as a valid JS string literal.
    const body = ks.map((k, i) => `${JSON.stringify(k)}: kv[${2 * i + 1}]`).join(', ');
    let make;
    try {
      make = new Function('kv', `return { ${body} };`); // eslint-disable-line no-new-func
    } catch {
      makerBudget = 0; // --disallow-code-generation-from-strings: the general path only
      return null;
    }
    makers[makerNext] = { keys: ks, make };
    makerNext = (makerNext + 1) & 3;
    return make;
  }

  // The object of the n pairs at the start of kv: own data properties, like
  // structuredClone (so '__proto__' stays a key).
  function buildObject(kv, n) {
    const make = makerFor(kv, n);
    if (make !== null) return make(kv);
    const o = {};
    for (let i = 0; i < 2 * n; i += 2) {
      const k = kv[i];
      if (k === '__proto__') defineProperty(o, k, { value: kv[i + 1], writable: true, enumerable: true, configurable: true });
      else o[k] = kv[i + 1];
    }
    return o;
  }

  // Decoding a flat record (src/wire.h IsFlatRecord: a scalar, or an object
  // of scalars with Latin-1 keys) here in JS: the binding copies such
  // records into a buffer and hands over their offsets, so a batch of them
  // costs no call from native code into JS per value or per object. Short
  // strings (every key, and values such as tags) come from a small cache
  // keyed by their bytes: a key of a shape seen before is the same string,
  // made once. The binding checked the record: this trusts its layout.
  const STRINGS = 1024; // cache slots (a power of 2)
  const SHORT = 16; // longest string cached
  const strings = new Array(STRINGS).fill('');
  let pos = 0; // read position in the record being decoded
  let source = null; // the bytes being decoded, and views over them
  let sourceView = null;
  let sourceBuffer = null;
  const pairs = []; // [key, value, ...] of the object being decoded
  function readVarint(b) {
    let v = 0;
    let scale = 1;
    for (;;) {
      const x = b[pos++];
      v += (x & 0x7f) * scale;
      if (x < 0x80) return v;
      scale *= 128;
    }
  }
  function readLatin1(b) {
    const n = readVarint(b);
    const at = pos;
    pos += n;
    if (n > SHORT) return sourceBuffer.toString('latin1', at, at + n);
    let h = n;
    for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + b[at + i]) | 0;
    const slot = h & (STRINGS - 1);
    const cached = strings[slot];
    if (cached.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (cached.charCodeAt(i) !== b[at + i]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(b[at + i]);
    strings[slot] = s;
    return s;
  }
  function readScalar(b) {
    switch (b[pos++]) {
      case TAG.UNDEFINED: return undefined;
      case TAG.NULL: return null;
      case TAG.FALSE: return false;
      case TAG.TRUE: return true;
      case TAG.INT32: {
        const z = readVarint(b);
        return (z >>> 1) ^ -(z & 1);
      }
      case TAG.DOUBLE: {
        const v = sourceView.getFloat64(pos, true);
        pos += 8;
        return v;
      }
      default: // TAG.STRING1
        return readLatin1(b);
    }
  }
  // The value of the flat record at bytes[at] (a Uint8Array).
  function decodeFlat(bytes, at) {
    if (bytes !== source) {
      source = bytes;
      sourceView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      sourceBuffer = bufferFrom(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    pos = at;
    if (bytes[at] !== TAG.OBJECT) return readScalar(bytes);
    pos++;
    const n = readVarint(bytes);
    for (let i = 0; i < n; i++) {
      pos++; // TAG.STRING1
      pairs[2 * i] = readLatin1(bytes);
      pairs[2 * i + 1] = readScalar(bytes);
    }
    const o = buildObject(pairs, n);
    for (let i = 0; i < n; i++) pairs[2 * i + 1] = undefined; // holds nothing past this call
    return o;
  }

  const isArray = Array.isArray;
  const isView = ArrayBuffer.isView;
  const objectToString = Object.prototype.toString;

  // The classify() answer the encoder would get for v at the top of a task
  // argument, asked by run() itself (lib/submit-batch.js), or undefined when
  // v must go the general way (nothing of it was read then). FLAT + length:
  // v is flat (a number, boolean, null, undefined, Latin-1 string, or a plain
  // object of those) and its record is in `flat`. An array: a plain object
  // that is not flat, whose values were read (pass it to submit(), which must
  // not read them again). Objects the encoder recognizes before classify()
  // (arrays, views, buffers, dates, errors, whatever their prototype) and
  // Proxies go the general way.
  function encodeTask(v) {
    if (typeof v !== 'object' || v === null) {
      const at = putFlatValue(0, v);
      return at < 0 ? undefined : FLAT + at;
    }
    if (isProxy(v)) return undefined;
    const p = getProto(v);
    if (p !== OP && p !== null) return undefined;
    if (isArray(v) || isView(v) || isAnyArrayBuffer(v) || objectToString.call(v) !== '[object Object]') return undefined;
    return plainObject(v);
  }

  // A plain object's own enumerable string keys and their values, each
  // value read once: FLAT + length if they are all flat (the record is in
  // `flat`), else [shapeTag(keys), ...values, keys]. A for-in over a fast
  // object walks its map's enum cache (Object.keys would copy it), and the
  // keys and values go into arrays kept for the next object (most are flat,
  // and then nothing of them outlives this call), unless a getter among the
  // values is reading another object's right now. As structuredClone does,
  // a key a getter deleted before it was reached is left out.
  const names = [];
  const values = [];
  let scratchBusy = false;
  function plainObject(v) {
    if (scratchBusy) return readPlain(v, [], [], false);
    scratchBusy = true;
    try {
      return readPlain(v, names, values, true);
    } finally {
      scratchBusy = false;
      if (names.length > 256) names.length = values.length = 0; // a large object: let it go
    }
  }
  function readPlain(v, ks, vs, shared) {
    let n = 0;
    for (const k in v) {
      if (!hasOwnProperty.call(v, k)) continue; // inherited (a polluted Object.prototype)
      ks[n] = k;
      vs[n] = v[k];
      n++;
    }
    const written = encodeFlat(ks, vs, n);
    const out = written >= 0 ? null : new Array(n + 2);
    for (let i = 0; i < n; i++) {
      if (out !== null) out[i + 1] = vs[i];
      vs[i] = undefined; // holds nothing past this call
    }
    if (out === null) return written;
    const own = shared ? ks.slice(0, n) : ks;
    out[0] = shapeTag(own);
    out[n + 1] = own;
    return out;
  }

  return {
    encodeTask,
    // For a plain object FLAT + length (written into `flat`, see
    // encodeFlat) or [shapeTag(keys), ...values, keys] (own enumerable
    // string keys), else one of K.classify's codes (or see seen()).
    classify(v, ids, next) {
      const r = seen(ids, v, next);
      if (r !== undefined) return r;
      if (isProxy(v)) return EXTERNAL;
      const p = getProto(v);
      if (p === OP || p === null) return plainObject(v);
      if (isMap(v)) return MAP;
      if (isSet(v)) return SET;
      if (isRegExp(v)) return REGEXP;
      if (isWeakMap(v) || isWeakSet(v) || isPromise(v) || (WR && v instanceof WR) || (FR && v instanceof FR)) {
        return UNCLONEABLE;
      }
      return EXTERNAL;
    },
    keys,
    // [index key count, own enumerable keys (indices first, as strings),
    //  a Float64Array copy when the array is long, packed and all numbers]
    arrayInfo(a, ids, next) {
      const r = seen(ids, a, next);
      if (r !== undefined) return r;
      const ks = keys(a);
      const n = a.length;
      let lo = 0;
      let hi = ks.length;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        const k = ks[m];
        if (String(k >>> 0) === k && k !== '4294967295') lo = m + 1;
        else hi = m;
      }
      let numbers = null;
      if (lo === n && n >= 16) {
        let all = true;
        for (let i = 0; i < n; i++) {
          if (typeof a[i] !== 'number') {
            all = false;
            break;
          }
        }
        if (all) numbers = new Float64Array(a);
      }
      return [lo, ks, numbers];
    },
    // Rest parameters build a packed array in one step.
    arrayOf(...items) {
      return items;
    },
    pushItems(a, ...items) {
      for (let i = 0; i < items.length; i++) a.push(items[i]);
    },
    makeObject(...kv) {
      return buildObject(kv, kv.length >> 1);
    },
    decodeFlat,
    mapEntries(m) {
      const out = [];
      for (const e of mapEntries.call(m)) out.push(e[0], e[1]);
      return out;
    },
    setValues(s) {
      return Array.from(setValues.call(s));
    },
    // Identity map for large graphs: the id already given to v, or undefined
    // after giving it `id`.
    idOf(ids, v) {
      return mapGet.call(ids, v);
    },
    track(ids, v, id) {
      const r = mapGet.call(ids, v);
      if (r === undefined) mapSet.call(ids, v, id);
      return r;
    },
    describe(v) {
      if (typeof v === 'function' || typeof v === 'symbol') return String(v);
      let name = 'Object';
      try {
        const c = getProto(v).constructor;
        if (typeof c === 'function' && c.name) name = c.name;
      } catch {
        // a Proxy or exotic prototype: 'Object' it is
      }
      return `#<${name}>`;
    },
    makeView(kind, buffer, offset, length) {
      if (kind === bufferKind) return bufferFrom(buffer, offset, length);
      return new views[kind](buffer, offset, length);
    },
    makeError(kind, hasMessage, message) {
      const C = errors[kind];
      if (kind === aggregateKind) return hasMessage ? new C([], message) : new C([]);
      return hasMessage ? new C(message) : new C();
    },
    flat, // classify()'s OBJECT record when it answers FLAT + length
    bufferProto: Buffer.prototype,
    MapCtor: Map,
    SetCtor: Set,
    RegExpCtor: RegExp,
    mapSet,
    setAdd: Set.prototype.add,
  };
}

module.exports = { makeWireHelpers };
