'use strict';
// The side channel: what the wire format does not carry.
//
// The binding hands pack() the values it met that the wire cannot hold and
// writes EXTERNAL(i) in their place; pack() returns one plain descriptor per
// value, which travels on the wire after the task. unpack() on the other
// side turns descriptors back into values. Descriptors:
//   { k: SAB, id, t, o, l }  a SharedArrayBuffer (t = -1) or a view over one
//                           (t = constructor index, o = byteOffset, l = length)
//   { k: CLONE, b }          anything else structuredClone accepts (a class
//                           instance, a boxed primitive, ...): V8's serializer
//   { k: NATIVE, h }         a buffer the pool allocated (binding/buffers.h),
//                           moved by handle: the pointer crosses, no bytes do
//   { k: SIDE, seq }         a transferred ArrayBuffer or a MessagePort: it
//                           travels whole by postMessage (zero-copy)
//
// SIDE, main -> worker: the task is queued before anyone knows which worker
// takes it, so the main thread holds the value and the worker that meets the
// descriptor asks for it ({ want: seq, flag } on its control port) and waits
// on `flag` with Atomics.wait until the main thread has posted it back with
// the value transferred. Worker -> main: the destination is known, so the
// worker posts { seq, value } before it completes the task and the main
// thread reads it synchronously when it decodes the result.
//
// SharedArrayBuffers are shared, not copied: each is posted once to every
// worker over its control port (a MessageChannel made at spawn) and named by
// id afterwards. A receiver that meets an id it does not know drains its
// control port synchronously (receiveMessageOnPort): the post happened before
// the task was queued, so the message is already there. Workers started later
// get every live SAB in their init message. When the main thread's SAB is
// collected, its id is released and workers drop their reference.
const v8 = require('node:v8');
const { types } = require('node:util');
const { receiveMessageOnPort, MessagePort } = require('node:worker_threads');
const binding = require('./binding');
const { errors } = require('./errors');

const SAB = 1;
const CLONE = 2;
const NATIVE = 3;
const SIDE = 4;
/** Descriptor kinds, for other codecs of the same descriptors (lib/child-codec.js). */
const KIND = Object.freeze({ SAB, CLONE, NATIVE, SIDE });
const VIEWS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView];

function viewIndex(view) {
  for (let i = 0; i < VIEWS.length; i++) if (view instanceof VIEWS[i]) return i;
  return 1; // e.g. a Buffer: crosses as a Uint8Array, as structuredClone does
}

function cloneDescriptor(value) {
  try {
    return { k: CLONE, b: v8.serialize(value) };
  } catch (err) {
    throw errors.dataClone(String(err && err.message).replace(/ could not be cloned\.?$/, ''), err);
  }
}

/**
 * One side's view of the shared buffers: ids it knows, and where to learn
 * the ones it does not (ports to drain).
 */
class SabTable {
  constructor(prefix) {
    this.prefix = prefix; // ids this side mints: `${prefix}${n}`
    this.next = 1;
    this.byId = new Map(); // id -> SharedArrayBuffer (strong) or WeakRef (main)
    this.ids = new WeakMap(); // SharedArrayBuffer -> id
    this.weak = false;
  }

  /** Records a SAB under an id minted elsewhere. */
  learn(id, sab) {
    if (this.byId.has(id)) return;
    this.byId.set(id, this.weak ? new WeakRef(sab) : sab);
    this.ids.set(sab, id);
  }

  lookup(id) {
    const entry = this.byId.get(id);
    if (entry === undefined) return undefined;
    return this.weak ? entry.deref() : entry;
  }

  release(id) {
    const sab = this.lookup(id);
    if (sab !== undefined) this.ids.delete(sab);
    this.byId.delete(id);
  }
}

/**
 * Handles the control messages a peer posts: { sab, id } and { release }.
 * Returns false for messages that are not ours.
 */
function applyControl(table, msg) {
  if (msg === null || typeof msg !== 'object') return false;
  if (msg.sab !== undefined) {
    table.learn(msg.id, msg.sab);
    return true;
  }
  if (msg.release !== undefined) {
    table.release(msg.release);
    return true;
  }
  return false;
}

