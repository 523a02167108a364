// Module init: the per-environment state, the exports, nothing else. Runs
// once per environment (the main thread and every worker thread load the
// addon).
#include <dlfcn.h>
#include <napi.h>

#include "addon_data.h"
#include "buffers.h"
#include "child_port.h"
#include "constants.h"
#include "convert.h"
#include "convert_env.h"
#include "pool.h"
#include "proxy.h"
#include "worker_port.h"

namespace nativepool::binding {

void InitThread(Napi::Env env, Napi::Object exports);  // thread.cc

namespace {
// Node unloads an addon when the environment that loaded it is destroyed; our
// native threads and other environments may still run its code. Pin it.
void PinLibrary() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&PinLibrary), &info) != 0 && info.dli_fname != nullptr)
    dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}

// initialize(helpers): lib/binding.js hands over lib/wire-helpers.js once.
Napi::Value Initialize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw Napi::TypeError::New(env, "initialize(helpers): helpers must be an object");
  AddonData::Get(env)->wire = std::make_unique<convert_detail::EnvState>(env, info[0].As<Napi::Object>());
  return env.Undefined();
}
}  // namespace

AddonData::AddonData() = default;
AddonData::~AddonData() = default;

AddonData* AddonData::Get(napi_env env) { return Napi::Env(env).GetInstanceData<AddonData>(); }

void AddonData::Cleanup(void* arg) {
  auto* data = static_cast<AddonData*>(arg);
  // Closing may make an object forget itself: work on a copy.
  auto open = std::move(data->open_);
  data->open_.clear();
  for (auto& [owner, close] : open) close();
  data->wire.reset();  // drops its references while the env can still take them
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  PinLibrary();
  auto* data = new AddonData();
  env.SetInstanceData(data);
  napi_add_env_cleanup_hook(env, AddonData::Cleanup, data);
  exports.Set("initialize", Napi::Function::New(env, Initialize, "initialize"));
  exports.Set("constants", Constants(env));
  exports.Set("NativePool", NativePool::Define(env));
  exports.Set("WorkerPort", WorkerPort::Define(env));
  exports.Set("ProcessProxy", ProcessProxy::Define(env));
  exports.Set("ChildPort", ChildPort::Define(env));
  InitWire(env, exports);  // wireEncode / wireDecode, for tests and tools
  InitBuffers(env, exports);
  InitThread(env, exports);
  return exports;
}

}  // namespace nativepool::binding

static Napi::Object InitNativepool(Napi::Env env, Napi::Object exports) {
  return nativepool::binding::Init(env, exports);
}
NODE_API_MODULE(nativepool, InitNativepool)
