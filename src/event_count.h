// EventCount: two-phase parking for consumers of a lock-free queue, with
// LIFO wake-up, per-waiter kicks, and async (callback) waiters.
//
// Protocol (the EventCount of Eigen's NonBlocking ThreadPool / taskflow's
// nonblocking_notifier, with a mutex on the slow path only):
//
//   consumer                                producer
//   --------                                --------
//   if (q.try_pop(x)) return x;             q.push(x);        // seq_cst RMW
//   ec.prepare_wait();   // seq_cst RMW     ec.notify_one();  // seq_cst load;
//   if (q.maybe_nonempty() || stop) {       //   returns at once if nobody
//     ec.cancel_wait(); retry / leave;      //   is waiting
//   } else {
//     ec.commit_wait(&w);  // sleeps
//   }
//
// No lost wake-up (Dekker): the producer's queue RMW and the consumer's
// prepare_wait RMW are both seq_cst, as are the loads that follow each. In the
// single total order either the producer's RMW comes first, and the
// consumer's re-check sees the item and cancels; or prepare_wait comes first,
// and notify_one's load sees waiters_ > 0 and takes the slow path, where the
// consumer is either parked (popped and woken), armed (its callback fired),
// or still between prepare and commit (a pending signal makes its commit
// return at once). The same argument covers stop flags and shutdown (store
// the flag seq_cst, then kick()/notify_all()).
//
// State:
//   waiters_  atomic: threads between prepare_wait() and the end of their
//             wait (pre-waiters + parked + armed). Incremented lock-free;
//             decremented only under mu_. notify_one() reads only this when
//             it is 0: the fast path is one load.
//   under mu_: parked_ (LIFO stack of futex sleepers), armed_ (LIFO of async
//             waiters), signals_ (wake-ups owed to pre-waiters, anonymous).
// Invariant (under mu_): signals_ <= waiters_ - parked_.size() - armed_.size()
// (the pre-waiters), so every signal is consumed by a commit or a cancel.
//
// Waking order: a notify_one() signals a pre-waiter if one is unsignalled
// (it is awake: cheapest), else wakes the most recently parked sleeper (LIFO:
// warm cache, and idle threads stay idle), else fires the most recently
// armed async waiter.
//
// Sleeping: a committed waiter spins kSpin times on its own futex word, then
// sleeps in futex(FUTEX_WAIT_PRIVATE) on Linux, std::atomic::wait elsewhere.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace nativepool {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#else
  std::this_thread::yield();
#endif
}

class EventCount {
 public:
  using Callback = std::function<void()>;
  enum class Wake : uint32_t {
    kNotified,  // by notify_one()/notify_all(), or a signal owed to a pre-waiter
    kKicked,    // by kick() aimed at this waiter
    kArmed,     // commit_async() only: the callback is armed
  };
  static constexpr int kSpin = 128;

  // One per consumer, owned by the caller; must outlive its use with the
  // EventCount (the scheduler keeps them until it is destroyed).
  class Waiter {
   public:
    Waiter() = default;
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;

   private:
    friend class EventCount;
    enum class Where : uint8_t { kNone, kParked, kArmed };
    std::atomic<uint32_t> futex{0};  // 1 once woken; the futex word
    Wake reason = Wake::kNotified;   // written under mu_ before futex=1
    Where where = Where::kNone;      // under mu_
    bool kicked = false;             // under mu_: a kick arrived while not parked/armed
    Callback callback;               // under mu_ while armed
  };

  EventCount() = default;
  EventCount(const EventCount&) = delete;
  EventCount& operator=(const EventCount&) = delete;

  // Phase 1. Follow with a re-check of the predicate, then exactly one of
  // cancel_wait(), commit_wait() or commit_async().
  void prepare_wait() {
    // seq_cst: the consumer half of the Dekker pair (see the top of the file);
    // pairs with the seq_cst load in notify_one()/notify_all().
    waiters_.fetch_add(1, std::memory_order_seq_cst);
  }

