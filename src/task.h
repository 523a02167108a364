// A unit of work as the core sees it, and the states it moves through.
//
// Ownership: the submitting thread (the owner: the pool's JS thread)
// allocates a Task, pushes it into the Scheduler, and frees it after it comes
// back out of the CompletionQueue (a cancelled one comes back too, as a
// tombstone). Consumers only borrow it between take() and complete() or
// release().
//
// Task::state (who owns the task now):
//
//   kQueued ──claim (consumer, in take)──▶ kTaken ──complete / abandon-fail──▶ kDone
//      │  ▲                                  │ │
//      │  └──────── abandon (requeue) ───────┘ └── cancel, not started ──▶ kDone
//      └──cancel (owner)──▶ kCancelled   (a tombstone: whoever pops it hands it back)
//
// Both ways out of kQueued are CAS, so exactly one of a consumer and the owner
// wins. Every other transition happens under the holding consumer's mutex
// (PoolCore::Consumer::mu), which is what makes cancel() exact.
//
// A held task's slot word (SlotState, one per held-set slot, shared with the
// consumer's thread; JS reads it through an Int32Array) says whether the
// consumer has started it:
//
//   kFree ──take──▶ kTaken ──the consumer starts it (CAS)──▶ kRunning ──(kCompleting)──complete──▶ kFree
//                     │
//                     └──cancel or abandon (CAS)──▶ kCancelled ──release (consumer skips it)──▶ kFree
//
// The consumer's start CAS and the owner's cancel CAS race on one word, so
// exactly one wins: a task is either started or cancelled, never both.
#pragma once

#include <atomic>
#include <cstdint>

#include "bytes.h"

namespace nativepool {

enum class TaskState : uint32_t { kQueued = 0, kTaken = 1, kCancelled = 2, kDone = 3 };

// Mirrored in lib/protocol.js (SLOT); the binding exports these values and a
// test checks the mirror.
// kCompleting: the consumer finished the task and its result is on the way
// to the core (from a child process, through its proxy); cancel() then
// answers kFinished, never kRunning, so no consumer is stopped for a task
// that is already done.
enum class SlotState : int32_t { kFree = 0, kTaken = 1, kRunning = 2, kCancelled = 3, kCompleting = 4 };

// What happened to a task. Mirrored in lib/protocol.js (STATUS).
enum class Status : uint32_t {
  kOk = 0,           // result holds the handler's return value
  kError = 1,        // result holds the thrown value (or is empty: see lib)
  kCancelled = 2,    // a tombstone: its owner cancelled it while it was queued
  kWorkerExited = 3, // the consumer running it went away before completing it
  kShutdown = 4,     // the pool shut down before any consumer started it
};

// What PoolCore::cancel() found, the way uv_cancel answers. Mirrored in
// lib/protocol.js (CANCEL).
enum class CancelResult : uint32_t {
  kRemoved = 0,     // was queued: it stays in the lanes as a tombstone and never runs
  kNotStarted = 1,  // was held by a consumer that had not started it: it skips it, and it comes back as a tombstone
  kRunning = 2,     // a consumer is running it: only stopping that consumer stops it
  kFinished = 3,    // it completed (or failed); its result is on the way to the owner
};

struct Task {
  Task* next = nullptr;  // intrusive link: completion stack, overflow lists
  uint64_t id = 0;       // the owner's id for this task (JS settles by it)
  uint32_t lane = 0;     // priority lane; 0 is the highest
  uint32_t handler = 0;  // index into the pool's (filename, name) table
  bool exclusive = false;  // runs alone on its consumer (set at submit)
  // Taken back from a consumer that is being stopped (reclaim_unstarted):
  // its slot word reads kCancelled, but release() and abandon() put it back
  // in line instead of returning a tombstone. Under the holder's mutex.
  bool reclaimed = false;
  std::atomic<uint32_t> state{static_cast<uint32_t>(TaskState::kQueued)};
  // The consumer that claimed it. Written before the claim CAS, so whoever
  // sees kTaken (acquire) sees the holder too.
  std::atomic<uint32_t> holder{UINT32_MAX};
  // Its slot in the holder's held set. Written under the holder's mutex;
  // atomic because cancel() may read it under a previous holder's mutex.
  std::atomic<uint32_t> slot{0};
  Status status = Status::kOk;
  // The owner settled it already (abort, timeout): when it comes back out of
  // the completion queue it is freed unsettled. Owner thread only.
  bool settled_early = false;
  // The owner may run it again (retries): on failure its payload is kept for
  // another attempt. Owner thread only.
  bool retain = false;
  uint64_t enqueue_ns = 0;  // steady clock, set at submit
  uint64_t start_ns = 0;    // set by the consumer when it takes the task
  uint64_t end_ns = 0;      // set by the consumer when it completes the task
  Bytes payload;  // wire-encoded argument
  Bytes result;   // wire-encoded result or error

  // Back to a fresh Task's state, keeping the payload's and result's
  // buffers (TaskCache). Every field above is reset here: a field added to
  // Task must be added here too (task_cache_test checks a reset Task
  // against a new one). Owner thread only, on a task no consumer holds.
  void reset() {
    next = nullptr;
    id = 0;
    lane = 0;
    handler = 0;
    exclusive = false;
    reclaimed = false;
    state.store(static_cast<uint32_t>(TaskState::kQueued), std::memory_order_relaxed);
    holder.store(UINT32_MAX, std::memory_order_relaxed);
    slot.store(0, std::memory_order_relaxed);
    status = Status::kOk;
    settled_early = false;
    retain = false;
    enqueue_ns = 0;
    start_ns = 0;
    end_ns = 0;
    payload.clear();
    result.clear();
  }

  // Called by a consumer right after popping it: claims the task unless its
  // owner cancelled it first. acq_rel: acquire pairs with the owner's release
  // in try_cancel(); release publishes `holder` to a cancel() that fails.
  bool try_claim() {
    uint32_t expected = static_cast<uint32_t>(TaskState::kQueued);
    return state.compare_exchange_strong(
        expected, static_cast<uint32_t>(TaskState::kTaken),
        std::memory_order_acq_rel, std::memory_order_acquire);
  }
  // Called by the owner: true if the task was queued and now never runs.
  // acq_rel: release pairs with the acquire in try_claim(); on failure the
  // acquire pairs with try_claim()'s release, so `holder` is readable.
  bool try_cancel() {
    uint32_t expected = static_cast<uint32_t>(TaskState::kQueued);
    return state.compare_exchange_strong(
        expected, static_cast<uint32_t>(TaskState::kCancelled),
        std::memory_order_acq_rel, std::memory_order_acquire);
  }
};

uint64_t now_ns();

}  // namespace nativepool
