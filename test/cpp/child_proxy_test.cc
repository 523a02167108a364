// ChildProxy + ChildLink: a pool consumer whose tasks run on the other end
// of a socket, with its slot words in shared memory. The "child" here is a
// thread of this process talking through a real socketpair and its own
// mapping of the slot memory, so exactness and EOF handling are tested
// under the sanitizers without spawning processes.
#include "child_proxy.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "child_link.h"
#include "pool_core.h"
#include "shared_slots.h"
#include "test_util.h"

namespace nativepool {
namespace {

using testing::scaled;
using testing::Watchdog;
using testing::wait_until;

constexpr uint32_t kSlots = 40;

Task* MakeTask(uint64_t id, uint32_t handler = 0) {
  auto* t = new Task();
  t->id = id;
  t->handler = handler;
  uint8_t bytes[8];
  std::memcpy(bytes, &id, 8);
  t->payload.assign(bytes, bytes + 8);
  return t;
}

uint64_t IdOf(const uint8_t* p) {
  uint64_t id;
  std::memcpy(&id, p, 8);
  return id;
}

// A pool with one proxied consumer and the child's end of its socket.
struct Rig {
  std::shared_ptr<PoolCore> core = std::make_shared<PoolCore>(SchedulerOptions{});
  std::shared_ptr<PoolCore::Consumer> consumer = core->add_consumer(kSlots);
  std::shared_ptr<SharedSlots> slots = SharedSlots::Create(kSlots);
  std::shared_ptr<SharedSlots> child_slots;  // the child's own mapping of the same memory
  int child_fd = -1;
  std::atomic<bool> closed{false};
  std::mutex mu;
  std::vector<std::pair<frame::Kind, Bytes>> messages;  // under mu
  std::unique_ptr<ChildProxy> proxy;

  explicit Rig(std::function<void(ChildProxy&, frame::Kind, const uint8_t*, size_t)> on_message = nullptr) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    child_fd = sv[1];
    child_slots = SharedSlots::Open(dup(slots->fd()), kSlots);
    ChildProxy::Callbacks cb;
    cb.message = [this, on_message](frame::Kind k, const uint8_t* p, size_t n) {
      {
        std::lock_guard<std::mutex> lock(mu);
        messages.emplace_back(k, Bytes(p, p + n));
      }
      if (on_message) on_message(*proxy, k, p, n);
    };
    cb.closed = [this] { closed.store(true); };
    proxy = std::make_unique<ChildProxy>(core, consumer, sv[0], slots, std::move(cb));
    const uint8_t init[] = {'h', 'i'};
    proxy->Start(Bytes(init, init + 2));
  }
  ~Rig() { proxy.reset(); }

