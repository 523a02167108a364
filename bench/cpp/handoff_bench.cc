// ns per handoff between threads, lock-free vs the mutex baseline, same run.
//
//   Sched/1x1, Sched/2x2 : producers push Tasks into a Scheduler, consumers
//                          block in take(c, out, 1). Scheduler (lock-free lanes +
//                          EventCount) vs MutexScheduler (mutex+deque+condvar).
//   Ring/1x1, Ring/2x2   : the bare queues, polled (yield when full/empty):
//                          MpmcRing vs std::mutex + std::deque.
//   Completion/Nx1       : N producers push into CompletionQueue, one consumer
//                          drains batches (polled) vs mutex + vector swap.
// Each iteration moves kItems items; ns_per_item = wall time / items.
#include <benchmark/benchmark.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "completion_queue.h"
#include "mpmc_ring.h"
#include "mutex_scheduler.h"
#include "scheduler.h"

namespace nativepool {
namespace {

constexpr size_t kItems = 200'000;

void set_counters(benchmark::State& st) {
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * kItems));
  st.counters["ns_per_item"] = benchmark::Counter(static_cast<double>(st.iterations() * kItems),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

std::vector<Task>& task_pool() {
  static std::vector<Task> tasks(kItems);
  return tasks;
}

template <typename S>
void BM_Sched(benchmark::State& st) {
  const int producers = static_cast<int>(st.range(0)), consumers = static_cast<int>(st.range(1));
  auto& tasks = task_pool();
  for (auto _ : st) {
    S s;
    std::atomic<size_t> taken{0};
    std::vector<std::thread> ts;
    for (int c = 0; c < consumers; ++c)
      ts.emplace_back([&, id = s.add_consumer()] {
        Task* out[1];
        while (s.take(id, out, 1) == 1)
          if (taken.fetch_add(1, std::memory_order_relaxed) + 1 == kItems) s.shutdown();
      });
    for (int p = 0; p < producers; ++p)
      ts.emplace_back([&, p] {
        for (size_t i = p; i < kItems; i += producers) s.push(&tasks[i]);
      });
    for (auto& t : ts) t.join();
  }
  set_counters(st);
}

struct MutexDeque {
  std::mutex mu;
  std::deque<uint64_t> q;
  bool try_push(uint64_t v) {
    std::lock_guard<std::mutex> l(mu);
    q.push_back(v);
    return true;
  }
  bool try_pop(uint64_t& v) {
    std::lock_guard<std::mutex> l(mu);
    if (q.empty()) return false;
    v = q.front();
    q.pop_front();
    return true;
  }
};

struct Ring {
  MpmcRing<uint64_t> r{4096};
  bool try_push(uint64_t v) { return r.try_push(v); }
  bool try_pop(uint64_t& v) { return r.try_pop(v); }
};

template <typename Q>
void BM_Ring(benchmark::State& st) {
  const int producers = static_cast<int>(st.range(0)), consumers = static_cast<int>(st.range(1));
  for (auto _ : st) {
    Q q;
    std::atomic<size_t> taken{0};
    std::vector<std::thread> ts;
    for (int c = 0; c < consumers; ++c)
      ts.emplace_back([&] {
        uint64_t v;
        while (taken.load(std::memory_order_relaxed) < kItems) {
          if (q.try_pop(v))
            taken.fetch_add(1, std::memory_order_relaxed);
          else
            std::this_thread::yield();
        }
      });
    for (int p = 0; p < producers; ++p)
      ts.emplace_back([&, p] {
        for (size_t i = p; i < kItems; i += producers)
          while (!q.try_push(i)) std::this_thread::yield();
      });
    for (auto& t : ts) t.join();
  }
  set_counters(st);
}

struct MutexCompletion {
  std::mutex mu;
  std::vector<Task*> items;
  void push(Task* t) {
    std::lock_guard<std::mutex> l(mu);
    items.push_back(t);
  }
  size_t drain(std::vector<Task*>& out) {
    out.clear();
    std::lock_guard<std::mutex> l(mu);
    out.swap(items);
    return out.size();
  }
};

struct TreiberCompletion {
  CompletionQueue q;
  void push(Task* t) { q.push(t); }
  size_t drain(std::vector<Task*>&) {
    size_t n = 0;
    for (Task* t = q.drain(); t != nullptr; t = t->next) ++n;
    return n;
  }
};

template <typename Q>
void BM_Completion(benchmark::State& st) {
  const int producers = static_cast<int>(st.range(0));
  auto& tasks = task_pool();
  for (auto _ : st) {
    Q q;
    std::vector<std::thread> ts;
    for (int p = 0; p < producers; ++p)
      ts.emplace_back([&, p] {
        for (size_t i = p; i < kItems; i += producers) q.push(&tasks[i]);
      });
    std::vector<Task*> batch;
    size_t got = 0;
    while (got < kItems) {
      size_t n = q.drain(batch);
      if (n == 0) std::this_thread::yield();
      got += n;
    }
    for (auto& t : ts) t.join();
  }
  set_counters(st);
}

BENCHMARK_TEMPLATE(BM_Sched, Scheduler)->Args({1, 1})->Args({2, 2})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Sched, MutexScheduler)->Args({1, 1})->Args({2, 2})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Ring, Ring)->Args({1, 1})->Args({2, 2})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Ring, MutexDeque)->Args({1, 1})->Args({2, 2})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Completion, TreiberCompletion)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Completion, MutexCompletion)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nativepool

BENCHMARK_MAIN();
