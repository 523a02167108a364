// ProcessProxy: the JS face of a ChildProxy (src/child_proxy.h), one per
// child process of a pool with runtime 'process' (lib/runtime-process.js).
//
//   new ProcessProxy(poolId, consumerId, onEvent(kind, body))
//       makes the socket pair and the shared slot memory and moves the
//       consumer's slot words there. onEvent runs on this thread for each
//       kPost / kRequest frame from the child (kind = frame kind, body = a
//       Buffer), and once with kind -1 when the child is gone and its tasks
//       were abandoned (then call join()).
//   childFds() -> [socketFd, slotsFd]   the child's ends, for spawn's stdio
//   closeChildFds()                     after spawn: the parent's copies go
//   starts() -> Float64Array            the start stamps the child writes
//   start(init: Uint8Array)             sends kInit, starts the proxy thread
//   reply(body: Uint8Array)             kReply to the child's last kRequest
//   shutdown()                          the child is gone or being killed (refs
//                                       the loop until the close event)
//   join()                              after onEvent(-1): ends the thread
#pragma once

#include <napi.h>

#include <memory>

#include "child_proxy.h"
#include "shared_slots.h"

namespace nativepool::binding {

class ProcessProxy : public Napi::ObjectWrap<ProcessProxy> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ProcessProxy(const Napi::CallbackInfo& info);
  ~ProcessProxy() override;

 private:
  struct Event;
  static void CallJs(Napi::Env env, Napi::Function fn, std::nullptr_t*, Event* event);
  using Events = Napi::TypedThreadSafeFunction<std::nullptr_t, Event, &ProcessProxy::CallJs>;

  Napi::Value ChildFds(const Napi::CallbackInfo& info);
  Napi::Value CloseChildFds(const Napi::CallbackInfo& info);
  Napi::Value Starts(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Reply(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value Join(const Napi::CallbackInfo& info);
  void Close();  // shutdown, join, release the TSFN; idempotent

  std::shared_ptr<SharedSlots> slots_;
  std::unique_ptr<ChildProxy> proxy_;
  int child_fd_ = -1;
  Events events_;
  bool events_open_ = false;
};

}  // namespace nativepool::binding
