// PoolCore: the exactly-once path a task takes between the owner and the
// consumers, including consumers that die with tasks in hand.
#include "pool_core.h"

#include <gtest/gtest.h>

#include <random>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <tuple>
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

// The consumer's side of starting a held task: the CAS lib/worker.js does
// on the slot word through an Int32Array.
bool Start(PoolCore::Consumer& c, uint32_t slot) {
  int32_t expected = static_cast<int32_t>(SlotState::kTaken);
  return c.words[slot].compare_exchange_strong(expected, static_cast<int32_t>(SlotState::kRunning));
}

constexpr uint32_t kSlots = 16;

TEST(PoolCore, CompletesATakenTaskAndRingsOncePerBatch) {
  PoolCore core(SchedulerOptions{});
  std::atomic<int> rings{0};
  core.set_doorbell([&] { rings.fetch_add(1); });
  auto c = core.add_consumer(kSlots);
  for (uint64_t i = 0; i < 3; ++i) core.submit(MakeTask(i));
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*c, slots, tasks, 8, false), 3u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Start(*c, slots[i]));
    EXPECT_TRUE(core.complete(*c, slots[i], Status::kOk, {}));
  }
  EXPECT_EQ(rings.load(), 1) << "three completions before a drain ring once";
  EXPECT_FALSE(core.complete(*c, slots[0], Status::kOk, {})) << "a slot completes once";
  std::vector<int> seen(3, -1);
  EXPECT_EQ(DrainInto(core, seen), 3u);
  for (int s : seen) EXPECT_EQ(s, static_cast<int>(Status::kOk));
  EXPECT_EQ(core.metrics().completed(), 3u);
  EXPECT_EQ(core.metrics().run.count(), 3u);
}

TEST(PoolCore, CancelOfAQueuedTaskLeavesATombstone) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(kSlots);
  Task* a = MakeTask(0);
  Task* b = MakeTask(1);
  core.submit(a);
  core.submit(b);
  PoolCore::ConsumerId holder = 0;
  ASSERT_EQ(core.cancel(a, &holder), CancelResult::kRemoved);
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*c, slots, tasks, 8, false), 1u);
  EXPECT_EQ(tasks[0], b);
  std::vector<int> seen(2, -1);
  DrainInto(core, seen);
  EXPECT_EQ(seen[0], static_cast<int>(Status::kCancelled)) << "the tombstone comes back to be freed";
  EXPECT_EQ(seen[1], -1);
  ASSERT_TRUE(Start(*c, slots[0]));
  core.complete(*c, slots[0], Status::kOk, {});
  DrainInto(core, seen);
  EXPECT_EQ(seen[1], static_cast<int>(Status::kOk));
  EXPECT_EQ(core.metrics().cancelled(), 1u);
}

TEST(PoolCore, CancelOfAHeldTaskNotYetStartedLeavesItToTheConsumerWhichSkipsAndReturnsIt) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(kSlots);
  Task* a = MakeTask(0);
  Task* b = MakeTask(1);
  core.submit(a);
  core.submit(b);
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*c, slots, tasks, 8, false), 2u);
  ASSERT_TRUE(Start(*c, slots[0]));  // a runs; b waits in the same batch
  PoolCore::ConsumerId holder = 0;
  ASSERT_EQ(core.cancel(b, &holder), CancelResult::kNotStarted);
  // The consumer may still read b's payload: it stays b's until released.
  EXPECT_EQ(tasks[1], b);
  EXPECT_FALSE(Start(*c, slots[1])) << "the consumer's start CAS loses to the cancel";
  EXPECT_EQ(c->words[slots[1]].load(), static_cast<int32_t>(SlotState::kCancelled));
  EXPECT_EQ(core.cancel(b, &holder), CancelResult::kNotStarted) << "a second cancel changes nothing";
  EXPECT_FALSE(core.complete(*c, slots[1], Status::kOk, {})) << "a cancelled slot cannot complete";
  EXPECT_TRUE(core.release(*c, slots[1]));
  EXPECT_FALSE(core.release(*c, slots[1])) << "released once";
  ASSERT_TRUE(core.complete(*c, slots[0], Status::kOk, {}));
  std::vector<int> seen(2, -1);
  EXPECT_EQ(DrainInto(core, seen), 2u) << "the result, and the tombstone to free";
  EXPECT_EQ(seen[0], static_cast<int>(Status::kOk));
  EXPECT_EQ(seen[1], static_cast<int>(Status::kCancelled));
  EXPECT_EQ(core.abandon(*c), 0u) << "nothing else was held";
}

