#include "task_cache.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace nativepool {
namespace {

// Every field of a reset Task equals a new Task's (task.h: reset() must
// cover each field; this lists them all, so a new field fails here until
// both are updated).
void ExpectFresh(const Task& t) {
  const Task fresh;
  EXPECT_EQ(t.next, fresh.next);
  EXPECT_EQ(t.id, fresh.id);
  EXPECT_EQ(t.lane, fresh.lane);
  EXPECT_EQ(t.handler, fresh.handler);
  EXPECT_EQ(t.exclusive, fresh.exclusive);
  EXPECT_EQ(t.reclaimed, fresh.reclaimed);
  EXPECT_EQ(t.state.load(), fresh.state.load());
  EXPECT_EQ(t.holder.load(), fresh.holder.load());
  EXPECT_EQ(t.slot.load(), fresh.slot.load());
  EXPECT_EQ(t.status, fresh.status);
  EXPECT_EQ(t.settled_early, fresh.settled_early);
  EXPECT_EQ(t.retain, fresh.retain);
  EXPECT_EQ(t.enqueue_ns, fresh.enqueue_ns);
  EXPECT_EQ(t.start_ns, fresh.start_ns);
  EXPECT_EQ(t.end_ns, fresh.end_ns);
  EXPECT_TRUE(t.payload.empty());
  EXPECT_TRUE(t.result.empty());
}

// Fills every field with something a fresh Task does not have.
void Dirty(Task& t, size_t payload, size_t result) {
  static Task other;
  t.next = &other;
  t.id = 42;
  t.lane = 3;
  t.handler = 7;
  t.exclusive = true;
  t.reclaimed = true;
  t.state.store(static_cast<uint32_t>(TaskState::kDone));
  t.holder.store(5);
  t.slot.store(9);
  t.status = Status::kWorkerExited;
  t.settled_early = true;
  t.retain = true;
  t.enqueue_ns = 1;
  t.start_ns = 2;
  t.end_ns = 3;
  t.payload.assign(payload, 0xAB);
  t.result.assign(result, 0xCD);
}

TEST(TaskCache, ATakenTaskIsFreshAndKeepsSmallBuffers) {
  TaskCache cache;
  Task* t = cache.take();
  ExpectFresh(*t);
  Dirty(*t, 40, 60);
  const auto* payload = t->payload.data();
  const auto* result = t->result.data();
  cache.give(t);
  EXPECT_EQ(cache.size(), 1u);
  Task* again = cache.take();
  EXPECT_EQ(again, t);
  EXPECT_EQ(cache.size(), 0u);
  ExpectFresh(*again);
  EXPECT_GE(again->payload.capacity(), 40u);
  EXPECT_GE(again->result.capacity(), 60u);
  again->payload.push_back(1);
  again->result.push_back(2);
  EXPECT_EQ(again->payload.data(), payload) << "the payload buffer is reused";
  EXPECT_EQ(again->result.data(), result) << "the result buffer is reused";
  delete again;
}

TEST(TaskCache, LetsLargeBuffersGo) {
  TaskCache cache;
  Task* t = cache.take();
  Dirty(*t, TaskCache::kMaxKeptBytes + 1, 10 * TaskCache::kMaxKeptBytes);
  cache.give(t);
  Task* again = cache.take();
  ExpectFresh(*again);
  EXPECT_EQ(again->payload.capacity(), 0u);
  EXPECT_EQ(again->result.capacity(), 0u);
  delete again;
}

TEST(TaskCache, KeepsAtMostMaxTasks) {
  TaskCache cache;
  std::vector<Task*> tasks;
  for (size_t i = 0; i < TaskCache::kMaxTasks + 10; ++i) tasks.push_back(cache.take());
  for (Task* t : tasks) cache.give(t);  // the last 10 are deleted (ASan checks they are not leaked)
  EXPECT_EQ(cache.size(), TaskCache::kMaxTasks);
  cache.give(nullptr);
  EXPECT_EQ(cache.size(), TaskCache::kMaxTasks);
}

}  // namespace
}  // namespace nativepool
