// PoolCore: the exactly-once path a task takes between the owner and the
// consumers, including consumers that die with tasks in hand.
#include "pool_core.h"

#include <gtest/gtest.h>

#include <random>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "test_util.h"

namespace nativepool {
namespace {

using testing::scaled;
using testing::Watchdog;

Task* MakeTask(uint64_t id) {
  auto* t = new Task();
  t->id = id;
  return t;
}

// Drains completions into `seen` (id -> status), freeing the tasks.
size_t DrainInto(PoolCore& core, std::vector<int>& seen) {
  size_t n = 0;
  for (Task* t = core.drain(); t != nullptr;) {
    Task* next = t->next;
    EXPECT_LT(t->id, seen.size());
    EXPECT_EQ(seen[t->id], -1) << "task " << t->id << " settled twice";
    seen[t->id] = static_cast<int>(t->status);
    delete t;
    t = next;
    ++n;
  }
  return n;
}

TEST(PoolCore, CompletesATakenTaskAndRingsOncePerBatch) {
  PoolCore core(SchedulerOptions{});
  std::atomic<int> rings{0};
  core.set_doorbell([&] { rings.fetch_add(1); });
  auto c = core.add_consumer();
  for (uint64_t i = 0; i < 3; ++i) core.submit(MakeTask(i));
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*c, slots, tasks, 8, false), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(core.complete(*c, slots[i], Status::kOk, {}));
  EXPECT_EQ(rings.load(), 1) << "three completions before a drain ring once";
  EXPECT_FALSE(core.complete(*c, slots[0], Status::kOk, {})) << "a slot completes once";
  std::vector<int> seen(3, -1);
  EXPECT_EQ(DrainInto(core, seen), 3u);
  for (int s : seen) EXPECT_EQ(s, static_cast<int>(Status::kOk));
  EXPECT_EQ(core.metrics().completed.load(), 3u);
  EXPECT_EQ(core.metrics().run.count(), 3u);
}

TEST(PoolCore, CancelledTaskComesBackAsATombstone) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer();
  Task* a = MakeTask(0);
  Task* b = MakeTask(1);
  core.submit(a);
  core.submit(b);
  ASSERT_TRUE(a->try_cancel());
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*c, slots, tasks, 8, false), 1u);
  EXPECT_EQ(tasks[0], b);
  std::vector<int> seen(2, -1);
  DrainInto(core, seen);
  EXPECT_EQ(seen[0], static_cast<int>(Status::kCancelled));
  EXPECT_EQ(seen[1], -1);
  core.complete(*c, slots[0], Status::kOk, {});
  DrainInto(core, seen);
  EXPECT_EQ(seen[1], static_cast<int>(Status::kOk));
}

TEST(PoolCore, AbandonFailsStartedTasksAndRequeuesTheRest) {
  PoolCore core(SchedulerOptions{});
  auto dying = core.add_consumer();  // alone, so its fair share is all five
  for (uint64_t i = 0; i < 5; ++i) core.submit(MakeTask(i));
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*dying, slots, tasks, 8, false), 5u);
  ASSERT_TRUE(core.complete(*dying, slots[0], Status::kOk, {}));
  dying->progress[0] = 2;  // started tasks 1 and 2 (ids 0 and 1), then died
  EXPECT_EQ(core.abandon(*dying), 1u) << "only the started, unfinished task fails";
  EXPECT_EQ(core.abandon(*dying), 0u) << "abandon is idempotent";
  std::vector<int> seen(5, -1);
  DrainInto(core, seen);
  EXPECT_EQ(seen[0], static_cast<int>(Status::kOk));
  EXPECT_EQ(seen[1], static_cast<int>(Status::kWorkerExited));
  core.remove_consumer(dying->id);
  auto heir = core.add_consumer();
  ASSERT_EQ(core.take(*heir, slots, tasks, 8, false), 3u) << "the unstarted three are back in line";
  for (int i = 0; i < 3; ++i) core.complete(*heir, slots[i], Status::kOk, {});
  DrainInto(core, seen);
  for (int i = 2; i < 5; ++i) EXPECT_EQ(seen[i], static_cast<int>(Status::kOk)) << i;
}