TEST(PoolCore, CancelOfARunningTaskNamesItsConsumer) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(kSlots);
  Task* a = MakeTask(0);
  core.submit(a);
  uint32_t slots[1];
  Task* tasks[1];
  ASSERT_EQ(core.take(*c, slots, tasks, 1, false), 1u);
  ASSERT_TRUE(Start(*c, slots[0]));
  PoolCore::ConsumerId holder = 0;
  EXPECT_EQ(core.cancel(a, &holder), CancelResult::kRunning);
  EXPECT_EQ(holder, c->id);
  EXPECT_EQ(core.abandon(*c), 1u) << "stopping the consumer fails the running task";
  std::vector<int> seen(1, -1);
  DrainInto(core, seen);
  EXPECT_EQ(seen[0], static_cast<int>(Status::kWorkerExited));
}

TEST(PoolCore, RunningTasksListsOnlyStartedTasksWithTheirConsumerAndSlot) {
  PoolCore core(SchedulerOptions{});
  auto c1 = core.add_consumer(kSlots);
  auto c2 = core.add_consumer(kSlots);
  for (uint64_t i = 0; i < 5; ++i) core.submit(MakeTask(i));
  std::vector<PoolCore::RunningTask> running;
  core.running_tasks(&running);
  EXPECT_TRUE(running.empty()) << "queued tasks are not running";
  uint32_t s1[2], s2[2];
  Task* t1[2];
  Task* t2[2];
  ASSERT_EQ(core.take(*c1, s1, t1, 2, false), 2u);
  ASSERT_EQ(core.take(*c2, s2, t2, 1, false), 1u);
  core.running_tasks(&running);
  EXPECT_TRUE(running.empty()) << "held, not started";
  ASSERT_TRUE(Start(*c1, s1[1]));
  ASSERT_TRUE(Start(*c2, s2[0]));
  core.running_tasks(&running);
  ASSERT_EQ(running.size(), 2u);
  std::set<std::tuple<uint64_t, PoolCore::ConsumerId, uint32_t>> got;
  for (const auto& r : running) {
    got.emplace(r.id, r.consumer, r.slot);
    EXPECT_EQ(r.task->id, r.id);
  }
  std::set<std::tuple<uint64_t, PoolCore::ConsumerId, uint32_t>> want{
      {t1[1]->id, c1->id, s1[1]}, {t2[0]->id, c2->id, s2[0]}};
  EXPECT_EQ(got, want);
  ASSERT_TRUE(core.complete(*c1, s1[1], Status::kOk, {}));
  core.running_tasks(&running);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].id, t2[0]->id);
  // Tear down: finish the rest so every task is freed exactly once.
  ASSERT_TRUE(Start(*c1, s1[0]));
  ASSERT_TRUE(core.complete(*c1, s1[0], Status::kOk, {}));
  ASSERT_TRUE(core.complete(*c2, s2[0], Status::kOk, {}));
  std::vector<Task*> rest;
  core.take_queued(&rest, 0);
  for (Task* t : rest) delete t;
  std::vector<int> seen(5, -1);
  EXPECT_EQ(DrainInto(core, seen), 3u);
}

