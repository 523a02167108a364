'use strict';
// move(), transferList and the markers Piscina exposes.
//
// Interim semantics until the zero-copy path lands: the bytes of a
// transferred ArrayBuffer are copied into the task and the source is
// detached after the task was accepted, so callers see postMessage's
// observable behaviour (the source's byteLength becomes 0).
const { types } = require('node:util');
const { MessagePort } = require('node:worker_threads');

const transferableSymbol = Symbol.for('nativepool.transferable');
const valueSymbol = Symbol.for('nativepool.valueOf');
// Piscina's symbols, so values marked by Piscina.move() are honoured too.
const piscinaTransferable = Symbol.for('Piscina.transferable');
const piscinaValue = Symbol.for('Piscina.valueOf');

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
  return v !== null && typeof v === 'object' && (transferableSymbol in v || piscinaTransferable in v);
}

function unwrap(v) {
  if (!isMovable(v)) return { value: v, transfer: [] };
  if (transferableSymbol in v) return { value: v[valueSymbol], transfer: [v[transferableSymbol]] };
  return { value: v[piscinaValue], transfer: [v[piscinaTransferable]] };
}

/** Detaches ArrayBuffers after their bytes were copied into a task. */
function detach(buffers) {
  const list = buffers.filter((b) => types.isArrayBuffer(b) && b.byteLength > 0);
  if (list.length > 0) structuredClone(list, { transfer: list });
}

/**
 * Resolves move() wrappers and transferList for run(): returns the value to
 * encode and a commit() that detaches the sources once the task is queued.
 */
function takeTransferables(task, transferList) {
  const { value, transfer } = unwrap(task);
  const all = transfer.concat(transferList || []);
  for (const t of all) {
    if (types.isArrayBuffer(t)) continue;
    if (types.isArrayBufferView(t)) continue;
    const err = new TypeError(`Expected ArrayBuffer or typed array in options.transferList but received ${t === null ? 'null' : typeof t === 'object' ? `an instance of ${t.constructor && t.constructor.name}` : typeof t}`);
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  return {
    value,
    commit: () => detach(all.map((t) => (types.isArrayBufferView(t) ? t.buffer : t))),
  };
}

module.exports = { move, isMovable, unwrap, detach, takeTransferables, transferableSymbol, valueSymbol, Movable };