/**
 * Builds { pack, unpack } for one side.
 *   announce(sab, id): post a newly minted SAB to the peers
 *   drain(): read pending control messages; true if any was read
 *   onMint(sab, id): optional, after a SAB got an id here
 *   sendSide(value, transfer) -> seq: hand a value to the side channel
 *   takeSide(seq) -> value: get a value the peer handed to it
 *   portListed(port) -> boolean: optional; false rejects a MessagePort that
 *     is not being transferred (DataCloneError)
 */
function makeCodecHooks(table, { announce, drain, onMint, sendSide, takeSide, portListed }) {
  function idFor(sab) {
    let id = table.ids.get(sab);
    if (id === undefined) {
      id = `${table.prefix}${table.next++}`;
      table.learn(id, sab);
      announce(sab, id);
      if (onMint) onMint(sab, id);
    }
    return id;
  }

  function sabFor(id) {
    let sab = table.lookup(id);
    while (sab === undefined) {
      if (!drain()) {
        throw errors.dataClone(`SharedArrayBuffer #${id} is unknown here and`, 'its announcement was not received');
      }
      sab = table.lookup(id);
    }
    return sab;
  }

  function pack(values) {
    const out = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (types.isSharedArrayBuffer(v)) {
        out[i] = { k: SAB, id: idFor(v), t: -1, o: 0, l: 0 };
      } else if (ArrayBuffer.isView(v) && types.isSharedArrayBuffer(v.buffer)) {
        const t = viewIndex(v);
        const l = t === 11 ? v.byteLength : v.length;
        out[i] = { k: SAB, id: idFor(v.buffer), t, o: v.byteOffset, l };
      } else if (types.isArrayBuffer(v)) {
        // Only buffers being moved get here (the wire copies the others).
        const h = binding.isPoolBuffer(v) ? binding.adoptBuffer(v) : -1;
        if (h >= 0) {
          out[i] = { k: NATIVE, h };
        } else {
          // Detach the caller's buffer now; its bytes move with `fresh`.
          const fresh = structuredClone(v, { transfer: [v] });
          out[i] = { k: SIDE, seq: sendSide(fresh, [fresh]) };
        }
      } else if (v instanceof MessagePort) {
        // As postMessage: a port crosses only when it is transferred.
        if (portListed && !portListed(v)) {
          throw errors.dataClone('A MessagePort that is not in the transfer list', 'a MessagePort must be transferred');
        }
        out[i] = { k: SIDE, seq: sendSide(v, [v]) };
      } else {
        out[i] = cloneDescriptor(v);
      }
    }
    return out;
  }

  function unpack(descriptors) {
    const out = new Array(descriptors.length);
    for (let i = 0; i < descriptors.length; i++) {
      const d = descriptors[i];
      if (d.k === SAB) {
        const sab = sabFor(d.id);
        out[i] = d.t < 0 ? sab : new VIEWS[d.t](sab, d.o, d.l);
      } else if (d.k === CLONE) {
        out[i] = v8.deserialize(d.b);
      } else if (d.k === NATIVE) {
        out[i] = binding.claimBuffer(d.h);
      } else if (d.k === SIDE) {
        out[i] = takeSide(d.seq);
      } else {
        throw errors.dataClone('A value from the side channel', `unknown descriptor kind ${d.k}`);
      }
    }
    return out;
  }

  return { pack, unpack };
}

/**
 * Waits (blocking this thread) until `ready()` returns something other than
 * undefined, draining with `drain()` and sleeping on `flag` in between.
 */
function waitFor(ready, drain, flag, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = ready();
    if (v !== undefined) return v;
    if (drain()) continue;
    if (Date.now() > deadline) throw errors.dataClone(what, 'the side channel timed out');
    Atomics.wait(flag, 0, 0, 20);
    Atomics.store(flag, 0, 0);
  }
}

module.exports = { SabTable, makeCodecHooks, applyControl, waitFor, KIND, VIEWS };
