#include "codec.h"

#include <cstring>
#include <string>

#include "addon_data.h"

namespace nativepool::binding {

namespace {
// Tags of the interim format; the first byte of every encoding.
enum Tag : uint8_t {
  kUndefined = 'u',
  kNull = 'n',
  kFalse = 'f',
  kTrue = 't',
  kDouble = 'd',
  kString = 's',     // u32 length, UTF-8 bytes
  kSerialized = 'v', // the rest is lib's structured-clone bytes
};

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);
  out.insert(out.end(), b, b + 4);
}
}  // namespace

void Encode(Napi::Env env, Napi::Value value, std::vector<uint8_t>& out) {
  switch (value.Type()) {
    case napi_undefined: out.push_back(kUndefined); return;
    case napi_null: out.push_back(kNull); return;
    case napi_boolean: out.push_back(value.As<Napi::Boolean>().Value() ? kTrue : kFalse); return;
    case napi_number: {
      double d = value.As<Napi::Number>().DoubleValue();
      out.push_back(kDouble);
      uint8_t b[8];
      std::memcpy(b, &d, 8);
      out.insert(out.end(), b, b + 8);
      return;
    }
    case napi_string: {
      std::string s = value.As<Napi::String>().Utf8Value();
      out.push_back(kString);
      PutU32(out, static_cast<uint32_t>(s.size()));
      out.insert(out.end(), s.begin(), s.end());
      return;
    }
    default: break;
  }
  AddonData* data = AddonData::Get(env);
  if (data == nullptr || data->serialize.IsEmpty())
    throw Napi::Error::New(env, "nativepool: codec hooks are not installed");
  Napi::Value bytes = data->serialize.Call({value});
  if (!bytes.IsTypedArray())
    throw Napi::TypeError::New(env, "nativepool: serialize hook must return a Uint8Array");
  auto view = bytes.As<Napi::Uint8Array>();
  out.push_back(kSerialized);
  out.insert(out.end(), view.Data(), view.Data() + view.ByteLength());
}

Napi::Value Decode(Napi::Env env, const uint8_t* p, size_t size) {
  if (size == 0) throw Napi::Error::New(env, "nativepool: empty wire value");
  switch (p[0]) {
    case kUndefined: return env.Undefined();
    case kNull: return env.Null();
    case kFalse: return Napi::Boolean::New(env, false);
    case kTrue: return Napi::Boolean::New(env, true);
    case kDouble: {
      if (size < 9) break;
      double d;
      std::memcpy(&d, p + 1, 8);
      return Napi::Number::New(env, d);
    }
    case kString: {
      if (size < 5) break;
      uint32_t n;
      std::memcpy(&n, p + 1, 4);
      if (size - 5 < n) break;
      return Napi::String::New(env, reinterpret_cast<const char*>(p + 5), n);
    }
    case kSerialized: {
      AddonData* data = AddonData::Get(env);
      if (data == nullptr || data->deserialize.IsEmpty())
        throw Napi::Error::New(env, "nativepool: codec hooks are not installed");
      auto buf = Napi::Buffer<uint8_t>::Copy(env, p + 1, size - 1);
      return data->deserialize.Call({buf});
    }
    default: break;
  }
  throw Napi::Error::New(env, "nativepool: malformed wire value");
}

Napi::Value SetCodecHooks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "setCodecHooks(serialize, deserialize) expects two functions");
  AddonData* data = AddonData::Get(env);
  data->serialize = Napi::Persistent(info[0].As<Napi::Function>());
  data->deserialize = Napi::Persistent(info[1].As<Napi::Function>());
  return env.Undefined();
}

}  // namespace nativepool::binding
