#include "pool.h"

#include <string>
#include <vector>

#include "codec.h"
#include "convert_util.h"

namespace nativepool::binding {

Napi::Function NativePool::Define(Napi::Env env) {
  return DefineClass(env, "NativePool", {
      InstanceAccessor<&NativePool::Id>("id"),
      InstanceAccessor<&NativePool::Queued>("queued"),
      InstanceMethod<&NativePool::AddHandler>("addHandler"),
      InstanceMethod<&NativePool::Submit>("submit"),
      InstanceMethod<&NativePool::Cancel>("cancel"),
      InstanceMethod<&NativePool::AddConsumer>("addConsumer"),
      InstanceMethod<&NativePool::StopConsumer>("stopConsumer"),
      InstanceMethod<&NativePool::RemoveConsumer>("removeConsumer"),
      InstanceMethod<&NativePool::Drain>("drain"),
      InstanceMethod<&NativePool::Shutdown>("shutdown"),
      InstanceMethod<&NativePool::Close>("close"),
      InstanceMethod<&NativePool::Stats>("stats"),
      InstanceMethod<&NativePool::HistogramOf>("histogram"),
      InstanceMethod<&NativePool::ResetHistogram>("resetHistogram"),
      InstanceMethod<&NativePool::CancelQueued>("cancelQueued"),
  });
}

// new NativePool(settle: (id, status, value) => void,
//                { lanes?, weights?, parkSpinNs?, pack?, unpack? })
NativePool::NativePool(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativePool>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction())
    throw Napi::TypeError::New(env, "NativePool(settle, options): settle must be a function");
  settle_ = Napi::Persistent(info[0].As<Napi::Function>());
  SchedulerOptions options;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    side_.Set(o);
    options.lanes = GetUint32(o, "lanes", 1);
    options.park_spin_ns = GetUint32(o, "parkSpinNs", 0);
    Napi::Value w = o.Get("weights");
    if (w.IsArray()) {
      Napi::Array a = w.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i)
        options.weights.push_back(CheckedUint32(env, a.Get(i), "weights[i]"));
    }
  }
  core_ = PoolCore::create(std::move(options));
  bell_ = Bell::New(env, "nativepool.doorbell", 0, 1, this);
  bell_.Unref(env);
  bell_open_ = true;
  // The bell may be rung from any consumer thread; PoolCore serializes it
  // against clear_doorbell(), so it is never called after CloseNow().
  core_->set_doorbell([this] { bell_.NonBlockingCall(); });
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  cleanup_registered_ = true;
}

NativePool::~NativePool() {
  if (cleanup_registered_) napi_remove_env_cleanup_hook(Env(), CleanupHook, this);
  CloseNow();
}

void NativePool::CleanupHook(void* arg) {
  auto* self = static_cast<NativePool*>(arg);
  self->cleanup_registered_ = false;
  self->CloseNow();
}

void NativePool::CloseNow() {
  if (!core_) return;
  core_->clear_doorbell();
  core_->scheduler().shutdown();
  if (bell_open_) {
    bell_open_ = false;
    bell_.Release();
  }
}

void NativePool::OnBell(Napi::Env env, Napi::Function, NativePool* self, void*) {
  if (env == nullptr || self == nullptr) return;  // torn down
  // Nothing may escape into Node's C frames: a JS exception raised while
  // settling is re-raised as pending (uncaughtException); one raised because
  // the environment is going away is dropped with the environment.
  try {
    self->Settle(env);
  } catch (const Napi::Error& e) {
    if (!e.Value().IsEmpty()) e.ThrowAsJavaScriptException();
  }
}

void NativePool::TaskLeft(Napi::Env env) {
  if (live_ > 0 && --live_ == 0 && bell_refed_ && bell_open_) {
    bell_.Unref(env);
    bell_refed_ = false;
  }
}

