#include "worker_port.h"

#include <mutex>
#include <string>
#include <vector>

#include "addon_data.h"
#include "codec.h"
#include "constants.h"
#include "convert.h"
#include "convert_util.h"

namespace nativepool::binding {

namespace {
void CallNotify(Napi::Env env, Napi::Function fn, void*, void*) {
  if (env == nullptr || fn.IsEmpty()) return;
  try {
    fn.Call({});
  } catch (const Napi::Error& e) {  // see NativePool::OnBell
    if (!e.Value().IsEmpty()) e.ThrowAsJavaScriptException();
  }
}
using Notify = Napi::TypedThreadSafeFunction<void, void, &CallNotify>;

// A frame lib can decode only on the worker's side channel ('X': it names
// SharedArrayBuffers, side-channel values, ...) is decoded when the task
// starts (value(slot)), never in take(): a value handed over by the side
// channel cannot be handed over twice if the task goes back in line.
bool NeedsSideChannel(const Bytes& frame) { return !frame.empty() && frame[0] != 'W'; }
}  // namespace

struct WorkerPort::State {
  std::shared_ptr<PoolCore> core;
  std::shared_ptr<PoolCore::Consumer> consumer;
  std::mutex notify_mu;   // guards notify against Release() while a producer rings
  Notify notify;          // rings the worker's loop when armed
  bool notify_open = false;
  bool closed = false;

