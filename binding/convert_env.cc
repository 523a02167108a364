// convert_env.cc — the converter's per-environment state: references to the
// JS helpers of lib/wire-helpers.js, held by the environment's AddonData.
#include "convert_env.h"

#include "addon_data.h"
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
}

EnvState& StateFor(napi_env env) {
  binding::AddonData* data = binding::AddonData::Get(env);
  if (data == nullptr || !data->wire)
    throw Napi::Error::New(Napi::Env(env), "nativepool: the addon was not initialized (load it through lib/binding.js)");
  return *data->wire;
}

}  // namespace nativepool::convert_detail

namespace nativepool {

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
