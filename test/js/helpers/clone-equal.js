'use strict';
// Deep equality with structuredClone semantics, for comparing what crossed a
// thread with its oracle. Iterative (an explicit work stack, so nesting depth
// costs heap, not call stack) and cycle-aware: it pairs every object of one
// graph with exactly one object of the other, so shared references and cycles
// must sit in the same places, and a cycle ends the walk instead of looping.
//
//   const { cloneDiff, assertCloneEqual } = require('./clone-equal');
//   cloneDiff(a, b)                  // null when equal, else { path, reason }
//   assertCloneEqual(actual, expected, 'value #3')
//
// Equal means, for each pair reached along the same path:
//   primitives      Object.is (-0 differs from 0, NaN equals NaN), same typeof
//   every object    same prototype (so same class), same kind, the same own
//                   enumerable string and symbol keys in the same order, and
//                   equal values under them (array holes are absent keys)
//   Array           length
//   Date            time value (two invalid Dates are equal)
//   RegExp          source and flags (structuredClone does not keep lastIndex)
//   Map / Set       size, then entries pairwise in iteration order
//   ArrayBuffer     byteLength, resizable/maxByteLength, bytes
//   TypedArray      element type, byteOffset, length, bytes, and the buffer
//   DataView        byteOffset, byteLength, and the buffer
//   Error           name, own message, own stack, own cause, own errors
//   boxed primitive its primitive
//   functions, WeakMap, WeakSet, WeakRef, Promise: only identical is equal
//
// Node's own assert.deepStrictEqual is neither iterative nor cycle-safe
// through an Error's cause on Node 22+ (a self-causing Error overflows the
// stack), ignores Map/Set order and key order, and treats one shared object
// and two equal copies alike — hence this helper.

const assert = require('node:assert');
const { inspect, types } = require('node:util');

const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function';
const show = (v) => inspect(v, { depth: 0, maxStringLength: 60, maxArrayLength: 8, breakLength: Infinity });
const typedTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;

function kindOf(v) {
  if (typeof v === 'function' || types.isProxy(v)) return 'opaque';
  if (Array.isArray(v)) return 'array';
  if (types.isDate(v)) return 'date';
  if (types.isRegExp(v)) return 'regexp';
  if (types.isMap(v)) return 'map';
  if (types.isSet(v)) return 'set';
  if (types.isArrayBuffer(v)) return 'arraybuffer';
  if (types.isSharedArrayBuffer(v)) return 'sharedarraybuffer';
  if (types.isDataView(v)) return 'dataview';
  if (types.isTypedArray(v)) return 'typedarray';
  if (types.isBoxedPrimitive(v)) return 'boxed';
  if (types.isNativeError(v)) return 'error';
  if (types.isWeakMap(v) || types.isWeakSet(v) || types.isPromise(v)) return 'opaque';
  if (typeof WeakRef === 'function' && v instanceof WeakRef) return 'opaque';
  return 'object';
}

function unbox(v) {
  if (types.isNumberObject(v)) return ['number', Number.prototype.valueOf.call(v)];
  if (types.isStringObject(v)) return ['string', String.prototype.valueOf.call(v)];
  if (types.isBooleanObject(v)) return ['boolean', Boolean.prototype.valueOf.call(v)];
  if (types.isBigIntObject(v)) return ['bigint', BigInt.prototype.valueOf.call(v)];
  return ['symbol', Symbol.prototype.valueOf.call(v)];
}

const bytes = (buf, offset = 0, length = buf.byteLength) => Buffer.from(buf, offset, length);

