// PoolCore: one pool's shared state, reached from the owner thread (the one
// that submits, cancels and settles) and from every consumer thread (the
// workers, or a native proxy serving a child process).
//
// The path of a task (states in task.h):
//   owner:    submit(t)          -> scheduler lanes, wakes a parked consumer
//   consumer: take(c, ...)       -> claims each task (Task::try_claim) into a
//                                   slot of c's held set, slot word kTaken;
//                                   tombstones go straight to completions
//   consumer: starts slot s      -> CAS word[s] kTaken -> kRunning (no call:
//                                   the word is shared memory); if the CAS
//                                   finds kCancelled it skips the task and
//                                   calls release(c, s)
//   consumer: complete(c, s)     -> removes it from the held set, pushes it
//                                   on the completion queue, rings the
//                                   doorbell iff the queue went empty -> non-empty
//   owner:    drain()            -> the batch, in completion order
//   owner:    cancel(t)          -> one of CancelResult, exactly
//
// Exactly-once: a taken task is in exactly one consumer's held set until
// complete(), cancel() or abandon() removes it under that consumer's mutex;
// whichever removes it decides its fate, so it is settled once. abandon()
// (the consumer went away) fails the tasks it had started with
// kWorkerExited, puts the unstarted ones back in line (or finishes them as
// kShutdown once the pool is shut down) and stops the consumer; it is
// idempotent.
//
// Lock order (a thread holding a lock takes only locks further down):
//   consumers_mu_        a leaf: looked up, copied out, released
//   Consumer::mu         held by take() (tombstones), complete(), cancel(),
//                        abandon(), release(); never around a Scheduler call
//   bell_mu_             finish() rings under it (also from inside Consumer::mu)
//   the doorbell's lock  the TSFN's own mutex, inside the bell
//   handlers_mu_         a leaf
// take() calls Scheduler::take() (which may park, and whose push/notify path
// takes the EventCount mutex and may call a WorkerPort's async notifier)
// only while holding none of these; abandon() and take() push back into the
// Scheduler after releasing Consumer::mu.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "completion_queue.h"
#include "metrics.h"
#include "scheduler.h"
#include "task.h"

namespace nativepool {

class PoolCore {
 public:
  using ConsumerId = Scheduler::ConsumerId;

  struct Consumer {
    Consumer(ConsumerId id, uint32_t capacity);
    const ConsumerId id;
    const uint32_t capacity;  // slots: the most tasks it may hold at once
    std::mutex mu;
    std::vector<Task*> held;  // slot -> task, nullptr when not holding one (under mu)
    std::vector<uint32_t> free_slots;  // under mu
    // One SlotState per slot. Written under mu except the consumer's start
    // CAS (kTaken -> kRunning), which races only with the CAS in cancel()
    // and abandon() (both seq_cst, on the same word: one of them wins).
    // Shared ownership: the words may live in memory mapped into a child
    // process too (a process consumer moves them there, under mu, before it
    // takes anything: binding/proxy.cc).
    std::shared_ptr<std::atomic<int32_t>[]> words;
    bool abandoned = false;  // under mu
    bool stopping = false;   // under mu: reclaim_unstarted() ran; it takes nothing more
    // When this consumer last completed a task. A batch is taken at once but
    // run one after another, so a task's real start is the later of its
    // take time and the previous completion (exact for one task at a time,
    // an estimate for concurrent async tasks). Under mu.
    uint64_t last_end_ns = 0;
    // Figures (stats()): written under mu by complete(), read without it
    // (relaxed, best-effort, like Metrics).
    const uint64_t created_ns;
    std::atomic<uint64_t> done{0};     // tasks it completed
    std::atomic<uint64_t> busy_ns{0};  // their run times, summed
  };

  // What one consumer is doing, for stats() (best-effort).
  struct ConsumerFigures {
    uint32_t held = 0;     // tasks taken and not yet completed (started or not)
    uint32_t running = 0;  // of those, started (slot word kRunning)
    uint64_t done = 0;
    uint64_t busy_ns = 0;
    uint64_t age_ns = 0;                  // since add_consumer()
    // How long the oldest task it runs has run: since the later of its take
    // and the consumer's previous completion (as complete() times it; exact
    // for one task at a time). 0 when it runs none.
    uint64_t running_ns = 0;
    std::vector<uint32_t> running_slots;  // the slots whose word is kRunning
  };

  explicit PoolCore(SchedulerOptions options);
  ~PoolCore();
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;

  uint32_t id() const { return id_; }
  Scheduler& scheduler() { return scheduler_; }
  Metrics& metrics() { return metrics_; }

  // --- process-wide registry: workers find their pool by id ---------------
  static std::shared_ptr<PoolCore> create(SchedulerOptions options);
  static std::shared_ptr<PoolCore> find(uint32_t id);

  // --- the doorbell (rung from consumer threads) --------------------------
  void set_doorbell(std::function<void()> bell);
  void clear_doorbell();  // after it returns, the old bell is never called

