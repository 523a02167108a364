#include "executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace nativepool {
namespace {

using testing::scaled;
using testing::wait_until;
using testing::Watchdog;
using namespace std::chrono_literals;

std::string result_text(const Task& t) { return std::string(t.result.begin(), t.result.end()); }

// Collects completions; the doorbell wakes a waiting test thread.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  int doorbells = 0;
  std::vector<Task*> done;

  Executor::Doorbell doorbell() {
    return [this] {
      std::lock_guard<std::mutex> lock(mu);
      ++doorbells;
      cv.notify_all();
    };
  }
  // Drains until `n` tasks came back in total.
  void wait_for(Executor& ex, size_t n) {
    for (;;) {
      for (Task* t = ex.drain_completions(); t != nullptr; t = t->next) done.push_back(t);
      if (done.size() >= n) return;
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, 5ms);
    }
  }
};

TEST(Executor, RunsNativeTasksAndRingsTheDoorbell) {
  Watchdog dog(20s, "executor basic");
  Collector col;
  Executor ex(ExecutorOptions{2, {}, 1}, col.doorbell());
  std::vector<Task> tasks(10);
  for (size_t i = 0; i < tasks.size(); ++i) {
    tasks[i].id = i;
    tasks[i].native = [](Task& t) { t.result.assign(1, static_cast<uint8_t>(t.id * 2)); };
    ASSERT_TRUE(ex.submit(&tasks[i]));
  }
  col.wait_for(ex, tasks.size());
  for (Task& t : tasks) {
    EXPECT_EQ(t.status, Status::kOk);
    ASSERT_EQ(t.result.size(), 1u);
    EXPECT_EQ(t.result[0], t.id * 2);
    EXPECT_GE(t.start_ns, t.enqueue_ns);
    EXPECT_GE(t.end_ns, t.start_ns);
  }
  std::lock_guard<std::mutex> lock(col.mu);
  EXPECT_GE(col.doorbells, 1);
}

TEST(Executor, ExceptionBecomesAnErrorResultWithItsMessage) {
  Watchdog dog(20s, "executor exception");
  Collector col;
  Executor ex(ExecutorOptions{1, {}, 1}, col.doorbell());
  Task t;
  t.native = [](Task&) { throw std::runtime_error("kernel exploded"); };
  ASSERT_TRUE(ex.submit(&t));
  col.wait_for(ex, 1);
  EXPECT_EQ(t.status, Status::kError);
  EXPECT_EQ(result_text(t), "kernel exploded");
  EXPECT_EQ(ex.metrics().failed(), 1u);
}

TEST(Executor, NonStdExceptionAndMissingCallableBecomeErrors) {
  Watchdog dog(20s, "executor odd errors");
  Collector col;
  Executor ex(ExecutorOptions{1, {}, 1}, col.doorbell());
  Task thrower, empty;
  thrower.native = [](Task&) { throw 42; };
  ASSERT_TRUE(ex.submit(&thrower));
  ASSERT_TRUE(ex.submit(&empty));
  col.wait_for(ex, 2);
  EXPECT_EQ(thrower.status, Status::kError);
  EXPECT_NE(result_text(thrower).find("non-std::exception"), std::string::npos);
  EXPECT_EQ(empty.status, Status::kError);
  EXPECT_NE(result_text(empty).find("no native callable"), std::string::npos);
}

TEST(Executor, CallableMaySetItsOwnErrorStatus) {
  Watchdog dog(20s, "executor own status");
  Collector col;
  Executor ex(ExecutorOptions{1, {}, 1}, col.doorbell());
  Task t;
  t.native = [](Task& self) {
    self.status = Status::kError;
    self.result = {'n', 'o'};
  };
  ASSERT_TRUE(ex.submit(&t));
  col.wait_for(ex, 1);
  EXPECT_EQ(t.status, Status::kError);
  EXPECT_EQ(result_text(t), "no");
}

TEST(Executor, CancelledQueuedTaskComesBackCancelledWithoutRunning) {
  Watchdog dog(20s, "executor cancel");
  Collector col;
  Executor ex(ExecutorOptions{1, {}, 1}, col.doorbell());
  std::atomic<bool> release{false}, gate_running{false}, victim_ran{false};
  Task gate, victim;
  gate.native = [&](Task&) {
    gate_running = true;
    wait_until([&] { return release.load(); });
  };
  victim.native = [&](Task&) { victim_ran = true; };
  ASSERT_TRUE(ex.submit(&gate));
  wait_until([&] { return gate_running.load(); });
  ASSERT_TRUE(ex.submit(&victim));
  EXPECT_TRUE(Executor::cancel(&victim));
  EXPECT_FALSE(Executor::cancel(&gate)) << "a running task cannot be cancelled";
  release = true;
  col.wait_for(ex, 2);
  EXPECT_FALSE(victim_ran.load());
  EXPECT_EQ(victim.status, Status::kCancelled);
  EXPECT_EQ(gate.status, Status::kOk);
  EXPECT_EQ(ex.metrics().cancelled(), 1u);
}

