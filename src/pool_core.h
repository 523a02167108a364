// PoolCore: one pool's shared state, reached from the owner thread (the one
// that submits and settles) and from every consumer thread (the workers).
//
// The path of a task:
//   owner:    submit(t)        -> scheduler lanes, wakes a parked consumer
//   consumer: take(c, ...)     -> claims each task (Task::try_claim) and records
//                                 it in c's held set; tombstones (tasks the
//                                 owner cancelled) go straight to completions
//   consumer: complete(c, slot) -> removes it from the held set, pushes it on
//                                 the completion queue, rings the doorbell iff
//                                 the queue went empty -> non-empty
//   owner:    drain()          -> the batch, in completion order
//
// Exactly-once: a taken task is in exactly one consumer's held set until
// complete() or abandon() removes it under that consumer's mutex; whichever
// removes it pushes it to completions, so it is settled once. abandon() (the
// consumer's thread went away) fails every held task with kWorkerExited and
// stops the consumer; it is idempotent.
//
// Lock order: Consumer::mu, then bell_mu_. consumers_mu_ is never held with
// either.
#pragma once

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
#include "histogram.h"
#include "scheduler.h"
#include "task.h"

namespace nativepool {

struct PoolMetrics {
  std::atomic<uint64_t> submitted{0};
  std::atomic<uint64_t> completed{0};  // finished by a consumer, ok or error
  std::atomic<uint64_t> failed{0};     // of those, errors
  std::atomic<uint64_t> cancelled{0};
  std::atomic<uint64_t> busy_ns{0};    // sum of run times (for utilization)
  Histogram wait;  // enqueue -> start
  Histogram run;   // start -> end
};

class PoolCore {
 public:
  using ConsumerId = Scheduler::ConsumerId;

  struct Consumer {
    explicit Consumer(ConsumerId id) : id(id) {}
    const ConsumerId id;
    std::mutex mu;
    std::vector<Task*> held;        // slot -> task (nullptr: free)
    std::vector<uint32_t> free_slots;
    bool abandoned = false;
    // When this consumer last completed a task. A batch is taken at once but
    // run one after another, so a task's real start is the later of its
    // take time and the previous completion (exact for one task at a time,
    // an estimate for concurrent async tasks).
    uint64_t last_end_ns = 0;
    // Started-vs-taken: every task handed out gets issue_seq = ++issued, and
    // the consumer writes the issue_seq of each task into `progress` just
    // before it starts it (the worker writes it through an external
    // Int32Array, so it costs no call). abandon() fails only the tasks with
    // issue_seq <= progress; the rest were never started and go back in line.
    // `progress` is read by abandon() only after the consumer's thread has
    // stopped running tasks (its env is being torn down, or it has exited).
    uint32_t issued = 0;  // under mu
    alignas(8) int32_t progress[2] = {0, 0};
  };

  explicit PoolCore(SchedulerOptions options);
  ~PoolCore();
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;

  uint32_t id() const { return id_; }
  Scheduler& scheduler() { return scheduler_; }
  PoolMetrics& metrics() { return metrics_; }

  // --- process-wide registry: workers find their pool by id ---------------
  static std::shared_ptr<PoolCore> create(SchedulerOptions options);
  static std::shared_ptr<PoolCore> find(uint32_t id);

  // --- the doorbell (rung from consumer threads) --------------------------
  void set_doorbell(std::function<void()> bell);
  void clear_doorbell();  // after it returns, the old bell is never called

  // --- owner side ----------------------------------------------------------
  void submit(Task* t);
  Task* drain() { return completions_.drain(); }
  uint32_t add_handler(std::string filename, std::string name);
  bool handler(uint32_t index, std::string* filename, std::string* name) const;

  // --- consumers -----------------------------------------------------------
  std::shared_ptr<Consumer> add_consumer();
  std::shared_ptr<Consumer> consumer(ConsumerId id) const;
  // Claims up to `max` tasks into c's held set; writes their slots to
  // `slots`. block: park until work, stop or shutdown. Returns 0 when
  // stopped/shut down (block) or when nothing is queued (!block).
  size_t take(Consumer& c, uint32_t* slots, Task** tasks, size_t max, bool block);
  // Completes the task in `slot` with `status`; `result` is moved in.
  // Returns false if the slot is not held (already abandoned or bad slot).
  bool complete(Consumer& c, uint32_t slot, Status status, Bytes&& result);
  // Fails every held task the consumer had started with kWorkerExited,
  // puts the ones it had not started back in line, and stops the consumer.
  // Returns how many tasks it failed.
  size_t abandon(Consumer& c);
  void remove_consumer(ConsumerId id);

 private:
  void finish(Task* t);  // push to completions, ring if it went non-empty

  const uint32_t id_;
  Scheduler scheduler_;
  CompletionQueue completions_;
  PoolMetrics metrics_;

  std::mutex bell_mu_;
  std::function<void()> bell_;

  mutable std::mutex consumers_mu_;
  std::unordered_map<ConsumerId, std::shared_ptr<Consumer>> consumers_;
  std::atomic<size_t> live_consumers_{0};  // best-effort, for batch sizing

  mutable std::mutex handlers_mu_;
  std::vector<std::pair<std::string, std::string>> handlers_;
};

}  // namespace nativepool
