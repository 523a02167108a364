#include "pool.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "addon_data.h"
#include "constants.h"
#include "codec.h"
#include "convert_util.h"

namespace nativepool::binding {

namespace {
// Most tasks settled by one JS call; a longer drain is settled in chunks.
constexpr size_t kSettleChunk = 1024;
// Most tasks the doorbell (or the poll) settles in one loop iteration: a
// burst whose settling submits more must leave timers and I/O their turn
// (10,000 tasks in flight in a loop starved a 10 ms interval for seconds).
constexpr size_t kSettleBudget = 2048;
// submitMany() pushes what it has encoded every this many tasks, so workers
// start on a long array while the rest is still being encoded.
constexpr size_t kSubmitSlice = 256;
}  // namespace

Napi::Function NativePool::Define(Napi::Env env) {
  return DefineClass(env, "NativePool", {
      InstanceAccessor<&NativePool::Id>("id"),
      InstanceAccessor<&NativePool::Queued>("queued"),
      InstanceAccessor<&NativePool::Live>("live"),
      InstanceMethod<&NativePool::AddHandler>("addHandler"),
      InstanceMethod<&NativePool::Submit>("submit"),
      InstanceMethod<&NativePool::SubmitMany>("submitMany"),
      InstanceMethod<&NativePool::SubmitEncoded>("submitEncoded"),
      InstanceMethod<&NativePool::CancelMany>("cancelMany"),
      InstanceMethod<&NativePool::Cancel>("cancel"),
      InstanceMethod<&NativePool::RunningTasks>("runningTasks"),
      InstanceMethod<&NativePool::ReclaimUnstarted>("reclaimUnstarted"),
      InstanceMethod<&NativePool::Resubmit>("resubmit"),
      InstanceMethod<&NativePool::Forget>("forget"),
      InstanceMethod<&NativePool::AddConsumer>("addConsumer"),
      InstanceMethod<&NativePool::StopConsumer>("stopConsumer"),
      InstanceMethod<&NativePool::RemoveConsumer>("removeConsumer"),
      InstanceMethod<&NativePool::Drain>("drain"),
      InstanceMethod<&NativePool::Turn>("turn"),
      InstanceMethod<&NativePool::Shutdown>("shutdown"),
      InstanceMethod<&NativePool::CancelQueued>("cancelQueued"),
      InstanceMethod<&NativePool::Release>("release"),
      InstanceMethod<&NativePool::Stats>("stats"),
      InstanceMethod<&NativePool::HistogramOf>("histogram"),
      InstanceMethod<&NativePool::ResetHistogram>("resetHistogram"),
      InstanceMethod<&NativePool::QueueFigures>("queueFigures"),
      InstanceMethod<&NativePool::ConsumerFigures>("consumerFigures"),
      InstanceMethod<&NativePool::HistogramBuckets>("histogramBuckets"),
      InstanceMethod<&NativePool::PollStats>("pollStats"),
      InstanceMethod<&NativePool::Inbox>("inbox"),
  });
}

// new NativePool(settle: (meta: Float64Array, values: any[]) => void,
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
  // NATIVEPOOL_POLL=0 turns the main-side poll off (benchmarks compare); the
  // prepare handle stays for fair settling.
  const char* poll_env = std::getenv("NATIVEPOOL_POLL");
  const bool spin = poll_env == nullptr || std::string(poll_env) != "0";
  poll_ = std::make_unique<CompletionPoll>(env, CompletionPoll::Target{
      [this] { return live_; },
      [this] { return SettlePending(); },
      [this](Napi::Env e) { Settle(e, kSettleBudget); },
  }, spin);
  if (!poll_->ticking()) poll_.reset();  // no loop handles here: the doorbell settles all
  auto hot = poll_ ? poll_->hot_flag() : std::make_shared<std::atomic<bool>>(false);
  // The bell may be rung from any consumer thread; PoolCore serializes it
  // against clear_doorbell(), so it is never called after CloseNow(). While
  // the main side polls (hot), it sees the push itself: no ring.
  core_->set_doorbell([this, hot] {
    // seq_cst fence: after this consumer's push, before its read of hot; the
    // partner of the fence in CompletionPoll::Cool().
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!hot->load(std::memory_order_relaxed)) bell_.NonBlockingCall();
  });
  AddonData::Get(env)->Track(this, [this] { CloseNow(); });
}