TEST(Executor, GracefulShutdownRunsEveryQueuedTask) {
  Watchdog dog(20s, "executor drain");
  Collector col;
  auto ex = std::make_unique<Executor>(ExecutorOptions{2, {}, 4}, col.doorbell());
  std::atomic<int> ran{0};
  std::vector<Task> tasks(2000);
  for (Task& t : tasks) {
    t.native = [&](Task&) { ran.fetch_add(1); };
    ASSERT_TRUE(ex->submit(&t));
  }
  ex->shutdown(Executor::ShutdownMode::kDrain);
  EXPECT_EQ(ran.load(), 2000);
  col.wait_for(*ex, tasks.size());
  for (Task& t : tasks) EXPECT_EQ(t.status, Status::kOk);
}

TEST(Executor, ImmediateShutdownCompletesQueuedTasksAsShutdownUnrun) {
  Watchdog dog(20s, "executor immediate");
  Collector col;
  Executor ex(ExecutorOptions{1, {}, 1}, col.doorbell());
  std::atomic<bool> release{false}, gate_running{false};
  std::atomic<int> ran{0};
  Task gate;
  gate.native = [&](Task&) {
    gate_running = true;
    wait_until([&] { return release.load(); });
  };
  ASSERT_TRUE(ex.submit(&gate));
  wait_until([&] { return gate_running.load(); });
  std::vector<Task> queued(50);
  for (Task& t : queued) {
    t.native = [&](Task&) { ran.fetch_add(1); };
    ASSERT_TRUE(ex.submit(&t));
  }
  ASSERT_TRUE(Executor::cancel(&queued[0]));
  std::thread closer([&] { ex.shutdown(Executor::ShutdownMode::kCancelQueued); });
  std::this_thread::sleep_for(5ms);
  release = true;  // the running task finishes normally
  closer.join();
  col.wait_for(ex, 51);
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(gate.status, Status::kOk);
  EXPECT_EQ(queued[0].status, Status::kCancelled);
  for (size_t i = 1; i < queued.size(); ++i) EXPECT_EQ(queued[i].status, Status::kShutdown);
}

TEST(Executor, SubmitAfterShutdownReturnsFalseAndLeavesTheTask) {
  Executor ex(ExecutorOptions{1, {}, 1});
  ex.shutdown(Executor::ShutdownMode::kDrain);
  ex.shutdown(Executor::ShutdownMode::kDrain);  // idempotent
  Task t;
  EXPECT_FALSE(ex.submit(&t));
  EXPECT_EQ(ex.drain_completions(), nullptr);
}

TEST(Executor, MetricsAccountForEveryTask) {
  Watchdog dog(20s, "executor metrics");
  Collector col;
  Executor ex(ExecutorOptions{2, {}, 2}, col.doorbell());
  std::vector<Task> tasks(300);
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (i % 3 == 0)
      tasks[i].native = [](Task&) { throw std::logic_error("x"); };
    else
      tasks[i].native = [](Task&) {};
    ASSERT_TRUE(ex.submit(&tasks[i]));
  }
  col.wait_for(ex, tasks.size());
  MetricsSnapshot m = ex.metrics().snapshot();
  EXPECT_EQ(m.submitted, 300u);
  EXPECT_EQ(m.failed, 100u);
  EXPECT_EQ(m.completed, 200u);
  EXPECT_EQ(m.cancelled, 0u);
  EXPECT_EQ(ex.metrics().run.count(), 300u);
  EXPECT_EQ(ex.metrics().wait.count(), 300u);
}

// Producers submit from several threads while workers run and a drainer
// collects: every task comes back exactly once, sums match, and the metrics
// add up.
TEST(Executor, StressManySubmittersEveryTaskBackOnce) {
  Watchdog dog(60s, "executor stress");
  constexpr int kSubmitters = 3;
  const size_t n = scaled(200'000);
  Collector col;
  Executor ex(ExecutorOptions{2, SchedulerOptions{2, {3, 1}}, 8}, col.doorbell());
  std::vector<Task> tasks(n);
  std::atomic<uint64_t> ran_sum{0};
  std::vector<std::thread> ts;
  for (int p = 0; p < kSubmitters; ++p)
    ts.emplace_back([&, p] {
      for (size_t i = p; i < n; i += kSubmitters) {
        tasks[i].id = i;
        tasks[i].lane = static_cast<uint32_t>(i & 1);
        tasks[i].native = [&](Task& t) { ran_sum.fetch_add(t.id, std::memory_order_relaxed); };
        ASSERT_TRUE(ex.submit(&tasks[i]));
      }
    });
  for (auto& t : ts) t.join();
  col.wait_for(ex, n);
  ASSERT_EQ(col.done.size(), n);
  Bytes seen(n);
  for (Task* t : col.done) ++seen[t->id];
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "task " << i;
  EXPECT_EQ(ran_sum.load(), uint64_t(n) * (n - 1) / 2);
  ex.shutdown(Executor::ShutdownMode::kDrain);
  MetricsSnapshot m = ex.metrics().snapshot();
  EXPECT_EQ(m.submitted, n);
  EXPECT_EQ(m.completed + m.failed + m.cancelled, n);
}

}  // namespace
}  // namespace nativepool
