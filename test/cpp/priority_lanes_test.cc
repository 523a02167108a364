#include "priority_lanes.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_util.h"

namespace nativepool {
namespace {

using testing::scaled;
using testing::Watchdog;
using namespace std::chrono_literals;

TEST(PriorityLanes, StrictServesTheHighestNonEmptyLaneFirst) {
  PriorityLanes<int> q(3, {}, 8);
  q.push(2, 20);
  q.push(1, 10);
  q.push(0, 0);
  q.push(2, 21);
  int out[4];
  ASSERT_EQ(q.try_pop_bulk(out, 4), 4u);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 10);
  EXPECT_EQ(out[2], 20);
  EXPECT_EQ(out[3], 21);
}

TEST(PriorityLanes, StrictTakesAHigherLanePushedBetweenPops) {
  PriorityLanes<int> q(2, {}, 8);
  q.push(1, 10);
  q.push(1, 11);
  int v;
  ASSERT_TRUE(q.try_pop(v));
  EXPECT_EQ(v, 10);
  q.push(0, 0);
  ASSERT_TRUE(q.try_pop(v));
  EXPECT_EQ(v, 0);
}

TEST(PriorityLanes, FifoWithinALaneThroughTheSpill) {
  PriorityLanes<int> q(1, {}, 4);
  for (int i = 0; i < 100; ++i) q.push(0, i);
  int v;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(q.try_pop(v));
    ASSERT_EQ(v, i);
  }
  EXPECT_FALSE(q.try_pop(v));
}

TEST(PriorityLanes, ClampsAnOutOfRangeLaneToTheLowest) {
  PriorityLanes<int> q(2, {}, 4);
  q.push(7, 1);
  EXPECT_EQ(q.lane_size_approx(1), 1u);
}

TEST(PriorityLanes, WeightedScheduleGivesEachLaneItsWeightPerPeriod) {
  PriorityLanes<int> q(3, {50, 40, 10}, 8);
  const auto& s = q.schedule();
  ASSERT_EQ(s.size(), 10u);  // reduced by the gcd: 5/4/1
  int count[3] = {};
  for (uint32_t lane : s) ++count[lane];
  EXPECT_EQ(count[0], 5);
  EXPECT_EQ(count[1], 4);
  EXPECT_EQ(count[2], 1);
  EXPECT_EQ(s[0], 0u);
  EXPECT_NE(s[1], 0u) << "smooth round-robin interleaves lanes";
}

// All lanes backlogged: shares equal the weights exactly per period.
TEST(PriorityLanes, WeightedSharesMatchTheWeightsWithin1Percent) {
  PriorityLanes<int> q(3, {50, 40, 10}, 1024);
  for (int i = 0; i < 30000; ++i) q.push(static_cast<uint32_t>(i % 3), i % 3);
  int count[3] = {};
  int v;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(q.try_pop(v));
    ++count[v];
  }
  EXPECT_NEAR(count[0], 5000, 100);
  EXPECT_NEAR(count[1], 4000, 100);
  EXPECT_NEAR(count[2], 1000, 100);
}

TEST(PriorityLanes, WeightedNeverStarvesALowWeightLane) {
  PriorityLanes<int> q(2, {1000, 1}, 2048);
  for (int i = 0; i < 3000; ++i) q.push(0, 0);
  q.push(1, 1);
  int v;
  int served_at = -1;
  for (int i = 0; i < 1001; ++i) {
    ASSERT_TRUE(q.try_pop(v));
    if (v == 1) served_at = i;
  }
  EXPECT_GE(served_at, 0) << "lane 1 not served within one period of 1001 turns";
}

TEST(PriorityLanes, WeightedPassesAnEmptyLanesTurnOn) {
  PriorityLanes<int> q(3, {50, 40, 10}, 64);
  for (int i = 0; i < 10; ++i) q.push(2, i);
  int out[10];
  ASSERT_EQ(q.try_pop_bulk(out, 10), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(out[i], i);
}

// Two consumers popping concurrently from backlogged lanes: shares within 3
// percentage points of the weights.
TEST(PriorityLanes, WeightedSharesHoldUnderConcurrentConsumersWithin3Points) {
  Watchdog dog(30s, "weighted concurrent");
  const int n = static_cast<int>(scaled(200'000));
  PriorityLanes<int> q(3, {50, 40, 10}, 4096);
  for (int i = 0; i < n; ++i)
    for (int lane = 0; lane < 3; ++lane) q.push(static_cast<uint32_t>(lane), lane);
  std::atomic<int> counts[3] = {};
  std::atomic<int> taken{0};
  const int take = n;  // every lane stays backlogged: lane 0 has n, and takes 50%
  std::vector<std::thread> ts;
  for (size_t batch : {size_t{1}, size_t{8}})
    ts.emplace_back([&q, &counts, &taken, take, batch] {
      int out[8];
      while (taken.load(std::memory_order_relaxed) < take) {
        size_t k = q.try_pop_bulk(out, batch);
        for (size_t i = 0; i < k; ++i) counts[out[i]].fetch_add(1, std::memory_order_relaxed);
        taken.fetch_add(static_cast<int>(k), std::memory_order_relaxed);
      }
    });
  for (auto& t : ts) t.join();
  double total = counts[0] + counts[1] + counts[2];
  EXPECT_NEAR(counts[0] / total, 0.50, 0.03);
  EXPECT_NEAR(counts[1] / total, 0.40, 0.03);
  EXPECT_NEAR(counts[2] / total, 0.10, 0.03);
}

}  // namespace
}  // namespace nativepool