NativePool::~NativePool() {
  if (AddonData* data = AddonData::Get(Env())) data->Forget(this);
  CloseNow();
  for (size_t i = carry_at_; i < carry_.size(); ++i) delete carry_[i];  // drained, never settled
}

void NativePool::CloseNow() {
  if (!core_) return;
  core_->clear_doorbell();
  if (poll_) poll_->Close();
  core_->scheduler().shutdown();
  if (bell_open_) {
    bell_open_ = false;
    bell_.Release();
  }
}

void NativePool::ReleaseRefs() {
  settle_.Reset();
  side_.pack.Reset();
  side_.unpack.Reset();
  retained_.clear();
}

void NativePool::OnBell(Napi::Env env, Napi::Function, NativePool* self, void*) {
  if (env == nullptr || self == nullptr) return;  // torn down
  // Nothing may escape into Node's C frames: a JS exception raised while
  // settling is re-raised as pending (uncaughtException); one raised because
  // the environment is going away is dropped with the environment.
  if (self->poll_) {
    // Once per loop iteration: a burst that keeps ringing (settling submits
    // more, which completes at once) must not keep timers and I/O waiting.
    const uint64_t turn = self->poll_->turn();
    if (turn == self->settled_turn_) {
      self->poll_->Defer();
      return;
    }
    self->settled_turn_ = turn;
  }
  try {
    // With the poll, a bounded share per ring: the rest is settled at the
    // next iteration's prepare, after timers and I/O had their turn.
    self->Settle(env, self->poll_ ? kSettleBudget : SIZE_MAX);
  } catch (const Napi::Error& e) {
    if (!e.Value().IsEmpty()) e.ThrowAsJavaScriptException();
  }
  if (self->poll_ && self->core_ && self->SettlePending()) self->poll_->Defer();
}

void NativePool::TaskLeft(Napi::Env env) {
  if (live_ > 0 && --live_ == 0 && bell_refed_ && bell_open_) {
    bell_.Unref(env);
    bell_refed_ = false;
  }
}

void NativePool::Settle(Napi::Env env, size_t budget) {
  if (settling_) return;  // re-entered from lib's settle: the outer loop drains the rest
  settling_ = true;
  std::vector<Task*> batch;
  Napi::Value first_error;
  while (budget > 0) {
    if (carry_at_ == carry_.size()) {
      carry_.clear();
      carry_at_ = 0;
      for (Task* t = core_->drain(); t != nullptr; t = t->next) carry_.push_back(t);
      if (carry_.empty()) break;
    }
    const size_t n = std::min(budget, carry_.size() - carry_at_);
    batch.assign(carry_.begin() + static_cast<std::ptrdiff_t>(carry_at_),
                 carry_.begin() + static_cast<std::ptrdiff_t>(carry_at_ + n));
    carry_at_ += n;
    budget -= n;
    ThisTurn().settled += n;
    try {
      SettleTasks(env, batch);
    } catch (const Napi::Error& e) {
      if (e.Value().IsEmpty()) {  // the environment is going away
        settling_ = false;
        throw;
      }
      if (first_error.IsEmpty()) first_error = e.Value();
    }
  }
  settling_ = false;
  if (!first_error.IsEmpty()) throw Napi::Error(env, first_error);
}

bool NativePool::SettlePending() const {
  return carry_at_ < carry_.size() || core_->completions_pending();
}

