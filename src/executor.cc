#include "executor.h"

#include <exception>
#include <string_view>
#include <utility>

namespace nativepool {

namespace {
void set_message(Task* t, std::string_view msg) { t->result.assign(msg.begin(), msg.end()); }
}  // namespace

Executor::Executor(ExecutorOptions options, Doorbell doorbell)
    : scheduler_(options.scheduler), doorbell_(std::move(doorbell)) {
  uint32_t n = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  size_t batch = options.batch == 0 ? 1 : options.batch;
  workers_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    Scheduler::ConsumerId id = scheduler_.add_consumer();
    workers_.emplace_back([this, id, batch] { worker_loop(id, batch); });
  }
}

Executor::~Executor() { shutdown(ShutdownMode::kCancelQueued); }

bool Executor::submit(Task* t) {
  // seq_cst (both): Dekker pair with shutdown(), which stores closed_ then
  // reads submitting_. Either shutdown sees this submit in flight and waits
  // for its push, or this submit sees closed_ and backs out.
  submitting_.fetch_add(1, std::memory_order_seq_cst);
  if (closed_.load(std::memory_order_seq_cst)) {
    submitting_.fetch_sub(1, std::memory_order_release);
    return false;
  }
  t->enqueue_ns = now_ns();
  t->status = Status::kOk;
  metrics_.on_submit();
  scheduler_.push(t);
  // release: the push happens-before shutdown()'s acquire read of 0.
  submitting_.fetch_sub(1, std::memory_order_release);
  return true;
}

void Executor::shutdown(ShutdownMode mode) {
  if (closed_.exchange(true, std::memory_order_seq_cst)) {
    // Someone else shut down; wait until they joined so "returns after join"
    // holds for every caller.
    while (!joined_.load(std::memory_order_acquire)) std::this_thread::yield();
    return;
  }
  // seq_cst: the other half of the Dekker pair in submit(); it also
  // acquires the release decrement there (the push happened before).
  while (submitting_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  cancel_queued_.store(mode == ShutdownMode::kCancelQueued, std::memory_order_relaxed);
  // The scheduler's shutdown store (seq_cst) orders cancel_queued_ before any
  // worker's take() returns 0.
  scheduler_.shutdown();
  for (auto& w : workers_) w.join();
  // kDrain: the workers emptied the lanes. kCancelQueued: whatever is left.
  Task* t;
  while (scheduler_.try_take(&t, 1) == 1) finish_unrun(t, Status::kShutdown);
  joined_.store(true, std::memory_order_release);
}

void Executor::worker_loop(Scheduler::ConsumerId id, size_t batch) {
  std::vector<Task*> buf(batch);
  while (size_t n = scheduler_.take(id, buf.data(), batch))
    for (size_t i = 0; i < n; ++i) run_one(buf[i], id);
  if (cancel_queued_.load(std::memory_order_relaxed)) return;
  // Graceful: run what is still queued, shared with the other workers.
  while (size_t n = scheduler_.try_take(buf.data(), batch))
    for (size_t i = 0; i < n; ++i) run_one(buf[i], id);
}

void Executor::run_one(Task* t, Scheduler::ConsumerId id) {
  t->start_ns = now_ns();
  if (!t->try_claim()) {  // the owner's cancel() won
    finish_unrun(t, Status::kCancelled);
    return;
  }
  t->holder.store(static_cast<int32_t>(id), std::memory_order_relaxed);  // best-effort read
  if (!t->native) {
    t->status = Status::kError;
    set_message(t, "nativepool: task has no native callable");
  } else {
    try {
      t->native(*t);
    } catch (const std::exception& e) {
      t->status = Status::kError;
      set_message(t, e.what());
    } catch (...) {
      t->status = Status::kError;
      set_message(t, "nativepool: non-std::exception thrown by a native task");
    }
  }
  t->end_ns = now_ns();
  metrics_.on_ran(t->status == Status::kError ? Status::kError : Status::kOk,
                  t->start_ns - t->enqueue_ns, t->end_ns - t->start_ns);
  complete(t);
}

void Executor::finish_unrun(Task* t, Status status) {
  // A task the owner cancelled stays kCancelled even if shutdown finds it.
  if (status == Status::kShutdown && !t->try_cancel()) status = Status::kCancelled;
  t->status = status;
  t->end_ns = now_ns();
  metrics_.on_cancelled();
  complete(t);
}

void Executor::complete(Task* t) {
  if (completions_.push(t) && doorbell_) doorbell_();
}

}  // namespace nativepool
