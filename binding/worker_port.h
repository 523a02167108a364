// WorkerPort: a worker thread's end of a pool. take() parks in native code
// until work arrives (or the pool stops this consumer); complete()/fail()
// hand results back. If the worker's environment is torn down with tasks
// still held, an env cleanup hook fails them with kWorkerExited, so no task
// is lost when a worker exits or is terminated mid-task.
#pragma once

#include <napi.h>

#include <memory>

#include "pool_core.h"

namespace nativepool::binding {

class WorkerPort : public Napi::ObjectWrap<WorkerPort> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit WorkerPort(const Napi::CallbackInfo& info);
  ~WorkerPort() override;

  struct State;  // shared with the env cleanup hook

 private:
  Napi::Value Take(const Napi::CallbackInfo& info);
  Napi::Value TryTake(const Napi::CallbackInfo& info);
  Napi::Value Complete(const Napi::CallbackInfo& info);
  Napi::Value Fail(const Napi::CallbackInfo& info);
  Napi::Value ArmAsync(const Napi::CallbackInfo& info);
  Napi::Value DisarmAsync(const Napi::CallbackInfo& info);
  Napi::Value HandlerInfo(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Progress(const Napi::CallbackInfo& info);

  Napi::Value TakeImpl(Napi::Env env, uint32_t max, bool block);
  Napi::Value Finish(const Napi::CallbackInfo& info, Status status);

  std::shared_ptr<State> state_;
};

}  // namespace nativepool::binding