// One JS call per chunk: settle(meta, ...values), meta = [id, status,
// consumer, ...], values[i] the i-th task's value.
// Every task is freed here, whatever lib does; a throw from lib is rethrown
// after the whole batch was handed over.
void NativePool::SettleTasks(Napi::Env env, std::vector<Task*>& tasks) {
  Napi::Value first_error;
  const napi_value undefined = env.Undefined();
  std::vector<napi_value> args;
  // A chunk's tasks go back to the cache once lib has read their results:
  // at the next chunk, or on the way out, thrown or not.
  struct Owned {
    TaskCache& cache;
    std::vector<Task*> tasks;
    void release() {
      for (Task* t : tasks) cache.give(t);
      tasks.clear();
    }
    ~Owned() { release(); }
  } owned{task_cache_, {}};
  std::vector<Task*> chunk;
  owned.tasks.reserve(std::min(tasks.size(), kSettleChunk));
  chunk.reserve(std::min(tasks.size(), kSettleChunk));
  size_t at = 0;
  while (at < tasks.size()) {
    Napi::HandleScope scope(env);
    owned.release();  // the previous chunk's tasks
    chunk.clear();
    for (; at < tasks.size() && chunk.size() < kSettleChunk; ++at) {
      Task* t = tasks[at];
      owned.tasks.push_back(t);
      if (!tracked_.empty()) Untrack(t);
      if (!batches_.empty()) ForgetInBatch(t);
      // A tombstone (its cancel settled it) or a task whose abort settled it.
      if (t->status == Status::kCancelled || t->settled_early) continue;
      if (t->retain && t->status != Status::kOk) Retain(t, false);
      chunk.push_back(t);
    }
    if (chunk.empty()) continue;
    if (poll_) {
      const uint64_t now = now_ns();
      const Task* last = chunk.back();
      poll_->Observe(now > last->enqueue_ns ? now - last->enqueue_ns : 0);
    }
    Napi::Float64Array meta = Napi::Float64Array::New(env, chunk.size() * kSettleStride);
    // The values travel as the call's arguments after meta: filling an
    // array element by element through the API costs a property store on
    // V8's slow path per task; arguments are copied onto the stack.
    args.assign(1 + chunk.size(), undefined);
    args[0] = meta;
    double* m = meta.Data();
    inbox_.Reset();
    for (size_t i = 0; i < chunk.size(); ++i) {
      Task* t = chunk[i];
      TaskLeft(env);
      Status status = t->status;
      uint32_t inboxed = 0;
      const Bytes& r = t->result;
      const double at = inbox_.Put(r);
      if (at >= 0) {  // lib decodes it: no call from here into JS for this value
        args[1 + i] = Napi::Number::New(env, at);
        inboxed = kStatusInbox;
      } else if (!r.empty()) {
        try {
          args[1 + i] = Decode(env, t->result.data(), t->result.size(), side_);
        } catch (const Napi::Error& e) {
          if (e.Value().IsEmpty()) throw;  // the environment is going away
          args[1 + i] = e.Value();
          status = Status::kError;
        }
      }
      const uint32_t holder = t->holder.load(std::memory_order_relaxed);
      m[kSettleStride * i] = static_cast<double>(t->id);
      m[kSettleStride * i + 1] = static_cast<double>(static_cast<uint32_t>(status) | inboxed);
      m[kSettleStride * i + 2] = holder == UINT32_MAX ? -1.0 : static_cast<double>(holder);
    }
    if (settle_.IsEmpty()) continue;  // released: nobody is listening any more
    try {
      settle_.Call(args);
    } catch (const Napi::Error& e) {
      if (e.Value().IsEmpty()) throw;
      if (first_error.IsEmpty()) first_error = e.Value();
    }
  }
  if (!first_error.IsEmpty()) throw Napi::Error(env, first_error);
}

Napi::Value NativePool::Id(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ ? core_->id() : 0);
}

Napi::Value NativePool::Queued(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(core_->scheduler().size_approx()));
}

// Tasks submitted and not yet settled in JS (the doorbell is ref'd while > 0).
Napi::Value NativePool::Live(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(live_));
}

Napi::Value NativePool::AddHandler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string filename = CheckedString(env, info[0], "filename");
  std::string name = CheckedString(env, info[1], "name");
  return Napi::Number::New(env, core_->add_handler(std::move(filename), std::move(name)));
}

void NativePool::Untrack(Task* t) {
  Task** tracked = tracked_.find(t->id);
  if (tracked != nullptr && *tracked == t) tracked_.erase(t->id);
}

void NativePool::ForgetInBatch(Task* t) {
  for (auto it = batches_.begin(); it != batches_.end(); ++it) {
    Batch& b = **it;
    if (t->id < b.first || t->id - b.first >= b.tasks.size()) continue;
    Task*& slot = b.tasks[t->id - b.first];
    if (slot != t) return;  // cancelled already (a tombstone or a dropped result)
    slot = nullptr;
    if (--b.live == 0) batches_.erase(it);
    return;
  }
}

