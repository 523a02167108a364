// ChildPort: a child process's port to its pool (runtime 'process';
// lib/child.js). The same interface as a worker thread's WorkerPort
// (lib/protocol.js `Port`) over a ChildLink (src/child_link.h): take() asks
// the parent's proxy for a batch and blocks for it, the slot words are the
// parent's (SharedSlots mapped here), complete() writes at once, release()
// goes out with the next take.
//
//   new ChildPort(socketFd, notify: () => void, { pack, unpack })
//   init() -> Buffer | null     the kInit body (null: the parent is gone)
//   map(slotsFd, capacity)      maps the shared slot memory
//   starts() -> Float64Array    this child's start stamps (shared with the parent)
//   flush()                     writes what is buffered (releases)
//   post(body)                  a control message for the pool
//   request(body) -> Buffer | null   one that wants an answer (blocks)
//   ChildPort.dieWithParent()   SIGKILL when the parent goes (Linux)
#pragma once

#include <napi.h>

#include <memory>
#include <unordered_map>

#include "child_link.h"
#include "codec.h"
#include "shared_slots.h"

namespace nativepool::binding {

class ChildPort : public Napi::ObjectWrap<ChildPort> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ChildPort(const Napi::CallbackInfo& info);
  ~ChildPort() override;

 private:
  static void CallNotify(Napi::Env env, Napi::Function fn, std::nullptr_t*, std::nullptr_t*);
  using Notify = Napi::TypedThreadSafeFunction<std::nullptr_t, std::nullptr_t, &ChildPort::CallNotify>;

  static Napi::Value DieWithParent(const Napi::CallbackInfo& info);
  Napi::Value Init(const Napi::CallbackInfo& info);
  Napi::Value Map(const Napi::CallbackInfo& info);
  Napi::Value Take(const Napi::CallbackInfo& info);
  Napi::Value TryTake(const Napi::CallbackInfo& info);
  Napi::Value Value(const Napi::CallbackInfo& info);
  Napi::Value Complete(const Napi::CallbackInfo& info);
  Napi::Value Fail(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value ArmAsync(const Napi::CallbackInfo& info);
  Napi::Value DisarmAsync(const Napi::CallbackInfo& info);
  Napi::Value HandlerInfo(const Napi::CallbackInfo& info);
  Napi::Value Slots(const Napi::CallbackInfo& info);
  Napi::Value Starts(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Post(const Napi::CallbackInfo& info);
  Napi::Value Request(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  Napi::Value TakeImpl(Napi::Env env, uint32_t max, bool block);
  Napi::Value Finish(const Napi::CallbackInfo& info, Status status);
  void CloseNow();

  std::unique_ptr<ChildLink> link_;
  std::shared_ptr<SharedSlots> slots_;
  std::unordered_map<uint32_t, Bytes> deferred_;  // slot -> a payload value() decodes once started
  SideHooks side_;
  Notify notify_;
  bool notify_open_ = false;
  bool armed_ = false;
  bool closed_ = false;
};

}  // namespace nativepool::binding
