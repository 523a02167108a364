#include "scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "completion_queue.h"

namespace nativepool {
namespace {

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
