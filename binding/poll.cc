#include "poll.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "task.h"  // now_ns()

// The part of libuv 1.x this file uses (its ABI is stable across 1.x).
extern "C" {
struct uv_loop_s;
struct uv_handle_s;
typedef void (*np_uv_cb)(uv_handle_s*);
size_t uv_handle_size(int type);
int uv_prepare_init(uv_loop_s*, uv_handle_s*);
int uv_prepare_start(uv_handle_s*, np_uv_cb);
int uv_prepare_stop(uv_handle_s*);
int uv_idle_init(uv_loop_s*, uv_handle_s*);
int uv_idle_start(uv_handle_s*, np_uv_cb);
int uv_idle_stop(uv_handle_s*);
void uv_unref(uv_handle_s*);
void uv_close(uv_handle_s*, np_uv_cb);
void uv_handle_set_data(uv_handle_s*, void*);
void* uv_handle_get_data(const uv_handle_s*);
}

namespace nativepool::binding {

namespace {
// uv_handle_type values (uv.h's UV_HANDLE_TYPE_MAP order, fixed in 1.x).
constexpr int kUvIdle = 6;
constexpr int kUvPrepare = 9;

// Tuning, in one place.
//  kHotInFlight: poll only while at most this many tasks are in flight (a
//    caller awaiting a few results); a backlog is served by the doorbell.
//  kMinWindowNs / kMaxWindowNs: bounds of one poll; a pool whose tasks
//    take longer than kMaxWindowNs to come back never polls.
//  kBackoffNs: after kEmptyBeforeBackoff windows in a row pass empty, no
//    polling for this long, doubled after each further empty window (to
//    kMaxBackoffNs) and reset by a hit: when the results' threads are not
//    running (the machine is oversubscribed), spinning here only takes CPU
//    from them. One empty window is not that (a worker preempted once, a
//    GC on its thread); backing off after each one (200 us) left an idle
//    sequential caller on the doorbell for 10-30% of its round trips.
constexpr uint64_t kHotInFlight = 4;
constexpr uint64_t kMinWindowNs = 20'000;
constexpr uint64_t kMaxWindowNs = 50'000;
constexpr uint32_t kEmptyBeforeBackoff = 2;
constexpr uint64_t kBackoffNs = 50'000;
constexpr uint64_t kMaxBackoffNs = 50'000'000;
//  kYieldAfterNs: a window spins on the CPU this long, then yields it
//    between looks. On this 2-vCPU VM the poll, a worker's spin and the
//    worker running the task are three busy threads: without yielding, 1-5%
//    of round trips missed the window (their worker was waiting for a CPU)
//    and the misses made the p99; yielding after 5 us, 99.5% hit.
constexpr uint64_t kYieldAfterNs = 5'000;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
}  // namespace

struct CompletionPoll::Handles {
  CompletionPoll* poll = nullptr;  // null once closed
  uv_handle_s* prepare = nullptr;
  uv_handle_s* idle = nullptr;
  int open = 0;  // handles not yet closed
  napi_async_cleanup_hook_handle hook = nullptr;

