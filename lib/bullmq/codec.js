'use strict';
// What crosses Redis: values and errors in nativepool's wire format (the
// bytes a local pool sends between threads), base64 in BullMQ's JSON fields.
//
//   job data         { v: base64(wire(task)), n?: handler name, t?: timeout ms, r?: backoff }
//   returnvalue      base64(wire(result))
//   failedReason     "<name>: <message>\nnativepool-wire:<base64(wire(serializeError(err)))>"
//
// BullMQ stores the thrown error's message as failedReason and sends it in the
// 'failed' event, so the whole error (class name, code, own properties, cause)
// arrives with the one event; dashboards still show a readable first line.
const binding = require('../binding');
const { errors, serializeError, deserializeError, isErrorLike } = require('../errors');

const FAILURE_MARK = '\nnativepool-wire:';

/** base64 of the wire bytes; throws the binding's DataCloneError (code ERR_DATA_CLONE). */
function encodeValue(value) {
  return binding.wireEncode(value).toString('base64');
}

function decodeValue(text) {
  if (typeof text !== 'string') throw errors.dataClone('A job field that is not nativepool wire data');
  return binding.wireDecode(Buffer.from(text, 'base64'));
}

function encodeError(err) {
  const record = serializeError(err);
  try {
    return encodeValue(record);
  } catch (first) {
    if (!record || typeof record !== 'object' || !record.props) {
      return encodeValue(serializeError(errors.dataClone('The thrown value', first)));
    }
    // Keep what can cross; an own property that cannot (a SharedArrayBuffer,
    // a port) is dropped rather than losing the whole error.
    const props = {};
    for (const [key, v] of Object.entries(record.props)) {
      try {
        binding.wireEncode(v);
        props[key] = v;
      } catch {
        props[key] = undefined;
      }
    }
    return encodeValue({ ...record, props, cause: undefined });
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
  return deserializeError(decodeValue(text.slice(at + FAILURE_MARK.length)));
}

module.exports = { encodeValue, decodeValue, encodeError, failureReason, parseFailure, FAILURE_MARK };
