#include "child_port.h"

#include <string>
#include <vector>

#include "addon_data.h"
#include "constants.h"
#include "convert_util.h"

namespace nativepool::binding {

namespace {
// As in WorkerPort: a frame that needs the side channel ('X') is decoded when
// its task starts (value(slot)), never in take().
bool NeedsSideChannel(const uint8_t* p, size_t n) { return n > 0 && p[0] != 'W'; }

Bytes BytesArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray())
    throw Napi::TypeError::New(env, std::string("Expected a Uint8Array for ") + what);
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) throw Napi::TypeError::New(env, std::string("Expected a Uint8Array for ") + what);
  Napi::Uint8Array u8 = ta.As<Napi::Uint8Array>();
  return Bytes(u8.Data(), u8.Data() + u8.ByteLength());
}
}  // namespace

void ChildPort::CallNotify(Napi::Env env, Napi::Function fn, std::nullptr_t*, std::nullptr_t*) {
  if (env == nullptr || fn.IsEmpty()) return;
  try {
    fn.Call({});
  } catch (const Napi::Error& e) {  // see NativePool::OnBell
    if (!e.Value().IsEmpty()) e.ThrowAsJavaScriptException();
  }
}

Napi::Function ChildPort::Define(Napi::Env env) {
  return DefineClass(env, "ChildPort", {
      StaticMethod<&ChildPort::DieWithParent>("dieWithParent"),
      InstanceMethod<&ChildPort::Init>("init"),
      InstanceMethod<&ChildPort::Map>("map"),
      InstanceMethod<&ChildPort::Take>("take"),
      InstanceMethod<&ChildPort::TryTake>("tryTake"),
      InstanceMethod<&ChildPort::Value>("value"),
      InstanceMethod<&ChildPort::Complete>("complete"),
      InstanceMethod<&ChildPort::Fail>("fail"),
      InstanceMethod<&ChildPort::Release>("release"),
      InstanceMethod<&ChildPort::ArmAsync>("armAsync"),
      InstanceMethod<&ChildPort::DisarmAsync>("disarmAsync"),
      InstanceMethod<&ChildPort::HandlerInfo>("handlerInfo"),
      InstanceMethod<&ChildPort::Slots>("slots"),
      InstanceMethod<&ChildPort::Starts>("starts"),
      InstanceMethod<&ChildPort::Flush>("flush"),
      InstanceMethod<&ChildPort::Post>("post"),
      InstanceMethod<&ChildPort::Request>("request"),
      InstanceMethod<&ChildPort::Close>("close"),
  });
}

// new ChildPort(socketFd, notify, { pack, unpack })
ChildPort::ChildPort(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ChildPort>(info) {
  Napi::Env env = info.Env();
  const uint32_t fd = CheckedUint32(env, info[0], "socketFd");
  if (info.Length() < 2 || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "ChildPort(socketFd, notify, hooks): notify must be a function");
  if (info.Length() > 2 && info[2].IsObject()) side_.Set(info[2].As<Napi::Object>());
  link_ = std::make_unique<ChildLink>(static_cast<int>(fd));
  notify_ = Notify::New(env, info[1].As<Napi::Function>(), "nativepool.child", 0, 1);
  notify_.Unref(env);
  notify_open_ = true;
  AddonData::Get(env)->Track(this, [this] { CloseNow(); });
}

ChildPort::~ChildPort() {
  if (AddonData* data = AddonData::Get(Env())) data->Forget(this);
  CloseNow();
}

void ChildPort::CloseNow() {
  if (closed_) return;
  closed_ = true;
  link_->Unwatch();
  link_->Close();
  if (notify_open_) {
    notify_open_ = false;
    notify_.Release();
  }
}

Napi::Value ChildPort::DieWithParent(const Napi::CallbackInfo& info) {
  nativepool::DieWithParent();
  return info.Env().Undefined();
}

Napi::Value ChildPort::Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes init;
  if (closed_ || !link_->ReadInit(&init)) return env.Null();
  return Napi::Buffer<uint8_t>::Copy(env, init.data(), init.size());
}

Napi::Value ChildPort::Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t fd = CheckedUint32(env, info[0], "slotsFd");
  const uint32_t capacity = CheckedUint32(env, info[1], "capacity");
  try {
    slots_ = SharedSlots::Open(static_cast<int>(fd), capacity);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  slots_->CloseFd();  // the mapping stays
  return env.Undefined();
}

// Decodes the eager part of a batch: [slot, handler, value, ...], as
// WorkerPort::TakeImpl does.
Napi::Value ChildPort::TakeImpl(Napi::Env env, uint32_t max, bool block) {
  if (closed_) return env.Null();
  if (max == 0 || max > kMaxBatch) max = kMaxBatch;
  std::vector<ChildLink::TaskView> tasks;
  switch (link_->Take(max, block, &tasks)) {
    case ChildLink::Took::kEmpty:
      return Napi::Array::New(env, 0);
    case ChildLink::Took::kStopped:
    case ChildLink::Took::kGone:
      return env.Null();
    case ChildLink::Took::kTasks:
      break;
  }
  const size_t n = tasks.size();
  Napi::Array out = Napi::Array::New(env, n * kTakeStride);
  // Everything is read out of the link's buffer before any JS runs.
  std::vector<size_t> eager;
  for (size_t i = 0; i < n; ++i) {
    const ChildLink::TaskView& t = tasks[i];
    const size_t at = i * kTakeStride;
    out.Set(at, Napi::Number::New(env, t.slot));
    out.Set(at + 1, Napi::Number::New(env, t.handler));
    // size 0: cancelled before it was sent; the slot word says so.
    if (t.size == 0) continue;
    if (NeedsSideChannel(t.data, t.size)) {
      deferred_[t.slot] = Bytes(t.data, t.data + t.size);
      continue;
    }
    try {
      out.Set(at + 2, Decode(env, t.data, t.size, side_));
    } catch (const Napi::Error& e) {
      if (e.Value().IsEmpty()) throw;
      Napi::Object box = Napi::Object::New(env);
      box.Set("error", e.Value());
      out.Set(at + 2, box);
      out.Set(at + 1, Napi::Number::New(env, kBadValue));
    }
  }
  return out;
}