TEST(PoolCore, ReclaimOfAStoppingConsumerPutsItsUnstartedTasksBackInLine) {
  PoolCore core(SchedulerOptions{});
  auto c1 = core.add_consumer(kSlots);
  for (uint64_t i = 0; i < 3; ++i) core.submit(MakeTask(i));
  uint32_t s[3];
  Task* t[3];
  ASSERT_EQ(core.take(*c1, s, t, 3, false), 3u);  // alone: its fair share is all
  auto c2 = core.add_consumer(kSlots);
  ASSERT_TRUE(Start(*c1, s[0]));  // running: stays with c1
  EXPECT_EQ(core.reclaim_unstarted(*c1), 2u);
  EXPECT_FALSE(Start(*c1, s[1])) << "a reclaimed task cannot start on the stopping consumer";
  // Nothing more for c1, even with work queued.
  core.submit(MakeTask(3));
  uint32_t s1[4];
  Task* t1[4];
  EXPECT_EQ(core.take(*c1, s1, t1, 4, false), 0u);
  // c1 skips the first one (release: back in line); the second is still in
  // its slot when c1 goes away (abandon: back in line too).
  ASSERT_TRUE(core.release(*c1, s[1]));
  EXPECT_EQ(core.abandon(*c1), 1u) << "only the started task fails";
  uint32_t s2[8];
  Task* t2[8];
  std::set<uint64_t> retaken;
  for (size_t n; (n = core.take(*c2, s2, t2, 8, false)) > 0;) {
    for (size_t i = 0; i < n; ++i) {
      retaken.insert(t2[i]->id);
      ASSERT_TRUE(Start(*c2, s2[i]));
      ASSERT_TRUE(core.complete(*c2, s2[i], Status::kOk, {}));
    }
  }
  EXPECT_EQ(retaken, (std::set<uint64_t>{1, 2, 3}));
  std::vector<int> seen(4, -1);
  EXPECT_EQ(DrainInto(core, seen), 4u);
  EXPECT_EQ(seen[0], static_cast<int>(Status::kWorkerExited));
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(seen[id], static_cast<int>(Status::kOk)) << id;
}

TEST(PoolCore, CancelOfAReclaimedTaskMakesItATombstoneNotARequeue) {
  PoolCore core(SchedulerOptions{});
  auto c1 = core.add_consumer(kSlots);
  core.submit(MakeTask(0));
  core.submit(MakeTask(1));
  uint32_t s[2];
  Task* t[2];
  ASSERT_EQ(core.take(*c1, s, t, 2, false), 2u);
  auto c2 = core.add_consumer(kSlots);
  EXPECT_EQ(core.reclaim_unstarted(*c1), 2u);
  PoolCore::ConsumerId holder = 0;
  EXPECT_EQ(core.cancel(t[0], &holder), CancelResult::kNotStarted);
  ASSERT_TRUE(core.release(*c1, s[0]));  // a tombstone now
  EXPECT_EQ(core.abandon(*c1), 0u);      // t[1]: back in line
  uint32_t s2[4];
  Task* t2[4];
  ASSERT_EQ(core.take(*c2, s2, t2, 4, false), 1u);
  EXPECT_EQ(t2[0]->id, 1u);
  ASSERT_TRUE(Start(*c2, s2[0]));
  ASSERT_TRUE(core.complete(*c2, s2[0], Status::kOk, {}));
  std::vector<int> seen(2, -1);
  EXPECT_EQ(DrainInto(core, seen), 2u);
  EXPECT_EQ(seen[0], static_cast<int>(Status::kCancelled));
  EXPECT_EQ(seen[1], static_cast<int>(Status::kOk));
}

TEST(PoolCore, CancelOfACompletedTaskNotYetDrainedReportsFinished) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(kSlots);
  Task* a = MakeTask(0);
  core.submit(a);
  uint32_t slots[1];
  Task* tasks[1];
  ASSERT_EQ(core.take(*c, slots, tasks, 1, false), 1u);
  ASSERT_TRUE(Start(*c, slots[0]));
  ASSERT_TRUE(core.complete(*c, slots[0], Status::kOk, {}));
  PoolCore::ConsumerId holder = 0;
  EXPECT_EQ(core.cancel(a, &holder), CancelResult::kFinished);
  std::vector<int> seen(1, -1);
  EXPECT_EQ(DrainInto(core, seen), 1u) << "the result is still delivered; the owner drops it";
}

TEST(PoolCore, CancelOfATaskWhoseResultIsOnTheWayReportsFinishedNotRunning) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(kSlots);
  Task* a = MakeTask(0);
  core.submit(a);
  uint32_t slots[1];
  Task* tasks[1];
  ASSERT_EQ(core.take(*c, slots, tasks, 1, false), 1u);
  ASSERT_TRUE(Start(*c, slots[0]));
  // A child process finished it; its result has not reached the core yet.
  c->words[slots[0]].store(static_cast<int32_t>(SlotState::kCompleting));
  PoolCore::ConsumerId holder = 0;
  EXPECT_EQ(core.cancel(a, &holder), CancelResult::kFinished) << "no consumer is stopped for a finished task";
  ASSERT_TRUE(core.complete(*c, slots[0], Status::kOk, {}));
  std::vector<int> seen(1, -1);
  EXPECT_EQ(DrainInto(core, seen), 1u);
}

