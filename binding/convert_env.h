// convert_env.h — what the encoder (convert_encode.cc) and the decoder
// (convert_decode.cc) share: the per-environment JS helpers and the names
// both sides agree on. Internal to binding/; the API is convert.h.
#pragma once

#include <napi.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "wire.h"

namespace nativepool::convert_detail {

// The converter's per-environment state: references to the helpers
// lib/wire-helpers.js made for this environment, and the shape cache.
// Owned by the environment's AddonData (binding/addon_data.h).
class EnvState {
 public:
  EnvState(napi_env env, Napi::Object helpers);

  napi_value Get(napi_ref r) const {
    napi_value v;
    Check(napi_get_reference_value(env_, r, &v));
    return v;
  }
  void Check(napi_status s) const {
    if (s != napi_ok) throw Napi::Error::New(Napi::Env(env_));
  }

  // The characters of the keys of each of the helpers' shape slots, with the
  // shapeTag they were read under.
  using KeyNames = std::vector<std::u16string>;
  struct Shape {
    uint32_t tag = UINT32_MAX;
    std::shared_ptr<const KeyNames> names;
  };
  std::array<Shape, 4> shapes;

  // lib/wire-helpers.js's `flat` bytes (classify() answers kFlat + n), kept
  // alive by refs_: a non-resizable buffer, so the pointer stays valid.
  const uint8_t* flat = nullptr;
  size_t flat_size = 0;

  napi_ref classify, keys, array_info, array_of, push_items, make_object, map_entries, set_values,
      track, id_of, describe, make_view, make_error, buffer_proto, map_ctor, set_ctor, regexp_ctor,
      map_set, set_add;

 private:
  napi_ref Ref(Napi::Object h, const char* name) {
    Napi::Value v = h.Get(name);
    if (!v.IsObject() && !v.IsFunction())
      throw Napi::TypeError::New(Napi::Env(env_), std::string("initialize(helpers): missing helper ") + name);
    napi_ref r;
    Check(napi_create_reference(env_, v, 1, &r));
    refs_.push_back(Napi::Reference<Napi::Value>(env_, r));
    return r;
  }
  napi_env env_;
  std::vector<Napi::Reference<Napi::Value>> refs_;  // owns the refs above
};

// The helpers of `env`; throws if lib has not called initialize() there.
EnvState& StateFor(napi_env env);

inline constexpr const char* kErrorNames[] = {"Error",       "EvalError",     "RangeError",
                                              "ReferenceError", "SyntaxError", "TypeError",
                                              "URIError",    "AggregateError"};
inline constexpr char kRegExpFlags[] = "dgimsuvy";  // bit i <-> kRegExpFlags[i]

}  // namespace nativepool::convert_detail
