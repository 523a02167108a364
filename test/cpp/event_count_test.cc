#include "event_count.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "test_util.h"

namespace nativepool {
namespace {

using testing::scaled;
using testing::wait_until;
using testing::Watchdog;
using Wake = EventCount::Wake;
using namespace std::chrono_literals;

TEST(EventCount, NotifyWithNobodyWaitingReturnsFalse) {
  EventCount ec;
  EXPECT_FALSE(ec.notify_one());
  ec.notify_all();
  EXPECT_EQ(ec.waiters_approx(), 0u);
}

TEST(EventCount, CancelWaitWithoutANotifyAbsorbsNothing) {
  EventCount ec;
  ec.prepare_wait();
  EXPECT_FALSE(ec.cancel_wait());
  EXPECT_EQ(ec.waiters_approx(), 0u);
}

TEST(EventCount, NotifyBetweenPrepareAndCommitMakesCommitReturnAtOnce) {
  EventCount ec;
  EventCount::Waiter w;
  ec.prepare_wait();
  EXPECT_TRUE(ec.notify_one());
  EXPECT_EQ(ec.commit_wait(&w), Wake::kNotified);  // would hang if the signal were lost
  EXPECT_EQ(ec.waiters_approx(), 0u);
}

TEST(EventCount, CancelAfterANotifyAbsorbsIt) {
  EventCount ec;
  ec.prepare_wait();
  EXPECT_TRUE(ec.notify_one());
  EXPECT_TRUE(ec.cancel_wait());
}

TEST(EventCount, KickBeforeCommitMakesCommitReturnKicked) {
  EventCount ec;
  EventCount::Waiter w;
  ec.kick(&w);
  ec.prepare_wait();
  EXPECT_EQ(ec.commit_wait(&w), Wake::kKicked);
}

TEST(EventCount, WakesParkedWaitersLifo) {
  Watchdog dog(20s, "LIFO");
  EventCount ec;
  EventCount::Waiter wa, wb;
  std::mutex mu;
  std::vector<char> order;
  auto park = [&](EventCount::Waiter* w, char name) {
    ec.prepare_wait();
    EXPECT_EQ(ec.commit_wait(w), Wake::kNotified);
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(name);
  };
  std::thread a(park, &wa, 'a');
  wait_until([&] { return ec.parked_approx() == 1; });
  std::thread b(park, &wb, 'b');
  wait_until([&] { return ec.parked_approx() == 2; });
  EXPECT_TRUE(ec.notify_one());
  wait_until([&] {
    std::lock_guard<std::mutex> lock(mu);
    return order.size() == 1;
  });
  EXPECT_TRUE(ec.notify_one());
  a.join();
  b.join();
  EXPECT_EQ(order, (std::vector<char>{'b', 'a'}));
}

TEST(EventCount, KickWakesOnlyThatWaiter) {
  Watchdog dog(20s, "kick");
  EventCount ec;
  EventCount::Waiter wa, wb;
  std::atomic<int> a_result{-1}, b_result{-1};
  std::thread a([&] { ec.prepare_wait(); a_result = static_cast<int>(ec.commit_wait(&wa)); });
  wait_until([&] { return ec.parked_approx() == 1; });
  std::thread b([&] { ec.prepare_wait(); b_result = static_cast<int>(ec.commit_wait(&wb)); });
  wait_until([&] { return ec.parked_approx() == 2; });
  ec.kick(&wa);
  a.join();
  EXPECT_EQ(a_result.load(), static_cast<int>(Wake::kKicked));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(b_result.load(), -1) << "the other waiter must stay parked";
  EXPECT_EQ(ec.parked_approx(), 1u);
  ec.notify_one();
  b.join();
  EXPECT_EQ(b_result.load(), static_cast<int>(Wake::kNotified));
}

TEST(EventCount, NotifyAllWakesEveryWaiterIncludingPreWaiters) {
  Watchdog dog(20s, "notify_all");
  EventCount ec;
  constexpr int kParked = 3;
  std::vector<EventCount::Waiter> ws(kParked + 1);
  std::vector<std::thread> ts;
  for (int i = 0; i < kParked; ++i)
    ts.emplace_back([&, i] { ec.prepare_wait(); ec.commit_wait(&ws[i]); });
  wait_until([&] { return ec.parked_approx() == kParked; });
  ec.prepare_wait();  // this thread is a pre-waiter
  ec.notify_all();
  for (auto& t : ts) t.join();
  EXPECT_EQ(ec.commit_wait(&ws[kParked]), Wake::kNotified);
  EXPECT_EQ(ec.waiters_approx(), 0u);
}

TEST(EventCount, ArmedCallbackFiresExactlyOnce) {
  EventCount ec;
  EventCount::Waiter w;
  int fired = 0;
  ec.prepare_wait();
  ASSERT_EQ(ec.commit_async(&w, [&] { ++fired; }), Wake::kArmed);
  EXPECT_TRUE(ec.notify_one());
  EXPECT_FALSE(ec.notify_one());
  ec.notify_all();
  ec.kick(&w);  // leaves a pending kick; must not fire again
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(ec.disarm(&w));
}

TEST(EventCount, DisarmedCallbackNeverFires) {
  EventCount ec;
  EventCount::Waiter w;
  int fired = 0;
  ec.prepare_wait();
  ASSERT_EQ(ec.commit_async(&w, [&] { ++fired; }), Wake::kArmed);
  EXPECT_TRUE(ec.disarm(&w));
  EXPECT_FALSE(ec.notify_one());
  EXPECT_EQ(fired, 0);
}

TEST(EventCount, CommitAsyncDoesNotArmWhenASignalIsOwed) {
  EventCount ec;
  EventCount::Waiter w;
  ec.prepare_wait();
  ec.notify_one();
  EXPECT_EQ(ec.commit_async(&w, [] { FAIL() << "must not be armed"; }), Wake::kNotified);
}

TEST(EventCount, NotifyPrefersAParkedWaiterOverAnArmedOne) {
  Watchdog dog(20s, "prefer parked");
  EventCount ec;
  EventCount::Waiter parked, armed;
  int fired = 0;
  std::thread t([&] { ec.prepare_wait(); ec.commit_wait(&parked); });
  wait_until([&] { return ec.parked_approx() == 1; });
  ec.prepare_wait();
  ASSERT_EQ(ec.commit_async(&armed, [&] { ++fired; }), Wake::kArmed);
  EXPECT_TRUE(ec.notify_one());
  t.join();
  EXPECT_EQ(fired, 0);
  EXPECT_TRUE(ec.notify_one());
  EXPECT_EQ(fired, 1);
}

// Producers add to a counter then notify; consumers take from it or park
// with the two-phase protocol. A lost wake-up hangs, and the watchdog aborts.
TEST(EventCount, StressNoLostWakeups) {
  Watchdog dog(60s, "EventCount stress");
  constexpr int kProducers = 2, kConsumers = 3;
  const int64_t n = static_cast<int64_t>(scaled(1'000'000));
  EventCount ec;
  std::atomic<int64_t> items{0};
  std::atomic<int64_t> consumed{0};
  std::atomic<bool> done{false};
  auto try_take = [&] {
    int64_t v = items.load(std::memory_order_relaxed);
    while (v > 0)
      if (items.compare_exchange_weak(v, v - 1, std::memory_order_acquire)) return true;
    return false;
  };
  std::vector<EventCount::Waiter> ws(kConsumers);
  std::vector<std::thread> ts;
  for (int c = 0; c < kConsumers; ++c)
    ts.emplace_back([&, c] {
      for (;;) {
        if (try_take()) {
          if (consumed.fetch_add(1) + 1 == n) {
            done.store(true, std::memory_order_seq_cst);
            ec.notify_all();
          }
          continue;
        }
        if (done.load()) return;
        ec.prepare_wait();
        if (items.load(std::memory_order_seq_cst) > 0 || done.load(std::memory_order_seq_cst)) {
          ec.cancel_wait();
          continue;
        }
        ec.commit_wait(&ws[c]);
      }
    });
  for (int p = 0; p < kProducers; ++p)
    ts.emplace_back([&, p] {
      for (int64_t i = p; i < n; i += kProducers) {
        items.fetch_add(1, std::memory_order_seq_cst);  // the producer's Dekker RMW
        ec.notify_one();
        if ((i & 1023) == 0) std::this_thread::yield();  // let consumers park sometimes
        if ((i & 8191) == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(consumed.load(), n);
  EXPECT_EQ(ec.waiters_approx(), 0u);
}

}  // namespace
}  // namespace nativepool
