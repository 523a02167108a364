// CompletionQueue: multi-producer, single-consumer, drained as a batch.
//
// Protocol (a Treiber stack with a take-all consumer):
//   1. push(t): t->next = head; CAS(head, t->next -> t). The push that finds
//      head == nullptr made the queue non-empty and returns true: its caller
//      rings the doorbell. Every other push returns false: a drain is already
//      owed, so no extra wake-up is needed.
//   2. drain(): exchange(head, nullptr) takes every pushed task at once, then
//      reverses the list so the batch is in push order (FIFO per producer).
//   3. After drain() returns, the next push sees nullptr and rings again, so a
//      task pushed concurrently with a drain is never stranded.
// Invariant: a doorbell is owed exactly when head != nullptr.
// Reference: R. K. Treiber, "Systems Programming: Coping with Parallelism",
// IBM RJ 5118, 1986; the take-all drain is libuv's uv__queue_move idea.
#pragma once

#include <atomic>

#include "task.h"

namespace nativepool {

class CompletionQueue {
 public:
  CompletionQueue() = default;
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  // Returns true iff this push made the queue non-empty.
  bool push(Task* t) {
    Task* old = head_.load(std::memory_order_relaxed);
    do {
      t->next = old;
      // release: publishes *t (result, status) to the drainer; pairs with the
      // acquire exchange in drain().
    } while (!head_.compare_exchange_weak(old, t, std::memory_order_release,
                                          std::memory_order_relaxed));
    return old == nullptr;
  }

  // Single consumer. Returns the batch in push order, linked by `next`, or
  // nullptr if empty.
  Task* drain() {
    // acquire: pairs with the release CAS in push(); makes every pushed
    // task's fields visible before we read them.
    Task* list = head_.exchange(nullptr, std::memory_order_acquire);
    Task* reversed = nullptr;
    while (list != nullptr) {
      Task* next = list->next;
      list->next = reversed;
      reversed = list;
      list = next;
    }
    return reversed;
  }

  // Best-effort: may be stale by the time the caller looks.
  bool empty_approx() const {
    return head_.load(std::memory_order_relaxed) == nullptr;
  }

 private:
  std::atomic<Task*> head_{nullptr};
};

}  // namespace nativepool