TEST(PoolCore, CancelOfATaskPutBackInLineRemovesIt) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(kSlots);
  Task* a = MakeTask(0);
  core.submit(a);
  uint32_t slots[1];
  Task* tasks[1];
  ASSERT_EQ(core.take(*c, slots, tasks, 1, false), 1u);
  EXPECT_EQ(core.abandon(*c), 0u) << "taken but not started: requeued";
  PoolCore::ConsumerId holder = 0;
  EXPECT_EQ(core.cancel(a, &holder), CancelResult::kRemoved);
  auto heir = core.add_consumer(kSlots);
  EXPECT_EQ(core.take(*heir, slots, tasks, 1, false), 0u) << "only a tombstone was queued";
  std::vector<int> seen(1, -1);
  DrainInto(core, seen);
  EXPECT_EQ(seen[0], static_cast<int>(Status::kCancelled));
}

TEST(PoolCore, AbandonFailsStartedTasksAndRequeuesTheRest) {
  PoolCore core(SchedulerOptions{});
  auto dying = core.add_consumer(kSlots);  // alone, so its fair share is all five
  for (uint64_t i = 0; i < 5; ++i) core.submit(MakeTask(i));
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*dying, slots, tasks, 8, false), 5u);
  ASSERT_TRUE(Start(*dying, slots[0]));
  ASSERT_TRUE(core.complete(*dying, slots[0], Status::kOk, {}));
  ASSERT_TRUE(Start(*dying, slots[1]));  // started task id 1, then died
  EXPECT_EQ(core.abandon(*dying), 1u) << "only the started, unfinished task fails";
  EXPECT_EQ(core.abandon(*dying), 0u) << "abandon is idempotent";
  EXPECT_FALSE(Start(*dying, slots[2])) << "a late start after abandon loses";
  std::vector<int> seen(5, -1);
  DrainInto(core, seen);
  EXPECT_EQ(seen[0], static_cast<int>(Status::kOk));
  EXPECT_EQ(seen[1], static_cast<int>(Status::kWorkerExited));
  core.remove_consumer(dying->id);
  auto heir = core.add_consumer(kSlots);
  ASSERT_EQ(core.take(*heir, slots, tasks, 8, false), 3u) << "the unstarted three are back in line";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Start(*heir, slots[i]));
    core.complete(*heir, slots[i], Status::kOk, {});
  }
  DrainInto(core, seen);
  for (int i = 2; i < 5; ++i) EXPECT_EQ(seen[i], static_cast<int>(Status::kOk)) << i;
}

TEST(PoolCore, AbandonAfterShutdownFinishesUnstartedTasksAsShutDown) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(kSlots);
  for (uint64_t i = 0; i < 3; ++i) core.submit(MakeTask(i));
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*c, slots, tasks, 8, false), 3u);
  ASSERT_TRUE(Start(*c, slots[0]));
  core.scheduler().shutdown();
  EXPECT_EQ(core.abandon(*c), 1u);
  EXPECT_EQ(core.scheduler().size_approx(), 0u) << "nothing goes back into shut lanes";
  std::vector<int> seen(3, -1);
  EXPECT_EQ(DrainInto(core, seen), 3u);
  EXPECT_EQ(seen[0], static_cast<int>(Status::kWorkerExited));
  EXPECT_EQ(seen[1], static_cast<int>(Status::kShutdown));
  EXPECT_EQ(seen[2], static_cast<int>(Status::kShutdown));
}