function firstByteDiff(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

// Keys that are not array-like elements of a view: own enumerable string keys
// minus the element indices, then own enumerable symbols.
function ownKeys(v, kind) {
  let keys = Object.keys(v);
  if (kind === 'typedarray' || (kind === 'boxed' && types.isStringObject(v))) {
    const n = v.length;
    keys = keys.filter((k) => !(String(Number(k)) === k && Number(k) < n));
  }
  for (const s of Object.getOwnPropertySymbols(v)) {
    if (Object.prototype.propertyIsEnumerable.call(v, s)) keys.push(s);
  }
  return keys;
}

const keyPath = (k) => {
  if (typeof k === 'symbol') return `[${String(k)}]`;
  if (/^(0|[1-9]\d*)$/.test(k)) return `[${k}]`;
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
};

const protoName = (p) => {
  if (p === null) return 'null';
  const c = Object.getOwnPropertyDescriptor(p, 'constructor');
  return c && typeof c.value === 'function' ? `${c.value.name}.prototype` : show(p);
};

// Compares what one pair holds directly; returns a reason string when it
// differs, else pushes the child pairs and returns null.
function compareShallow(a, b, kind, push) {
  switch (kind) {
    case 'opaque':
      return a === b ? null : `${show(a)} and ${show(b)} are different objects that cannot be compared by content`;
    case 'array':
      if (a.length !== b.length) return `array length ${a.length} vs ${b.length}`;
      break;
    case 'date': {
      const ta = Date.prototype.getTime.call(a), tb = Date.prototype.getTime.call(b);
      if (!Object.is(ta, tb)) return `Date time ${ta} vs ${tb}`;
      break;
    }
    case 'regexp':
      if (a.source !== b.source || a.flags !== b.flags) return `RegExp ${a} vs ${b}`;
      break;
    case 'map':
    case 'set': {
      if (a.size !== b.size) return `${kind === 'map' ? 'Map' : 'Set'} size ${a.size} vs ${b.size}`;
      const ea = [...a], eb = [...b];
      for (let i = 0; i < ea.length; i++) {
        if (kind === 'map') {
          push(ea[i][0], eb[i][0], `.<entry ${i} key>`);
          push(ea[i][1], eb[i][1], `.<entry ${i} value>`);
        } else {
          push(ea[i], eb[i], `.<element ${i}>`);
        }
      }
      break;
    }
    case 'arraybuffer':
    case 'sharedarraybuffer': {
      if (a.byteLength !== b.byteLength) return `byteLength ${a.byteLength} vs ${b.byteLength}`;
      const growable = kind === 'arraybuffer' ? 'resizable' : 'growable';
      if (a[growable] !== b[growable]) return `${growable} ${a[growable]} vs ${b[growable]}`;
      if (a.maxByteLength !== b.maxByteLength) return `maxByteLength ${a.maxByteLength} vs ${b.maxByteLength}`;
      const ba = bytes(a), bb = bytes(b);
      if (!ba.equals(bb)) return `bytes differ at byte ${firstByteDiff(ba, bb)}`;
      break;
    }
    case 'typedarray': {
      if (typedTag.call(a) !== typedTag.call(b)) return `element type ${typedTag.call(a)} vs ${typedTag.call(b)}`;
      if (a.byteOffset !== b.byteOffset) return `byteOffset ${a.byteOffset} vs ${b.byteOffset}`;
      if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
      const ba = bytes(a.buffer, a.byteOffset, a.byteLength), bb = bytes(b.buffer, b.byteOffset, b.byteLength);
      if (!ba.equals(bb)) return `bytes differ at byte ${firstByteDiff(ba, bb)} of the view`;
      push(a.buffer, b.buffer, '.buffer');
      break;
    }
    case 'dataview':
      if (a.byteOffset !== b.byteOffset) return `byteOffset ${a.byteOffset} vs ${b.byteOffset}`;
      if (a.byteLength !== b.byteLength) return `byteLength ${a.byteLength} vs ${b.byteLength}`;
      push(a.buffer, b.buffer, '.buffer');
      break;
    case 'boxed': {
      const [ta, va] = unbox(a), [tb, vb] = unbox(b);
      if (ta !== tb || !Object.is(va, vb)) return `boxed ${show(a)} vs ${show(b)}`;
      break;
    }
    case 'error': {
      if (a.name !== b.name) return `error name ${show(a.name)} vs ${show(b.name)}`;
      for (const k of ['message', 'stack', 'cause', 'errors']) {
        const ha = Object.hasOwn(a, k), hb = Object.hasOwn(b, k);
        if (ha !== hb) return `own ${k} ${ha ? 'present' : 'absent'} vs ${hb ? 'present' : 'absent'}`;
        if (!ha || Object.prototype.propertyIsEnumerable.call(a, k)) continue;  // enumerable: compared as a key
        if (k === 'cause' || k === 'errors') push(a[k], b[k], `.${k}`);
        else if (a[k] !== b[k]) return `${k} ${show(a[k])} vs ${show(b[k])}`;
      }
      break;
    }
    default:
      break;
  }
  return null;
}

/**
 * Null when `actual` and `expected` are equal under structuredClone
 * semantics (see the top of this file), else `{ path, reason }` for the
 * first difference found, `path` starting at `$`.
 */
function cloneDiff(actual, expected) {
  const aToB = new Map();
  const bToA = new Map();
  const stack = [{ a: actual, b: expected, parent: null, seg: '$' }];
  const pathOf = (item) => {
    const segs = [];
    for (let it = item; it; it = it.parent) segs.push(it.seg);
    return segs.reverse().join('');
  };
  while (stack.length > 0) {
    const item = stack.pop();
    const { a, b } = item;
    const fail = (reason) => ({ path: pathOf(item), reason });
    if (!isObject(a) || !isObject(b)) {
      if (typeof a !== typeof b) return fail(`${typeof a} ${show(a)} vs ${typeof b} ${show(b)}`);
      if (!Object.is(a, b)) return fail(`${show(a)} vs ${show(b)}`);
      continue;
    }
    if (aToB.has(a) || bToA.has(b)) {
      if (aToB.get(a) !== b || bToA.get(b) !== a) {
        return fail('shared-reference shape differs: one side reaches an object seen before here, the other does not (or a different one)');
      }
      continue;
    }
    aToB.set(a, b);
    bToA.set(b, a);
    const pa = Object.getPrototypeOf(a), pb = Object.getPrototypeOf(b);
    if (pa !== pb) return fail(`prototype ${protoName(pa)} vs ${protoName(pb)}`);
    const kind = kindOf(a);
    if (kindOf(b) !== kind) return fail(`kind ${kind} vs ${kindOf(b)}`);
    if (kind === 'opaque') {
      const reason = compareShallow(a, b, kind);
      if (reason) return fail(reason);
      continue;
    }
    const children = [];
    const push = (ca, cb, seg) => children.push({ a: ca, b: cb, parent: item, seg });
    const reason = compareShallow(a, b, kind, push);
    if (reason) return fail(reason);
    const ka = ownKeys(a, kind), kb = ownKeys(b, kind);
    let keyDiff = 0;
    while (keyDiff < ka.length && keyDiff < kb.length && ka[keyDiff] === kb[keyDiff]) keyDiff++;
    if (keyDiff < ka.length || keyDiff < kb.length) {
      return fail(`own enumerable keys differ at #${keyDiff}: ${show(ka.slice(keyDiff, keyDiff + 3))} vs ${show(kb.slice(keyDiff, keyDiff + 3))}`);
    }
    for (const k of ka) push(a[k], b[k], keyPath(k));
    // reversed, so that children are compared in the order listed
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return null;
}

/** Throws an AssertionError naming the path and the difference. */
function assertCloneEqual(actual, expected, label = 'value') {
  const diff = cloneDiff(actual, expected);
  if (diff) {
    // no actual/expected on the error: reporters would try to print and
    // diff whole graphs, which may be cyclic or hold 2**32-1-long arrays
    throw new assert.AssertionError({
      message: `${label} differs from its clone oracle at ${diff.path}: ${diff.reason}`,
      operator: 'cloneEqual',
    });
  }
}

module.exports = { cloneDiff, assertCloneEqual };
