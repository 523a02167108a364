// Per-environment state of the addon (main thread and every worker each have
// their own). Never a bare global: the addon loads once per environment.
#pragma once

#include <napi.h>

namespace nativepool::binding {

struct AddonData {
  Napi::FunctionReference pool_ctor;
  Napi::FunctionReference port_ctor;

  static AddonData* Get(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
};

}  // namespace nativepool::binding
