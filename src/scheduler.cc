// Scheduler on lock-free lanes (priority_lanes.h) and two-phase parking
// (event_count.h). The mutex+deque+condvar baseline it replaced lives on as
// bench/cpp/mutex_scheduler.h, the benchmark baseline.
//
// Hot paths:
//   push:  lane SpillQueue push (one seq_cst CAS on the ring's head) +
//          EventCount::notify_one (one seq_cst load when nobody is parked or
//          armed; the slow path takes the EventCount mutex).
//   take:  lane pop; on empty, a short spin, then prepare_wait / re-check /
//          commit_wait (see event_count.h for why no wake-up is lost).
//
// Consumers live in a fixed table of kMaxConsumers slots so take() finds its
// consumer without a lock. A ConsumerId is (generation << kSlotBits | slot);
// a slot is reused with a new generation after remove_consumer(), so stale
// ids are refused. Consumer objects are freed only with the Scheduler.
// remove_consumer(c) must not race with take(c)/arm_async(c) by the same
// consumer (it kicks a parked take() out, but the caller owns that thread).
//
// Passing wake-ups on: a consumer that absorbs a notify (a cancel_wait that
// consumed a signal, or a commit woken by notify) and then leaves because it
// was stopped calls notify_one() again, so a push is never answered only by a
// consumer that is going away.
#include "scheduler.h"

#include <array>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "event_count.h"
#include "priority_lanes.h"

namespace nativepool {

namespace {

constexpr uint32_t kSlotBits = 10;
constexpr uint32_t kMaxConsumers = 1u << kSlotBits;
constexpr uint32_t kFreeId = UINT32_MAX;
constexpr size_t kLaneRingCapacity = 4096;  // per lane; beyond it, the spill list
constexpr int kSpinChecks = 16;             // bounded spin before parking

struct Consumer {
  EventCount::Waiter waiter;
  std::atomic<uint32_t> id{kFreeId};  // its current id, or kFreeId
  std::atomic<bool> stopped{false};
  uint32_t generation = 0;  // under the registry mutex
};

}  // namespace

struct Scheduler::Impl {
  explicit Impl(const SchedulerOptions& o)
      : lanes(std::max<uint32_t>(1, o.lanes), o.weights, kLaneRingCapacity),
        park_spin_ns(o.park_spin_ns) {}

  PriorityLanes<Task*> lanes;
  EventCount ec;
  std::atomic<bool> shut{false};

  std::mutex registry_mu;  // add/remove only
  std::array<std::atomic<Consumer*>, kMaxConsumers> slots{};
  std::array<std::unique_ptr<Consumer>, kMaxConsumers> owned;  // under registry_mu

  Consumer* lookup(ConsumerId id) const {
    // acquire: pairs with the release store in add_consumer(); the Consumer
    // object is constructed before its pointer is published.
    Consumer* c = slots[id & (kMaxConsumers - 1)].load(std::memory_order_acquire);
    // acquire: pairs with the release id store in add_consumer(), after the
    // slot's reset (stopped = false, waiter reset).
    if (c == nullptr || c->id.load(std::memory_order_acquire) != id) return nullptr;
    return c;
  }

  bool leaving(const Consumer* c) const {
    // seq_cst: read after prepare_wait(); the Dekker partner of the seq_cst
    // stores in stop()/shutdown() (which then kick()/notify_all()).
    return shut.load(std::memory_order_seq_cst) || c->stopped.load(std::memory_order_seq_cst);
  }