  static void OnPrepare(uv_handle_s* h) {
    auto* self = static_cast<Handles*>(uv_handle_get_data(h));
    if (self->poll != nullptr) self->poll->Tick();
  }
  static void OnIdle(uv_handle_s*) {}  // exists to keep the loop from blocking
  static void OnClosed(uv_handle_s* h) {
    auto* self = static_cast<Handles*>(uv_handle_get_data(h));
    std::free(h);
    if (--self->open > 0) return;
    if (self->hook != nullptr) napi_remove_async_cleanup_hook(self->hook);
    delete self;
  }
  // Closes both handles; the last close callback frees this.
  void CloseAll() {
    if (poll == nullptr) return;
    poll = nullptr;
    uv_prepare_stop(prepare);
    uv_idle_stop(idle);
    uv_close(prepare, &OnClosed);
    uv_close(idle, &OnClosed);
  }
  // The environment is going away: close now, tell Node when done.
  static void OnEnvCleanup(napi_async_cleanup_hook_handle, void* arg) {
    auto* self = static_cast<Handles*>(arg);
    if (self->poll != nullptr) {
      self->poll->handles_ = nullptr;
      self->CloseAll();
    }
  }
};

CompletionPoll::CompletionPoll(napi_env env, Target target, bool spin)
    : env_(env), target_(std::move(target)), backoff_ns_(kBackoffNs), spin_(spin) {
  context_ = std::make_unique<Napi::AsyncContext>(env, "nativepool.poll");
  uv_loop_s* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return;  // no polling: the doorbell serves
  auto* h = new Handles();
  h->prepare = static_cast<uv_handle_s*>(std::calloc(1, uv_handle_size(kUvPrepare)));
  h->idle = static_cast<uv_handle_s*>(std::calloc(1, uv_handle_size(kUvIdle)));
  if (h->prepare == nullptr || h->idle == nullptr || uv_prepare_init(loop, h->prepare) != 0) {
    std::free(h->prepare);
    std::free(h->idle);
    delete h;
    return;
  }
  h->open = 1;
  uv_handle_set_data(h->prepare, h);
  if (uv_idle_init(loop, h->idle) != 0) {
    std::free(h->idle);
    h->idle = nullptr;
    uv_close(h->prepare, &Handles::OnClosed);
    return;
  }
  h->open = 2;
  uv_handle_set_data(h->idle, h);
  uv_unref(h->prepare);
  uv_unref(h->idle);
  h->poll = this;
  napi_add_async_cleanup_hook(env, &Handles::OnEnvCleanup, h, &h->hook);
  uv_prepare_start(h->prepare, &Handles::OnPrepare);
  handles_ = h;
}

CompletionPoll::~CompletionPoll() { Close(); }

void CompletionPoll::Close() {
  hot_->store(false, std::memory_order_seq_cst);
  if (handles_ == nullptr) return;
  handles_->CloseAll();
  handles_ = nullptr;
}

void CompletionPoll::Observe(uint64_t latency_ns) {
  // EWMA with weight 1/8: a burst's queueing fades after a few dozen tasks.
  // A sample counts for at most 2 * kMaxWindowNs: one task that came back
  // late (its worker preempted for a few ms) does not stop the polling for
  // the dozens of round trips it would take to fade; tasks that keep taking
  // that long still lift the average past kMaxWindowNs.
  if (latency_ns > 2 * kMaxWindowNs) latency_ns = 2 * kMaxWindowNs;
  ewma_ns_ = ewma_ns_ == 0 ? latency_ns : ewma_ns_ - ewma_ns_ / 8 + latency_ns / 8;
}

void CompletionPoll::Defer() {
  deferred_ = true;
  // The queue stays non-empty, so no consumer rings again: the loop must
  // come back to the prepare handle without blocking.
  if (!idle_on_ && handles_ != nullptr) {
    uv_idle_start(handles_->idle, &Handles::OnIdle);
    idle_on_ = true;
  }
}

void CompletionPoll::Tick() {
  Napi::Env env(env_);
  ++turn_;
  if (deferred_) {
    // What the doorbell put off last iteration (see Defer()): one drain per
    // iteration while a burst keeps completing.
    deferred_ = false;
    if (target_.pending()) SettleNow(env);
    if (target_.pending()) Defer();
  } else if (idle_on_ && !hot_->load(std::memory_order_relaxed) && handles_ != nullptr) {
    uv_idle_stop(handles_->idle);  // the deferred work is done: the loop may block again
    idle_on_ = false;
  }
  if (!spin_) return;
  const uint64_t live = target_.in_flight();
  if (live == 0 || live > kHotInFlight || ewma_ns_ > kMaxWindowNs) return Cool(env);
  if (cold_until_ns_ != 0) {
    if (now_ns() < cold_until_ns_) return Cool(env);
    cold_until_ns_ = 0;
  }
  uint64_t window = 2 * ewma_ns_;
  window = window < kMinWindowNs ? kMinWindowNs : window > kMaxWindowNs ? kMaxWindowNs : window;
  if (!hot_->load(std::memory_order_relaxed)) {
    hot_->store(true, std::memory_order_seq_cst);
    if (!idle_on_) {
      uv_idle_start(handles_->idle, &Handles::OnIdle);
      idle_on_ = true;
    }
  }
  const uint64_t start = now_ns();
  uint64_t now = start;
  while (!target_.pending()) {
    for (int i = 0; i < 16; ++i) CpuRelax();
    now = now_ns();
    // Past the first microseconds, let a thread waiting for this CPU have
    // it (the worker whose result we wait for, on a machine with fewer CPUs
    // than busy threads).
    if (now - start >= kYieldAfterNs) std::this_thread::yield();
    if (now - start >= window) {
      // The window may have passed while this thread was not running (the
      // machine gave its CPU away): what came in meanwhile is a hit.
      if (target_.pending()) break;
      spin_ns_ += now - start;
      ++misses_;
      if (++empty_in_row_ >= kEmptyBeforeBackoff) {
        cold_until_ns_ = now + backoff_ns_;
        backoff_ns_ = backoff_ns_ * 2 > kMaxBackoffNs ? kMaxBackoffNs : backoff_ns_ * 2;
      }
      return Cool(env);
    }
  }
  spin_ns_ += now - start;
  ++hits_;
  empty_in_row_ = 0;
  backoff_ns_ = kBackoffNs;
  SettleNow(env);
}

// Leaves hot mode; a completion pushed while we were hot is settled here.
void CompletionPoll::Cool(Napi::Env env) {
  if (!hot_->load(std::memory_order_relaxed)) return;
  hot_->store(false, std::memory_order_relaxed);
  // seq_cst fence: the Dekker partner of the fence in the doorbell, between
  // a consumer's push and its read of hot (binding/pool.cc).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (idle_on_ && !deferred_ && handles_ != nullptr) {
    uv_idle_stop(handles_->idle);
    idle_on_ = false;
  }
  if (target_.pending()) SettleNow(env);
}

void CompletionPoll::SettleNow(Napi::Env env) {
  Napi::HandleScope scope(env);
  // Closing the scope runs the promise reactions lib's settling queued.
  Napi::CallbackScope callback(env, *context_);
  try {
    target_.settle(env);
  } catch (const Napi::Error& e) {
    // As from the doorbell: lib's error goes to 'uncaughtException'.
    if (!e.Value().IsEmpty()) napi_fatal_exception(env, e.Value());
  }
}

}  // namespace nativepool::binding
