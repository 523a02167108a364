#include "proxy.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "addon_data.h"
#include "convert_util.h"

namespace nativepool::binding {

struct ProcessProxy::Event {
  int kind;  // a frame::Kind, or -1: closed
  Bytes body;
};

void ProcessProxy::CallJs(Napi::Env env, Napi::Function fn, std::nullptr_t*, Event* event) {
  std::unique_ptr<Event> e(event);
  if (env == nullptr || fn.IsEmpty()) return;
  try {
    Napi::Value body = e->kind < 0 ? env.Undefined()
                                   : Napi::Buffer<uint8_t>::Copy(env, e->body.data(), e->body.size()).As<Napi::Value>();
    fn.Call({Napi::Number::New(env, e->kind), body});
  } catch (const Napi::Error& err) {  // see NativePool::OnBell
    if (!err.Value().IsEmpty()) err.ThrowAsJavaScriptException();
  }
}

Napi::Function ProcessProxy::Define(Napi::Env env) {
  return DefineClass(env, "ProcessProxy", {
      InstanceMethod<&ProcessProxy::ChildFds>("childFds"),
      InstanceMethod<&ProcessProxy::CloseChildFds>("closeChildFds"),
      InstanceMethod<&ProcessProxy::Starts>("starts"),
      InstanceMethod<&ProcessProxy::Start>("start"),
      InstanceMethod<&ProcessProxy::Reply>("reply"),
      InstanceMethod<&ProcessProxy::Shutdown>("shutdown"),
      InstanceMethod<&ProcessProxy::Join>("join"),
      // The event kinds onEvent receives (lib/child-protocol.js EVENT mirrors them).
      StaticValue("EVENT_POST", Napi::Number::New(env, static_cast<int>(frame::Kind::kPost))),
      StaticValue("EVENT_REQUEST", Napi::Number::New(env, static_cast<int>(frame::Kind::kRequest))),
      StaticValue("EVENT_CLOSED", Napi::Number::New(env, -1)),
  });
}

ProcessProxy::ProcessProxy(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessProxy>(info) {
  Napi::Env env = info.Env();
  const uint32_t pool_id = CheckedUint32(env, info[0], "poolId");
  const uint32_t consumer_id = CheckedUint32(env, info[1], "consumerId");
  if (info.Length() < 3 || !info[2].IsFunction())
    throw Napi::TypeError::New(env, "ProcessProxy(poolId, consumerId, onEvent): onEvent must be a function");
  std::shared_ptr<PoolCore> core = PoolCore::find(pool_id);
  if (!core) throw Napi::Error::New(env, "nativepool: no pool with id " + std::to_string(pool_id));
  std::shared_ptr<PoolCore::Consumer> consumer = core->consumer(consumer_id);
  if (!consumer) throw Napi::Error::New(env, "nativepool: no consumer with id " + std::to_string(consumer_id));
  try {
    slots_ = SharedSlots::Create(consumer->capacity);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw Napi::Error::New(env, std::string("nativepool: socketpair: ") + std::strerror(errno));
  child_fd_ = sv[1];
  events_ = Events::New(env, info[2].As<Napi::Function>(), "nativepool.process", 0, 1);
  events_.Unref(env);
  events_open_ = true;
  ChildProxy::Callbacks cb;
  // Both run on the proxy thread; the TSFN queues them in order, so the
  // close comes after every message.
  Events events = events_;
  cb.message = [events](frame::Kind kind, const uint8_t* p, size_t n) mutable {
    events.NonBlockingCall(new Event{static_cast<int>(kind), Bytes(p, p + n)});
  };
  cb.closed = [events]() mutable { events.NonBlockingCall(new Event{-1, {}}); };
  try {
    proxy_ = std::make_unique<ChildProxy>(core, consumer, sv[0], slots_, std::move(cb));
  } catch (const std::exception& e) {
    close(sv[0]);
    Close();
    throw Napi::Error::New(env, e.what());
  }
  AddonData::Get(env)->Track(this, [this] { Close(); });
}

ProcessProxy::~ProcessProxy() {
  if (AddonData* data = AddonData::Get(Env())) data->Forget(this);
  Close();
}

void ProcessProxy::Close() {
  if (proxy_) {
    proxy_->Shutdown();
    proxy_->Join();
  }
  if (child_fd_ >= 0) close(child_fd_);
  child_fd_ = -1;
  if (slots_) slots_->CloseFd();
  if (events_open_) {
    events_open_ = false;
    events_.Release();
  }
}

Napi::Value ProcessProxy::ChildFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (child_fd_ < 0 || slots_->fd() < 0) throw Napi::Error::New(env, "nativepool: the child's descriptors are closed");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, child_fd_));
  out.Set(1u, Napi::Number::New(env, slots_->fd()));
  return out;
}

Napi::Value ProcessProxy::CloseChildFds(const Napi::CallbackInfo& info) {
  if (child_fd_ >= 0) close(child_fd_);
  child_fd_ = -1;
  slots_->CloseFd();
  return info.Env().Undefined();
}

Napi::Value ProcessProxy::Starts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* keep = new std::shared_ptr<SharedSlots>(slots_);
  const uint32_t n = slots_->capacity();
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
      env, static_cast<void*>(slots_->starts()), n * sizeof(double),
      [](Napi::Env, void*, std::shared_ptr<SharedSlots>* hint) { delete hint; }, keep);
  return Napi::Float64Array::New(env, n, ab, 0);
}

static Bytes BytesArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray())
    throw Napi::TypeError::New(env, std::string("Expected a Uint8Array for ") + what);
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) throw Napi::TypeError::New(env, std::string("Expected a Uint8Array for ") + what);
  Napi::Uint8Array u8 = ta.As<Napi::Uint8Array>();
  return Bytes(u8.Data(), u8.Data() + u8.ByteLength());
}

Napi::Value ProcessProxy::Start(const Napi::CallbackInfo& info) {
  proxy_->Start(BytesArg(info, 0, "init"));
  return info.Env().Undefined();
}

Napi::Value ProcessProxy::Reply(const Napi::CallbackInfo& info) {
  Bytes body = BytesArg(info, 0, "body");
  proxy_->Send(frame::Kind::kReply, body.data(), body.size());
  return info.Env().Undefined();
}

// The close event must arrive even if nothing else keeps the loop alive:
// from here until join() the TSFN is ref'd.
Napi::Value ProcessProxy::Shutdown(const Napi::CallbackInfo& info) {
  if (events_open_) events_.Ref(info.Env());
  proxy_->Shutdown();
  return info.Env().Undefined();
}

Napi::Value ProcessProxy::Join(const Napi::CallbackInfo& info) {
  Close();
  if (AddonData* data = AddonData::Get(info.Env())) data->Forget(this);
  return info.Env().Undefined();
}

}  // namespace nativepool::binding