  // Spin briefly for work to appear before paying for a park.
  bool spin_for_work() const {
    for (int i = 0; i < kSpinChecks; ++i) {
      for (int k = 0; k < 8; ++k) cpu_relax();
      if (lanes.size_approx() > 0) return true;
    }
    if (park_spin_ns == 0) return false;
    // The timed window: yield between polls so a spinning consumer never
    // keeps a runnable producer off a CPU.
    const uint64_t deadline = now_ns() + park_spin_ns;
    do {
      std::this_thread::yield();
      if (lanes.size_approx() > 0) return true;
      if (shut.load(std::memory_order_relaxed)) return false;
    } while (now_ns() < deadline);
    return false;
  }
  uint32_t park_spin_ns = 0;
};

Scheduler::Scheduler(SchedulerOptions options) : impl_(std::make_unique<Impl>(options)) {}
Scheduler::~Scheduler() = default;

uint32_t Scheduler::lanes() const { return impl_->lanes.lanes(); }

void Scheduler::push(Task* t) {
  impl_->lanes.push(t->lane, t);
  impl_->ec.notify_one();
}

void Scheduler::push_bulk(Task* const* ts, size_t n) {
  for (size_t i = 0; i < n; ++i) impl_->lanes.push(ts[i]->lane, ts[i]);
  // One wake per task, stopping at the first notify that finds nobody.
  for (size_t i = 0; i < n; ++i)
    if (!impl_->ec.notify_one()) break;
}

size_t Scheduler::try_take(Task** out, size_t max) { return impl_->lanes.try_pop_bulk(out, max); }

size_t Scheduler::take(ConsumerId id, Task** out, size_t max) {
  Impl& s = *impl_;
  Consumer* c = s.lookup(id);
  if (c == nullptr || max == 0) return 0;
  bool absorbed = false;  // we took a notify that someone else may need
  uint32_t rounds = 0;
  for (;;) {
    if (s.shut.load(std::memory_order_acquire) || c->stopped.load(std::memory_order_acquire)) break;
    if (size_t n = s.lanes.try_pop_bulk(out, max)) return n;
    if (s.spin_for_work()) continue;
    s.ec.prepare_wait();
    if (s.leaving(c)) {
      absorbed |= s.ec.cancel_wait();
      break;
    }
    if (s.lanes.maybe_nonempty()) {
      // An item is claimed or published: retry. If its producer is
      // descheduled between claim and publish, yield rather than burn a core.
      absorbed |= s.ec.cancel_wait();
      if (++rounds > 4) std::this_thread::yield();
      continue;
    }
    rounds = 0;
    if (s.ec.commit_wait(&c->waiter) == EventCount::Wake::kNotified) absorbed = true;
  }
  if (absorbed && !s.shut.load(std::memory_order_acquire)) s.ec.notify_one();
  return 0;
}

Scheduler::ConsumerId Scheduler::add_consumer() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.registry_mu);
  for (uint32_t slot = 0; slot < kMaxConsumers; ++slot) {
    Consumer* c = s.owned[slot].get();
    if (c != nullptr && c->id.load(std::memory_order_relaxed) != kFreeId) continue;
    if (c == nullptr) {
      s.owned[slot] = std::make_unique<Consumer>();
      c = s.owned[slot].get();
      // release: publishes the constructed Consumer; pairs with lookup().
      s.slots[slot].store(c, std::memory_order_release);
    }
    c->stopped.store(false, std::memory_order_relaxed);
    s.ec.reset(&c->waiter);
    // 1 .. 2^22-2, so no id is ever kFreeId.
    c->generation = c->generation % ((1u << (32 - kSlotBits)) - 2) + 1;
    uint32_t id = (c->generation << kSlotBits) | slot;
    // release: the reset above happens-before any lookup() that sees this id.
    c->id.store(id, std::memory_order_release);
    return id;
  }
  throw std::length_error("nativepool::Scheduler: more than 1024 consumers");
}

void Scheduler::remove_consumer(ConsumerId id) {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.registry_mu);
  Consumer* c = s.lookup(id);
  if (c == nullptr) return;
  // seq_cst: see leaving(); then drop any armed notifier silently and wake a
  // parked take() so no thread sleeps on a dead consumer.
  c->stopped.store(true, std::memory_order_seq_cst);
  s.ec.disarm(&c->waiter);
  s.ec.kick(&c->waiter);
  c->id.store(kFreeId, std::memory_order_release);  // pairs with lookup()
}

void Scheduler::stop(ConsumerId id) {
  Consumer* c = impl_->lookup(id);
  if (c == nullptr) return;
  // seq_cst: the Dekker partner of the seq_cst load in leaving().
  c->stopped.store(true, std::memory_order_seq_cst);
  impl_->ec.kick(&c->waiter);
}

bool Scheduler::stopped(ConsumerId id) const {
  Consumer* c = impl_->lookup(id);
  // acquire: pairs with the seq_cst store in stop().
  return c == nullptr || c->stopped.load(std::memory_order_acquire);
}

void Scheduler::shutdown() {
  // seq_cst: the Dekker partner of the seq_cst load in leaving().
  impl_->shut.store(true, std::memory_order_seq_cst);
  impl_->ec.notify_all();
}

bool Scheduler::is_shutdown() const {
  // acquire: pairs with the seq_cst store in shutdown().
  return impl_->shut.load(std::memory_order_acquire);
}

bool Scheduler::arm_async(ConsumerId id, Notifier notify) {
  Impl& s = *impl_;
  Consumer* c = s.lookup(id);
  if (c == nullptr) return false;
  if (s.shut.load(std::memory_order_acquire) || c->stopped.load(std::memory_order_acquire)) return false;
  if (s.lanes.size_approx() > 0) return false;  // cheap early out; the real check follows
  s.ec.prepare_wait();
  if (s.leaving(c)) {
    if (s.ec.cancel_wait()) s.ec.notify_one();  // pass on a notify we absorbed
    return false;
  }
  if (s.lanes.maybe_nonempty()) {
    s.ec.cancel_wait();  // a task is queued: the caller try_take()s it
    return false;
  }
  return s.ec.commit_async(&c->waiter, std::move(notify)) == EventCount::Wake::kArmed;
}

bool Scheduler::disarm_async(ConsumerId id) {
  Consumer* c = impl_->lookup(id);
  return c != nullptr && impl_->ec.disarm(&c->waiter);
}

size_t Scheduler::size_approx() const { return impl_->lanes.size_approx(); }

size_t Scheduler::lane_size_approx(uint32_t lane) const {
  return lane < impl_->lanes.lanes() ? impl_->lanes.lane_size_approx(lane) : 0;
}

uint32_t Scheduler::parked_approx() const { return impl_->ec.parked_approx(); }

}  // namespace nativepool
