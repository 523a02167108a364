#include "mpmc_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "test_util.h"

namespace nativepool {
namespace {

using testing::scaled;
using testing::Tracked;
using testing::Watchdog;
using namespace std::chrono_literals;

TEST(MpmcRing, CapacityRoundsUpToAPowerOfTwo) {
  EXPECT_EQ(MpmcRing<int>(1).capacity(), 2u);
  EXPECT_EQ(MpmcRing<int>(5).capacity(), 8u);
  EXPECT_EQ(MpmcRing<int>(64).capacity(), 64u);
}

TEST(MpmcRing, TryPopFailsWhenEmpty) {
  MpmcRing<int> q(4);
  int v = -1;
  EXPECT_FALSE(q.try_pop(v));
  EXPECT_EQ(v, -1);
  EXPECT_FALSE(q.maybe_nonempty());
}

TEST(MpmcRing, TryPushFailsWhenFullAndLeavesTheValue) {
  MpmcRing<std::unique_ptr<int>> q(2);
  EXPECT_TRUE(q.try_push(std::make_unique<int>(1)));
  EXPECT_TRUE(q.try_push(std::make_unique<int>(2)));
  auto extra = std::make_unique<int>(3);
  EXPECT_FALSE(q.try_push(std::move(extra)));
  ASSERT_NE(extra, nullptr) << "a failed push must not consume its argument";
  EXPECT_EQ(q.size_approx(), 2u);
}

TEST(MpmcRing, PopsInFifoOrderAcrossManyLaps) {
  MpmcRing<uint64_t> q(8);
  uint64_t next_in = 0, next_out = 0;
  for (int lap = 0; lap < 1000; ++lap) {
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.try_push(next_in++));
    uint64_t v;
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(q.try_pop(v));
      ASSERT_EQ(v, next_out++);
    }
  }
  EXPECT_FALSE(q.maybe_nonempty());
}

TEST(MpmcRing, BulkPushStopsAtCapacityAndBulkPopReturnsAPrefix) {
  MpmcRing<int> q(4);
  int in[6] = {0, 1, 2, 3, 4, 5};
  EXPECT_EQ(q.try_push_bulk(in, 6), 4u);
  int out[6] = {};
  EXPECT_EQ(q.try_pop_bulk(out, 3), 3u);
  EXPECT_EQ(q.try_pop_bulk(out + 3, 3), 1u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], i);
}

TEST(MpmcRing, DestroysElementsLeftInTheRingExactlyOnce) {
  int64_t before = Tracked::live().load();
  {
    MpmcRing<Tracked> q(8);
    for (uint64_t i = 0; i < 6; ++i) ASSERT_TRUE(q.try_push(Tracked(i)));
    Tracked t;
    ASSERT_TRUE(q.try_pop(t));
    EXPECT_EQ(t.get(), 0u);
  }
  EXPECT_EQ(Tracked::live().load(), before);
}