Napi::Value ChildPort::Take(const Napi::CallbackInfo& info) {
  uint32_t max = info.Length() > 0 ? CheckedUint32(info.Env(), info[0], "max") : 1;
  return TakeImpl(info.Env(), max, true);
}

Napi::Value ChildPort::TryTake(const Napi::CallbackInfo& info) {
  uint32_t max = info.Length() > 0 ? CheckedUint32(info.Env(), info[0], "max") : 1;
  return TakeImpl(info.Env(), max, false);
}

Napi::Value ChildPort::Value(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t slot = CheckedUint32(env, info[0], "slot");
  auto it = deferred_.find(slot);
  // Nothing deferred: take() decoded the argument, and it was undefined.
  if (it == deferred_.end()) return env.Undefined();
  Bytes payload = std::move(it->second);
  deferred_.erase(it);
  return Decode(env, payload.data(), payload.size(), side_);
}

Napi::Value ChildPort::Finish(const Napi::CallbackInfo& info, Status status) {
  Napi::Env env = info.Env();
  const uint32_t slot = CheckedUint32(env, info[0], "slot");
  Bytes bytes;
  Encode(env, info.Length() > 1 ? info[1] : env.Undefined(), bytes, side_,
         info.Length() > 2 ? info[2] : Napi::Value(),
         info.Length() > 3 ? info[3] : Napi::Value());  // may throw DataCloneError
  if (closed_) return Napi::Boolean::New(env, false);
  deferred_.erase(slot);
  link_->Complete(slot, status, bytes.data(), bytes.size());
  return Napi::Boolean::New(env, !link_->gone());
}

Napi::Value ChildPort::Complete(const Napi::CallbackInfo& info) { return Finish(info, Status::kOk); }
Napi::Value ChildPort::Fail(const Napi::CallbackInfo& info) { return Finish(info, Status::kError); }

Napi::Value ChildPort::Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t slot = CheckedUint32(env, info[0], "slot");
  if (closed_) return Napi::Boolean::New(env, false);
  deferred_.erase(slot);
  link_->Release(slot);
  return Napi::Boolean::New(env, !link_->gone());
}

// armAsync() -> true if armed: notify() is called once when the parent says a
// task is queued (or this child was stopped). false: try tryTake() now.
Napi::Value ChildPort::ArmAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_ || !notify_open_ || armed_) return Napi::Boolean::New(env, false);
  if (!link_->Arm()) return Napi::Boolean::New(env, false);
  Notify notify = notify_;
  link_->Watch([notify]() mutable { notify.NonBlockingCall(); });
  notify_.Ref(env);
  armed_ = true;
  return Napi::Boolean::New(env, true);
}

Napi::Value ChildPort::DisarmAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_ || !armed_) return Napi::Boolean::New(env, false);
  armed_ = false;
  link_->Unwatch();
  link_->Disarm();
  notify_.Unref(env);
  return Napi::Boolean::New(env, true);
}

Napi::Value ChildPort::HandlerInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string href, name;
  if (!link_->Handler(CheckedUint32(env, info[0], "handler"), &href, &name)) return env.Null();
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::String::New(env, href));
  a.Set(1u, Napi::String::New(env, name));
  return a;
}

// slots() -> Int32Array over the parent's slot words for this child (shared memory).
Napi::Value ChildPort::Slots(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!slots_) throw Napi::Error::New(env, "nativepool: slots() before map()");
  auto* keep = new std::shared_ptr<SharedSlots>(slots_);
  const uint32_t n = slots_->capacity();
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
      env, static_cast<void*>(slots_->words()), n * sizeof(int32_t),
      [](Napi::Env, void*, std::shared_ptr<SharedSlots>* hint) { delete hint; }, keep);
  return Napi::Int32Array::New(env, n, ab, 0);
}

Napi::Value ChildPort::Starts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!slots_) throw Napi::Error::New(env, "nativepool: starts() before map()");
  auto* keep = new std::shared_ptr<SharedSlots>(slots_);
  const uint32_t n = slots_->capacity();
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
      env, static_cast<void*>(slots_->starts()), n * sizeof(double),
      [](Napi::Env, void*, std::shared_ptr<SharedSlots>* hint) { delete hint; }, keep);
  return Napi::Float64Array::New(env, n, ab, 0);
}

Napi::Value ChildPort::Flush(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !closed_ && link_->Flush());
}

Napi::Value ChildPort::Post(const Napi::CallbackInfo& info) {
  Bytes body = BytesArg(info, 0, "body");
  return Napi::Boolean::New(info.Env(), !closed_ && link_->Post(body.data(), body.size()));
}

Napi::Value ChildPort::Request(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes body = BytesArg(info, 0, "body");
  Bytes reply;
  if (closed_ || !link_->Request(body.data(), body.size(), &reply)) return env.Null();
  return Napi::Buffer<uint8_t>::Copy(env, reply.data(), reply.size());
}

Napi::Value ChildPort::Close(const Napi::CallbackInfo& info) {
  CloseNow();
  return info.Env().Undefined();
}

}  // namespace nativepool::binding
