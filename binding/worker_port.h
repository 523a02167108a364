// WorkerPort: a worker thread's end of a pool (lib/worker.js; the shapes are
// in lib/protocol.js). take() parks in native code until work arrives (or the
// pool stops this consumer) and hands over a batch; the worker starts each
// task by a CAS on its slot word (slots()), skips the ones the pool cancelled
// (release()), and hands results back with complete()/fail(). If the
// worker's environment is torn down with tasks still held, the env cleanup
// fails the started ones with kWorkerExited and puts the rest back in line.
#pragma once

#include <napi.h>

#include <memory>

#include "codec.h"
#include "pool_core.h"

namespace nativepool::binding {

class WorkerPort : public Napi::ObjectWrap<WorkerPort> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit WorkerPort(const Napi::CallbackInfo& info);
  ~WorkerPort() override;

  struct State;  // shared with the notifier and the env cleanup

 private:
  Napi::Value Take(const Napi::CallbackInfo& info);
  Napi::Value TryTake(const Napi::CallbackInfo& info);
  Napi::Value Value(const Napi::CallbackInfo& info);
  Napi::Value Complete(const Napi::CallbackInfo& info);
  Napi::Value Fail(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value ArmAsync(const Napi::CallbackInfo& info);
  Napi::Value DisarmAsync(const Napi::CallbackInfo& info);
  Napi::Value HandlerInfo(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Slots(const Napi::CallbackInfo& info);
  Napi::Value Inbox(const Napi::CallbackInfo& info);

  Napi::Value TakeImpl(Napi::Env env, uint32_t max, bool block);
  Napi::Value Finish(const Napi::CallbackInfo& info, Status status);

  std::shared_ptr<State> state_;
  SideHooks side_;  // lib/channel.js, worker side
  FlatInbox inbox_;  // inbox(): a batch's flat arguments, for lib to decode
};

}  // namespace nativepool::binding
