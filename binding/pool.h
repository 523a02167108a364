// NativePool: the main-thread face of a PoolCore. Submits tasks, cancels them
// exactly, rings back through one ThreadSafeFunction doorbell, and settles a
// whole batch of completions per ring with one call into lib:
// settle(meta: Float64Array [id, status, consumer, ...], values: Array).
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "codec.h"
#include "id_table.h"
#include "poll.h"
#include "pool_core.h"
#include "task_cache.h"

namespace nativepool::binding {

class NativePool : public Napi::ObjectWrap<NativePool> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativePool(const Napi::CallbackInfo& info);
  ~NativePool() override;

 private:
  static void OnBell(Napi::Env env, Napi::Function, NativePool* self, void*);
  using Bell = Napi::TypedThreadSafeFunction<NativePool, void, &NativePool::OnBell>;

  Napi::Value Id(const Napi::CallbackInfo& info);
  Napi::Value Queued(const Napi::CallbackInfo& info);
  Napi::Value Live(const Napi::CallbackInfo& info);
  Napi::Value AddHandler(const Napi::CallbackInfo& info);
  Napi::Value Submit(const Napi::CallbackInfo& info);
  Napi::Value SubmitMany(const Napi::CallbackInfo& info);
  Napi::Value SubmitEncoded(const Napi::CallbackInfo& info);
  Napi::Value CancelMany(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value RunningTasks(const Napi::CallbackInfo& info);
  Napi::Value ReclaimUnstarted(const Napi::CallbackInfo& info);
  Napi::Value Resubmit(const Napi::CallbackInfo& info);
  Napi::Value Forget(const Napi::CallbackInfo& info);
  Napi::Value AddConsumer(const Napi::CallbackInfo& info);
  Napi::Value StopConsumer(const Napi::CallbackInfo& info);
  Napi::Value RemoveConsumer(const Napi::CallbackInfo& info);
  Napi::Value Drain(const Napi::CallbackInfo& info);
  Napi::Value Turn(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value CancelQueued(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value HistogramOf(const Napi::CallbackInfo& info);
  Napi::Value ResetHistogram(const Napi::CallbackInfo& info);
  // Figures for stats() and scrapes (read-only accessors, best-effort).
  Napi::Value QueueFigures(const Napi::CallbackInfo& info);
  Napi::Value ConsumerFigures(const Napi::CallbackInfo& info);
  Napi::Value HistogramBuckets(const Napi::CallbackInfo& info);
  Histogram& Pick(Napi::Env env, Napi::Value kind);

  // Settles `tasks` (freeing them) with one JS call per chunk; skips
  // tombstones and tasks settled early.
  void SettleTasks(Napi::Env env, std::vector<Task*>& tasks);
  // Settles up to `budget` completed tasks: first those a previous call
  // drained but left over (carry_), then what the completion queue holds.
  void Settle(Napi::Env env, size_t budget = SIZE_MAX);
  bool SettlePending() const;  // completions drained-but-unsettled or queued
  void TaskLeft(Napi::Env env);  // one live task fewer: unref when idle
  void CloseNow();               // stop ringing; release the doorbell
  void ReleaseRefs();            // drop the JS callbacks (lets the pool be collected)

  Napi::Value PollStats(const Napi::CallbackInfo& info);
  Napi::Value Inbox(const Napi::CallbackInfo& info);

  std::shared_ptr<PoolCore> core_;
  std::unique_ptr<CompletionPoll> poll_;  // binding/poll.h: settles due results before the loop sleeps
  Napi::FunctionReference settle_;
  FlatInbox inbox_;  // inbox(): a settle batch's flat results, for lib to decode
  std::vector<PoolCore::RunningTask> running_;  // RunningTasks()'s scratch
  SideHooks side_;  // lib/channel.js: SharedArrayBuffers and the side channel
  Bell bell_;
  bool bell_open_ = false;
  bool bell_refed_ = false;
  uint64_t live_ = 0;  // attempts submitted, not yet settled in JS
  IdTable<Task*> tracked_;  // tasks that may be cancelled
  // Payloads of failed attempts that may run again (retries), by task id.
  struct Retained {
    uint32_t handler;
    Bytes payload;
  };
  std::unordered_map<uint64_t, Retained> retained_;
  void Retain(Task* t, bool copy);
  void Untrack(Task* t);  // forgets t in tracked_ if it is the tracked attempt
  // Tasks of one submitMany() call, by id (first + i), for cancelMany():
  // tasks[i] is the task while this side may still cancel it, else nullptr.
  // A batch leaves batches_ when its last task comes back or is cancelled.
  struct Batch {
    uint64_t first = 0;
    std::vector<Task*> tasks;
    size_t live = 0;
  };
  std::vector<std::unique_ptr<Batch>> batches_;  // few at once: searched in order
  void ForgetInBatch(Task* t);  // t came back: cancelMany() no longer reaches it
  bool settling_ = false;
  uint64_t settled_turn_ = UINT64_MAX;  // the loop iteration the doorbell last settled in (poll.h)
  TaskCache task_cache_;       // settled Tasks, reused by the next submits (src/task_cache.h)
  std::vector<Task*> carry_;  // drained, not yet settled (owned): Settle's leftovers
  size_t carry_at_ = 0;       // carry_[carry_at_..] are still to settle
  // This loop iteration's tasks handed over by submitEncoded() and tasks
  // settled (any path): drain(true) settles at most the difference, so
  // settling inside run() never makes an iteration settle more than it
  // submitted (the doorbell's budget bounds the rest).
  struct TurnCount {
    uint64_t turn = UINT64_MAX;
    size_t handed = 0;
    size_t settled = 0;
  } turn_count_;
  TurnCount& ThisTurn();
};

}  // namespace nativepool::binding