TEST(PoolCore, TakeAfterShutdownReturnsNothingEvenWithTasksQueued) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(kSlots);
  core.submit(MakeTask(0));
  core.submit(MakeTask(1));
  core.scheduler().shutdown();
  uint32_t slots[8];
  Task* tasks[8];
  EXPECT_EQ(core.take(*c, slots, tasks, 8, false), 0u);
  EXPECT_EQ(core.take(*c, slots, tasks, 8, true), 0u);
  EXPECT_TRUE(core.stopped(*c));
  std::vector<Task*> queued;
  core.take_queued(&queued);
  ASSERT_EQ(queued.size(), 2u);
  for (Task* t : queued) {
    EXPECT_EQ(t->status, Status::kShutdown);
    delete t;
  }
  EXPECT_EQ(core.metrics().cancelled(), 2u);
}

TEST(PoolCore, TakeQueuedKeepsTheFirstInLineAndReturnsTombstones) {
  PoolCore core(SchedulerOptions{});
  Task* tasks[5];
  for (uint64_t i = 0; i < 5; ++i) core.submit(tasks[i] = MakeTask(i));
  PoolCore::ConsumerId holder;
  ASSERT_EQ(core.cancel(tasks[1], &holder), CancelResult::kRemoved);
  std::vector<Task*> out;
  core.take_queued(&out, 2);  // keep ids 0 and 2 (1 is a tombstone)
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0]->id, 1u);
  EXPECT_EQ(out[0]->status, Status::kCancelled);
  EXPECT_EQ(out[1]->id, 3u);
  EXPECT_EQ(out[1]->status, Status::kShutdown);
  EXPECT_EQ(out[2]->id, 4u);
  for (Task* t : out) delete t;
  auto c = core.add_consumer(kSlots);
  uint32_t slots[8];
  Task* taken[8];
  ASSERT_EQ(core.take(*c, slots, taken, 8, false), 2u);
  EXPECT_EQ(taken[0]->id, 0u);
  EXPECT_EQ(taken[1]->id, 2u);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(Start(*c, slots[i]));
    core.complete(*c, slots[i], Status::kOk, {});
  }
  std::vector<int> seen(5, -1);
  DrainInto(core, seen);
}

TEST(PoolCore, TakesNoMoreTasksThanItHasFreeSlots) {
  PoolCore core(SchedulerOptions{});
  auto c = core.add_consumer(2);
  for (uint64_t i = 0; i < 5; ++i) core.submit(MakeTask(i));
  uint32_t slots[8];
  Task* tasks[8];
  ASSERT_EQ(core.take(*c, slots, tasks, 8, false), 2u);
  EXPECT_EQ(core.take(*c, slots + 2, tasks, 8, false), 0u) << "both slots are held";
  ASSERT_TRUE(Start(*c, slots[0]));
  core.complete(*c, slots[0], Status::kOk, {});
  EXPECT_EQ(core.take(*c, slots + 2, tasks, 8, false), 1u);
  std::vector<int> seen(5, -1);
  DrainInto(core, seen);
  core.scheduler().shutdown();
  core.abandon(*c);
  DrainInto(core, seen);
  std::vector<Task*> queued;
  core.take_queued(&queued);
  for (Task* t : queued) delete t;
}

TEST(PoolCore, TakesOnlyAFairShareOfTheQueue) {
  PoolCore core(SchedulerOptions{});
  auto a = core.add_consumer(kSlots);
  auto b = core.add_consumer(kSlots);
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
  auto c = core.add_consumer(kSlots);
  core.abandon(*c);
  core.submit(MakeTask(0));
  uint32_t slots[1];
  Task* tasks[1];
  EXPECT_EQ(core.take(*c, slots, tasks, 1, true), 0u) << "a stopped consumer returns at once";
  auto other = core.add_consumer(kSlots);
  EXPECT_EQ(core.take(*other, slots, tasks, 1, false), 1u);
  core.complete(*other, slots[0], Status::kOk, {});
  std::vector<int> seen(1, -1);
  DrainInto(core, seen);
}

