'use strict';
// move(), transferList and the markers Piscina exposes.
//
// A transferred buffer is detached at once, as with postMessage. Small ones
// are copied onto the wire; large ones and pool buffers move without a copy
// (lib/channel.js).
const { types } = require('node:util');
const { MessagePort } = require('node:worker_threads');
const binding = require('./binding');

// Piscina's own registered symbols: an object written against Piscina's
// Transferable interface, or marked by Piscina.move(), works here as is.
const transferableSymbol = Symbol.for('Piscina.transferable');
const valueSymbol = Symbol.for('Piscina.valueOf');

class Movable {
  constructor(value, transferable) {
    this[valueSymbol] = value;
    this[transferableSymbol] = transferable;
  }
}

function isTransferable(v) {
  return types.isArrayBuffer(v) || v instanceof MessagePort;
}

/**
 * Marks `value` to be transferred instead of cloned: an ArrayBuffer, a
 * typed array or DataView (its buffer moves), or a MessagePort.
 */
function move(value) {
  if (value instanceof Movable) return value;
  if (types.isArrayBufferView(value)) {
    if (types.isSharedArrayBuffer(value.buffer)) return value; // shared, not moved
    return new Movable(value, value.buffer);
  }
  if (isTransferable(value)) return new Movable(value, value);
  return value;
}

function isMovable(v) {
  return v !== null && typeof v === 'object' && transferableSymbol in v;
}

/** The value to send and what to transfer: [transferableSymbol] is one transferable or an array of them (Piscina's README). */
function unwrap(v) {
  if (!isMovable(v)) return { value: v, transfer: [] };
  const t = v[transferableSymbol];
  return { value: v[valueSymbol], transfer: Array.isArray(t) ? t : [t] };
}

/** Detaches ArrayBuffers after their bytes were copied into a task. */
function detach(buffers) {
  const list = buffers.filter((b) => types.isArrayBuffer(b) && b.byteLength > 0);
  if (list.length > 0) structuredClone(list, { transfer: list });
}

// Below this size a transferred V8 buffer is copied onto the wire and then
// detached (a memcpy is cheaper than the side channel's round trip); at or
// above it, it moves whole over the side channel. Buffers from Pool.buffer()
// always move by pointer. Measured on the 2-core dev VM, median round trip of
// a transferred Uint8Array over 3 runs (copy / side channel): 4 KiB 50 / 212 µs,
// 16 KiB 124 / 242 µs, 64 KiB 187 / 245 µs, 256 KiB 383 / 243 µs,
// 1 MiB 861 / 234 µs: the crossover lies between 64 and 256 KiB.
const MOVE_THRESHOLD = 128 * 1024;

/**
 * Resolves move() wrappers and a transferList: returns the value to encode,
 * the ArrayBuffers the codec must move rather than copy, and commit(), which
 * detaches the copied ones once the task was accepted. Checks everything
 * before anything is detached or submitted: a bad entry or a duplicate throws
 * (a TypeError or a DataCloneError, as postMessage does) and changes nothing.
 * copyAll: copy every buffer onto the wire (a task that may be retried keeps
 * its bytes); they are still detached.
 */
function takeTransferables(task, transferList, { copyAll = false } = {}) {
  const { value, transfer } = unwrap(task);
  const all = transfer.concat(transferList || []);
  const moving = [];
  const copied = [];
  const seen = new Set();
  for (let i = 0; i < all.length; i++) {
    const t = all[i];
    const buffer = types.isArrayBufferView(t) ? t.buffer : t;
    if (types.isArrayBuffer(buffer) || t instanceof MessagePort) {
      if (seen.has(buffer)) {
        // A move() of a view and its buffer in the list name one buffer: fine.
        if (i < transfer.length || types.isArrayBufferView(t)) continue;
        const err = new Error(`Transfer list contains a duplicate ${t instanceof MessagePort ? 'MessagePort' : 'ArrayBuffer'} (entry ${i - transfer.length})`);
        Object.defineProperty(err, 'name', { value: 'DataCloneError', writable: true, configurable: true });
        err.code = 'ERR_DATA_CLONE';
        throw err;
      }
      seen.add(buffer);
    }
    if (types.isArrayBuffer(buffer)) {
      if (buffer.byteLength === 0 && buffer.detached) {
        const err = new Error('An ArrayBuffer in the transfer list is detached and could not be cloned');
        Object.defineProperty(err, 'name', { value: 'DataCloneError', writable: true, configurable: true });
        err.code = 'ERR_DATA_CLONE';
        throw err;
      }
      if (!copyAll && (binding.isPoolBuffer(buffer) || buffer.byteLength >= MOVE_THRESHOLD)) moving.push(buffer);
      else copied.push(buffer);
      continue;
    }
    if (types.isSharedArrayBuffer(buffer) || t instanceof MessagePort) continue; // shared / always moved
    const err = new TypeError(
      `Expected ArrayBuffer, typed array, DataView or MessagePort in options.transferList but received ${t === null ? 'null' : typeof t === 'object' ? `an instance of ${t.constructor && t.constructor.name}` : typeof t}`,
    );
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  return { value, moving, commit: () => detach(copied) };
}

/** An ArrayBuffer of `size` bytes allocated by the pool: it moves between threads with no copy. */
function buffer(size) {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 0xffffffff) {
    const err = new RangeError(`Expected an integer from 0 to 4294967295 for size but received ${typeof size === 'number' ? size : typeof size}`);
    err.code = 'ERR_OUT_OF_RANGE';
    throw err;
  }
  return binding.allocBuffer(size);
}

module.exports = { move, isMovable, unwrap, detach, takeTransferables, buffer, transferableSymbol, valueSymbol, Movable, MOVE_THRESHOLD };