  // The child's start CAS, on its own mapping.
  bool Start(uint32_t slot) {
    int32_t expected = static_cast<int32_t>(SlotState::kTaken);
    return child_slots->words()[slot].compare_exchange_strong(expected, static_cast<int32_t>(SlotState::kRunning));
  }
};

// The child's first steps: read the init frame, then take (blocking)
// exactly `n` tasks. Call it under ASSERT_NO_FATAL_FAILURE.
void HandshakeAndTake(ChildLink& link, size_t n, std::vector<ChildLink::TaskView>* batch) {
  Bytes init;
  ASSERT_TRUE(link.ReadInit(&init));
  ASSERT_EQ(link.Take(8, true, batch), ChildLink::Took::kTasks);
  ASSERT_EQ(batch->size(), n);
}

// Drains completions: id -> status, each id at most once.
size_t DrainInto(PoolCore& core, std::vector<int>& seen) {
  size_t n = 0;
  for (Task* t = core.drain(); t != nullptr;) {
    Task* next = t->next;
    if (t->status != Status::kCancelled) {
      EXPECT_LT(t->id, seen.size());
      EXPECT_EQ(seen[t->id], -1) << "task " << t->id << " settled twice";
      seen[t->id] = static_cast<int>(t->status);
      ++n;
    }
    delete t;
    t = next;
  }
  return n;
}

TEST(ChildProxy, RunsEveryTaskOnceAndCompletesWithTheChildsResult) {
  Watchdog dog(std::chrono::seconds(60));
  Rig rig;
  const size_t n = scaled(20000);
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    Bytes init;
    ASSERT_TRUE(link.ReadInit(&init));
    EXPECT_EQ(init, (Bytes{'h', 'i'}));
    std::vector<ChildLink::TaskView> batch;
    for (;;) {
      auto took = link.Take(32, true, &batch);
      if (took != ChildLink::Took::kTasks) break;
      for (const auto& t : batch) {
        ASSERT_TRUE(rig.Start(t.slot));
        uint64_t doubled = IdOf(t.data) * 2;
        link.Complete(t.slot, Status::kOk, reinterpret_cast<const uint8_t*>(&doubled), 8);
      }
    }
    link.Close();
  });
  for (uint64_t i = 0; i < n; ++i) rig.core->submit(MakeTask(i));
  std::vector<int> seen(n, -1);
  uint64_t sum = 0;
  size_t done = 0;
  while (done < n) {
    for (Task* t = rig.core->drain(); t != nullptr;) {
      Task* next = t->next;
      EXPECT_EQ(t->status, Status::kOk);
      EXPECT_EQ(seen[t->id], -1) << "settled twice";
      seen[t->id] = 0;
      EXPECT_EQ(t->result.size(), 8u);
      sum += IdOf(t->result.data());
      delete t;
      t = next;
      ++done;
    }
    std::this_thread::yield();
  }
  EXPECT_EQ(sum, uint64_t{n} * (n - 1));
  rig.core->scheduler().stop(rig.consumer->id);  // the child's take answers kStopped
  child.join();
  wait_until([&] { return rig.closed.load(); });
}

TEST(ChildProxy, ATaskCancelledAfterTheChildTookItIsSkippedThroughTheSharedWord) {
  Watchdog dog(std::chrono::seconds(30));
  Rig rig;
  Task* a = MakeTask(0);
  Task* b = MakeTask(1);
  rig.core->submit(a);
  rig.core->submit(b);
  std::atomic<int> phase{0};
  std::atomic<bool> ran_b{false};
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    std::vector<ChildLink::TaskView> batch;
    ASSERT_NO_FATAL_FAILURE(HandshakeAndTake(link, 2, &batch));
    ASSERT_TRUE(rig.Start(batch[0].slot));
    phase.store(1);  // a runs; b is held, not started
    wait_until([&] { return phase.load() == 2; });
    if (rig.Start(batch[1].slot)) {
      ran_b.store(true);
      link.Complete(batch[1].slot, Status::kOk, nullptr, 0);
    } else {
      link.Release(batch[1].slot);
    }
    link.Complete(batch[0].slot, Status::kOk, nullptr, 0);
    link.Flush();
    EXPECT_EQ(link.Take(8, true, &batch), ChildLink::Took::kStopped);
  });
  wait_until([&] { return phase.load() == 1; });
  PoolCore::ConsumerId holder = 0;
  EXPECT_EQ(rig.core->cancel(a, &holder), CancelResult::kRunning);
  EXPECT_EQ(holder, rig.consumer->id);
  EXPECT_EQ(rig.core->cancel(b, &holder), CancelResult::kNotStarted);  // b comes back as a tombstone
  phase.store(2);
  std::vector<int> seen(2, -1);
  while (DrainInto(*rig.core, seen) == 0) std::this_thread::yield();
  EXPECT_FALSE(ran_b.load()) << "a task cancelled before it started never runs";
  EXPECT_EQ(seen[0], static_cast<int>(Status::kOk));
  // The skipped slot was released: every slot is free again.
  wait_until([&] {
    std::lock_guard<std::mutex> lock(rig.consumer->mu);
    return rig.consumer->free_slots.size() == kSlots;
  });
  rig.core->scheduler().stop(rig.consumer->id);
  child.join();
}

