// Helpers shared by the concurrency tests: a watchdog, sanitizer-aware
// scaling, and a lifetime-tracking element type.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace nativepool::testing {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// Item counts for stress tests: full size normally, 1/20 under sanitizers
// (TSan is ~10x slower and this machine has 2 shared cores).
inline constexpr size_t scaled(size_t n) { return kSanitized ? (n / 20 > 0 ? n / 20 : 1) : n; }

// Aborts the whole test binary if the scope is still running after `limit`
// (5x under sanitizers): a lost wake-up shows as a named abort, not a hang.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit, std::string what = "test")
      : what_(std::move(what)), thread_([this, limit] {
          auto deadline = limit * (kSanitized ? 5 : 1);
          std::unique_lock<std::mutex> lock(mu_);
          if (!cv_.wait_for(lock, deadline, [this] { return done_; })) {
            std::fprintf(stderr, "Watchdog: %s still running after %llds; aborting\n", what_.c_str(),
                         static_cast<long long>(deadline.count()));
            std::fflush(stderr);
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::string what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Spins (yielding) until pred() or the watchdog fires.
template <typename Pred>
void wait_until(Pred pred) {
  while (!pred()) std::this_thread::yield();
}

// An element that counts live instances and aborts on double destruction or
// use after destruction.
class Tracked {
 public:
  static std::atomic<int64_t>& live() {
    static std::atomic<int64_t> n{0};
    return n;
  }
  Tracked() : value_(0) { live().fetch_add(1, std::memory_order_relaxed); }
  explicit Tracked(uint64_t v) : value_(v) { live().fetch_add(1, std::memory_order_relaxed); }
  Tracked(Tracked&& o) noexcept : value_(o.get()) { live().fetch_add(1, std::memory_order_relaxed); }
  Tracked(const Tracked& o) : value_(o.get()) { live().fetch_add(1, std::memory_order_relaxed); }
  Tracked& operator=(Tracked&& o) noexcept {
    check();
    value_ = o.get();
    return *this;
  }
  Tracked& operator=(const Tracked& o) {
    check();
    value_ = o.get();
    return *this;
  }
  ~Tracked() {
    check();
    magic_ = kDead;
    live().fetch_sub(1, std::memory_order_relaxed);
  }
  uint64_t get() const {
    check();
    return value_;
  }

 private:
  static constexpr uint64_t kAlive = 0xA11CEA11CEA11CEull;
  static constexpr uint64_t kDead = 0xDEADDEADDEADDEADull;
  void check() const {
    if (magic_ != kAlive) {
      std::fprintf(stderr, "Tracked: %s\n", magic_ == kDead ? "double destruction / use after destruction"
                                                            : "uninitialised element");
      std::abort();
    }
  }
  uint64_t magic_ = kAlive;
  uint64_t value_;
};

}  // namespace nativepool::testing
