// Histogram: a log-linear bucket histogram of nanosecond durations that many
// threads record into without locks and one thread reads.
//
// Layout: values below 2^kSubBits fall into exact buckets; above that, each
// power of two [2^k, 2^(k+1)) is split into 2^kSubBits linear sub-buckets, so
// the relative error of a percentile is at most 2^-kSubBits (~3% at 5 bits).
// (The HdrHistogram layout, G. Tene, with a fixed precision.)
//
// Counters are relaxed atomics: a reader may see a record's bucket before its
// sum or max; figures are best-effort snapshots, like MPMCQueue's size().
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace nativepool {

class Histogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

  void record(uint64_t v) {
    buckets_[index(v)].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
    uint64_t m = max_.load(std::memory_order_relaxed);
    while (v > m && !max_.compare_exchange_weak(m, v, std::memory_order_relaxed)) {
    }
    uint64_t lo = min_.load(std::memory_order_relaxed);
    while (v < lo && !min_.compare_exchange_weak(lo, v, std::memory_order_relaxed)) {
    }
  }

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t max() const { return max_.load(std::memory_order_relaxed); }
  uint64_t min() const {
    return count() == 0 ? 0 : min_.load(std::memory_order_relaxed);
  }
  double mean() const {
    uint64_t n = count();
    return n == 0 ? 0.0 : static_cast<double>(sum()) / static_cast<double>(n);
  }

  // Standard deviation estimated from bucket midpoints (best-effort).
  double stddev() const {
    uint64_t n = 0;
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < kBuckets; ++i) {
      uint64_t c = buckets_[i].load(std::memory_order_relaxed);
      if (c == 0) continue;
      double lo = i == 0 ? 0.0 : static_cast<double>(upper(i - 1) + 1);
      double mid = (lo + static_cast<double>(upper(i))) / 2.0;
      n += c;
      sum += mid * static_cast<double>(c);
      sum_sq += mid * mid * static_cast<double>(c);
    }
    if (n < 2) return 0.0;
    double mean = sum / static_cast<double>(n);
    double var = sum_sq / static_cast<double>(n) - mean * mean;
    return var > 0 ? std::sqrt(var) : 0.0;
  }

  // The smallest recorded bucket value v such that at least p% of records are
  // <= v (upper bound of that bucket, clamped to max). p in [0, 100].
  uint64_t percentile(double p) const {
    uint64_t total = 0;
    for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
    if (total == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(total) + 0.5);
    if (rank < 1) rank = 1;
    if (rank > total) rank = total;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen >= rank) {
        uint64_t hi = upper(i);
        uint64_t m = max();
        return hi < m ? hi : m;
      }
    }
    return max();
  }

  // The largest bucket bound <= v (a bound is the largest value of its
  // bucket, upper(i)). Counting records <= a bound is exact, so a
  // Prometheus `le` edge placed on one has exact cumulative counts.
  static uint64_t bound_at_or_below(uint64_t v) {
    const int i = index(v);
    return upper(i) == v || i == 0 ? upper(i) : upper(i - 1);
  }

  // out[k] = records <= edges[k], for `edges` ascending bounds
  // (bound_at_or_below). Returns the count over all buckets, read in the
  // same pass: the counts are cumulative, monotone and never exceed it,
  // even while other threads record.
  uint64_t cumulative(const uint64_t* edges, size_t n, uint64_t* out) const {
    uint64_t seen = 0;
    size_t k = 0;
    for (int i = 0; i < kBuckets; ++i) {
      while (k < n && index(edges[k]) < i) out[k++] = seen;
      seen += buckets_[i].load(std::memory_order_relaxed);
    }
    while (k < n) out[k++] = seen;
    return seen;
  }

  void reset() {
    for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
    count_.store(0, std::memory_order_relaxed);
    sum_.store(0, std::memory_order_relaxed);
    max_.store(0, std::memory_order_relaxed);
    min_.store(UINT64_MAX, std::memory_order_relaxed);
  }

  static int index(uint64_t v) {
    if (v < static_cast<uint64_t>(kSub)) return static_cast<int>(v);
    int msb = 63 - std::countl_zero(v);  // >= kSubBits
    int shift = msb - kSubBits;
    int sub = static_cast<int>((v >> shift) & (kSub - 1));
    return (shift + 1) * kSub + sub;
  }
  // Largest value that maps to bucket i.
  static uint64_t upper(int i) {
    if (i < kSub) return static_cast<uint64_t>(i);
    int shift = i / kSub - 1;
    uint64_t sub = static_cast<uint64_t>(i % kSub);
    uint64_t lo = (static_cast<uint64_t>(kSub) + sub) << shift;
    return lo + ((uint64_t{1} << shift) - 1);
  }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
  std::atomic<uint64_t> min_{UINT64_MAX};
};

}  // namespace nativepool