TEST(ChildProxy, EofFailsTheStartedTaskAndPutsTheUnstartedOnesBackInLine) {
  Watchdog dog(std::chrono::seconds(30));
  Rig rig;
  for (uint64_t i = 0; i < 3; ++i) rig.core->submit(MakeTask(i));
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    std::vector<ChildLink::TaskView> batch;
    ASSERT_NO_FATAL_FAILURE(HandshakeAndTake(link, 3, &batch));
    ASSERT_TRUE(rig.Start(batch[0].slot));
    // "Crashes" with task 0 started and 1, 2 held: the socket closes.
  });
  child.join();
  wait_until([&] { return rig.closed.load(); });
  std::vector<int> seen(3, -1);
  while (DrainInto(*rig.core, seen) == 0) std::this_thread::yield();
  EXPECT_EQ(seen[0], static_cast<int>(Status::kWorkerExited));
  EXPECT_EQ(seen[1], -1);
  EXPECT_EQ(seen[2], -1);
  // The two unstarted tasks are queued again for another consumer.
  auto other = rig.core->add_consumer(kSlots);
  uint32_t slots[8];
  Task* tasks[8];
  size_t got = 0;
  for (size_t k; got < 2 && (k = rig.core->take(*other, slots, tasks, 8, false)) > 0; got += k)
    for (size_t i = 0; i < k; ++i) rig.core->complete(*other, slots[i], Status::kOk, {});
  EXPECT_EQ(got, 2u);
  DrainInto(*rig.core, seen);
  EXPECT_EQ(seen[1], static_cast<int>(Status::kOk));
  EXPECT_EQ(seen[2], static_cast<int>(Status::kOk));
}

// A task the child finished, whose result is written but not yet read when
// the proxy is shut down (the child is being stopped for ANOTHER task it
// started next, an abort or a timeout), completes with its result; only the
// task that was running fails. The proxy thread is held inside a message
// callback so the result arrives after its last read: without the final read
// abandon() failed the finished task as kWorkerExited (and dropped a post
// written after it, such as the error a dying child reports).
TEST(ChildProxy, AResultWrittenBeforeShutdownCompletesTheTaskTheChildFinished) {
  Watchdog dog(std::chrono::seconds(30));
  std::atomic<bool> in_callback{false};
  std::atomic<bool> release{false};
  Rig rig([&](ChildProxy&, frame::Kind kind, const uint8_t*, size_t) {
    if (kind != frame::Kind::kPost) return;
    in_callback.store(true);
    wait_until([&] { return release.load(); });
  });
  for (uint64_t i = 0; i < 2; ++i) rig.core->submit(MakeTask(i));
  std::atomic<bool> ready{false};
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    std::vector<ChildLink::TaskView> batch;
    ASSERT_NO_FATAL_FAILURE(HandshakeAndTake(link, 2, &batch));
    const uint8_t post[] = {1};
    ASSERT_TRUE(link.Post(post, 1));  // the proxy thread now waits in the callback
    wait_until([&] { return in_callback.load(); });
    ASSERT_TRUE(rig.Start(batch[0].slot));
    rig.child_slots->words()[batch[0].slot].store(static_cast<int32_t>(SlotState::kCompleting));
    const uint64_t answer = 42;
    link.Complete(batch[0].slot, Status::kOk, reinterpret_cast<const uint8_t*>(&answer), 8);
    ASSERT_TRUE(rig.Start(batch[1].slot));  // the next task starts; its abort stops this child
    const uint8_t last_words[] = {2};
    ASSERT_TRUE(link.Post(last_words, 1));  // e.g. the error it is dying of
    ready.store(true);
    wait_until([&] { return rig.closed.load(); });
  });
  wait_until([&] { return ready.load(); });
  rig.proxy->Shutdown();
  release.store(true);
  wait_until([&] { return rig.closed.load(); });
  child.join();
  std::vector<int> seen(2, -1);
  uint64_t result = 0;
  size_t n = 0;
  while (n < 2) {
    for (Task* t = rig.core->drain(); t != nullptr;) {
      Task* next = t->next;
      ASSERT_LT(t->id, 2u);
      EXPECT_EQ(seen[t->id], -1) << "task " << t->id << " settled twice";
      seen[t->id] = static_cast<int>(t->status);
      if (t->id == 0 && t->result.size() == 8) result = IdOf(t->result.data());
      delete t;
      t = next;
      ++n;
    }
    std::this_thread::yield();
  }
  EXPECT_EQ(seen[0], static_cast<int>(Status::kOk));
  EXPECT_EQ(result, 42u);
  EXPECT_EQ(seen[1], static_cast<int>(Status::kWorkerExited));
  // Both posts were delivered, the one written after the last read too.
  std::lock_guard<std::mutex> lock(rig.mu);
  ASSERT_EQ(rig.messages.size(), 2u);
  EXPECT_EQ(rig.messages[1].second, Bytes{2});
}