void NativePool::Retain(Task* t, bool copy) {
  Retained& r = retained_[t->id];
  r.handler = t->handler;
  r.payload = copy ? t->payload : std::move(t->payload);
}

// submit(id, handler, lane, value, flags, moving?): throws DataCloneError,
// queues nothing. flags: kSubmit* (constants.h). `moving`: ArrayBuffers to
// move, not copy (codec.h).
Napi::Value NativePool::Submit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!bell_open_) throw Napi::Error::New(env, "nativepool: pool is closed");
  std::unique_ptr<Task> t(task_cache_.take());
  t->id = CheckedUint64(env, info[0], "id");
  t->handler = CheckedUint32(env, info[1], "handler");
  t->lane = CheckedUint32(env, info[2], "lane");
  const uint32_t flags = CheckedUint32(env, info[4], "flags");
  Encode(env, info[3], t->payload, side_, info.Length() > 5 ? info[5] : Napi::Value(),
         info.Length() > 6 ? info[6] : Napi::Value());
  t->retain = (flags & kSubmitRetain) != 0;
  t->exclusive = (flags & kSubmitExclusive) != 0;
  if (flags & kSubmitTrack) tracked_.put(t->id, t.get());
  if (live_++ == 0 && !bell_refed_) {
    bell_.Ref(env);
    bell_refed_ = true;
  }
  core_->submit(t.release());
  return env.Undefined();
}

// submitEncoded(meta, bytes, count) -> undefined: submits `count` tasks lib
// encoded itself (flat values, lib/submit-batch.js): task i is
// meta[4i..4i+3] = [id, handler, lane, end], its wire record
// bytes[end of task i-1 (0 for the first) .. end). One call, one bulk push.
// Throws before submitting anything if an offset is out of order or range.
Napi::Value NativePool::SubmitEncoded(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!bell_open_) throw Napi::Error::New(env, "nativepool: pool is closed");
  if (info.Length() < 3 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, "Expected a Float64Array for meta");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "Expected a Uint8Array for bytes");
  Napi::Float64Array meta = info[0].As<Napi::Float64Array>();
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  const uint32_t n = CheckedUint32(env, info[2], "count");
  if (meta.ElementLength() < size_t{n} * 4) throw Napi::RangeError::New(env, "Expected meta to hold 4 numbers per task");
  const double* m = meta.Data();
  const uint8_t* b = bytes.Data();
  double start = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const double end = m[4 * i + 3];
    if (!(end > start && end <= static_cast<double>(bytes.ElementLength())))
      throw Napi::RangeError::New(env, "Expected each task's end offset after the previous one, within bytes");
    start = end;
  }
  if (n == 0) return env.Undefined();
  std::vector<Task*> tasks;
  tasks.reserve(n);
  size_t at = 0;
  try {
    for (uint32_t i = 0; i < n; ++i) {
      std::unique_ptr<Task> t(task_cache_.take());
      t->id = static_cast<uint64_t>(m[4 * i]);
      t->handler = static_cast<uint32_t>(m[4 * i + 1]);
      t->lane = static_cast<uint32_t>(m[4 * i + 2]);
      const size_t end = static_cast<size_t>(m[4 * i + 3]);
      FrameRecord(b + at, end - at, t->payload);
      at = end;
      tasks.push_back(t.release());
    }
  } catch (...) {
    for (Task* t : tasks) delete t;  // nothing was submitted
    throw;
  }
  if (live_ == 0 && !bell_refed_) {
    bell_.Ref(env);
    bell_refed_ = true;
  }
  live_ += n;
  core_->submit_bulk(tasks.data(), n);
  ThisTurn().handed += n;
  return env.Undefined();
}