// Settles every completed task: one JS call per task, one native batch.
void NativePool::Settle(Napi::Env env) {
  if (settling_) return;  // re-entered from a settle callback: the loop below finishes the job
  settling_ = true;
  Napi::Value first_error;
  for (Task* t = core_->drain(); t != nullptr; t = core_->drain()) {
    while (t != nullptr) {
      Task* next = t->next;
      std::unique_ptr<Task> owned(t);
      if (!tracked_.empty()) tracked_.erase(t->id);
      if (t->status != Status::kCancelled) {
        TaskLeft(env);
        Napi::HandleScope scope(env);
        try {
          Napi::Value value = env.Undefined();
          uint32_t status = static_cast<uint32_t>(t->status);
          if (!t->result.empty()) {
            try {
              value = Decode(env, t->result.data(), t->result.size(), side_);
            } catch (const Napi::Error& e) {
              value = e.Value();
              status = static_cast<uint32_t>(Status::kError);
            }
          }
          settle_.Call({Napi::Number::New(env, static_cast<double>(t->id)),
                        Napi::Number::New(env, status), value});
        } catch (const Napi::Error& e) {
          if (first_error.IsEmpty()) first_error = e.Value();
        }
      }
      t = next;
    }
  }
  settling_ = false;
  if (!first_error.IsEmpty()) throw Napi::Error(env, first_error);
}

Napi::Value NativePool::Id(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ ? core_->id() : 0);
}

Napi::Value NativePool::Queued(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(core_->scheduler().size_approx()));
}

Napi::Value NativePool::AddHandler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string filename = CheckedString(env, info[0], "filename");
  std::string name = CheckedString(env, info[1], "name");
  return Napi::Number::New(env, core_->add_handler(std::move(filename), std::move(name)));
}

// submit(id, handler, lane, value, track, moving?): throws DataCloneError,
// queues nothing. `moving`: ArrayBuffers to move, not copy (codec.h).
Napi::Value NativePool::Submit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!bell_open_) throw Napi::Error::New(env, "nativepool: pool is closed");
  auto t = std::make_unique<Task>();
  t->id = CheckedUint64(env, info[0], "id");
  t->handler = CheckedUint32(env, info[1], "handler");
  t->lane = CheckedUint32(env, info[2], "lane");
  Encode(env, info[3], t->payload, side_, info.Length() > 5 ? info[5] : Napi::Value());
  bool track = info.Length() > 4 && info[4].ToBoolean().Value();
  if (track) tracked_[t->id] = t.get();
  if (live_++ == 0 && !bell_refed_) {
    bell_.Ref(env);
    bell_refed_ = true;
  }
  core_->submit(t.release());
  return env.Undefined();
}

// cancel(id) -> -1: removed from the queue (will never run);
//               >= 0: running on that consumer; -2: unknown or finished.
Napi::Value NativePool::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t id = CheckedUint64(env, info[0], "id");
  auto it = tracked_.find(id);
  if (it == tracked_.end()) return Napi::Number::New(env, -2);
  Task* t = it->second;
  if (t->try_cancel()) {
    tracked_.erase(it);  // the tombstone comes back through completions
    TaskLeft(env);
    return Napi::Number::New(env, -1);
  }
  return Napi::Number::New(env, t->holder.load(std::memory_order_relaxed));
}

Napi::Value NativePool::AddConsumer(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_->add_consumer()->id);
}

Napi::Value NativePool::StopConsumer(const Napi::CallbackInfo& info) {
  core_->scheduler().stop(CheckedUint32(info.Env(), info[0], "consumer"));
  return info.Env().Undefined();
}

// removeConsumer(id) -> number of held tasks failed with kWorkerExited.
Napi::Value NativePool::RemoveConsumer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto id = CheckedUint32(env, info[0], "consumer");
  auto c = core_->consumer(id);
  size_t failed = c ? core_->abandon(*c) : 0;
  core_->remove_consumer(id);
  return Napi::Number::New(env, static_cast<double>(failed));
}

