// The figures stats() reads from the core: exact histogram counts at bucket
// bounds, queue depth net of tombstones, the queue's peak, and what each
// consumer holds, runs and has done.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "histogram.h"
#include "pool_core.h"

namespace nativepool {
namespace {

Task* MakeTask(uint64_t id, uint32_t lane = 0) {
  auto* t = new Task();
  t->id = id;
  t->lane = lane;
  return t;
}

void FreeCompleted(PoolCore& core) {
  for (Task* t = core.drain(); t != nullptr;) {
    Task* next = t->next;
    delete t;
    t = next;
  }
}

bool Start(PoolCore::Consumer& c, uint32_t slot) {
  int32_t expected = static_cast<int32_t>(SlotState::kTaken);
  return c.words[slot].compare_exchange_strong(expected, static_cast<int32_t>(SlotState::kRunning));
}

TEST(HistogramBounds, ABoundIsTheLargestValueOfItsBucketAtOrBelowTheValue) {
  for (uint64_t v : {0ull, 1ull, 31ull, 32ull, 33ull, 999ull, 1000ull, 1000000ull, 60000000000ull}) {
    const uint64_t b = Histogram::bound_at_or_below(v);
    EXPECT_LE(b, v) << v;
    EXPECT_EQ(Histogram::upper(Histogram::index(b)), b) << v << ": " << b << " is a bucket bound";
    EXPECT_GT(Histogram::upper(Histogram::index(b) + 1), v) << v << ": no larger bound fits below it";
  }
  EXPECT_EQ(Histogram::bound_at_or_below(20), 20u) << "small values are their own buckets";
}

TEST(HistogramBounds, CumulativeCountsAtBoundsAreExact) {
  Histogram h;
  std::vector<uint64_t> values;
  for (uint64_t v = 1; v < 5000000; v = v * 3 / 2 + 7) values.push_back(v);
  for (uint64_t v : values) h.record(v);
  std::vector<uint64_t> edges;
  for (uint64_t e : {10ull, 1000ull, 25000ull, 100000ull, 1000000ull, 4000000ull})
    edges.push_back(Histogram::bound_at_or_below(e));
  std::vector<uint64_t> out(edges.size());
  EXPECT_EQ(h.cumulative(edges.data(), edges.size(), out.data()), values.size());
  for (size_t k = 0; k < edges.size(); ++k) {
    uint64_t expect = 0;
    for (uint64_t v : values) expect += v <= edges[k] ? 1 : 0;
    EXPECT_EQ(out[k], expect) << "records <= " << edges[k];
    if (k > 0) {
      EXPECT_GE(out[k], out[k - 1]);
    }
  }
}

TEST(PoolCoreFigures, QueuedCountsEachLaneAndLeavesTombstonesOut) {
  SchedulerOptions o;
  o.lanes = 3;
  PoolCore core(o);
  std::vector<Task*> ts;
  for (uint64_t i = 0; i < 6; ++i) ts.push_back(MakeTask(i, i % 2 == 0 ? 0 : 2));
  ts.push_back(MakeTask(6, 7));  // clamped to the last lane
  for (Task* t : ts) core.submit(t);
  EXPECT_EQ(core.queued_approx(0), 3u);
  EXPECT_EQ(core.queued_approx(1), 0u);
  EXPECT_EQ(core.queued_approx(2), 4u);
  EXPECT_EQ(core.queued_approx(9), 0u) << "a lane out of range is empty";
  PoolCore::ConsumerId holder = 0;
  ASSERT_EQ(core.cancel(ts[0], &holder), CancelResult::kRemoved);
  ASSERT_EQ(core.cancel(ts[6], &holder), CancelResult::kRemoved);
  EXPECT_EQ(core.queued_approx(0), 2u) << "a tombstone is not waiting";
  EXPECT_EQ(core.queued_approx(2), 3u);
  EXPECT_EQ(core.queued_approx(), 5u);
  auto c = core.add_consumer(16);
  uint32_t slots[16];
  Task* tasks[16];
  size_t n = core.take(*c, slots, tasks, 16, false);
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(core.queued_approx(), 0u) << "the popped tombstones leave the count";
  EXPECT_EQ(core.metrics().peak_queued(), 5u) << "the take saw 5 waiting";
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(Start(*c, slots[i]));
    core.complete(*c, slots[i], Status::kOk, {});
  }
  FreeCompleted(core);
}

TEST(PoolCoreFigures, ShutdownTakeQueuedAccountsForTombstones) {
  PoolCore core(SchedulerOptions{});
  Task* a = MakeTask(0);
  Task* b = MakeTask(1);
  core.submit(a);
  core.submit(b);
  PoolCore::ConsumerId holder = 0;
  ASSERT_EQ(core.cancel(a, &holder), CancelResult::kRemoved);
  core.scheduler().shutdown();
  std::vector<Task*> out;
  core.take_queued(&out);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(core.queued_approx(), 0u);
  for (Task* t : out) delete t;
}

TEST(PoolCoreFigures, AConsumerReportsWhatItHoldsRunsAndCompleted) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(8);
  for (uint64_t i = 0; i < 3; ++i) core.submit(MakeTask(i));
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*c, slots, tasks, 8, false), 3u);
  PoolCore::ConsumerFigures f;
  ASSERT_TRUE(core.consumer_figures(c->id, &f));
  EXPECT_EQ(f.held, 3u);
  EXPECT_EQ(f.running, 0u);
  EXPECT_EQ(f.done, 0u);
  ASSERT_TRUE(Start(*c, slots[0]));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(core.consumer_figures(c->id, &f));
  EXPECT_EQ(f.running, 1u);
  EXPECT_GE(f.running_ns, 2000000u) << "it has run since the take";
  ASSERT_EQ(f.running_slots.size(), 1u);
  EXPECT_EQ(f.running_slots[0], slots[0]);
  ASSERT_TRUE(core.complete(*c, slots[0], Status::kOk, {}));
  ASSERT_TRUE(Start(*c, slots[1]));
  ASSERT_TRUE(core.complete(*c, slots[1], Status::kError, {}));
  ASSERT_TRUE(core.consumer_figures(c->id, &f));
  EXPECT_EQ(f.held, 1u);
  EXPECT_EQ(f.running, 0u);
  EXPECT_EQ(f.running_ns, 0u);
  EXPECT_EQ(f.done, 2u) << "completions count, whatever their status";
  EXPECT_GT(f.age_ns, 0u);
  EXPECT_LE(f.busy_ns, f.age_ns);
  core.remove_consumer(c->id);
  EXPECT_FALSE(core.consumer_figures(c->id, &f)) << "a removed consumer has no figures";
  FreeCompleted(core);
}

}  // namespace
}  // namespace nativepool