// Consumers take in batches, start tasks one by one and die at random points
// while the owner keeps submitting and cancelling at random: every task is
// settled exactly once (drained, or handed back by cancel), a task whose
// cancel answered kRemoved or kNotStarted never ran, and every task that was
// neither cancelled nor running on a dying consumer succeeds.
TEST(PoolCore, EveryTaskSettlesExactlyOnceWhileConsumersDieAndTheOwnerCancels) {
  Watchdog dog(std::chrono::seconds(60), "PoolCore stress");
  const size_t kTasks = scaled(200000);
  PoolCore core(SchedulerOptions{});
  std::atomic<bool> done{false};
  std::atomic<uint64_t> exited{0};
  std::vector<std::atomic<uint8_t>> ran(kTasks);
  for (auto& r : ran) r.store(0);

  auto consumer_loop = [&](unsigned seed) {
    std::mt19937 rng(seed);
    while (!done.load(std::memory_order_acquire)) {
      auto c = core.add_consumer(kSlots);
      uint32_t slots[kSlots];
      Task* tasks[kSlots];
      bool died = false;
      while (!died && !done.load(std::memory_order_acquire)) {
        size_t n = core.take(*c, slots, tasks, kSlots, false);
        if (n == 0) {
          std::this_thread::yield();
          continue;
        }
        for (size_t i = 0; i < n; ++i) {
          if (!Start(*c, slots[i])) {
            EXPECT_TRUE(core.release(*c, slots[i]));
            continue;
          }
          ran[tasks[i]->id].fetch_add(1);
          if (rng() % 5000 == 0) {
            died = true;  // dies running this task, holding the rest of the batch
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
  std::vector<int> cancel_result(kTasks, -1);
  std::mt19937 rng(99);
  size_t settled = 0;
  size_t handed_back = 0;
  size_t removed = 0;
  auto drain = [&] {
    for (Task* t = core.drain(); t != nullptr;) {
      Task* next = t->next;
      if (t->status == Status::kCancelled) {
        EXPECT_TRUE(cancel_result[t->id] == static_cast<int>(CancelResult::kRemoved) ||
                    cancel_result[t->id] == static_cast<int>(CancelResult::kNotStarted));
      } else {
        EXPECT_EQ(seen[t->id], -1) << "task " << t->id << " settled twice";
        seen[t->id] = static_cast<int>(t->status);
        live[t->id] = nullptr;
        ++settled;
      }
      delete t;
      t = next;
    }
  };
  for (uint64_t i = 0; i < kTasks; ++i) {
    Task* t = MakeTask(i);
    live[i] = t;
    core.submit(t);
    if (rng() % 50 == 0) {
      uint64_t victim = i - rng() % std::min<uint64_t>(i + 1, 64);
      if (live[victim] != nullptr && cancel_result[victim] == -1) {
        PoolCore::ConsumerId holder;
        CancelResult r = core.cancel(live[victim], &holder);
        cancel_result[victim] = static_cast<int>(r);
        if (r == CancelResult::kNotStarted) {
          live[victim] = nullptr;  // the tombstone is freed when drained
          ++handed_back;
        } else if (r == CancelResult::kRemoved) {
          live[victim] = nullptr;  // the tombstone is freed when drained
          ++removed;
        }
      }
    }
    if (i % 256 == 0) drain();
  }
  while (settled + handed_back + removed < kTasks) {
    size_t before = settled;
    drain();
    if (settled == before) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  done.store(true, std::memory_order_release);
  for (auto& t : consumers) t.join();
  drain();  // the last tombstones

  size_t ok = 0, exit_count = 0;
  for (size_t i = 0; i < kTasks; ++i) {
    const int r = cancel_result[i];
    if (r == static_cast<int>(CancelResult::kRemoved) || r == static_cast<int>(CancelResult::kNotStarted)) {
      EXPECT_EQ(seen[i], -1) << "cancelled task " << i << " was also settled";
      EXPECT_EQ(ran[i].load(), 0) << "cancelled task " << i << " ran";
      continue;
    }
    ASSERT_NE(seen[i], -1) << "task " << i << " was lost";
    EXPECT_LE(ran[i].load(), 1) << "task " << i << " ran twice";
    if (seen[i] == static_cast<int>(Status::kOk)) ++ok;
    if (seen[i] == static_cast<int>(Status::kWorkerExited)) ++exit_count;
  }
  EXPECT_EQ(exit_count, exited.load());
  EXPECT_EQ(ok + exit_count + handed_back + removed, kTasks);
  EXPECT_GT(handed_back + removed, 0u) << "the test cancelled nothing";
}

}  // namespace
}  // namespace nativepool