Napi::Value NativePool::Drain(const Napi::CallbackInfo& info) {
  Settle(info.Env());
  return info.Env().Undefined();
}

Napi::Value NativePool::Shutdown(const Napi::CallbackInfo& info) {
  core_->scheduler().shutdown();
  return info.Env().Undefined();
}

// Takes every queued task out of the lanes and settles it with kShutdown
// (tombstones are just freed). Returns how many were settled.
size_t NativePool::FailQueued(Napi::Env env) {
  Task* batch[64];
  size_t n;
  std::vector<Task*> leftovers;
  while ((n = core_->scheduler().try_take(batch, 64)) > 0)
    leftovers.insert(leftovers.end(), batch, batch + n);
  size_t settled = 0;
  for (Task* t : leftovers) {
    std::unique_ptr<Task> owned(t);
    tracked_.erase(t->id);
    if (!t->try_claim()) continue;  // a tombstone
    TaskLeft(env);
    ++settled;
    settle_.Call({Napi::Number::New(env, static_cast<double>(t->id)),
                  Napi::Number::New(env, static_cast<uint32_t>(Status::kShutdown)),
                  env.Undefined()});
  }
  return settled;
}

// cancelQueued() -> number of queued tasks rejected; running tasks go on.
Napi::Value NativePool::CancelQueued(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(FailQueued(info.Env())));
}

// close(): stop every consumer, settle what completed, fail what is still
// queued with kShutdown. Running tasks come back as kWorkerExited when their
// consumers are removed.
Napi::Value NativePool::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core_->scheduler().shutdown();
  Settle(env);
  FailQueued(env);
  return env.Undefined();
}

Histogram& NativePool::Pick(Napi::Env env, Napi::Value kind) {
  std::string k = CheckedString(env, kind, "kind");
  if (k == "run") return core_->metrics().run;
  if (k == "wait") return core_->metrics().wait;
  throw Napi::RangeError::New(env, "Expected 'run' or 'wait' for kind");
}

// histogram(kind, percentiles[]) -> { count, mean, stddev, min, max, percentiles[] } in ns
Napi::Value NativePool::HistogramOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Histogram& h = Pick(env, info[0]);
  Napi::Object o = Napi::Object::New(env);
  o.Set("count", static_cast<double>(h.count()));
  o.Set("mean", h.mean());
  o.Set("stddev", h.stddev());
  o.Set("min", static_cast<double>(h.min()));
  o.Set("max", static_cast<double>(h.max()));
  Napi::Array ps = Napi::Array::New(env);
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array want = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < want.Length(); ++i) {
      Napi::Value p = want.Get(i);
      if (!p.IsNumber()) throw Napi::TypeError::New(env, "Expected numbers for percentiles");
      ps.Set(i, static_cast<double>(h.percentile(p.As<Napi::Number>().DoubleValue())));
    }
  }
  o.Set("percentiles", ps);
  return o;
}

Napi::Value NativePool::ResetHistogram(const Napi::CallbackInfo& info) {
  Pick(info.Env(), info[0]).reset();
  return info.Env().Undefined();
}

// stats() -> counters (best-effort); the histograms are histogram(kind, ps).
Napi::Value NativePool::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PoolMetrics& m = core_->metrics();
  Napi::Object o = Napi::Object::New(env);
  o.Set("submitted", static_cast<double>(m.submitted.load(std::memory_order_relaxed)));
  o.Set("completed", static_cast<double>(m.completed.load(std::memory_order_relaxed)));
  o.Set("failed", static_cast<double>(m.failed.load(std::memory_order_relaxed)));
  o.Set("cancelled", static_cast<double>(m.cancelled.load(std::memory_order_relaxed)));
  o.Set("busyNs", static_cast<double>(m.busy_ns.load(std::memory_order_relaxed)));
  o.Set("queued", static_cast<double>(core_->scheduler().size_approx()));
  return o;
}

}  // namespace nativepool::binding
