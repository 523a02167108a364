// convert_env.cc — the converter's per-environment state: references to the
// JS helpers of lib/wire-helpers.js, held by the environment's AddonData.
#include "convert_env.h"

#include "addon_data.h"
#include "constants.h"
#include "convert.h"

namespace nativepool::convert_detail {

EnvState::EnvState(napi_env env, Napi::Object h) : env_(env) {
  classify = Ref(h, "classify");
  keys = Ref(h, "keys");
  array_info = Ref(h, "arrayInfo");
  array_of = Ref(h, "arrayOf");
  push_items = Ref(h, "pushItems");
  make_object = Ref(h, "makeObject");
  map_entries = Ref(h, "mapEntries");
  set_values = Ref(h, "setValues");
  track = Ref(h, "track");
  id_of = Ref(h, "idOf");
  describe = Ref(h, "describe");
  make_view = Ref(h, "makeView");
  make_error = Ref(h, "makeError");
  buffer_proto = Ref(h, "bufferProto");
  map_ctor = Ref(h, "MapCtor");
  set_ctor = Ref(h, "SetCtor");
  regexp_ctor = Ref(h, "RegExpCtor");
  map_set = Ref(h, "mapSet");
  set_add = Ref(h, "setAdd");
  napi_ref flat_ref = Ref(h, "flat");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value arraybuffer;
  size_t offset = 0;
  bool is_typedarray = false;
  Check(napi_is_typedarray(env_, Get(flat_ref), &is_typedarray));
  if (is_typedarray) Check(napi_get_typedarray_info(env_, Get(flat_ref), &type, &length, &data, &arraybuffer, &offset));
  if (!is_typedarray || type != napi_uint8_array)
    throw Napi::TypeError::New(Napi::Env(env_), "initialize(helpers): flat must be a Uint8Array");
  flat = static_cast<const uint8_t*>(data);
  flat_size = length;
}

EnvState& StateFor(napi_env env) {
  binding::AddonData* data = binding::AddonData::Get(env);
  if (data == nullptr || !data->wire)
    throw Napi::Error::New(Napi::Env(env), "nativepool: the addon was not initialized (load it through lib/binding.js)");
  return *data->wire;
}

}  // namespace nativepool::convert_detail

namespace nativepool {

const uint8_t* FlatRecord(napi_env env, double answer, size_t* size) {
  convert_detail::EnvState& s = convert_detail::StateFor(env);
  const double flat = static_cast<double>(binding::Classify::kFlat);
  const double n = answer - flat;
  // A whole record: at least a tag, within the bytes lib wrote.
  if (s.flat == nullptr || !(n >= 1 && n <= static_cast<double>(s.flat_size)) || n != static_cast<double>(static_cast<size_t>(n)))
    return nullptr;
  *size = static_cast<size_t>(n);
  return s.flat;
}

napi_value ArrayOf(napi_env env, size_t n, const napi_value* items) {
  convert_detail::EnvState& s = convert_detail::StateFor(env);
  napi_value undef, r;
  s.Check(napi_get_undefined(env, &undef));
  s.Check(napi_call_function(env, undef, s.Get(s.array_of), n, items, &r));
  return r;
}

Napi::Error MakeDataCloneError(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  Napi::Object o = e.Value();
  o.DefineProperty(Napi::PropertyDescriptor::Value(
      "name", Napi::String::New(env, "DataCloneError"),
      static_cast<napi_property_attributes>(napi_writable | napi_configurable)));
  o.Set("code", Napi::String::New(env, "ERR_DATA_CLONE"));
  return e;
}

}  // namespace nativepool
