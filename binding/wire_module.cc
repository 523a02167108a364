// wire_module.cc — exports.wireEncode / exports.wireDecode, for tests and for
// the pool's JS side.
//
//   wireEncode(value[, externals]) -> Buffer
//     Values the fast path cannot carry are pushed onto `externals` (an array)
//     and written as EXTERNAL(index); without the array they throw a
//     DataCloneError.
//   wireDecode(bytes[, externals]) -> value
//     `bytes` is a Buffer, any TypedArray/DataView or an ArrayBuffer;
//     EXTERNAL(i) resolves to externals[i].
//   wireRoundTrip(value[, externals]) -> value
//     Encode then decode in C++ with no Buffer in between: what a task costs
//     the pool, used by the benchmarks and the tests.
#include <napi.h>

#include <string>
#include <vector>

#include "convert.h"

namespace nativepool {
namespace {

Napi::Value WireEncode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EncodeHooks hooks;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsArray()) throw Napi::TypeError::New(env, "wireEncode: externals must be an array");
    Napi::Array externals = info[1].As<Napi::Array>();
    hooks.external = [externals](Napi::Env, Napi::Value v) -> uint32_t {
      const uint32_t slot = externals.Length();
      externals.Set(slot, v);
      return slot;
    };
  }
  Bytes out;
  EncodeValue(env, info[0], out, hooks);  // info[0] is undefined when absent
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), out.size());
}

Napi::Value WireDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* data = nullptr;
  size_t size = 0;
  Napi::Value input = info[0];
  // napi_get_*_info give the data pointer even for a view over a
  // SharedArrayBuffer (Napi::ArrayBuffer cannot wrap one).
  void* raw = nullptr;
  if (input.IsTypedArray()) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, input, &type, &length, &raw, &ab, &offset),
                         Napi::Value());
    size = length * input.As<Napi::TypedArray>().ElementSize();
  } else if (input.IsDataView()) {
    napi_value ab;
    size_t offset;
    NAPI_THROW_IF_FAILED(env, napi_get_dataview_info(env, input, &size, &raw, &ab, &offset), Napi::Value());
  } else if (input.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = input.As<Napi::ArrayBuffer>();
    raw = ab.Data();
    size = ab.ByteLength();
  } else {
    throw Napi::TypeError::New(env, "wireDecode: expected a Buffer, TypedArray, DataView or ArrayBuffer");
  }
  data = static_cast<const uint8_t*>(raw);
  DecodeHooks hooks;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsArray()) throw Napi::TypeError::New(env, "wireDecode: externals must be an array");
    Napi::Array externals = info[1].As<Napi::Array>();
    hooks.resolve = [externals](Napi::Env env, uint32_t slot) -> Napi::Value {
      if (slot >= externals.Length()) {
        Napi::Error e = Napi::RangeError::New(env, "wireDecode: no external at slot " + std::to_string(slot));
        e.Set("code", "ERR_WIRE_EXTERNAL");
        throw e;
      }
      return externals.Get(slot);
    };
  }
  return DecodeValue(env, data, size, hooks);
}

Napi::Value WireRoundTrip(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EncodeHooks ehooks;
  DecodeHooks dhooks;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsArray()) throw Napi::TypeError::New(env, "wireRoundTrip: externals must be an array");
    Napi::Array externals = info[1].As<Napi::Array>();
    ehooks.external = [externals](Napi::Env, Napi::Value v) -> uint32_t {
      const uint32_t slot = externals.Length();
      externals.Set(slot, v);
      return slot;
    };
    dhooks.resolve = [externals](Napi::Env, uint32_t slot) -> Napi::Value { return externals.Get(slot); };
  }
  thread_local Bytes buf;  // reused: the benchmark measures conversion, not malloc
  buf.clear();
  EncodeValue(env, info[0], buf, ehooks);
  return DecodeValue(env, buf.data(), buf.size(), dhooks);
}

}  // namespace

Napi::Object InitWire(Napi::Env env, Napi::Object exports) {
  exports.Set("wireEncode", Napi::Function::New(env, WireEncode, "wireEncode"));
  exports.Set("wireDecode", Napi::Function::New(env, WireDecode, "wireDecode"));
  exports.Set("wireRoundTrip", Napi::Function::New(env, WireRoundTrip, "wireRoundTrip"));
  return exports;
}

}  // namespace nativepool
