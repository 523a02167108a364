// CompletionPoll: the main side looks for completions before its event loop
// sleeps, so a result that is due within microseconds is settled without a
// kernel round trip (a doorbell's uv_async_send waking epoll_wait).
//
// Protocol (all on the loop's thread, once per loop iteration):
//   1. A libuv prepare handle runs just before the loop would block. If tasks
//      are in flight, few enough (kHotInFlight), and recent tasks came back
//      within the window, it polls the completion queue for up to the window
//      (an adaptive bound: twice the recent submit-to-completion time, within
//      [kMinWindowNs, kMaxWindowNs]).
//   2. While it polls, the pool is "hot": consumers skip the doorbell (the
//      main side will see their push), and an idle handle keeps the loop from
//      blocking, so the next iteration comes straight back to step 1.
//   3. A completion found is settled there, inside a callback scope (lib's
//      promise reactions run before the loop goes on). A window that passes
//      empty ends hot mode: the loop sleeps until the doorbell rings, and
//      polling pauses for a back-off that doubles while windows keep
//      passing empty (an oversubscribed machine) and resets on a hit.
// Going cold (Dekker, fences on both sides): the main side stores hot=false,
// fences, then looks at the queue; a consumer pushes, fences, then reads hot.
// Either the consumer rings, or the main side sees its task: none is missed.
// With nothing in flight, nothing polls: an idle pool costs no CPU.
//
// libuv: Node-API hands out the loop (napi_get_uv_event_loop); the handful of
// uv_* functions used here are declared below, with handle memory sized by
// uv_handle_size(), so no libuv header is needed (libuv 1.x keeps its ABI;
// Node exports these symbols to addons).
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

namespace nativepool::binding {

class CompletionPoll {
 public:
  struct Target {
    std::function<uint64_t()> in_flight;  // tasks submitted, not settled
    std::function<bool()> pending;        // completions queued (best-effort)
    std::function<void(Napi::Env)> settle;  // drain and settle, in a callback scope
  };

  // Starts the prepare handle (unref'd: it never keeps the loop alive).
  // spin: false keeps the fairness turns (Defer) but never polls (the
  // NATIVEPOOL_POLL=0 switch, for benchmarks).
  CompletionPoll(napi_env env, Target target, bool spin = true);
  ~CompletionPoll();
  CompletionPoll(const CompletionPoll&) = delete;
  CompletionPoll& operator=(const CompletionPoll&) = delete;

  // The consumers' side: true while the main side polls (skip the doorbell).
  // Captured by the doorbell, which may outlive this object by a moment.
  std::shared_ptr<std::atomic<bool>> hot_flag() const { return hot_; }
  // A task came back `latency_ns` after it was submitted.
  void Observe(uint64_t latency_ns);
  // Stops polling and closes the handles (idempotent).
  void Close();

  // Fairness: the loop iteration we are in (counted by the prepare handle).
  // The doorbell settles once per iteration; a second ring in the same
  // iteration (a burst whose settling submits more) is deferred to the next
  // prepare, so timers and I/O get their turn between batches.
  // Defer() also keeps the loop from blocking until then (the idle handle).
  uint64_t turn() const { return turn_; }
  void Defer();
  // False when the loop's handles could not be made: then nothing ticks, and
  // the doorbell must settle everything itself.
  bool ticking() const { return handles_ != nullptr; }

  // Figures for tests and benchmarks.
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t spin_ns() const { return spin_ns_; }

 private:
  struct Handles;
  void Tick();
  void Cool(Napi::Env env);
  void SettleNow(Napi::Env env);

  napi_env env_;
  Target target_;
  std::unique_ptr<Napi::AsyncContext> context_;  // lib runs in a callback scope of it
  std::shared_ptr<std::atomic<bool>> hot_ = std::make_shared<std::atomic<bool>>(false);
  Handles* handles_ = nullptr;  // freed by the last uv_close callback
  uint64_t ewma_ns_ = 0;        // recent submit-to-completion time
  uint64_t cold_until_ns_ = 0;  // no polling before this (after an empty window)
  uint64_t backoff_ns_;         // the next cold spell
  uint32_t empty_in_row_ = 0;   // windows that passed empty since the last hit
  uint64_t hits_ = 0, misses_ = 0, spin_ns_ = 0;
  uint64_t turn_ = 0;      // loop iterations seen (prepare ticks)
  bool deferred_ = false;  // a ring waits for the next prepare
  bool spin_ = true;       // poll before the loop sleeps (else: fairness only)
  bool idle_on_ = false;
};

}  // namespace nativepool::binding
