// Module init: lists the exports, nothing else. Runs once per environment
// (the main thread and every worker thread load the addon).
#include <dlfcn.h>
#include <napi.h>

#include "addon_data.h"
#include "buffers.h"
#include "convert.h"
#include "pool.h"
#include "worker_port.h"

namespace nativepool::binding {

namespace {
// Node unloads an addon when the environment that loaded it is destroyed; our
// native threads and other environments may still run its code. Pin it.
void PinLibrary() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&PinLibrary), &info) != 0 && info.dli_fname != nullptr)
    dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  PinLibrary();
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::Function pool = NativePool::Define(env);
  Napi::Function port = WorkerPort::Define(env);
  data->pool_ctor = Napi::Persistent(pool);
  data->port_ctor = Napi::Persistent(port);
  exports.Set("NativePool", pool);
  exports.Set("WorkerPort", port);
  InitWire(env, exports);  // wireEncode / wireDecode, for tests and tools
  InitBuffers(env, exports);
  return exports;
}

}  // namespace nativepool::binding

static Napi::Object InitNativepool(Napi::Env env, Napi::Object exports) {
  return nativepool::binding::Init(env, exports);
}
NODE_API_MODULE(nativepool, InitNativepool)
