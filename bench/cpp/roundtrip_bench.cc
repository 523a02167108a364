// The full submit -> take -> complete round trip, Scheduler vs the
// MutexScheduler baseline, same run.
//
//   PingPong : one task in flight. The client pushes, a consumer parked in
//              take() wakes, "runs" it, pushes it onto the CompletionQueue;
//              the client polls drain(). Measures wake-up latency.
//   Pipelined: `window` tasks in flight, 2 consumers taking up to 8 at once;
//              the client refills as completions drain. Measures throughput.
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>
#include <vector>

#include "completion_queue.h"
#include "mutex_scheduler.h"
#include "scheduler.h"

namespace nativepool {
namespace {

template <typename S>
struct Rig {
  explicit Rig(int consumers, size_t batch) {
    for (int c = 0; c < consumers; ++c)
      threads.emplace_back([this, batch, id = s.add_consumer()] {
        std::vector<Task*> out(batch);
        while (size_t n = s.take(id, out.data(), batch))
          for (size_t i = 0; i < n; ++i) {
            out[i]->try_claim();
            cq.push(out[i]);
          }
      });
  }
  ~Rig() {
    s.shutdown();
    for (auto& t : threads) t.join();
  }
  S s;
  CompletionQueue cq;
  std::vector<std::thread> threads;
};

void reset(Task& t) { t.state.store(static_cast<uint32_t>(TaskState::kQueued), std::memory_order_relaxed); }

template <typename S>
void BM_PingPong(benchmark::State& st) {
  Rig<S> rig(1, 1);
  Task task;
  for (auto _ : st) {
    reset(task);
    rig.s.push(&task);
    while (rig.cq.drain() == nullptr) {
    }
  }
  st.counters["ns_per_roundtrip"] =
      benchmark::Counter(static_cast<double>(st.iterations()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <typename S>
void BM_Pipelined(benchmark::State& st) {
  const size_t window = static_cast<size_t>(st.range(0));
  constexpr size_t kPerIter = 100'000;
  std::vector<Task> tasks(window);
  for (auto _ : st) {
    Rig<S> rig(2, 8);
    size_t sent = 0, done = 0;
    for (; sent < window; ++sent) rig.s.push(&tasks[sent]);
    while (done < kPerIter) {
      Task* t = rig.cq.drain();
      if (t == nullptr) {
        std::this_thread::yield();
        continue;
      }
      for (; t != nullptr;) {
        Task* next = t->next;
        ++done;
        if (sent < kPerIter) {
          reset(*t);
          rig.s.push(t);
          ++sent;
        }
        t = next;
      }
    }
  }
  st.counters["ns_per_task"] = benchmark::Counter(static_cast<double>(st.iterations() * kPerIter),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK_TEMPLATE(BM_PingPong, Scheduler)->UseRealTime();
BENCHMARK_TEMPLATE(BM_PingPong, MutexScheduler)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Pipelined, Scheduler)->Arg(256)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Pipelined, MutexScheduler)->Arg(256)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nativepool

BENCHMARK_MAIN();
