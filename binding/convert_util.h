// Checked conversions of JS arguments: never a blind As<>() on a value the
// caller did not validate.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace nativepool::binding {

inline uint32_t CheckedUint32(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string("Expected a number for ") + what);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || std::floor(d) != d)
    throw Napi::RangeError::New(env, std::string("Expected an unsigned 32-bit integer for ") + what);
  return static_cast<uint32_t>(d);
}

inline uint64_t CheckedUint64(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string("Expected a number for ") + what);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 9007199254740991.0) || std::floor(d) != d)
    throw Napi::RangeError::New(env, std::string("Expected a safe non-negative integer for ") + what);
  return static_cast<uint64_t>(d);
}

inline std::string CheckedString(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsString()) throw Napi::TypeError::New(env, std::string("Expected a string for ") + what);
  return v.As<Napi::String>().Utf8Value();
}

inline uint32_t GetUint32(Napi::Object o, const char* key, uint32_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  return CheckedUint32(o.Env(), v, key);
}

}  // namespace nativepool::binding
