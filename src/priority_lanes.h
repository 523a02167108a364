// PriorityLanes: N lanes, each a SpillQueue (lock-free ring + overflow list),
// served in strict priority or weighted order. Lane 0 is the highest.
//
// Protocol:
//   1. push(lane, v) appends to that lane's SpillQueue. FIFO within a lane is
//      the SpillQueue's per-producer FIFO (mpmc_ring.h).
//   2. Strict mode: a pop scans lanes 0..N-1 and takes from the first
//      non-empty one.
//   3. Weighted mode: at construction the weights are laid out as a smooth
//      weighted round-robin schedule (nginx's SWRR), e.g. 5/4/1 ->
//      0 1 0 2 0 1 0 1 0 1 ... with lane i appearing weight[i] times per
//      period. Each pop takes a ticket from a shared counter (one relaxed
//      fetch_add per pop or per batch) and serves schedule[ticket % period].
//      If that lane is empty the turn passes to the next lanes in index order
//      (cyclically), so the pop is work-conserving and no non-empty lane
//      starves: every lane owns at least one slot per period.
// Invariant: when every lane stays backlogged, lane i receives
// weight[i] / sum(weights) of the pops, exactly per period of tickets; with
// concurrent consumers the shares hold up to the tickets in flight.
// Weights summing above kMaxPeriod are scaled down proportionally (each >= 1).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <utility>
#include <vector>

#include "mpmc_ring.h"

namespace nativepool {

template <typename T>
class PriorityLanes {
 public:
  static constexpr uint32_t kMaxPeriod = 4096;

  // weights empty: strict priority. Otherwise one per lane (missing ones are
  // 1, zeros become 1).
  PriorityLanes(uint32_t lanes, std::vector<uint32_t> weights, size_t ring_capacity) {
    lanes = std::max<uint32_t>(1, lanes);
    for (uint32_t i = 0; i < lanes; ++i) lanes_.push_back(std::make_unique<SpillQueue<T>>(ring_capacity));
    if (!weights.empty()) {
      weights.resize(lanes, 1);
      for (auto& w : weights) w = std::max<uint32_t>(1, w);
      schedule_ = make_schedule(weights);
    }
  }

  uint32_t lanes() const { return static_cast<uint32_t>(lanes_.size()); }
  bool weighted() const { return !schedule_.empty(); }
  const std::vector<uint32_t>& schedule() const { return schedule_; }

  // lane is clamped to lanes()-1.
  template <typename U>
  void push(uint32_t lane, U&& v) {
    lanes_[std::min<size_t>(lane, lanes_.size() - 1)]->push(std::forward<U>(v));
  }

  bool try_pop(T& out) { return try_pop_bulk(&out, 1) == 1; }

  // Up to max items in service order.
  size_t try_pop_bulk(T* out, size_t max) {
    if (max == 0) return 0;
    if (schedule_.empty()) {
      size_t n = 0;
      for (auto& lane : lanes_) {
        n += lane->try_pop_bulk(out + n, max - n);
        if (n == max) break;
      }
      return n;
    }
    // relaxed: the ticket only spreads turns; it publishes nothing.
    uint64_t ticket = ticket_.value.fetch_add(max, std::memory_order_relaxed);
    size_t n = 0;
    for (; n < max; ++n) {
      uint32_t first = schedule_[(ticket + n) % schedule_.size()];
      if (!pop_from(first, out[n])) break;
    }
    return n;
  }

  // seq_cst re-check used by the parking protocol (see event_count.h).
  bool maybe_nonempty() const {
    for (auto& lane : lanes_)
      if (lane->maybe_nonempty()) return true;
    return false;
  }

  // Best-effort (relaxed reads).
  size_t size_approx() const {
    size_t n = 0;
    for (auto& lane : lanes_) n += lane->size_approx();
    return n;
  }
  size_t lane_size_approx(uint32_t lane) const { return lanes_[lane]->size_approx(); }

 private:
  // Serve `first`, or pass the turn on cyclically. False iff all looked empty.
  bool pop_from(uint32_t first, T& out) {
    const uint32_t n = lanes();
    for (uint32_t k = 0; k < n; ++k) {
      uint32_t lane = first + k < n ? first + k : first + k - n;
      if (lanes_[lane]->try_pop(out)) return true;
    }
    return false;
  }

  static std::vector<uint32_t> make_schedule(std::vector<uint32_t> w) {
    uint32_t g = 0;
    for (uint32_t x : w) g = std::gcd(g, x);
    uint64_t sum = 0;
    for (auto& x : w) sum += (x /= g);
    if (sum > kMaxPeriod) {
      uint64_t scaled = 0;
      for (auto& x : w) scaled += (x = std::max<uint32_t>(1, static_cast<uint32_t>(x * kMaxPeriod / sum)));
      sum = scaled;
    }
    // Smooth weighted round-robin: each step every lane gains its weight, the
    // richest lane is served and pays the total.
    std::vector<int64_t> credit(w.size(), 0);
    std::vector<uint32_t> out;
    out.reserve(sum);
    for (uint64_t step = 0; step < sum; ++step) {
      size_t best = 0;
      for (size_t i = 0; i < w.size(); ++i) {
        credit[i] += w[i];
        if (credit[i] > credit[best]) best = i;
      }
      credit[best] -= static_cast<int64_t>(sum);
      out.push_back(static_cast<uint32_t>(best));
    }
    return out;
  }

  std::vector<std::unique_ptr<SpillQueue<T>>> lanes_;
  std::vector<uint32_t> schedule_;  // empty: strict mode
  PaddedTicket ticket_;             // weighted mode: next turn; own line
};

}  // namespace nativepool
