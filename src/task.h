// A unit of work as the core sees it.
//
// Ownership: the submitting thread (the pool's JS thread) allocates a Task,
// pushes it into the Scheduler, and frees it after it comes back out of the
// CompletionQueue. Consumers only borrow it between take() and complete().
//
// Exactly-once: `state` decides who owns a queued task. A consumer that takes
// it moves kQueued -> kTaken; the owner cancelling it moves kQueued ->
// kCancelled. Both are CAS, so exactly one wins; a consumer that loses still
// routes the task to the completion queue so the owner frees it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "bytes.h"

namespace nativepool {

enum class TaskState : uint32_t { kQueued = 0, kTaken = 1, kCancelled = 2 };

// What happened to a task. Mirrored in lib/protocol.js (STATUS).
enum class Status : uint32_t {
  kOk = 0,           // result holds the handler's return value
  kError = 1,        // result holds the thrown value
  kCancelled = 2,    // removed from the queue before any consumer ran it
  kWorkerExited = 3, // the consumer holding it went away before completing it
  kShutdown = 4,     // the pool was destroyed with the task still queued
};

struct Task {
  Task* next = nullptr;  // intrusive link: completion stack, overflow lists
  uint64_t id = 0;       // the owner's id for this task (JS settles by it)
  uint32_t lane = 0;     // priority lane; 0 is the highest
  uint32_t handler = 0;  // index into the pool's (filename, name) table
  std::atomic<uint32_t> state{static_cast<uint32_t>(TaskState::kQueued)};
  std::atomic<int32_t> holder{-1};  // consumer id once taken (best-effort read)
  uint32_t issue_seq = 0;  // its place in its consumer's take order (PoolCore)
  Status status = Status::kOk;
  uint64_t enqueue_ns = 0;  // steady clock, set at submit
  uint64_t start_ns = 0;    // set by the consumer when it takes the task
  uint64_t end_ns = 0;      // set by the consumer when it completes the task
  Bytes payload;  // wire-encoded argument
  Bytes result;   // wire-encoded result or error
  std::function<void(Task&)> native;  // native executor body (no JS involved)

  // Called by a consumer right after take(): claims the task unless its owner
  // cancelled it first. acq_rel: acquire pairs with the owner's release in
  // try_cancel(); release publishes the claim to it.
  bool try_claim() {
    uint32_t expected = static_cast<uint32_t>(TaskState::kQueued);
    return state.compare_exchange_strong(
        expected, static_cast<uint32_t>(TaskState::kTaken),
        std::memory_order_acq_rel, std::memory_order_acquire);
  }
  // Called by the owner: true if the task will never run.
  bool try_cancel() {
    uint32_t expected = static_cast<uint32_t>(TaskState::kQueued);
    return state.compare_exchange_strong(
        expected, static_cast<uint32_t>(TaskState::kCancelled),
        std::memory_order_acq_rel, std::memory_order_acquire);
  }
};

uint64_t now_ns();

}  // namespace nativepool