// submitMany(first, handler, lane, values, from, to) -> undefined, or an
// array of [index, error] for values that cannot be cloned (those tasks are
// not submitted; the rest are). Submits values[from..to) as tasks with ids
// first, first + 1, ...: one call encodes them all and pushes them in
// slices, each slice one bulk push. cancelMany(first) reaches them.
Napi::Value NativePool::SubmitMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!bell_open_) throw Napi::Error::New(env, "nativepool: pool is closed");
  const uint64_t first = CheckedUint64(env, info[0], "first");
  const uint32_t handler = CheckedUint32(env, info[1], "handler");
  const uint32_t lane = CheckedUint32(env, info[2], "lane");
  if (info.Length() < 4 || !info[3].IsArray()) throw Napi::TypeError::New(env, "Expected an array for values");
  Napi::Array values = info[3].As<Napi::Array>();
  const uint32_t from = CheckedUint32(env, info[4], "from");
  const uint32_t to = CheckedUint32(env, info[5], "to");
  if (from > to || to > values.Length()) throw Napi::RangeError::New(env, "Expected 0 <= from <= to <= values.length");
  const size_t n = to - from;
  if (n == 0) return env.Undefined();
  auto batch = std::make_unique<Batch>();
  batch->first = first;
  batch->tasks.assign(n, nullptr);
  Batch* b = batch.get();
  batches_.push_back(std::move(batch));
  Napi::Array failed;
  uint32_t nfailed = 0;
  std::vector<Task*> slice;
  slice.reserve(kSubmitSlice);
  auto push = [&] {
    if (slice.empty()) return;
    if (live_ == 0 && !bell_refed_) {
      bell_.Ref(env);
      bell_refed_ = true;
    }
    live_ += slice.size();
    b->live += slice.size();
    core_->submit_bulk(slice.data(), slice.size());
    slice.clear();
  };
  try {
    for (size_t i = 0; i < n; ++i) {
      Napi::HandleScope scope(env);
      std::unique_ptr<Task> t(task_cache_.take());
      t->id = first + i;
      t->handler = handler;
      t->lane = lane;
      try {
        // A throwing getter or an uncloneable value fails this task only.
        Encode(env, values.Get(static_cast<uint32_t>(from + i)), t->payload, side_);
      } catch (const Napi::Error& e) {
        if (e.Value().IsEmpty()) throw;  // the environment is going away
        if (failed.IsEmpty()) failed = Napi::Array::New(env);
        Napi::Array pair = Napi::Array::New(env, 2);
        pair.Set(0u, Napi::Number::New(env, static_cast<double>(i)));
        pair.Set(1u, e.Value());
        failed.Set(nfailed++, pair);
        continue;
      }
      b->tasks[i] = t.get();
      slice.push_back(t.release());
      if (slice.size() == kSubmitSlice) push();
    }
  } catch (...) {
    // Nothing of the unpushed slice was submitted: forget and free it.
    for (Task* t : slice) {
      b->tasks[t->id - first] = nullptr;
      delete t;
    }
    slice.clear();
    if (b->live == 0) batches_.pop_back();
    throw;
  }
  push();
  if (b->live == 0) batches_.pop_back();  // every value failed: nothing to reach
  if (failed.IsEmpty()) return env.Undefined();
  return failed;
}

// cancelMany(first, from?) -> [cancelled, consumer, ...]: cancels every task
// of the submitMany() batch `first` whose id is >= from (default: all) and
// that has not come back yet, exactly as cancel() does; `cancelled` counts
// them, and the consumers follow that were running one. lib settles them
// now; a running one runs on unless lib stops its consumer (its result is
// dropped either way).
Napi::Value NativePool::CancelMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint64_t first = CheckedUint64(env, info[0], "first");
  const uint64_t from = info.Length() > 1 && !info[1].IsUndefined() ? CheckedUint64(env, info[1], "from") : first;
  Napi::Array out = Napi::Array::New(env);
  uint32_t nout = 1;
  uint32_t cancelled = 0;
  for (auto it = batches_.begin(); it != batches_.end(); ++it) {
    Batch& b = **it;
    if (b.first != first) continue;
    for (size_t i = from > first ? from - first : 0; i < b.tasks.size(); ++i) {
      Task* t = b.tasks[i];
      if (t == nullptr) continue;
      b.tasks[i] = nullptr;
      --b.live;
      ++cancelled;
      PoolCore::ConsumerId holder = 0;
      CancelResult r = core_->cancel(t, &holder);
      TaskLeft(env);
      switch (r) {
        case CancelResult::kNotStarted:
        case CancelResult::kRemoved:
          break;  // a tombstone: it comes back through drain() and is freed there
        case CancelResult::kRunning:
          out.Set(nout++, Napi::Number::New(env, holder));
          t->settled_early = true;
          break;
        case CancelResult::kFinished:
          t->settled_early = true;
          break;
      }
    }
    if (b.live == 0) batches_.erase(it);
    break;
  }
  out.Set(0u, Napi::Number::New(env, cancelled));
  return out;
}

