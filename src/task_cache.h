// TaskCache: settled Tasks kept by their owner for its next submits.
//
// Why: every task costs its owner a Task and a payload buffer, and its
// result buffer is allocated by the worker that ran it and freed by the
// owner; in a burst of small tasks those mallocs and frees (half of them
// crossing threads, so glibc takes the worker's arena lock) were a fifth
// of the owner thread's time. A Task that comes back through the
// completion queue is reset and kept, and the next submit takes it
// instead, with its payload buffer. (Its result buffer is kept too, but
// PoolCore::complete() replaces it with the worker's: the worker frees it.)
//
// Protocol: owner thread only (the pool's JS thread allocates and frees
// every Task). give(t) takes a Task nothing else refers to any more (it
// came back out of the completion queue, or was never submitted); take()
// returns a fresh-state Task. At most kMaxTasks are kept, and a buffer
// larger than kMaxKeptBytes is let go rather than kept.
#pragma once

#include <cstddef>
#include <vector>

#include "task.h"

namespace nativepool {

class TaskCache {
 public:
  static constexpr size_t kMaxTasks = 4096;
  static constexpr size_t kMaxKeptBytes = 1024;

  TaskCache() = default;
  TaskCache(const TaskCache&) = delete;
  TaskCache& operator=(const TaskCache&) = delete;
  ~TaskCache() {
    for (Task* t : free_) delete t;
  }

  Task* take() {
    if (free_.empty()) return new Task();
    Task* t = free_.back();
    free_.pop_back();
    return t;
  }

  void give(Task* t) {
    if (t == nullptr) return;
    if (free_.size() >= kMaxTasks) {
      delete t;
      return;
    }
    t->reset();
    if (t->payload.capacity() > kMaxKeptBytes) Bytes().swap(t->payload);
    if (t->result.capacity() > kMaxKeptBytes) Bytes().swap(t->result);
    free_.push_back(t);
  }

  size_t size() const { return free_.size(); }

 private:
  std::vector<Task*> free_;
};

}  // namespace nativepool