  // Idempotent: fails what this worker had started, requeues the rest,
  // stops its consumer.
  void Close() {
    if (closed) return;
    closed = true;
    if (core && consumer) {
      core->scheduler().disarm_async(consumer->id);
      core->abandon(*consumer);
    }
    std::lock_guard<std::mutex> lock(notify_mu);
    if (notify_open) {
      notify_open = false;
      notify.Release();
    }
  }
  void Ring() {
    std::lock_guard<std::mutex> lock(notify_mu);
    if (notify_open) notify.NonBlockingCall();
  }
  Task* Held(uint32_t slot) {
    std::lock_guard<std::mutex> lock(consumer->mu);
    return slot < consumer->capacity ? consumer->held[slot] : nullptr;
  }
};

Napi::Function WorkerPort::Define(Napi::Env env) {
  return DefineClass(env, "WorkerPort", {
      InstanceMethod<&WorkerPort::Take>("take"),
      InstanceMethod<&WorkerPort::TryTake>("tryTake"),
      InstanceMethod<&WorkerPort::Value>("value"),
      InstanceMethod<&WorkerPort::Complete>("complete"),
      InstanceMethod<&WorkerPort::Fail>("fail"),
      InstanceMethod<&WorkerPort::Release>("release"),
      InstanceMethod<&WorkerPort::ArmAsync>("armAsync"),
      InstanceMethod<&WorkerPort::DisarmAsync>("disarmAsync"),
      InstanceMethod<&WorkerPort::HandlerInfo>("handlerInfo"),
      InstanceMethod<&WorkerPort::Close>("close"),
      InstanceMethod<&WorkerPort::Slots>("slots"),
      InstanceMethod<&WorkerPort::Inbox>("inbox"),
  });
}

// new WorkerPort(poolId, consumerId, notify: () => void, { pack?, unpack? })
WorkerPort::WorkerPort(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WorkerPort>(info) {
  Napi::Env env = info.Env();
  uint32_t pool_id = CheckedUint32(env, info[0], "poolId");
  uint32_t consumer_id = CheckedUint32(env, info[1], "consumerId");
  if (info.Length() < 3 || !info[2].IsFunction())
    throw Napi::TypeError::New(env, "WorkerPort(poolId, consumerId, notify): notify must be a function");
  if (info.Length() > 3 && info[3].IsObject()) side_.Set(info[3].As<Napi::Object>());
  state_ = std::make_shared<State>();
  state_->core = PoolCore::find(pool_id);
  if (!state_->core) throw Napi::Error::New(env, "nativepool: no pool with id " + std::to_string(pool_id));
  state_->consumer = state_->core->consumer(consumer_id);
  if (!state_->consumer)
    throw Napi::Error::New(env, "nativepool: no consumer with id " + std::to_string(consumer_id));
  state_->notify = Notify::New(env, info[2].As<Napi::Function>(), "nativepool.worker", 0, 1);
  state_->notify.Unref(env);
  state_->notify_open = true;
  // The environment's cleanup closes the state (worker exit or terminate).
  std::shared_ptr<State> state = state_;
  AddonData::Get(env)->Track(this, [state] { state->Close(); });
}

WorkerPort::~WorkerPort() {
  if (AddonData* data = AddonData::Get(Env())) data->Forget(this);
  state_->Close();
}

// Decodes the eager part of a batch: [slot, handler, value, ...]. A frame
// that needs the side channel gets `undefined` here and is decoded by
// value(slot) once the task has started.
Napi::Value WorkerPort::TakeImpl(Napi::Env env, uint32_t max, bool block) {
  State& s = *state_;
  if (s.closed) return env.Null();
  if (max == 0 || max > kMaxBatch) max = kMaxBatch;
  uint32_t slots[kMaxBatch];
  Task* tasks[kMaxBatch];
  size_t n = s.core->take(*s.consumer, slots, tasks, max, block);
  if (n == 0) {
    if (block || s.core->stopped(*s.consumer)) return env.Null();
    return Napi::Array::New(env, 0);
  }
  // The batch is made by one call into JS from its items (filling an array
  // through the API costs a store on V8's slow path per element).
  napi_value items[kMaxBatch * kTakeStride];
  const napi_value undefined = env.Undefined();
  inbox_.Reset();
  for (size_t i = 0; i < n; ++i) {
    Task* t = tasks[i];
    napi_value* item = items + i * kTakeStride;
    const int32_t handler = static_cast<int32_t>(t->handler) | (t->exclusive ? kHandlerExclusive : 0);
    item[0] = Napi::Number::New(env, slots[i]);
    item[1] = Napi::Number::New(env, handler);
    item[2] = undefined;
    if (NeedsSideChannel(t->payload)) continue;  // value(slot) when it starts
    // A flat record goes to the inbox: lib decodes it without a call back
    // into JS per value.
    const double at = inbox_.Put(t->payload);
    if (at >= 0) {
      item[1] = Napi::Number::New(env, handler | kHandlerInbox);
      item[2] = Napi::Number::New(env, at);
      continue;
    }
    try {
      item[2] = Decode(env, t->payload.data(), t->payload.size(), side_);
    } catch (const Napi::Error& e) {
      // Terminated while decoding: leave this task and the rest held and
      // unstarted; the env cleanup puts them back in line untouched.
      if (e.Value().IsEmpty()) throw;
      // The bytes cannot be rebuilt here: hand the error over as the value,
      // and let lib fail the task when it reaches it.
      Napi::Object box = Napi::Object::New(env);
      box.Set("error", e.Value());
      item[2] = box;
      item[1] = Napi::Number::New(env, kBadValue);  // lib: value is { error }
    }
  }
  return Napi::Value(env, ArrayOf(env, n * kTakeStride, items));
}

// take(max) -> [slot, handler, value, ...] (1..max tasks), or null once this
// worker was stopped or the pool shut down. Parks in native code.
Napi::Value WorkerPort::Take(const Napi::CallbackInfo& info) {
  uint32_t max = info.Length() > 0 ? CheckedUint32(info.Env(), info[0], "max") : 1;
  return TakeImpl(info.Env(), max, true);
}

// tryTake(max) -> like take() but never parks: [] when nothing is queued.
Napi::Value WorkerPort::TryTake(const Napi::CallbackInfo& info) {
  uint32_t max = info.Length() > 0 ? CheckedUint32(info.Env(), info[0], "max") : 1;
  return TakeImpl(info.Env(), max, false);
}

// value(slot) -> the argument of a started task whose frame needs the side
// channel (take() gave `undefined` for it). Throws if it cannot be rebuilt.
Napi::Value WorkerPort::Value(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t slot = CheckedUint32(env, info[0], "slot");
  Task* t = state_->Held(slot);
  if (t == nullptr) throw Napi::Error::New(env, "nativepool: value(slot) of a slot this worker does not hold");
  // Only this thread completes its slots, so `t` stays valid while we decode.
  return Decode(env, t->payload.data(), t->payload.size(), side_);
}

Napi::Value WorkerPort::Finish(const Napi::CallbackInfo& info, Status status) {
  Napi::Env env = info.Env();
  State& s = *state_;
  uint32_t slot = CheckedUint32(env, info[0], "slot");
  Bytes bytes;
  Encode(env, info.Length() > 1 ? info[1] : env.Undefined(), bytes, side_,
         info.Length() > 2 ? info[2] : Napi::Value(),
         info.Length() > 3 ? info[3] : Napi::Value());  // may throw DataCloneError
  if (s.closed) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, s.core->complete(*s.consumer, slot, status, std::move(bytes)));
}

// complete(slot, value, moving?, read?) -> true if this settled the task
// (read: lib's encodeTask(value) answer, see Encode). Throws (and
// keeps the task held) if value cannot be cloned, so the caller can fail() it.
Napi::Value WorkerPort::Complete(const Napi::CallbackInfo& info) { return Finish(info, Status::kOk); }
Napi::Value WorkerPort::Fail(const Napi::CallbackInfo& info) { return Finish(info, Status::kError); }

// release(slot): the worker skipped a task whose slot word it found CANCELLED.
Napi::Value WorkerPort::Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = *state_;
  uint32_t slot = CheckedUint32(env, info[0], "slot");
  return Napi::Boolean::New(env, !s.closed && s.core->release(*s.consumer, slot));
}