  // --- owner side ----------------------------------------------------------
  void submit(Task* t);
  // submit() for n tasks at once: one clock read, one bulk push that wakes
  // at most as many parked consumers as there are tasks.
  void submit_bulk(Task* const* ts, size_t n);
  Task* drain() { return completions_.drain(); }
  // Best-effort: something is waiting for drain() (the main side's poll).
  bool completions_pending() const { return !completions_.empty_approx(); }
  // Exact cancellation (see CancelResult). The owner never frees `t` here:
  // kRemoved leaves a tombstone in the lanes and kNotStarted one in its
  // consumer's slot (the consumer may be reading its payload; release()
  // hands it back), both come back through drain() (or take_queued()) with
  // status kCancelled; kRunning writes the consumer running it to *holder;
  // kFinished: it is, or will be, in drain().
  CancelResult cancel(Task* t, ConsumerId* holder);
  // Pops every queued task but the first `keep` (in service order), which go
  // back in line. Tombstones are returned as they are (status kCancelled,
  // theirs to free); the rest as kShutdown. Owner thread only.
  void take_queued(std::vector<Task*>* out, size_t keep = 0);
  uint32_t add_handler(std::string filename, std::string name);
  bool handler(uint32_t index, std::string* filename, std::string* name) const;

  // --- consumers -----------------------------------------------------------
  std::shared_ptr<Consumer> add_consumer(uint32_t capacity);
  std::shared_ptr<Consumer> consumer(ConsumerId id) const;
  // Claims up to `max` tasks (never more than free slots, nor more than a
  // fair share of the queue) into c's held set; writes their slots to
  // `slots`. block: park until work, stop or shutdown. Returns 0 when c is
  // stopped or the pool shut down (both modes) or when nothing is queued
  // (!block).
  size_t take(Consumer& c, uint32_t* slots, Task** tasks, size_t max, bool block);
  // Completes the task in `slot` with `status`; `result` is moved in.
  // Returns false if the slot is not held (abandoned, cancelled or bad slot).
  bool complete(Consumer& c, uint32_t slot, Status status, Bytes&& result);
  // The consumer skipped a slot whose word it found kCancelled: frees the
  // slot and hands the task back to the owner as a tombstone (or, taken
  // back by reclaim_unstarted(), puts it back in line).
  bool release(Consumer& c, uint32_t slot);
  // The consumer is being stopped (it runs a task that was aborted or timed
  // out): it takes nothing more, and every task it holds but has not
  // started is taken back (slot word kTaken -> kCancelled, so its start CAS
  // fails) and goes back in line when it releases the slot or is
  // abandoned, so no other task of its batch starts there before it goes.
  // Returns how many it took back. Owner thread.
  size_t reclaim_unstarted(Consumer& c);
  // Fails every held task the consumer had started with kWorkerExited, puts
  // the ones it had not started back in line (kShutdown after shutdown), and
  // stops the consumer. Returns how many tasks it failed. Idempotent.
  size_t abandon(Consumer& c);
  // abandon(), then forgets the consumer.
  void remove_consumer(ConsumerId id);
  bool stopped(const Consumer& c) const {
    return scheduler_.is_shutdown() || scheduler_.stopped(c.id);
  }

  // --- figures (best-effort, relaxed reads; any thread) ---------------------
  // Tasks waiting in `lane` (or all lanes), not counting tombstones: tasks
  // cancelled while queued that stay in the lanes until a consumer pops them.
  size_t queued_approx(uint32_t lane) const;
  size_t queued_approx() const;
  // false if `id` is not a consumer (any more).
  bool consumer_figures(ConsumerId id, ConsumerFigures* out) const;

  // Every task some consumer is running now (slot word kRunning): what the
  // owner's timeout check looks at, so its cost follows the tasks running,
  // not the tasks submitted. A snapshot: a task may finish right after.
  struct RunningTask {
    const Task* task;  // to compare, not to read: the consumer may finish it any time
    uint64_t id;
    ConsumerId consumer;
    uint32_t slot;
  };
  void running_tasks(std::vector<RunningTask>* out) const;

 private:
  void finish(Task* t);  // push to completions, ring if it went non-empty
  // A task no consumer started goes back in line (kShutdown after shutdown).
  void requeue_unstarted(Task* t, bool shut);
  // The tombstone counter of t's lane (Scheduler::push clamps the lane too).
  std::atomic<int64_t>& tombstones_of(const Task* t) {
    return tombstones_[std::min<uint32_t>(t->lane, scheduler_.lanes() - 1)];
  }
  int64_t tombstones() const;

  const uint32_t id_;
  Scheduler scheduler_;
  CompletionQueue completions_;
  Metrics metrics_;
  // Per lane: tombstones still in the lanes (cancel() adds, the pop that
  // finds one subtracts). Relaxed: figures only.
  std::unique_ptr<std::atomic<int64_t>[]> tombstones_;

  std::mutex bell_mu_;
  std::function<void()> bell_;

  mutable std::mutex consumers_mu_;
  std::unordered_map<ConsumerId, std::shared_ptr<Consumer>> consumers_;
  std::atomic<size_t> live_consumers_{0};  // best-effort, for batch sizing

  mutable std::mutex handlers_mu_;
  std::vector<std::pair<std::string, std::string>> handlers_;
};

}  // namespace nativepool
