// Executor: N std::thread consumers of a Scheduler running Task::native
// callables (C++ kernels: no JS, no isolate), with completions returned
// through a CompletionQueue and a doorbell.
//
// Task life (ownership as in task.h: the caller allocates and frees):
//   1. submit(t): stamps enqueue_ns, pushes t onto lane t->lane. False (t not
//      queued, still the caller's) once shutdown has begun.
//   2. A worker takes t, claims it (Task::try_claim), runs t->native(*t) with
//      status preset to kOk (the callable may set kError and a result
//      itself). An exception becomes Status::kError with what() in `result`
//      (bytes of the message, not NUL-terminated); nothing is swallowed.
//      If the claim fails (cancel() won), t completes as kCancelled unrun.
//   3. The worker pushes t onto the CompletionQueue; the push that makes it
//      non-empty rings the doorbell (from the worker's thread). The owner
//      calls drain_completions() and frees each task it gets back.
// Every submitted task comes back exactly once, whatever happens: run,
// cancelled, or shut down (Status::kShutdown).
//
// Shutdown (idempotent; joins the workers; call from the owner, not from a
// callable or the doorbell):
//   kDrain:        stop accepting, run everything already queued, then stop.
//   kCancelQueued: stop accepting, let running callables finish, complete
//                  every still-queued task as kShutdown without running it.
// The destructor does kCancelQueued if no shutdown happened; drain the
// completions before destroying the tasks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "completion_queue.h"
#include "metrics.h"
#include "scheduler.h"
#include "task.h"

namespace nativepool {

struct ExecutorOptions {
  uint32_t threads = 0;        // 0: std::thread::hardware_concurrency() (>= 1)
  SchedulerOptions scheduler;  // lanes and weights
  size_t batch = 1;            // tasks a worker takes at once (short tasks: raise it)
};

class Executor {
 public:
  using Doorbell = std::function<void()>;
  enum class ShutdownMode { kDrain, kCancelQueued };

  // `doorbell` may be empty (then poll drain_completions()).
  explicit Executor(ExecutorOptions options = {}, Doorbell doorbell = nullptr);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Thread-safe. False once shutdown has begun (t untouched, still yours).
  bool submit(Task* t);
  // True if t will never run; it still comes back as kCancelled.
  static bool cancel(Task* t) { return t->try_cancel(); }
  // Single consumer (the owner). The batch in completion order, linked by
  // `next`, or nullptr.
  Task* drain_completions() { return completions_.drain(); }

  void shutdown(ShutdownMode mode);

  uint32_t threads() const { return static_cast<uint32_t>(workers_.size()); }
  const Metrics& metrics() const { return metrics_; }
  Scheduler& scheduler() { return scheduler_; }

 private:
  void worker_loop(Scheduler::ConsumerId id, size_t batch);
  void run_one(Task* t, Scheduler::ConsumerId id);
  void finish_unrun(Task* t, Status status);
  void complete(Task* t);

  Scheduler scheduler_;
  CompletionQueue completions_;
  Doorbell doorbell_;
  Metrics metrics_;
  std::vector<std::thread> workers_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> cancel_queued_{false};
  std::atomic<uint32_t> submitting_{0};  // submits in flight (closes the race with shutdown)
  std::atomic<bool> joined_{false};
};

}  // namespace nativepool
