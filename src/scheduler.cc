// Baseline implementation: one mutex, a deque per lane, a condvar per consumer.
// Correct and simple; the lock-free lanes and two-phase parking replace it.
#include "scheduler.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace nativepool {

namespace {
struct Consumer {
  std::condition_variable cv;
  bool parked = false;
  bool stopped = false;
  Scheduler::Notifier notifier;  // armed iff non-empty
};
}  // namespace

struct Scheduler::Impl {
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
  std::unordered_map<ConsumerId, std::unique_ptr<Consumer>> consumers;
  std::vector<Consumer*> parked;  // LIFO
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
  Scheduler::Notifier wake_one_locked() {
    if (!parked.empty()) {
      Consumer* c = parked.back();
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

Scheduler::Scheduler(SchedulerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
Scheduler::~Scheduler() = default;

uint32_t Scheduler::lanes() const { return impl_->options.lanes; }

void Scheduler::push(Task* t) { push_bulk(&t, 1); }

void Scheduler::push_bulk(Task* const* ts, size_t n) {
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

size_t Scheduler::try_take(Task** out, size_t max) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->pop_locked(out, max);
}

size_t Scheduler::take(ConsumerId id, Task** out, size_t max) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  if (it == impl_->consumers.end()) return 0;
  Consumer* c = it->second.get();
  for (;;) {
    if (impl_->shut || c->stopped) return 0;
    size_t n = impl_->pop_locked(out, max);
    if (n > 0) return n;
    c->parked = true;
    impl_->parked.push_back(c);
    c->cv.wait(lock, [&] { return !c->parked; });
  }
}

Scheduler::ConsumerId Scheduler::add_consumer() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  ConsumerId id = impl_->next_id++;
  impl_->consumers.emplace(id, std::make_unique<Consumer>());
  return id;
}

void Scheduler::remove_consumer(ConsumerId id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  if (it == impl_->consumers.end()) return;
  auto& p = impl_->parked;
  p.erase(std::remove(p.begin(), p.end(), it->second.get()), p.end());
  impl_->consumers.erase(it);
}

void Scheduler::stop(ConsumerId id) {
  Notifier fire;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->consumers.find(id);
    if (it == impl_->consumers.end()) return;
    Consumer* c = it->second.get();
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

bool Scheduler::stopped(ConsumerId id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  return it == impl_->consumers.end() || it->second->stopped;
}

void Scheduler::shutdown() {
  std::vector<Notifier> fire;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->shut = true;
    for (Consumer* c : impl_->parked) {
      c->parked = false;
      c->cv.notify_one();
    }
    impl_->parked.clear();
    for (auto& [id, c] : impl_->consumers)
      if (c->notifier) fire.push_back(std::exchange(c->notifier, nullptr));
  }
  for (auto& f : fire) f();
}

bool Scheduler::is_shutdown() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->shut;
}

bool Scheduler::arm_async(ConsumerId id, Notifier notify) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  if (it == impl_->consumers.end() || impl_->shut || it->second->stopped ||
      impl_->size > 0)
    return false;
  it->second->notifier = std::move(notify);
  return true;
}

bool Scheduler::disarm_async(ConsumerId id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->consumers.find(id);
  if (it == impl_->consumers.end() || !it->second->notifier) return false;
  it->second->notifier = nullptr;
  return true;
}

size_t Scheduler::size_approx() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->size;
}

uint32_t Scheduler::parked_approx() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return static_cast<uint32_t>(impl_->parked.size());
}

}  // namespace nativepool
