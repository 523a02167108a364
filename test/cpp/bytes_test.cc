#include "bytes.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "test_util.h"

namespace nativepool {
namespace {

TEST(ByteCache, ClassSizeIsThePowerOfTwoAtOrAboveTheRequest) {
  EXPECT_EQ(ByteCache::class_size(ByteCache::kMinBytes), ByteCache::kMinBytes);
  EXPECT_EQ(ByteCache::class_size(ByteCache::kMinBytes + 1), 2 * ByteCache::kMinBytes);
  EXPECT_EQ(ByteCache::class_size(size_t{1} << 20), size_t{1} << 20);
  EXPECT_EQ(ByteCache::class_size(ByteCache::kMaxBytes + 1), ByteCache::kMaxBytes + 1);
}

TEST(ByteCache, ReleasedBlockIsReusedForTheSameClass) {
  const size_t n = 300 * 1024;
  void* a = ByteCache::acquire(n);
  std::memset(a, 1, n);
  ByteCache::release(a, n);
  void* b = ByteCache::acquire(n - 1000);  // same 512 KiB class
  EXPECT_EQ(a, b) << "the warm block comes back";
  ByteCache::release(b, n - 1000);
}

TEST(ByteCache, KeepsAtMostItsBudgetIdle) {
  std::vector<void*> blocks;
  const size_t n = size_t{16} << 20;
  for (size_t i = 0; i < ByteCache::kBudget / n + 4; ++i) blocks.push_back(ByteCache::acquire(n));
  for (void* p : blocks) ByteCache::release(p, n);
  EXPECT_LE(ByteCache::idle_bytes(), ByteCache::kBudget);
}

TEST(Bytes, LargeVectorsGrowThroughTheCacheAndKeepTheirContents) {
  Bytes v;
  for (uint32_t i = 0; i < 200000; ++i) v.push_back(static_cast<uint8_t>(i * 7));
  for (uint32_t i = 0; i < 200000; ++i) ASSERT_EQ(v[i], static_cast<uint8_t>(i * 7));
  Bytes moved = std::move(v);
  EXPECT_EQ(moved.size(), 200000u);
}

TEST(ByteCache, ManyThreadsAcquireAndReleaseWithoutLosingBlocks) {
  testing::Watchdog dog(std::chrono::seconds(30), "ByteCache threads");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < static_cast<int>(testing::scaled(2000)); ++i) {
        const size_t n = ByteCache::kMinBytes << ((t + i) % 4);
        auto* p = static_cast<uint8_t*>(ByteCache::acquire(n));
        p[0] = static_cast<uint8_t>(t);
        p[n - 1] = static_cast<uint8_t>(i);
        ASSERT_EQ(p[0], static_cast<uint8_t>(t));
        ByteCache::release(p, n);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(ByteCache::idle_bytes(), ByteCache::kBudget);
}

}  // namespace
}  // namespace nativepool
