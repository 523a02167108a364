// Metrics: counters and wait/run histograms that consumers update without
// locks and any thread reads as a best-effort snapshot.
//
// Every update is a relaxed atomic RMW: figures are statistics, not control;
// a snapshot may see a task's `completed` before its `run` sample (like
// Histogram, and MPMCQueue's size()). Counters the submitting thread bumps
// sit on a different cache line from the ones consumers bump.
//
// Accounting: each submitted task ends in exactly one of
//   completed (ran, Status::kOk), failed (ran: Status::kError, or
//   kWorkerExited), or cancelled (never ran: a cancel, or Status::kShutdown),
// so at quiescence submitted == completed + failed + cancelled.
#pragma once

#include <atomic>
#include <cstdint>

#include "histogram.h"
#include "mpmc_ring.h"  // kCacheLine
#include "task.h"

namespace nativepool {

struct MetricsSnapshot {
  uint64_t submitted = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t cancelled = 0;
  uint64_t wait_p50_ns = 0, wait_p99_ns = 0;
  uint64_t run_p50_ns = 0, run_p99_ns = 0;
};

class Metrics {
 public:
  void on_submit() { submitted_.fetch_add(1, std::memory_order_relaxed); }
  // A consumer finished running a task; status is kOk, kError or
  // kWorkerExited (it was running when its consumer went away).
  void on_ran(Status status, uint64_t wait_ns, uint64_t run_ns) {
    wait.record(wait_ns);
    run.record(run_ns);
    busy_ns_.fetch_add(run_ns, std::memory_order_relaxed);
    (status == Status::kOk ? completed_ : failed_).fetch_add(1, std::memory_order_relaxed);
  }
  // A task that never ran: cancelled while queued or held, or shut down.
  void on_cancelled() { cancelled_.fetch_add(1, std::memory_order_relaxed); }
  // A consumer saw `queued` tasks waiting as it came to take some. The queue
  // only shrinks through takes, so the largest size a take sees is the
  // queue's peak (up to the relaxed reads), or the queue is at its peak now.
  // One relaxed load per take; a store only on a new peak.
  void on_queue_seen(uint64_t queued) {
    uint64_t m = peak_queued_.load(std::memory_order_relaxed);
    while (queued > m && !peak_queued_.compare_exchange_weak(m, queued, std::memory_order_relaxed)) {
    }
  }

  uint64_t submitted() const { return submitted_.load(std::memory_order_relaxed); }
  uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
  uint64_t cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  uint64_t busy_ns() const { return busy_ns_.load(std::memory_order_relaxed); }
  uint64_t peak_queued() const { return peak_queued_.load(std::memory_order_relaxed); }

  MetricsSnapshot snapshot() const {
    MetricsSnapshot s;
    s.submitted = submitted();
    s.completed = completed();
    s.failed = failed();
    s.cancelled = cancelled();
    s.wait_p50_ns = wait.percentile(50);
    s.wait_p99_ns = wait.percentile(99);
    s.run_p50_ns = run.percentile(50);
    s.run_p99_ns = run.percentile(99);
    return s;
  }

  Histogram wait;  // enqueue -> start, ns
  Histogram run;   // start -> end, ns

 private:
  // Bumped by the submitting thread; its own line, away from the consumers'.
  alignas(kCacheLine) std::atomic<uint64_t> submitted_{0};
  // Bumped by consumers (and by the owner for cancellations).
  alignas(kCacheLine) std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> cancelled_{0};
  std::atomic<uint64_t> busy_ns_{0};  // sum of run times, for utilization
  // Read by every take, written on a new peak only: its own line, away from
  // the per-task counters above.
  alignas(kCacheLine) std::atomic<uint64_t> peak_queued_{0};
};

}  // namespace nativepool