// An abortable task runs alone on its worker: the child learns which ones
// from the handler field, as a worker thread does from its take batch.
TEST(ChildProxy, MarksAnExclusiveTaskInTheBatchItSends) {
  Watchdog dog(std::chrono::seconds(30));
  Rig rig;
  Task* plain = MakeTask(0, 0);
  Task* alone = MakeTask(1, 0);
  alone->exclusive = true;
  rig.core->submit(plain);
  rig.core->submit(alone);
  std::vector<uint32_t> handlers;
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    std::vector<ChildLink::TaskView> batch;
    ASSERT_NO_FATAL_FAILURE(HandshakeAndTake(link, 2, &batch));
    for (const auto& t : batch) {
      handlers.push_back(t.handler);
      ASSERT_TRUE(rig.Start(t.slot));
      link.Complete(t.slot, Status::kOk, nullptr, 0);
    }
    link.Close();
  });
  child.join();
  ASSERT_EQ(handlers.size(), 2u);
  EXPECT_EQ(handlers[0], 0u);
  EXPECT_EQ(handlers[1], frame::kHandlerExclusive);
  std::vector<int> seen(2, -1);
  size_t n = 0;
  while (n < 2) {
    n += DrainInto(*rig.core, seen);
    std::this_thread::yield();
  }
  wait_until([&] { return rig.closed.load(); });
}

TEST(ChildProxy, SendsEachHandlerOnceBeforeTheFirstTaskThatNeedsIt) {
  Watchdog dog(std::chrono::seconds(30));
  Rig rig;
  EXPECT_EQ(rig.core->add_handler("file:///a.js", "default"), 0u);
  EXPECT_EQ(rig.core->add_handler("file:///b.mjs", "named"), 1u);
  rig.core->submit(MakeTask(0, 1));
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    Bytes init;
    ASSERT_TRUE(link.ReadInit(&init));
    std::vector<ChildLink::TaskView> batch;
    ASSERT_EQ(link.Take(8, true, &batch), ChildLink::Took::kTasks);
    std::string href, name;
    ASSERT_TRUE(link.Handler(1, &href, &name));
    EXPECT_EQ(href, "file:///b.mjs");
    EXPECT_EQ(name, "named");
    ASSERT_TRUE(link.Handler(0, &href, &name));
    EXPECT_EQ(href, "file:///a.js");
    EXPECT_FALSE(link.Handler(2, &href, &name));
    ASSERT_TRUE(rig.Start(batch[0].slot));
    link.Complete(batch[0].slot, Status::kOk, nullptr, 0);
    link.Flush();
  });
  child.join();
  std::vector<int> seen(1, -1);
  while (DrainInto(*rig.core, seen) == 0) std::this_thread::yield();
  EXPECT_EQ(seen[0], static_cast<int>(Status::kOk));
}

