// MutexScheduler: the original baseline Scheduler (one mutex, a deque per
// lane, a condvar per consumer), kept verbatim as the benchmark baseline for
// the lock-free src/scheduler.cc. Same API and contract as src/scheduler.h.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scheduler.h"

namespace nativepool {

class MutexScheduler {
 public:
  using ConsumerId = uint32_t;
  using Notifier = std::function<void()>;

  explicit MutexScheduler(SchedulerOptions options = {});
  ~MutexScheduler();
  MutexScheduler(const MutexScheduler&) = delete;
  MutexScheduler& operator=(const MutexScheduler&) = delete;

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
  uint32_t parked_approx() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

namespace mutex_detail {
struct Consumer {
  std::condition_variable cv;
  bool parked = false;
  bool stopped = false;
  MutexScheduler::Notifier notifier;  // armed iff non-empty
};
}  // namespace mutex_detail

struct MutexScheduler::Impl {
  explicit Impl(SchedulerOptions o) : options(std::move(o)) {
    options.lanes = std::max<uint32_t>(1, options.lanes);
    if (!options.weights.empty()) options.weights.resize(options.lanes, 1);
    lanes.resize(options.lanes);
    credit.assign(options.lanes, 0);
  }
  SchedulerOptions options;
  mutable std::mutex mu;
  std::vector<std::deque<Task*>> lanes;
  std::vector<int64_t> credit;  // weighted mode: smooth weighted round-robin
  std::unordered_map<ConsumerId, std::unique_ptr<mutex_detail::Consumer>> consumers;
  std::vector<mutex_detail::Consumer*> parked;  // LIFO
  ConsumerId next_id = 0;
  size_t size = 0;
  bool shut = false;

  // mu held. Picks the lane to serve next, or -1 if all are empty.
  int pick_lane() {
    if (size == 0) return -1;
    if (options.weights.empty()) {
      for (size_t i = 0; i < lanes.size(); ++i)
        if (!lanes[i].empty()) return static_cast<int>(i);
      return -1;
    }
    // Smooth weighted round-robin over the non-empty lanes.
    int64_t total = 0;
    int best = -1;
    for (size_t i = 0; i < lanes.size(); ++i) {
      if (lanes[i].empty()) continue;
      credit[i] += options.weights[i];
      total += options.weights[i];
      if (best < 0 || credit[i] > credit[best]) best = static_cast<int>(i);
    }
    if (best >= 0) credit[best] -= total;
    return best;
  }
  size_t pop_locked(Task** out, size_t max) {
    size_t n = 0;
    while (n < max) {
      int lane = pick_lane();
      if (lane < 0) break;
      out[n++] = lanes[lane].front();
      lanes[lane].pop_front();
      --size;
    }
    return n;
  }
  // mu held. Wakes one consumer: a parked one (LIFO), else an armed notifier.
  MutexScheduler::Notifier wake_one_locked() {
    if (!parked.empty()) {
      mutex_detail::Consumer* c = parked.back();
      parked.pop_back();
      c->parked = false;
      c->cv.notify_one();
      return nullptr;
    }
    for (auto& [id, c] : consumers) {
      if (c->notifier) return std::exchange(c->notifier, nullptr);
    }
    return nullptr;
  }
};

inline MutexScheduler::MutexScheduler(SchedulerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
inline MutexScheduler::~MutexScheduler() = default;

inline uint32_t MutexScheduler::lanes() const { return impl_->options.lanes; }

inline void MutexScheduler::push(Task* t) { push_bulk(&t, 1); }

inline void MutexScheduler::push_bulk(Task* const* ts, size_t n) {
  std::vector<Notifier> fire;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (size_t i = 0; i < n; ++i) {
      uint32_t lane = std::min(ts[i]->lane, impl_->options.lanes - 1);
      impl_->lanes[lane].push_back(ts[i]);
      ++impl_->size;
      if (Notifier f = impl_->wake_one_locked()) fire.push_back(std::move(f));
    }
  }
  for (auto& f : fire) f();
}

inline size_t MutexScheduler::try_take(Task** out, size_t max) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->pop_locked(out, max);
}

inline size_t MutexScheduler::take(ConsumerId id, Task** out, size_t max) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  if (it == impl_->consumers.end()) return 0;
  mutex_detail::Consumer* c = it->second.get();
  for (;;) {
    if (impl_->shut || c->stopped) return 0;
    size_t n = impl_->pop_locked(out, max);
    if (n > 0) return n;
    c->parked = true;
    impl_->parked.push_back(c);
    c->cv.wait(lock, [&] { return !c->parked; });
  }
}

inline MutexScheduler::ConsumerId MutexScheduler::add_consumer() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  ConsumerId id = impl_->next_id++;
  impl_->consumers.emplace(id, std::make_unique<mutex_detail::Consumer>());
  return id;
}

inline void MutexScheduler::remove_consumer(ConsumerId id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  if (it == impl_->consumers.end()) return;
  auto& p = impl_->parked;
  p.erase(std::remove(p.begin(), p.end(), it->second.get()), p.end());
  impl_->consumers.erase(it);
}

inline void MutexScheduler::stop(ConsumerId id) {
  Notifier fire;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->consumers.find(id);
    if (it == impl_->consumers.end()) return;
    mutex_detail::Consumer* c = it->second.get();
    c->stopped = true;
    if (c->parked) {
      auto& p = impl_->parked;
      p.erase(std::remove(p.begin(), p.end(), c), p.end());
      c->parked = false;
      c->cv.notify_one();
    }
    fire = std::exchange(c->notifier, nullptr);
  }
  if (fire) fire();
}

inline bool MutexScheduler::stopped(ConsumerId id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  return it == impl_->consumers.end() || it->second->stopped;
}

inline void MutexScheduler::shutdown() {
  std::vector<Notifier> fire;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->shut = true;
    for (mutex_detail::Consumer* c : impl_->parked) {
      c->parked = false;
      c->cv.notify_one();
    }
    impl_->parked.clear();
    for (auto& [id, c] : impl_->consumers)
      if (c->notifier) fire.push_back(std::exchange(c->notifier, nullptr));
  }
  for (auto& f : fire) f();
}

inline bool MutexScheduler::is_shutdown() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->shut;
}

inline bool MutexScheduler::arm_async(ConsumerId id, Notifier notify) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  if (it == impl_->consumers.end() || impl_->shut || it->second->stopped ||
      impl_->size > 0)
    return false;
  it->second->notifier = std::move(notify);
  return true;
}

inline bool MutexScheduler::disarm_async(ConsumerId id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  if (it == impl_->consumers.end() || !it->second->notifier) return false;
  it->second->notifier = nullptr;
  return true;
}

inline size_t MutexScheduler::size_approx() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->size;
}

inline uint32_t MutexScheduler::parked_approx() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return static_cast<uint32_t>(impl_->parked.size());
}

}  // namespace nativepool
