// JS value <-> wire bytes for task arguments and results.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

namespace nativepool::binding {

// Appends the encoding of `value` to `out`. Throws a DataCloneError
// (Napi::Error) for a value that cannot cross threads.
void Encode(Napi::Env env, Napi::Value value, std::vector<uint8_t>& out);
// Decodes bytes produced by Encode (in any environment of this process).
Napi::Value Decode(Napi::Env env, const uint8_t* data, size_t size);

// lib/ installs the structured-clone fallback for values the native path
// does not carry: serialize(value) -> Uint8Array, deserialize(Uint8Array).
Napi::Value SetCodecHooks(const Napi::CallbackInfo& info);

}  // namespace nativepool::binding