TEST(PoolCore, TakesOnlyAFairShareOfTheQueue) {
  PoolCore core(SchedulerOptions{});
  auto a = core.add_consumer();
  auto b = core.add_consumer();
  for (uint64_t i = 0; i < 3; ++i) core.submit(MakeTask(i));
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*a, slots, tasks, 8, false), 1u) << "3 queued, 2 consumers: a batch of 1";
  core.complete(*a, slots[0], Status::kOk, {});
  ASSERT_EQ(core.take(*b, slots + 1, tasks, 8, false), 1u);
  core.complete(*b, slots[1], Status::kOk, {});
  ASSERT_EQ(core.take(*a, slots, tasks, 8, false), 1u);
  core.complete(*a, slots[0], Status::kOk, {});
  std::vector<int> seen(3, -1);
  EXPECT_EQ(DrainInto(core, seen), 3u);
}

TEST(PoolCore, AbandonedConsumerTakesNothingMore) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer();
  core.abandon(*c);
  core.submit(MakeTask(0));
  uint32_t slots[1];
  Task* tasks[1];
  EXPECT_EQ(core.take(*c, slots, tasks, 1, true), 0u) << "a stopped consumer returns at once";
  auto other = core.add_consumer();
  EXPECT_EQ(core.take(*other, slots, tasks, 1, false), 1u);
  core.complete(*other, slots[0], Status::kOk, {});
  std::vector<int> seen(1, -1);
  DrainInto(core, seen);
}

// Consumers take in batches and die at random points while an owner keeps
// submitting and cancelling: every task is settled exactly once, and every
// task that was neither cancelled nor running on a dying consumer succeeds.
TEST(PoolCore, EveryTaskSettlesExactlyOnceWhileConsumersDie) {
  Watchdog dog(std::chrono::seconds(60), "PoolCore stress");
  const size_t kTasks = scaled(200000);
  PoolCore core(SchedulerOptions{});
  std::atomic<bool> done{false};
  std::atomic<uint64_t> exited{0};

  auto consumer_loop = [&](unsigned seed) {
    std::mt19937 rng(seed);
    while (!done.load(std::memory_order_acquire)) {
      auto c = core.add_consumer();
      uint32_t slots[16];
      Task* tasks[16];
      int32_t started = 0;
      bool died = false;
      while (!died && !done.load(std::memory_order_acquire)) {
        size_t n = core.take(*c, slots, tasks, 16, false);
        if (n == 0) {
          std::this_thread::yield();
          continue;
        }
        for (size_t i = 0; i < n; ++i) {
          c->progress[0] = ++started;
          if (rng() % 5000 == 0) {
            died = true;  // dies holding this task and the rest of the batch
            break;
          }
          core.complete(*c, slots[i], Status::kOk, {});
        }
      }
      exited.fetch_add(core.abandon(*c));
      core.remove_consumer(c->id);
    }
  };

  std::vector<std::thread> consumers;
  for (unsigned i = 0; i < 3; ++i) consumers.emplace_back(consumer_loop, 1234 + i);

  std::vector<int> seen(kTasks, -1);
  std::vector<Task*> live(kTasks, nullptr);
  size_t cancelled = 0;
  size_t settled = 0;
  for (uint64_t i = 0; i < kTasks; ++i) {
    Task* t = MakeTask(i);
    live[i] = t;
    core.submit(t);
    if (i % 97 == 0 && i > 0 && seen[i - 1] == -1 && live[i - 1]->try_cancel()) ++cancelled;
    if (i % 256 == 0) settled += DrainInto(core, seen);
  }
  while (settled < kTasks) {
    size_t n = DrainInto(core, seen);
    settled += n;
    if (n == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  done.store(true, std::memory_order_release);
  for (auto& t : consumers) t.join();

  size_t ok = 0, exit_count = 0, cancel_count = 0;
  for (int s : seen) {
    ASSERT_NE(s, -1) << "a task was lost";
    if (s == static_cast<int>(Status::kOk)) ++ok;
    if (s == static_cast<int>(Status::kWorkerExited)) ++exit_count;
    if (s == static_cast<int>(Status::kCancelled)) ++cancel_count;
  }
  EXPECT_EQ(cancel_count, cancelled);
  EXPECT_EQ(exit_count, exited.load());
  EXPECT_EQ(ok + exit_count + cancel_count, kTasks);
}

}  // namespace
}  // namespace nativepool
