// convert.h — JS value <-> wire bytes (src/wire.h), with structuredClone
// semantics.
//
// Carried natively: undefined, null, booleans, numbers (-0 and NaN kept),
// BigInt, strings, arrays (holes, length and extra named properties kept),
// plain objects (prototype Object.prototype or null), Date, RegExp, Map, Set,
// Error (class by `name`, custom names kept, message, stack, cause,
// AggregateError#errors, own enumerable properties), ArrayBuffer, every
// TypedArray, DataView, and Node Buffers, which decode as Buffers (unlike
// structuredClone, which returns a Uint8Array). Shared and cyclic references
// are kept, including views that share one ArrayBuffer. A view copies its
// whole ArrayBuffer, as structuredClone does.
//
// Handed to EncodeHooks::external (written as EXTERNAL(slot)): SharedArrayBuffer
// and views over one, Proxies, class instances and other objects whose
// prototype is not Object.prototype (MessagePort, boxed primitives, ...).
//
// Rejected with a DataCloneError (name 'DataCloneError', code
// 'ERR_DATA_CLONE', message "<value> could not be cloned."): functions,
// symbols, WeakMap, WeakSet, WeakRef, FinalizationRegistry, Promise, detached
// ArrayBuffers, native externals, nesting beyond WireLimits::max_depth, a
// message beyond WireLimits::max_size, and any external when no hook is set.
//
// Getters run once each, in key order; a plain object's values are read
// before its first value is written (structuredClone interleaves the two).
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bytes.h"

namespace nativepool {

struct EncodeHooks {
  // Stores `value` in the caller's side channel and returns its slot; may throw
  // (a Napi::Error, which then propagates out of EncodeValue). Called once per
  // distinct object: a repeat is written as a back-reference, so the decoder
  // resolves the slot once and identity holds. When empty, values needing the
  // side channel throw a DataCloneError.
  std::function<uint32_t(Napi::Env env, Napi::Value value)> external;
  // Asked once per distinct ArrayBuffer: true means it is being transferred,
  // so it goes to `external` (the side channel moves it) instead of having
  // its bytes copied onto the wire. Empty: every ArrayBuffer is copied.
  std::function<bool(Napi::Env env, Napi::Value buffer)> transfer;
  // The top-level value's classify() answer when lib asked for it already
  // (a plain object's [shapeTag, ...values, keys]: its values were read once,
  // and must not be read again), else nullptr.
  napi_value classified = nullptr;
};

struct DecodeHooks {
  // Returns the value stored under `slot`; may throw. When empty, an EXTERNAL
  // in the input throws an Error with code 'ERR_WIRE_EXTERNAL'.
  std::function<Napi::Value(Napi::Env env, uint32_t slot)> resolve;
};

// Appends one wire message for `value` to `out`. Throws Napi::Error (a
// DataCloneError for uncloneable values, or whatever a getter or hook threw);
// on throw, `out` is left at its original size.
void EncodeValue(Napi::Env env, Napi::Value value, Bytes& out,
                 EncodeHooks& hooks);

// Rebuilds the value of one wire message. Throws Napi::Error with code
// 'ERR_WIRE_MALFORMED' for bytes that are not a valid message.
Napi::Value DecodeValue(Napi::Env env, const uint8_t* data, size_t size, DecodeHooks& hooks);

// The record lib/wire-helpers.js encodeTask() wrote into its `flat` bytes in
// this environment, for its answer `answer` (kFlat + n; binding/constants.h),
// or nullptr if the answer is not one (then *size is unset).
const uint8_t* FlatRecord(napi_env env, double answer, size_t* size);

// [...items] made in one call into JS (lib/wire-helpers.js arrayOf), not
// element by element through the API.
napi_value ArrayOf(napi_env env, size_t n, const napi_value* items);

// Sets exports.wireEncode(value[, externals]) -> Buffer and
// exports.wireDecode(bytes[, externals]) -> value (binding/wire_module.cc).
Napi::Object InitWire(Napi::Env env, Napi::Object exports);

// Error{ name: 'DataCloneError', code: 'ERR_DATA_CLONE', message }.
Napi::Error MakeDataCloneError(Napi::Env env, const std::string& message);

}  // namespace nativepool