// armAsync() -> true if armed: notify() will be called once when a task is
// queued or this worker is stopped. false: try tryTake() now.
Napi::Value WorkerPort::ArmAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = *state_;
  if (s.closed || !s.notify_open) return Napi::Boolean::New(env, false);
  // The notifier runs on a producer thread. Ring() takes notify_mu, which
  // Close() holds while releasing the TSFN, so it never rings a freed one.
  std::weak_ptr<State> weak = state_;
  bool armed = s.core->scheduler().arm_async(s.consumer->id, [weak] {
    if (auto st = weak.lock()) st->Ring();
  });
  if (armed) s.notify.Ref(env);
  return Napi::Boolean::New(env, armed);
}

Napi::Value WorkerPort::DisarmAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = *state_;
  if (s.closed) return Napi::Boolean::New(env, false);
  bool was = s.core->scheduler().disarm_async(s.consumer->id);
  if (s.notify_open) s.notify.Unref(env);
  return Napi::Boolean::New(env, was);
}

Napi::Value WorkerPort::HandlerInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string filename, name;
  if (!state_->core->handler(CheckedUint32(env, info[0], "handler"), &filename, &name))
    return env.Null();
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::String::New(env, filename));
  a.Set(1u, Napi::String::New(env, name));
  return a;
}

// slots() -> Int32Array over this consumer's slot words (SlotState, see
// src/task.h): the worker starts slot s with
// Atomics.compareExchange(words, s, TAKEN, RUNNING) and skips it if that
// finds CANCELLED.
Napi::Value WorkerPort::Slots(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* keep = new std::shared_ptr<PoolCore::Consumer>(state_->consumer);
  static_assert(sizeof(std::atomic<int32_t>) == sizeof(int32_t) && std::atomic<int32_t>::is_always_lock_free,
                "the slot words are shared with JS as an Int32Array");
  const uint32_t n = (*keep)->capacity;
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
      env, static_cast<void*>((*keep)->words.get()), n * sizeof(int32_t),
      [](Napi::Env, void*, std::shared_ptr<PoolCore::Consumer>* hint) { delete hint; }, keep);
  return Napi::Int32Array::New(env, n, ab, 0);
}

// inbox() -> Uint8Array: from now on take() copies a batch's flat records
// here (their handler has kHandlerInbox set, their value is the offset);
// lib decodes them before the next take().
Napi::Value WorkerPort::Inbox(const Napi::CallbackInfo& info) { return inbox_.View(info.Env()); }

Napi::Value WorkerPort::Close(const Napi::CallbackInfo& info) {
  state_->Close();
  return info.Env().Undefined();
}

}  // namespace nativepool::binding