// cancel(id) -> [state, consumer]: state is a CancelResult (constants.cancel);
// consumer is the one running it when state is RUNNING, else -1. Whatever the
// state, lib settles the task now: its result, if one comes, is dropped.
Napi::Value NativePool::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t id = CheckedUint64(env, info[0], "id");
  Napi::Array out = Napi::Array::New(env, 2);
  Task** tracked = tracked_.find(id);
  if (tracked == nullptr) {
    // Not cancellable (never tracked) or already handed to lib in this batch.
    out.Set(0u, Napi::Number::New(env, static_cast<double>(CancelResult::kFinished)));
    out.Set(1u, Napi::Number::New(env, -1));
    return out;
  }
  Task* t = *tracked;
  tracked_.erase(id);
  PoolCore::ConsumerId holder = 0;
  CancelResult r = core_->cancel(t, &holder);
  TaskLeft(env);
  // A timed-out attempt may run again: keep its bytes (the attempt itself
  // may still be in flight, so copy unless it was handed back).
  // (copied: a consumer may be reading the payload right now)
  if (t->retain) Retain(t, true);
  switch (r) {
    case CancelResult::kNotStarted:
    case CancelResult::kRemoved:
      break;  // a tombstone: it comes back through drain() and is freed there
    case CancelResult::kRunning:
    case CancelResult::kFinished:
      t->settled_early = true;  // it comes back through drain(), unsettled
      break;
  }
  out.Set(0u, Napi::Number::New(env, static_cast<double>(r)));
  out.Set(1u, Napi::Number::New(env, r == CancelResult::kRunning ? static_cast<double>(holder) : -1.0));
  return out;
}

// runningTasks() -> Float64Array [id, consumer, slot, ...]: every tracked
// task a worker is running now, as its current attempt (the timeout check's
// input). An attempt already cancelled (its worker stopped but not gone
// yet) is left out: a retry of it has the same id and its own start.
Napi::Value NativePool::RunningTasks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  core_->running_tasks(&running_);
  size_t n = 0;
  for (const auto& r : running_) {
    // Pointers only compared: a task in tracked_ is alive (the owner, this
    // thread, untracks a task before it frees it).
    Task** current = tracked_.find(r.id);
    if (current != nullptr && *current == r.task) running_[n++] = r;
  }
  Napi::Float64Array out = Napi::Float64Array::New(env, n * 3);
  double* d = out.Data();
  for (size_t i = 0; i < n; ++i) {
    d[3 * i] = static_cast<double>(running_[i].id);
    d[3 * i + 1] = static_cast<double>(running_[i].consumer);
    d[3 * i + 2] = static_cast<double>(running_[i].slot);
  }
  return out;
}

// resubmit(id, lane, flags) -> true: runs the bytes a failed attempt of task
// `id` kept (kSubmitRetain) again, as a new attempt with the same id; false
// if nothing was kept.
Napi::Value NativePool::Resubmit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!bell_open_) throw Napi::Error::New(env, "nativepool: pool is closed");
  uint64_t id = CheckedUint64(env, info[0], "id");
  uint32_t lane = CheckedUint32(env, info[1], "lane");
  const uint32_t flags = CheckedUint32(env, info[2], "flags");
  auto it = retained_.find(id);
  if (it == retained_.end()) return Napi::Boolean::New(env, false);
  std::unique_ptr<Task> t(task_cache_.take());
  t->id = id;
  t->handler = it->second.handler;
  t->lane = lane;
  t->payload = std::move(it->second.payload);
  t->retain = (flags & kSubmitRetain) != 0;
  t->exclusive = (flags & kSubmitExclusive) != 0;
  retained_.erase(it);
  if (flags & kSubmitTrack) tracked_.put(id, t.get());
  if (live_++ == 0 && !bell_refed_) {
    bell_.Ref(env);
    bell_refed_ = true;
  }
  core_->submit(t.release());
  return Napi::Boolean::New(env, true);
}