TEST(ChildProxy, AnArmedChildIsNotifiedWhenATaskIsQueued) {
  Watchdog dog(std::chrono::seconds(30));
  Rig rig;
  std::atomic<int> fired{0};
  std::atomic<bool> armed{false};
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    Bytes init;
    ASSERT_TRUE(link.ReadInit(&init));
    std::vector<ChildLink::TaskView> batch;
    ASSERT_EQ(link.Take(8, false, &batch), ChildLink::Took::kEmpty);
    link.Watch([&] { fired.fetch_add(1); });
    ASSERT_TRUE(link.Arm());
    armed.store(true);
    wait_until([&] { return fired.load() > 0; });
    link.Unwatch();
    link.Disarm();
    ASSERT_EQ(link.Take(8, false, &batch), ChildLink::Took::kTasks);
    ASSERT_TRUE(rig.Start(batch[0].slot));
    link.Complete(batch[0].slot, Status::kOk, nullptr, 0);
    link.Flush();
  });
  wait_until([&] { return armed.load(); });
  // Wait until the proxy has armed the scheduler (then a push calls the notifier).
  rig.core->submit(MakeTask(0));
  std::vector<int> seen(1, -1);
  while (DrainInto(*rig.core, seen) == 0) std::this_thread::yield();
  child.join();
  EXPECT_EQ(fired.load(), 1);
}

TEST(ChildProxy, ARequestIsAnsweredWithTheReplyTheParentSends) {
  Watchdog dog(std::chrono::seconds(30));
  Rig rig([](ChildProxy& proxy, frame::Kind k, const uint8_t* p, size_t n) {
    if (k != frame::Kind::kRequest) return;
    Bytes reply(p, p + n);
    reply.push_back('!');
    proxy.Send(frame::Kind::kReply, reply.data(), reply.size());
  });
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    Bytes init;
    ASSERT_TRUE(link.ReadInit(&init));
    const uint8_t post[] = {'p'};
    EXPECT_TRUE(link.Post(post, 1));
    const uint8_t ask[] = {'q'};
    Bytes reply;
    ASSERT_TRUE(link.Request(ask, 1, &reply));
    EXPECT_EQ(reply, (Bytes{'q', '!'}));
  });
  child.join();
  wait_until([&] { return rig.closed.load(); });
  std::lock_guard<std::mutex> lock(rig.mu);
  ASSERT_EQ(rig.messages.size(), 2u);
  EXPECT_EQ(rig.messages[0].first, frame::Kind::kPost);
  EXPECT_EQ(rig.messages[1].first, frame::Kind::kRequest);
}

TEST(ChildProxy, AMalformedFrameFromTheChildClosesTheProxyAndAbandonsItsTasks) {
  Watchdog dog(std::chrono::seconds(30));
  Rig rig;
  rig.core->submit(MakeTask(0));
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    Bytes init;
    ASSERT_TRUE(link.ReadInit(&init));
    std::vector<ChildLink::TaskView> batch;
    ASSERT_EQ(link.Take(8, true, &batch), ChildLink::Took::kTasks);
    ASSERT_TRUE(rig.Start(batch[0].slot));
    const uint8_t junk[] = {5, 0, 0, 0, 200, 1, 2, 3, 4};  // an unknown kind
    frame::WriteAll(rig.child_fd, junk, sizeof junk);
    // The proxy stops listening; our next take finds the parent gone.
    EXPECT_EQ(link.Take(8, true, &batch), ChildLink::Took::kGone);
  });
  wait_until([&] { return rig.closed.load(); });
  std::vector<int> seen(1, -1);
  while (DrainInto(*rig.core, seen) == 0) std::this_thread::yield();
  EXPECT_EQ(seen[0], static_cast<int>(Status::kWorkerExited));
  child.join();
}

