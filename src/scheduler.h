// Scheduler: priority lanes of tasks, consumed by parked-or-running consumers.
//
// Contract (the binding and the executor rely on exactly this):
//   - push() never fails and never blocks on capacity; maxQueue is the pool's
//     policy, enforced above this layer.
//   - Consumers pull. take() returns 1..max tasks, or 0 once the consumer was
//     stop()ped or the scheduler shut down (queued tasks are left in place;
//     drain them with try_take()).
//   - Lane 0 is the highest priority. Strict mode serves the highest
//     non-empty lane; weighted mode serves lanes in proportion to weights and
//     never starves a non-empty lane. FIFO within a lane.
//   - A push wakes at most one parked consumer, and only if one is parked.
//   - A consumer that cannot block (a JS worker with async tasks in flight)
//     arms an async notifier instead of parking; a push, stop or shutdown
//     calls it once, from the pushing thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "task.h"

namespace nativepool {

struct SchedulerOptions {
  uint32_t lanes = 1;                  // >= 1
  std::vector<uint32_t> weights;       // empty: strict priority; else one per lane, each >= 1
  // After the short fixed spin, a consumer about to park keeps polling
  // (yielding the CPU between polls) for up to this long. A consumer that
  // has just finished a task usually gets the next one within this window
  // when a caller runs tasks back to back, and then never pays a futex
  // wake-up. 0: park right after the fixed spin.
  uint32_t park_spin_ns = 0;
};

class Scheduler {
 public:
  using ConsumerId = uint32_t;
  using Notifier = std::function<void()>;

  explicit Scheduler(SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  uint32_t lanes() const;

  // Enqueue on lane min(t->lane, lanes()-1). Wakes one parked consumer if any.
  void push(Task* t);
  void push_bulk(Task* const* ts, size_t n);

  // Non-blocking: up to `max` tasks in service order; 0 if none.
  size_t try_take(Task** out, size_t max);
  // Blocking: 1..max tasks; 0 iff `c` was stopped or the scheduler shut down.
  size_t take(ConsumerId c, Task** out, size_t max);

  ConsumerId add_consumer();
  void remove_consumer(ConsumerId c);
  // After stop(c), take(c) returns 0 (now, if parked) and arm_async(c) fails.
  void stop(ConsumerId c);
  bool stopped(ConsumerId c) const;
  // Every take() returns 0 from now on; every parked consumer wakes.
  void shutdown();
  bool is_shutdown() const;

  // Async parking. Returns true if armed: `notify` will be called exactly once
  // (from a producer thread) at the next push, stop(c) or shutdown, unless
  // disarm_async(c) returns true first. Returns false, without arming, if a
  // task is queued (try_take instead), or c is stopped, or shut down.
  bool arm_async(ConsumerId c, Notifier notify);
  // True if the notifier was disarmed before it fired.
  bool disarm_async(ConsumerId c);

  // Best-effort figures (relaxed reads): for metrics and tests, not control.
  size_t size_approx() const;
  size_t lane_size_approx(uint32_t lane) const;  // 0 for a lane out of range
  uint32_t parked_approx() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nativepool