  // Phase 2a. Returns true if this thread absorbed a notify: callers that
  // then leave without taking work must pass it on with notify_one().
  bool cancel_wait() {
    std::lock_guard<std::mutex> lock(mu_);
    uint32_t pre = pre_waiters_locked();
    waiters_.fetch_sub(1, std::memory_order_relaxed);  // ordered by mu_
    // We cannot tell whether the signal was meant for us; only when every
    // pre-waiter is signalled were we certainly one of them (Eigen's rule).
    if (signals_ > 0 && signals_ == pre) {
      --signals_;
      return true;
    }
    return false;
  }

  // Phase 2b. Sleeps until notified or kicked; returns why.
  Wake commit_wait(Waiter* w) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (Wake r; leave_early_locked(w, &r)) return r;
      w->futex.store(0, std::memory_order_relaxed);  // ordered by mu_
      w->where = Waiter::Where::kParked;
      parked_.push_back(w);
      parked_count_.store(static_cast<uint32_t>(parked_.size()), std::memory_order_relaxed);
    }
    for (int i = 0; i < kSpin; ++i) {
      // acquire: pairs with the release store in wake(); makes `reason`
      // (written under mu_ by the waker) visible.
      if (w->futex.load(std::memory_order_acquire) != 0) return w->reason;
      cpu_relax();
    }
    while (w->futex.load(std::memory_order_acquire) == 0) futex_wait(&w->futex);
    return w->reason;
  }

  // Phase 2b for a consumer that cannot block: arms `cb`, to be called once
  // (by a notifier, outside any lock) instead of sleeping. Returns kArmed, or
  // kNotified / kKicked without arming if a signal or kick was pending.
  Wake commit_async(Waiter* w, Callback cb) {
    std::lock_guard<std::mutex> lock(mu_);
    if (Wake r; leave_early_locked(w, &r)) return r;
    w->callback = std::move(cb);
    w->where = Waiter::Where::kArmed;
    armed_.push_back(w);
    return Wake::kArmed;
  }

  // True if w's callback was disarmed before it fired.
  bool disarm(Waiter* w) {
    Callback dropped;
    std::lock_guard<std::mutex> lock(mu_);
    if (w->where != Waiter::Where::kArmed) return false;
    erase(armed_, w);
    w->where = Waiter::Where::kNone;
    dropped = std::move(w->callback);
    waiters_.fetch_sub(1, std::memory_order_relaxed);  // ordered by mu_
    return true;
  }

  // Wakes one waiter if any is waiting. True if it woke, fired or signalled
  // someone; false if nobody was waiting (or every pre-waiter already owes a
  // re-check, which will see whatever the caller published).
  bool notify_one() {
    // seq_cst: the producer half of the Dekker pair; pairs with the seq_cst
    // RMW in prepare_wait(). The whole cost of a push nobody waits for.
    if (waiters_.load(std::memory_order_seq_cst) == 0) return false;
    Waiter* woken = nullptr;
    Callback fire;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (signals_ < pre_waiters_locked()) {
        ++signals_;
        return true;
      }
      if (!parked_.empty()) {
        woken = pop_parked_locked(parked_.size() - 1, Wake::kNotified);
      } else if (!armed_.empty()) {
        fire = pop_armed_locked(armed_.size() - 1);
      } else {
        return false;
      }
    }
    if (woken) wake(woken);
    if (fire) fire();
    return true;
  }

  // Wakes every waiter: parked ones, armed ones (callbacks fire), and every
  // pre-waiter's commit returns at once.
  void notify_all() {
    // seq_cst: as in notify_one().
    if (waiters_.load(std::memory_order_seq_cst) == 0) return;
    std::vector<Waiter*> woken;
    std::vector<Callback> fire;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!parked_.empty()) woken.push_back(pop_parked_locked(parked_.size() - 1, Wake::kNotified));
      while (!armed_.empty()) fire.push_back(pop_armed_locked(armed_.size() - 1));
      signals_ = pre_waiters_locked();
    }
    for (Waiter* w : woken) wake(w);
    for (auto& f : fire) f();
  }

  // Wakes w alone, wherever it is: parked (woken with kKicked), armed (its
  // callback fires), or anywhere else (its next commit returns kKicked at
  // once). Set the caller's stop flag (seq_cst) before calling.
  void kick(Waiter* w) {
    Waiter* woken = nullptr;
    Callback fire;
    {
      std::lock_guard<std::mutex> lock(mu_);
      switch (w->where) {
        case Waiter::Where::kParked:
          woken = pop_parked_locked(index_of(parked_, w), Wake::kKicked);
          break;
        case Waiter::Where::kArmed:
          fire = pop_armed_locked(index_of(armed_, w));
          break;
        case Waiter::Where::kNone:
          w->kicked = true;
          break;
      }
    }
    if (woken) wake(woken);
    if (fire) fire();
  }

  // Clears a pending kick (for a Waiter being reused by a new consumer). The
  // waiter must not be parked or armed.
  void reset(Waiter* w) {
    std::lock_guard<std::mutex> lock(mu_);
    w->kicked = false;
  }

  // Best-effort (relaxed reads).
  uint32_t parked_approx() const { return parked_count_.load(std::memory_order_relaxed); }
  uint32_t waiters_approx() const { return waiters_.load(std::memory_order_relaxed); }

 private:
  uint32_t pre_waiters_locked() const {
    return waiters_.load(std::memory_order_relaxed) - static_cast<uint32_t>(parked_.size()) -
           static_cast<uint32_t>(armed_.size());
  }
  // A commit that need not wait: a kick or an owed signal is pending.
  bool leave_early_locked(Waiter* w, Wake* r) {
    if (w->kicked) {
      w->kicked = false;
      *r = Wake::kKicked;
    } else if (signals_ > 0) {
      --signals_;
      *r = Wake::kNotified;
    } else {
      return false;
    }
    waiters_.fetch_sub(1, std::memory_order_relaxed);  // ordered by mu_
    return true;
  }
  Waiter* pop_parked_locked(size_t i, Wake reason) {
    Waiter* w = parked_[i];
    parked_.erase(parked_.begin() + static_cast<ptrdiff_t>(i));
    parked_count_.store(static_cast<uint32_t>(parked_.size()), std::memory_order_relaxed);
    w->where = Waiter::Where::kNone;
    w->reason = reason;
    waiters_.fetch_sub(1, std::memory_order_relaxed);  // ordered by mu_
    return w;
  }
  Callback pop_armed_locked(size_t i) {
    Waiter* w = armed_[i];
    armed_.erase(armed_.begin() + static_cast<ptrdiff_t>(i));
    w->where = Waiter::Where::kNone;
    waiters_.fetch_sub(1, std::memory_order_relaxed);  // ordered by mu_
    return std::exchange(w->callback, nullptr);
  }
  static size_t index_of(const std::vector<Waiter*>& v, Waiter* w) {
    return static_cast<size_t>(std::find(v.begin(), v.end(), w) - v.begin());
  }
  static void erase(std::vector<Waiter*>& v, Waiter* w) { v.erase(v.begin() + static_cast<ptrdiff_t>(index_of(v, w))); }

  static void wake(Waiter* w) {
    // release: publishes `reason`; pairs with the acquire loads in
    // commit_wait().
    w->futex.store(1, std::memory_order_release);
    futex_wake(&w->futex);
  }
  static void futex_wait(std::atomic<uint32_t>* word) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, 0u, nullptr, nullptr, 0);
#else
    word->wait(0, std::memory_order_acquire);
#endif
  }
  static void futex_wake(std::atomic<uint32_t>* word) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
#else
    word->notify_one();
#endif
  }

  std::atomic<uint32_t> waiters_{0};
  std::atomic<uint32_t> parked_count_{0};  // == parked_.size(), for parked_approx()
  std::mutex mu_;
  std::vector<Waiter*> parked_;  // LIFO: back is the most recent
  std::vector<Waiter*> armed_;   // LIFO
  uint32_t signals_ = 0;
};

}  // namespace nativepool