TEST(ChildProxy, ShutdownWakesABlockingTakeAndClosesOnce) {
  Watchdog dog(std::chrono::seconds(30));
  Rig rig;
  std::atomic<bool> waiting{false};
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    Bytes init;
    ASSERT_TRUE(link.ReadInit(&init));
    std::vector<ChildLink::TaskView> batch;
    waiting.store(true);
    auto took = link.Take(8, true, &batch);
    EXPECT_TRUE(took == ChildLink::Took::kStopped || took == ChildLink::Took::kGone);
  });
  wait_until([&] { return waiting.load(); });
  rig.proxy->Shutdown();
  rig.proxy->Shutdown();
  wait_until([&] { return rig.closed.load(); });
  rig.proxy->Join();
  child.join();
}

// The owner cancels at random while the child runs: every task settles once,
// and a task whose cancel answered kNotStarted never ran.
TEST(ChildProxy, AnAbortStormSettlesEveryTaskOnceAndNeverRunsAHandedBackTask) {
  Watchdog dog(std::chrono::seconds(120));
  Rig rig;
  const size_t n = scaled(20000);
  std::vector<std::atomic<int>> runs(n);
  std::thread child([&] {
    ChildLink link(rig.child_fd);
    Bytes init;
    ASSERT_TRUE(link.ReadInit(&init));
    std::vector<ChildLink::TaskView> batch;
    while (link.Take(32, true, &batch) == ChildLink::Took::kTasks) {
      for (const auto& t : batch) {
        if (!rig.Start(t.slot)) {
          link.Release(t.slot);
          continue;
        }
        ASSERT_EQ(t.size, 8u);
        runs[IdOf(t.data)].fetch_add(1);
        link.Complete(t.slot, Status::kOk, t.data, t.size);
      }
      link.Flush();
    }
  });
  std::vector<Task*> tasks(n);
  std::vector<int> cancel_result(n, -1);
  std::vector<int> seen(n, -1);
  std::mt19937 rng(11);
  size_t settled = 0;
  for (uint64_t i = 0; i < n; ++i) {
    tasks[i] = MakeTask(i);
    rig.core->submit(tasks[i]);
    if (rng() % 4 == 0) {
      const uint64_t j = rng() % (i + 1);
      if (cancel_result[j] == -1 && seen[j] == -1) {
        PoolCore::ConsumerId holder;
        CancelResult r = rig.core->cancel(tasks[j], &holder);
        cancel_result[j] = static_cast<int>(r);
        ++settled;  // the owner settles it now, whatever the answer
        // kRemoved and kNotStarted come back as tombstones (drained, freed).
        if (r != CancelResult::kRemoved && r != CancelResult::kNotStarted) tasks[j]->settled_early = true;
      }
    }
    if (i % 64 == 0) {
      for (Task* t = rig.core->drain(); t != nullptr;) {
        Task* next = t->next;
        if (t->status != Status::kCancelled) {
          EXPECT_EQ(seen[t->id], -1);
          seen[t->id] = static_cast<int>(t->status);
          if (!t->settled_early) ++settled;
        }
        delete t;
        t = next;
      }
    }
  }
  while (settled < n) {
    for (Task* t = rig.core->drain(); t != nullptr;) {
      Task* next = t->next;
      if (t->status != Status::kCancelled) {
        EXPECT_EQ(seen[t->id], -1);
        seen[t->id] = static_cast<int>(t->status);
        if (!t->settled_early) ++settled;
      }
      delete t;
      t = next;
    }
    std::this_thread::yield();
  }
  rig.core->scheduler().stop(rig.consumer->id);
  child.join();
  size_t handed_back = 0;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_LE(runs[i].load(), 1) << "task " << i;
    if (cancel_result[i] == static_cast<int>(CancelResult::kNotStarted) ||
        cancel_result[i] == static_cast<int>(CancelResult::kRemoved)) {
      EXPECT_EQ(runs[i].load(), 0) << "task " << i << " ran after its cancel said it never would";
      ++handed_back;
    }
  }
  EXPECT_GT(handed_back, 0u);
}

}  // namespace
}  // namespace nativepool
