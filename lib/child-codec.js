'use strict';
// The side channel (lib/channel.js descriptors) as a child process sees it.
// Nothing but bytes crosses a process boundary, so:
//   pack (results): class instances and moved ArrayBuffers (pool buffers
//     too) go inline as v8.serialize bytes (CLONE); a moved buffer is then
//     detached, as postMessage would. A SharedArrayBuffer or a MessagePort
//     cannot cross: a DataCloneError that says so fails the task.
//   unpack (arguments): CLONE is deserialized here; a value the pool holds
//     for the task (SIDE: a moved ArrayBuffer; NATIVE: a moved Pool.buffer())
//     is asked for with port.request() and arrives copied; a
//     SharedArrayBuffer is a DataCloneError.
const v8 = require('node:v8');
const { types } = require('node:util');
const { MessagePort } = require('node:worker_threads');
const binding = require('./binding');
const { KIND, VIEWS } = require('./channel');
const { errors } = require('./errors');

const NO_SAB = "it cannot be shared with a child process (runtime: 'process'); use runtime: 'thread' to share memory";

function clone(value) {
  try {
    return { k: KIND.CLONE, b: v8.serialize(value) };
  } catch (err) {
    throw errors.dataClone(String(err && err.message).replace(/ could not be cloned\.?$/, ''), err);
  }
}

/** Detaches a moved buffer once its bytes were copied (a pool buffer is freed). */
function detach(ab) {
  const h = binding.isPoolBuffer(ab) ? binding.adoptBuffer(ab) : -1;
  if (h >= 0) binding.discardBuffer(h);
  else structuredClone(ab, { transfer: [ab] });
}

/** @param {() => { request(body: Uint8Array): Buffer|null }} getPort */
function makeChildCodec(getPort) {
  function ask(what, msg) {
    const reply = getPort().request(v8.serialize(msg));
    if (reply === null) throw errors.dataClone(what, 'the pool is gone');
    const answer = v8.deserialize(reply);
    if (answer.missing) throw errors.dataClone(what, answer.missing);
    return answer.value;
  }

  function pack(values) {
    const out = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (types.isSharedArrayBuffer(v) || (ArrayBuffer.isView(v) && types.isSharedArrayBuffer(v.buffer))) {
        throw errors.dataClone('A SharedArrayBuffer', NO_SAB);
      }
      if (v instanceof MessagePort) throw errors.dataClone('A MessagePort', 'it cannot be sent to another process');
      out[i] = clone(v);
      if (types.isArrayBuffer(v) && v.byteLength > 0) detach(v); // it was moved
    }
    return out;
  }

  function unpack(descriptors) {
    const out = new Array(descriptors.length);
    for (let i = 0; i < descriptors.length; i++) {
      const d = descriptors[i];
      switch (d.k) {
        case KIND.CLONE:
          out[i] = v8.deserialize(d.b);
          break;
        case KIND.SIDE:
          out[i] = ask('A transferred value', { want: d.seq });
          break;
        case KIND.NATIVE:
          out[i] = ask('A transferred pool buffer', { native: d.h });
          break;
        case KIND.SAB:
          throw errors.dataClone(d.t < 0 ? 'A SharedArrayBuffer' : `A ${VIEWS[d.t].name} over a SharedArrayBuffer`, NO_SAB);
        default:
          throw errors.dataClone('A value from the side channel', `unknown descriptor kind ${d.k}`);
      }
    }
    return out;
  }

  return { pack, unpack };
}

module.exports = { makeChildCodec, NO_SAB };