// P producers push disjoint ranges; C consumers pop. Every value is seen
// exactly once and the sum matches n*(n-1)/2.
TEST(MpmcRing, StressManyProducersManyConsumersSeeEveryItemOnce) {
  Watchdog dog(60s, "MpmcRing stress");
  constexpr int kProducers = 4, kConsumers = 4;
  const uint64_t n = scaled(2'000'000);
  MpmcRing<uint64_t> q(64);  // small: forces wrap-around and full/empty races
  std::vector<std::atomic<uint8_t>> seen(n);
  std::atomic<uint64_t> popped{0}, sum{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p)
    threads.emplace_back([&, p] {
      for (uint64_t v = p; v < n; v += kProducers)
        while (!q.try_push(v)) std::this_thread::yield();
    });
  for (int c = 0; c < kConsumers; ++c)
    threads.emplace_back([&] {
      uint64_t local = 0, v;
      while (popped.load(std::memory_order_relaxed) < n) {
        if (q.try_pop(v)) {
          seen[v].fetch_add(1, std::memory_order_relaxed);
          local += v;
          popped.fetch_add(1, std::memory_order_relaxed);
        } else {
          std::this_thread::yield();
        }
      }
      sum.fetch_add(local);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(sum.load(), n * (n - 1) / 2);
  for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << "item " << i;
}

TEST(MpmcRing, StressTrackedElementsAreDestroyedExactlyOnce) {
  Watchdog dog(60s, "MpmcRing tracked stress");
  int64_t before = Tracked::live().load();
  const uint64_t n = scaled(400'000);
  {
    MpmcRing<Tracked> q(32);
    std::atomic<uint64_t> popped{0}, sum{0};
    std::vector<std::thread> threads;
    for (int p = 0; p < 2; ++p)
      threads.emplace_back([&, p] {
        for (uint64_t v = p; v < n; v += 2) {
          Tracked t(v);
          while (!q.try_push(std::move(t))) std::this_thread::yield();
        }
      });
    for (int c = 0; c < 2; ++c)
      threads.emplace_back([&] {
        Tracked t;
        while (popped.load(std::memory_order_relaxed) < n) {
          if (q.try_pop(t)) {
            sum.fetch_add(t.get(), std::memory_order_relaxed);
            popped.fetch_add(1, std::memory_order_relaxed);
          } else {
            std::this_thread::yield();
          }
        }
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(sum.load(), n * (n - 1) / 2);
  }
  EXPECT_EQ(Tracked::live().load(), before);
}

TEST(SpillQueue, PushNeverFailsAndSpillsWhenTheRingIsFull) {
  SpillQueue<int> q(4);
  for (int i = 0; i < 10; ++i) q.push(i);
  EXPECT_EQ(q.spilled_approx(), 6u);
  EXPECT_EQ(q.size_approx(), 10u);
  EXPECT_TRUE(q.maybe_nonempty());
}

TEST(SpillQueue, KeepsFifoAcrossTheSpillAndBack) {
  SpillQueue<int> q(4);
  int next_in = 0, next_out = 0, v;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i) q.push(next_in++);  // 4 in the ring, 3 spilled
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(q.try_pop(v));
      ASSERT_EQ(v, next_out++);
    }
    q.push(next_in++);  // still spilling: the list is not empty
    while (q.try_pop(v)) ASSERT_EQ(v, next_out++);
    ASSERT_EQ(q.spilled_approx(), 0u);
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(SpillQueue, BulkPopTakesTheRingThenTheSpill) {
  SpillQueue<int> q(2);
  for (int i = 0; i < 5; ++i) q.push(i);
  int out[8];
  ASSERT_EQ(q.try_pop_bulk(out, 8), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(out[i], i);
}

// Each consumer sees every producer's items in increasing order (per-producer
// FIFO), every item exactly once, with a ring small enough to spill often.
TEST(SpillQueue, StressPerProducerFifoAndExactlyOnce) {
  Watchdog dog(60s, "SpillQueue stress");
  constexpr int kProducers = 3, kConsumers = 3;
  const uint64_t per = scaled(600'000);
  SpillQueue<uint64_t> q(16);
  std::atomic<uint64_t> popped{0}, sum{0};
  std::atomic<bool> order_ok{true};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p)
    threads.emplace_back([&, p] {
      for (uint64_t i = 0; i < per; ++i) q.push((uint64_t(p) << 40) | i);
    });
  for (int c = 0; c < kConsumers; ++c)
    threads.emplace_back([&] {
      std::vector<int64_t> last(kProducers, -1);
      uint64_t local = 0, v;
      while (popped.load(std::memory_order_relaxed) < per * kProducers) {
        if (!q.try_pop(v)) {
          std::this_thread::yield();
          continue;
        }
        int p = static_cast<int>(v >> 40);
        int64_t i = static_cast<int64_t>(v & ((uint64_t(1) << 40) - 1));
        if (i <= last[p]) order_ok = false;
        last[p] = i;
        local += static_cast<uint64_t>(i);
        popped.fetch_add(1, std::memory_order_relaxed);
      }
      sum.fetch_add(local);
    });
  for (auto& t : threads) t.join();
  EXPECT_TRUE(order_ok.load()) << "a consumer saw a producer's items out of order";
  EXPECT_EQ(sum.load(), kProducers * (per * (per - 1) / 2));
  EXPECT_FALSE(q.maybe_nonempty());
}

}  // namespace
}  // namespace nativepool
