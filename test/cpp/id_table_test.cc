// IdTable: the owner's id -> task table. Checked against std::unordered_map
// under random puts and erases, including the shapes the owner makes
// (consecutive ids, settled mostly in order).
#include "id_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

namespace nativepool {
namespace {

TEST(IdTable, PutFindEraseOne) {
  IdTable<int> t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.find(1), nullptr);
  EXPECT_FALSE(t.erase(1));
  t.put(1, 10);
  ASSERT_NE(t.find(1), nullptr);
  EXPECT_EQ(*t.find(1), 10);
  t.put(1, 11);  // replaces
  EXPECT_EQ(*t.find(1), 11);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.erase(1));
  EXPECT_FALSE(t.erase(1));
  EXPECT_EQ(t.find(1), nullptr);
  EXPECT_TRUE(t.empty());
}

TEST(IdTable, ABurstOfConsecutiveIdsGrowsThenGivesTheMemoryBack) {
  IdTable<uint64_t> t;
  constexpr uint64_t kN = 100000;
  for (uint64_t id = 1; id <= kN; ++id) t.put(id, id * 3);
  EXPECT_EQ(t.size(), kN);
  EXPECT_GE(t.capacity(), 2 * kN);
  for (uint64_t id = 1; id <= kN; ++id) {
    uint64_t* v = t.find(id);
    ASSERT_NE(v, nullptr) << id;
    ASSERT_EQ(*v, id * 3);
  }
  EXPECT_EQ(t.find(kN + 1), nullptr);
  for (uint64_t id = 1; id <= kN; ++id) ASSERT_TRUE(t.erase(id)) << id;
  EXPECT_TRUE(t.empty());
  EXPECT_LE(t.capacity(), 256u);
}

TEST(IdTable, ASlidingWindowOfIdsWithStragglersStaysFindable) {
  // The owner's shape: ids issued in order, settled roughly in order, a few
  // held for long (a slow task, a retry waiting), across many table sizes.
  IdTable<uint64_t> t;
  std::unordered_map<uint64_t, uint64_t> want;
  std::mt19937_64 rng(7);
  uint64_t next = 1;
  uint64_t oldest = 1;
  for (int step = 0; step < 400000; ++step) {
    const uint64_t window = 1 + (step / 1000) % 3000;  // grows and shrinks the table
    t.put(next, next);
    want[next] = next;
    ++next;
    while (next - oldest > window) {
      if (rng() % 500 != 0) {  // 1 in 500 stays behind
        if (want.erase(oldest) == 1) {
          ASSERT_TRUE(t.erase(oldest)) << oldest;
        }
      }
      ++oldest;
    }
    if (step % 50000 == 0) {
      for (const auto& [id, v] : want) ASSERT_EQ(t.find(id) != nullptr ? *t.find(id) : 0, v) << id;
    }
  }
  ASSERT_EQ(t.size(), want.size());
  for (const auto& [id, v] : want) {
    ASSERT_NE(t.find(id), nullptr) << id;
    ASSERT_TRUE(t.erase(id));
  }
  EXPECT_TRUE(t.empty());
}

TEST(IdTable, AgreesWithUnorderedMapUnderRandomPutsAndErases) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 20; ++round) {
    IdTable<uint32_t> t;
    std::unordered_map<uint64_t, uint32_t> want;
    // Small key ranges force long probe runs and wrap-around at the end of
    // the table; large ones exercise growth and shrinking.
    const uint64_t range = round % 2 == 0 ? 300 : 1u << 20;
    for (int op = 0; op < 20000; ++op) {
      const uint64_t id = rng() % range;
      const uint32_t v = static_cast<uint32_t>(rng());
      switch (rng() % 3) {
        case 0:
        case 1:
          t.put(id, v);
          want[id] = v;
          break;
        default:
          ASSERT_EQ(t.erase(id), want.erase(id) == 1) << "round " << round << " op " << op;
      }
      ASSERT_EQ(t.size(), want.size());
    }
    for (uint64_t id = 0; id < std::min<uint64_t>(range, 4096); ++id) {
      auto it = want.find(id);
      uint32_t* got = t.find(id);
      if (it == want.end()) {
        ASSERT_EQ(got, nullptr) << id;
      } else {
        ASSERT_NE(got, nullptr) << id;
        ASSERT_EQ(*got, it->second) << id;
      }
    }
    for (const auto& [id, v] : want) {
      uint32_t* got = t.find(id);
      ASSERT_NE(got, nullptr) << id;
      ASSERT_EQ(*got, v);
    }
  }
}

}  // namespace
}  // namespace nativepool