// forget(id): drops the bytes kept for another attempt of task `id`.
Napi::Value NativePool::Forget(const Napi::CallbackInfo& info) {
  retained_.erase(CheckedUint64(info.Env(), info[0], "id"));
  return info.Env().Undefined();
}

// addConsumer(capacity) -> id: a consumer that holds at most `capacity` tasks.
Napi::Value NativePool::AddConsumer(const Napi::CallbackInfo& info) {
  uint32_t capacity = CheckedUint32(info.Env(), info[0], "capacity");
  return Napi::Number::New(info.Env(), core_->add_consumer(capacity)->id);
}

Napi::Value NativePool::StopConsumer(const Napi::CallbackInfo& info) {
  core_->scheduler().stop(CheckedUint32(info.Env(), info[0], "consumer"));
  return info.Env().Undefined();
}

// reclaimUnstarted(id) -> how many tasks consumer `id` held unstarted and
// gave back: it is being stopped (PoolCore::reclaim_unstarted).
Napi::Value NativePool::ReclaimUnstarted(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto c = core_->consumer(CheckedUint32(env, info[0], "consumer"));
  return Napi::Number::New(env, c ? static_cast<double>(core_->reclaim_unstarted(*c)) : 0.0);
}

// removeConsumer(id) -> number of started tasks failed with kWorkerExited
// (0 if its own thread abandoned them first). Unstarted ones go back in line.
Napi::Value NativePool::RemoveConsumer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto id = CheckedUint32(env, info[0], "consumer");
  auto c = core_->consumer(id);
  size_t failed = c ? core_->abandon(*c) : 0;
  core_->remove_consumer(id);
  return Napi::Number::New(env, static_cast<double>(failed));
}

// drain(inRun = false): settles whatever has completed, now. drain(true),
// run()'s own settling, settles at most as many as this loop iteration
// handed over and has not settled yet (turn_count_).
Napi::Value NativePool::Drain(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].ToBoolean()) {
    const TurnCount& now = ThisTurn();
    if (now.handed > now.settled) Settle(info.Env(), now.handed - now.settled);
  } else {
    Settle(info.Env());
  }
  return info.Env().Undefined();
}

NativePool::TurnCount& NativePool::ThisTurn() {
  const uint64_t turn = poll_ ? poll_->turn() : 0;
  if (turn != turn_count_.turn) turn_count_ = TurnCount{turn, 0, 0};
  return turn_count_;
}

// turn() -> number: the event loop's iterations so far, as the poll's
// prepare handle counts them (0 without the poll). lib tells two calls in
// one iteration from calls in different ones with it.
Napi::Value NativePool::Turn(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), poll_ ? static_cast<double>(poll_->turn()) : 0.0);
}

// shutdown(): no consumer takes anything from now on; parked ones wake.
Napi::Value NativePool::Shutdown(const Napi::CallbackInfo& info) {
  core_->scheduler().shutdown();
  return info.Env().Undefined();
}

// cancelQueued(keep = 0) -> how many queued tasks were settled as kShutdown;
// the first `keep` in line stay queued, running and held tasks go on.
Napi::Value NativePool::CancelQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t keep = info.Length() > 0 && !info[0].IsUndefined() ? CheckedUint32(env, info[0], "keep") : 0;
  std::vector<Task*> queued;
  core_->take_queued(&queued, keep);
  size_t settled = 0;
  for (Task* t : queued)
    if (t->status == Status::kShutdown && !t->settled_early) ++settled;
  SettleTasks(env, queued);
  return Napi::Number::New(env, static_cast<double>(settled));
}

// release(): the pool is destroyed and every task settled. Stops the doorbell
// and drops the JS callbacks, so nothing native keeps the pool alive.
Napi::Value NativePool::Release(const Napi::CallbackInfo& info) {
  CloseNow();
  ReleaseRefs();
  if (AddonData* data = AddonData::Get(info.Env())) data->Forget(this);
  return info.Env().Undefined();
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

// inbox() -> Uint8Array: from now on a settle batch's flat results are
// copied here (their status has kStatusInbox set, their value is the
// offset); lib decodes them during the settle call.
Napi::Value NativePool::Inbox(const Napi::CallbackInfo& info) { return inbox_.View(info.Env()); }

// pollStats() -> { hits, misses, spinNs }: the main-side poll's figures.
Napi::Value NativePool::PollStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("hits", static_cast<double>(poll_ ? poll_->hits() : 0));
  o.Set("misses", static_cast<double>(poll_ ? poll_->misses() : 0));
  o.Set("spinNs", static_cast<double>(poll_ ? poll_->spin_ns() : 0));
  return o;
}

