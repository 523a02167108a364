'use strict';
// The structuredClone oracle shared by the wire tests and the pool's data
// tests: what a value should look like after crossing threads, and the
// identity structure (shared references, cycles) it must keep.

const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function';

function children(v) {
  if (ArrayBuffer.isView(v)) return [v.buffer];
  if (v instanceof Map) return [...v].flat();
  if (v instanceof Set) return [...v];
  const out = [];
  if (v instanceof Error) {
    for (const k of ['cause', 'errors']) if (Object.hasOwn(v, k)) out.push(v[k]);
  }
  for (const k of Object.keys(v)) out.push(v[k]);
  return out;
}

// Object ids in first-visit order along a fixed walk: two graphs with equal
// shapes share and cycle in the same places.
function identityShape(root) {
  const ids = new Map();
  const shape = [];
  const walk = (v) => {
    if (!isObject(v)) return;
    if (ids.has(v)) {
      shape.push(ids.get(v));
      return;
    }
    ids.set(v, ids.size);
    shape.push('new');
    for (const c of children(v)) walk(c);
  };
  walk(root);
  return shape;
}

// What oracle() returns when V8 itself cannot clone the value (a distinct
// symbol: `null` and `undefined` are values the generator makes).
const NO_ORACLE = Symbol('no structuredClone oracle');

// structuredClone(v), with the clone of every Buffer given Buffer.prototype
// again (structuredClone returns Uint8Array; nativepool returns Buffer).
// Node 20's V8 cannot deserialize an Error reached again from inside its own
// cause ("Unable to deserialize cloned data."); oracle() returns NO_ORACLE for
// those, and the tests check them by identity shape and by re-encoding to
// equal bytes. Node 22+ clones them, and they are compared with
// helpers/clone-equal.js (assert.deepStrictEqual overflows the stack on a
// self-causing Error there).
function oracle(v) {
  let clone;
  try {
    clone = structuredClone(v);
  } catch (err) {
    if (!/Unable to deserialize/.test(err.message)) throw err;
    return NO_ORACLE;
  }
  const seen = new Set();
  const walk = (a, b) => {
    if (!isObject(a) || seen.has(a)) return;
    seen.add(a);
    if (Buffer.isBuffer(a)) Object.setPrototypeOf(b, Buffer.prototype);
    const ca = children(a), cb = children(b);
    for (let i = 0; i < ca.length; i++) walk(ca[i], cb[i]);
  };
  walk(v, clone);
  return clone;
}

module.exports = { isObject, children, identityShape, oracle, NO_ORACLE };
