#include "scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "completion_queue.h"
#include "test_util.h"

namespace nativepool {
namespace {

using testing::scaled;
using testing::wait_until;
using testing::Watchdog;
using namespace std::chrono_literals;

TEST(Scheduler, TakesInFifoOrderWithinALane) {
  Scheduler s;
  std::vector<Task> tasks(4);
  for (size_t i = 0; i < tasks.size(); ++i) {
    tasks[i].id = i;
    s.push(&tasks[i]);
  }
  Task* out[8];
  ASSERT_EQ(s.try_take(out, 8), 4u);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(out[i]->id, i);
  EXPECT_EQ(s.try_take(out, 8), 0u);
}

TEST(Scheduler, StopWakesAParkedConsumer) {
  Scheduler s;
  auto c = s.add_consumer();
  std::atomic<size_t> got{99};
  std::thread t([&] {
    Task* out[1];
    got = s.take(c, out, 1);
  });
  while (s.parked_approx() == 0) std::this_thread::yield();
  s.stop(c);
  t.join();
  EXPECT_EQ(got.load(), 0u);
}

TEST(Scheduler, StrictPriorityServesLaneZeroFirst) {
  Scheduler s(SchedulerOptions{3, {}});
  std::vector<Task> tasks(3);
  for (uint32_t i = 0; i < 3; ++i) {
    tasks[i].lane = 2 - i;
    tasks[i].id = 2 - i;
    s.push(&tasks[i]);
  }
  Task* out[3];
  ASSERT_EQ(s.try_take(out, 3), 3u);
  for (uint64_t i = 0; i < 3; ++i) EXPECT_EQ(out[i]->id, i);
}

TEST(Scheduler, ClampsTheLaneOfATaskToTheLowestLane) {
  Scheduler s(SchedulerOptions{2, {}});
  Task hi, lo;
  lo.lane = 9;
  s.push(&lo);
  s.push(&hi);
  Task* out[2];
  ASSERT_EQ(s.try_take(out, 2), 2u);
  EXPECT_EQ(out[0], &hi);
  EXPECT_EQ(out[1], &lo);
}

TEST(Scheduler, WeightedModeServesLanesInProportion) {
  Scheduler s(SchedulerOptions{3, {50, 40, 10}});
  std::vector<Task> tasks(3000);
  for (size_t i = 0; i < tasks.size(); ++i) {
    tasks[i].lane = static_cast<uint32_t>(i % 3);
    s.push(&tasks[i]);
  }
  int count[3] = {};
  Task* t;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(s.try_take(&t, 1), 1u);
    ++count[t->lane];
  }
  EXPECT_NEAR(count[0], 500, 10);
  EXPECT_NEAR(count[1], 400, 10);
  EXPECT_NEAR(count[2], 100, 10);
}

TEST(Scheduler, PushWakesAParkedConsumer) {
  Watchdog dog(20s, "push wakes");
  Scheduler s;
  auto c = s.add_consumer();
  Task task;
  std::atomic<Task*> got{nullptr};
  std::thread t([&] {
    Task* out[4];
    ASSERT_EQ(s.take(c, out, 4), 1u);
    got = out[0];
  });
  wait_until([&] { return s.parked_approx() == 1; });
  s.push(&task);
  t.join();
  EXPECT_EQ(got.load(), &task);
}

TEST(Scheduler, ShutdownWakesEveryParkedConsumer) {
  Watchdog dog(20s, "shutdown wakes");
  Scheduler s;
  constexpr int kConsumers = 4;
  std::atomic<int> returned_zero{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kConsumers; ++i)
    ts.emplace_back([&, c = s.add_consumer()] {
      Task* out[1];
      if (s.take(c, out, 1) == 0) returned_zero.fetch_add(1);
    });
  wait_until([&] { return s.parked_approx() == kConsumers; });
  s.shutdown();
  for (auto& t : ts) t.join();
  EXPECT_EQ(returned_zero.load(), kConsumers);
  EXPECT_TRUE(s.is_shutdown());
}

TEST(Scheduler, StopWakesOnlyThatConsumerAndTheOtherStillGetsWork) {
  Watchdog dog(20s, "stop one");
  Scheduler s;
  auto a = s.add_consumer(), b = s.add_consumer();
  std::atomic<size_t> got_a{99}, got_b{99};
  std::thread ta([&] { Task* o[1]; got_a = s.take(a, o, 1); });
  std::thread tb([&] { Task* o[1]; got_b = s.take(b, o, 1); });
  wait_until([&] { return s.parked_approx() == 2; });
  s.stop(a);
  ta.join();
  EXPECT_EQ(got_a.load(), 0u);
  EXPECT_TRUE(s.stopped(a));
  EXPECT_FALSE(s.stopped(b));
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(got_b.load(), 99u);
  Task task;
  s.push(&task);
  tb.join();
  EXPECT_EQ(got_b.load(), 1u);
}

TEST(Scheduler, TakeReturnsZeroAfterStopButTryTakeStillDrains) {
  Scheduler s;
  auto c = s.add_consumer();
  Task task;
  s.push(&task);
  s.stop(c);
  Task* out[1];
  EXPECT_EQ(s.take(c, out, 1), 0u);
  EXPECT_EQ(s.try_take(out, 1), 1u);
}

TEST(Scheduler, TakeReturnsZeroAfterShutdownLeavingTasksQueued) {
  Scheduler s;
  auto c = s.add_consumer();
  Task task;
  s.push(&task);
  s.shutdown();
  Task* out[1];
  EXPECT_EQ(s.take(c, out, 1), 0u);
  EXPECT_EQ(s.size_approx(), 1u);
}

TEST(Scheduler, RemovedConsumerIdIsRefusedEvenAfterItsSlotIsReused) {
  Scheduler s;
  auto old_id = s.add_consumer();
  s.remove_consumer(old_id);
  auto new_id = s.add_consumer();
  EXPECT_NE(new_id, old_id);
  EXPECT_TRUE(s.stopped(old_id));
  EXPECT_FALSE(s.stopped(new_id));
  Task* out[1];
  EXPECT_EQ(s.take(old_id, out, 1), 0u);
  EXPECT_FALSE(s.arm_async(old_id, [] {}));
}

TEST(Scheduler, ArmAsyncFailsWhenATaskIsQueuedOrStoppedOrShutDown) {
  Scheduler s;
  auto a = s.add_consumer(), b = s.add_consumer();
  Task task;
  s.push(&task);
  EXPECT_FALSE(s.arm_async(a, [] { FAIL(); }));
  Task* out[1];
  ASSERT_EQ(s.try_take(out, 1), 1u);
  s.stop(a);
  EXPECT_FALSE(s.arm_async(a, [] { FAIL(); }));
  s.shutdown();
  EXPECT_FALSE(s.arm_async(b, [] { FAIL(); }));
}

TEST(Scheduler, AsyncNotifierFiresExactlyOnceOnPush) {
  Scheduler s;
  auto c = s.add_consumer();
  std::atomic<int> fired{0};
  ASSERT_TRUE(s.arm_async(c, [&] { fired.fetch_add(1); }));
  std::vector<Task> tasks(3);
  s.push(&tasks[0]);
  Task* both[2] = {&tasks[1], &tasks[2]};
  s.push_bulk(both, 2);
  s.stop(c);
  s.shutdown();
  EXPECT_EQ(fired.load(), 1);
  EXPECT_FALSE(s.disarm_async(c));
}

TEST(Scheduler, AsyncNotifierFiresOnStopOfThatConsumer) {
  Scheduler s;
  auto a = s.add_consumer(), b = s.add_consumer();
  std::atomic<int> fired_a{0}, fired_b{0};
  ASSERT_TRUE(s.arm_async(a, [&] { fired_a.fetch_add(1); }));
  ASSERT_TRUE(s.arm_async(b, [&] { fired_b.fetch_add(1); }));
  s.stop(a);
  EXPECT_EQ(fired_a.load(), 1);
  EXPECT_EQ(fired_b.load(), 0);
  s.shutdown();
  EXPECT_EQ(fired_b.load(), 1);
  EXPECT_EQ(fired_a.load(), 1);
}

TEST(Scheduler, DisarmedNotifierNeverFires) {
  Scheduler s;
  auto c = s.add_consumer();
  std::atomic<int> fired{0};
  ASSERT_TRUE(s.arm_async(c, [&] { fired.fetch_add(1); }));
  EXPECT_TRUE(s.disarm_async(c));
  Task task;
  s.push(&task);
  s.shutdown();
  EXPECT_EQ(fired.load(), 0);
}

TEST(Scheduler, PushPrefersAParkedConsumerOverAnArmedNotifier) {
  Watchdog dog(20s, "prefer parked");
  Scheduler s;
  auto parked = s.add_consumer(), armed = s.add_consumer();
  std::atomic<int> fired{0};
  std::thread t([&] { Task* o[1]; EXPECT_EQ(s.take(parked, o, 1), 1u); });
  wait_until([&] { return s.parked_approx() == 1; });
  ASSERT_TRUE(s.arm_async(armed, [&] { fired.fetch_add(1); }));
  Task task;
  s.push(&task);
  t.join();
  EXPECT_EQ(fired.load(), 0);
  EXPECT_TRUE(s.disarm_async(armed));
}

// P producers push (bulk and single), C consumers take up to 4 at a time;
// every task is taken exactly once.
TEST(Scheduler, StressManyProducersManyConsumersTakeEveryTaskOnce) {
  Watchdog dog(60s, "Scheduler stress");
  constexpr int kProducers = 3, kConsumers = 3;
  const size_t n = scaled(600'000);
  Scheduler s(SchedulerOptions{3, {}});
  std::vector<Task> tasks(n);
  std::vector<std::atomic<uint8_t>> seen(n);
  std::atomic<size_t> taken{0};
  std::atomic<uint64_t> sum{0};
  std::vector<std::thread> ts;
  std::vector<Scheduler::ConsumerId> ids;
  for (int c = 0; c < kConsumers; ++c) ids.push_back(s.add_consumer());
  for (int c = 0; c < kConsumers; ++c)
    ts.emplace_back([&, id = ids[c]] {
      Task* out[4];
      uint64_t local = 0;
      while (size_t k = s.take(id, out, 4)) {
        for (size_t i = 0; i < k; ++i) {
          seen[out[i]->id].fetch_add(1, std::memory_order_relaxed);
          local += out[i]->id;
        }
        if (taken.fetch_add(k) + k == n) s.shutdown();
      }
      sum.fetch_add(local);
    });
  for (int p = 0; p < kProducers; ++p)
    ts.emplace_back([&, p] {
      for (size_t i = p; i < n; i += kProducers) {
        tasks[i].id = i;
        tasks[i].lane = static_cast<uint32_t>(i % 3);
        if (i % 7 == 0 && i + kProducers < n) {  // a bulk pair now and then
          size_t j = i + kProducers;
          tasks[j].id = j;
          tasks[j].lane = static_cast<uint32_t>(j % 3);
          Task* pair[2] = {&tasks[i], &tasks[j]};
          s.push_bulk(pair, 2);
          i = j;
        } else {
          s.push(&tasks[i]);
        }
        if (i % 4096 == 0) std::this_thread::sleep_for(20us);  // let consumers park
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(taken.load(), n);
  EXPECT_EQ(sum.load(), uint64_t(n) * (n - 1) / 2);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << "task " << i;
}

// Half the consumers park in take(), half arm async notifiers; consumers are
// stopped mid-stream. Every task is still taken exactly once, and every
// armed notifier fires at most once.
TEST(Scheduler, StressParkedAsyncAndStoppedConsumersLoseNoTask) {
  Watchdog dog(60s, "Scheduler mixed stress");
  const size_t n = scaled(300'000);
  Scheduler s;
  std::vector<Task> tasks(n);
  std::vector<std::atomic<uint8_t>> seen(n);
  std::atomic<size_t> taken{0};
  std::atomic<bool> over_fired{false};
  auto record = [&](Task* t) {
    seen[t->id].fetch_add(1, std::memory_order_relaxed);
    if (taken.fetch_add(1) + 1 == n) s.shutdown();
  };
  std::vector<std::thread> ts;
  // Two blocking consumers that will be stopped halfway, two that stay.
  std::vector<Scheduler::ConsumerId> stoppable;
  for (int c = 0; c < 4; ++c) {
    auto id = s.add_consumer();
    if (c < 2) stoppable.push_back(id);
    ts.emplace_back([&, id] {
      Task* out[2];
      while (size_t k = s.take(id, out, 2))
        for (size_t i = 0; i < k; ++i) record(out[i]);
    });
  }
  // Two async consumers: try_take, else arm and wait for the notifier.
  for (int c = 0; c < 2; ++c)
    ts.emplace_back([&, id = s.add_consumer()] {
      std::atomic<int> bell{0};
      while (!s.is_shutdown()) {
        Task* t;
        if (s.try_take(&t, 1) == 1) {
          record(t);
          continue;
        }
        bell.store(0);
        if (!s.arm_async(id, [&] {
              if (bell.fetch_add(1) != 0) over_fired = true;
              bell.notify_one();
            }))
          continue;
        bell.wait(0);
      }
    });
  std::thread producer([&] {
    for (size_t i = 0; i < n; ++i) {
      tasks[i].id = i;
      s.push(&tasks[i]);
      if (i == n / 2)
        for (auto id : stoppable) s.stop(id);
      if (i % 2048 == 0) std::this_thread::sleep_for(20us);
    }
  });
  producer.join();
  for (auto& t : ts) t.join();
  EXPECT_FALSE(over_fired.load()) << "a notifier fired twice";
  EXPECT_EQ(taken.load(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << "task " << i;
}

TEST(CompletionQueue, ReportsOnlyTheEmptyToNonEmptyTransition) {
  CompletionQueue q;
  Task a, b, c;
  EXPECT_TRUE(q.push(&a));
  EXPECT_FALSE(q.push(&b));
  Task* batch = q.drain();
  ASSERT_EQ(batch, &a);
  ASSERT_EQ(batch->next, &b);
  EXPECT_EQ(b.next, nullptr);
  EXPECT_TRUE(q.push(&c));
  EXPECT_EQ(q.drain(), &c);
  EXPECT_EQ(q.drain(), nullptr);
}

}  // namespace
}  // namespace nativepool
