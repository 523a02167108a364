'use strict';
// What crosses Redis: values and errors in nativepool's wire format (the
// bytes a local pool sends between threads), base64 in BullMQ's JSON fields.
//
//   value            base64(wire) [ "." base64(v8.serialize(external)) ]*
//   job data         { v: value(task), n?: handler name, t?: timeout ms, r?: backoff }
//   returnvalue      value(result)
//   failedReason     "<name>: <message>\nnativepool-wire:" value(wrapThrown(err))
//
// Values the wire format hands to the side channel in a local pool: class
// instances, boxed primitives and the like go through V8's serializer (as
// postMessage would); a SharedArrayBuffer, a MessagePort or anything else V8
// cannot serialize rejects with a DataCloneError (ERR_DATA_CLONE): there is
// no memory or port to share across machines.
//
// BullMQ stores the thrown error's message as failedReason and sends it in the
// 'failed' event, so the whole error (class name, code, own properties, cause)
// arrives with the one event; dashboards still show a readable first line.
const v8 = require('node:v8');
const binding = require('../binding');
const { errors, wrapThrown, unwrapThrown, cloneableOrDescribed, isErrorLike } = require('../errors');

const FAILURE_MARK = '\nnativepool-wire:';

/** The value as one string (see above); throws a DataCloneError (code ERR_DATA_CLONE). */
function encodeValue(value) {
  const externals = [];
  const wire = binding.wireEncode(value, externals).toString('base64');
  if (externals.length === 0) return wire;
  const parts = [wire];
  for (const ext of externals) {
    try {
      parts.push(v8.serialize(ext).toString('base64'));
    } catch (err) {
      throw errors.dataClone(`${describe(ext)} (nothing can share memory or a port through Redis)`, err);
    }
  }
  return parts.join('.');
}

function describe(v) {
  const name = v && v.constructor && typeof v.constructor.name === 'string' ? v.constructor.name : typeof v;
  return `#<${name}>`;
}

function decodeValue(text) {
  if (typeof text !== 'string') throw errors.dataClone('A job field that is not nativepool wire data');
  const parts = text.split('.');
  const bytes = Buffer.from(parts[0], 'base64');
  if (parts.length === 1) return binding.wireDecode(bytes);
  return binding.wireDecode(bytes, parts.slice(1).map((p) => v8.deserialize(Buffer.from(p, 'base64'))));
}

function encodeError(err) {
  try {
    return encodeValue(wrapThrown(err));
  } catch (first) {
    // Keep what can cross: an own property (or cause) that cannot, such as a
    // WeakMap, is replaced by its description rather than losing the error.
    if (isErrorLike(err)) {
      try {
        return encodeValue(wrapThrown(err, cloneableOrDescribed));
      } catch {
        // fall through: not even the described error crosses
      }
    }
    return encodeValue(wrapThrown(errors.dataClone(`The thrown ${describe(err)}`, first)));
  }
}

/** The failedReason a consumer fails a job with. */
function failureReason(err) {
  const head = isErrorLike(err) ? `${err.name}: ${err.message}` : `Thrown: ${String(err)}`;
  return `${head.split('\n')[0]}${FAILURE_MARK}${encodeError(err)}`;
}

/** The rejection a producer settles a failed job with. */
function parseFailure(jobId, reason) {
  const text = typeof reason === 'string' ? reason : String(reason);
  const at = text.lastIndexOf(FAILURE_MARK);
  if (at < 0) return errors.remoteJobFailed(jobId, text);
  return unwrapThrown(decodeValue(text.slice(at + FAILURE_MARK.length)));
}

module.exports = { encodeValue, decodeValue, encodeError, failureReason, parseFailure, FAILURE_MARK };
