#include "metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "histogram.h"
#include "test_util.h"

namespace nativepool {
namespace {

using testing::Watchdog;
using namespace std::chrono_literals;

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 20; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 10u);
  EXPECT_EQ(h.percentile(100), 20u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 20u);
}

// Uniform 1..100000: each percentile within the 2^-5 relative bucket error.
TEST(Histogram, PercentilesOfAUniformRangeAreWithinTheBucketError) {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v);
  for (double p : {10.0, 50.0, 90.0, 99.0, 99.9}) {
    double expect = p / 100.0 * 100000;
    double got = static_cast<double>(h.percentile(p));
    EXPECT_GE(got, expect * (1 - 1.0 / 32)) << "p" << p;
    EXPECT_LE(got, expect * (1 + 1.0 / 32)) << "p" << p;
  }
  EXPECT_DOUBLE_EQ(h.mean(), 50000.5);
}

TEST(Histogram, PercentileIsClampedToTheMax) {
  Histogram h;
  h.record(1000);  // its bucket's upper bound is above 1000
  EXPECT_EQ(h.percentile(99), 1000u);
}

TEST(Histogram, BucketUpperBoundsContainTheirValues) {
  for (uint64_t v : {0ull, 31ull, 32ull, 33ull, 1000ull, 123456789ull, ~0ull >> 1, ~0ull}) {
    int i = Histogram::index(v);
    EXPECT_LE(v, Histogram::upper(i)) << v;
    if (i > 0) {
      EXPECT_GT(v, Histogram::upper(i - 1)) << v;
    }
  }
}

TEST(Histogram, ConcurrentRecordsAreAllCounted) {
  Watchdog dog(30s, "histogram concurrent");
  Histogram h;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (uint64_t v = 1; v <= 50000; ++v) h.record(v);
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(h.count(), 200000u);
  EXPECT_EQ(h.sum(), 4 * (50000ull * 50001 / 2));
  EXPECT_EQ(h.max(), 50000u);
  EXPECT_EQ(h.min(), 1u);
}

TEST(Metrics, SnapshotCountsOutcomesAndReportsPercentiles) {
  Metrics m;
  for (int i = 0; i < 4; ++i) m.on_submit();
  m.on_ran(Status::kOk, 100, 1000);
  m.on_ran(Status::kOk, 200, 2000);
  m.on_ran(Status::kError, 300, 3000);
  m.on_cancelled();
  MetricsSnapshot s = m.snapshot();
  EXPECT_EQ(s.submitted, 4u);
  EXPECT_EQ(s.completed, 2u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.cancelled, 1u);
  EXPECT_EQ(s.submitted, s.completed + s.failed + s.cancelled);
  EXPECT_NEAR(static_cast<double>(s.run_p50_ns), 2000, 2000 / 32.0);
  EXPECT_EQ(s.wait_p99_ns, 300u);
}

}  // namespace
}  // namespace nativepool