// stats() -> counters (best-effort); the histograms are histogram(kind, ps).
Napi::Value NativePool::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Metrics& m = core_->metrics();
  Napi::Object o = Napi::Object::New(env);
  o.Set("submitted", static_cast<double>(m.submitted()));
  o.Set("completed", static_cast<double>(m.completed()));
  o.Set("failed", static_cast<double>(m.failed()));
  o.Set("cancelled", static_cast<double>(m.cancelled()));
  o.Set("busyNs", static_cast<double>(m.busy_ns()));
  o.Set("queued", static_cast<double>(core_->scheduler().size_approx()));
  return o;
}

// queueFigures() -> { lanes: number[], peak }: tasks waiting in each lane
// (tombstones left out) and the most that ever waited at once.
Napi::Value NativePool::QueueFigures(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t n = core_->scheduler().lanes();
  Napi::Array lanes = Napi::Array::New(env, n);
  for (uint32_t i = 0; i < n; ++i) lanes.Set(i, static_cast<double>(core_->queued_approx(i)));
  Napi::Object o = Napi::Object::New(env);
  o.Set("lanes", lanes);
  o.Set("peak", static_cast<double>(core_->metrics().peak_queued()));
  return o;
}

// consumerFigures(id) -> { held, running, done, busyNs, ageNs, runningNs, runningSlots }
// or null once the consumer is removed.
Napi::Value NativePool::ConsumerFigures(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PoolCore::ConsumerFigures f;
  if (!core_->consumer_figures(CheckedUint32(env, info[0], "consumer"), &f)) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("held", static_cast<double>(f.held));
  o.Set("running", static_cast<double>(f.running));
  o.Set("done", static_cast<double>(f.done));
  o.Set("busyNs", static_cast<double>(f.busy_ns));
  o.Set("ageNs", static_cast<double>(f.age_ns));
  o.Set("runningNs", static_cast<double>(f.running_ns));
  Napi::Array slots = Napi::Array::New(env, f.running_slots.size());
  for (uint32_t i = 0; i < f.running_slots.size(); ++i) slots.Set(i, static_cast<double>(f.running_slots[i]));
  o.Set("runningSlots", slots);
  return o;
}

// histogramBuckets(kind, edgesNs[]) -> { edges, counts, count, sum }: each
// wanted edge moved down to the nearest native bucket bound (edges, in ns,
// ascending), the records <= it (counts, cumulative, so exact), the count
// over every bucket read in the same pass, and the sum of the records in ns.
Napi::Value NativePool::HistogramBuckets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Histogram& h = Pick(env, info[0]);
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "Expected an array for edgesNs");
  Napi::Array want = info[1].As<Napi::Array>();
  std::vector<uint64_t> edges;
  for (uint32_t i = 0; i < want.Length(); ++i) {
    Napi::Value v = want.Get(i);
    if (!v.IsNumber() || !(v.As<Napi::Number>().DoubleValue() >= 0))
      throw Napi::TypeError::New(env, "Expected non-negative numbers for edgesNs");
    const uint64_t bound = Histogram::bound_at_or_below(static_cast<uint64_t>(v.As<Napi::Number>().DoubleValue()));
    if (edges.empty() || bound > edges.back()) edges.push_back(bound);
  }
  std::vector<uint64_t> counts(edges.size());
  const uint64_t count = h.cumulative(edges.data(), edges.size(), counts.data());
  Napi::Array e = Napi::Array::New(env, edges.size());
  Napi::Array c = Napi::Array::New(env, edges.size());
  for (uint32_t i = 0; i < edges.size(); ++i) {
    e.Set(i, static_cast<double>(edges[i]));
    c.Set(i, static_cast<double>(counts[i]));
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("edges", e);
  o.Set("counts", c);
  o.Set("count", static_cast<double>(count));
  o.Set("sum", static_cast<double>(h.sum()));
  return o;
}

}  // namespace nativepool::binding
