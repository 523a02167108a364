#include "pool_core.h"

#include <algorithm>

namespace nativepool {

namespace {
std::mutex g_registry_mu;
std::unordered_map<uint32_t, std::weak_ptr<PoolCore>> g_registry;
std::atomic<uint32_t> g_next_pool_id{1};
}  // namespace

PoolCore::PoolCore(SchedulerOptions options)
    : id_(g_next_pool_id.fetch_add(1, std::memory_order_relaxed)),
      scheduler_(std::move(options)) {}

PoolCore::~PoolCore() {
  {
    std::lock_guard<std::mutex> lock(g_registry_mu);
    auto it = g_registry.find(id_);
    if (it != g_registry.end() && it->second.expired()) g_registry.erase(it);
  }
  // Whatever is still queued or completed belongs to nobody now.
  scheduler_.shutdown();
  Task* batch[64];
  size_t n;
  while ((n = scheduler_.try_take(batch, 64)) > 0)
    for (size_t i = 0; i < n; ++i) delete batch[i];
  for (Task* t = completions_.drain(); t != nullptr;) {
    Task* next = t->next;
    delete t;
    t = next;
  }
  std::lock_guard<std::mutex> lock(consumers_mu_);
  for (auto& [id, c] : consumers_) {
    std::lock_guard<std::mutex> clock(c->mu);
    for (Task* t : c->held) delete t;
    c->held.clear();
    c->abandoned = true;
  }
}

std::shared_ptr<PoolCore> PoolCore::create(SchedulerOptions options) {
  auto core = std::make_shared<PoolCore>(std::move(options));
  std::lock_guard<std::mutex> lock(g_registry_mu);
  g_registry[core->id()] = core;
  return core;
}

std::shared_ptr<PoolCore> PoolCore::find(uint32_t id) {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  auto it = g_registry.find(id);
  return it == g_registry.end() ? nullptr : it->second.lock();
}

void PoolCore::set_doorbell(std::function<void()> bell) {
  std::lock_guard<std::mutex> lock(bell_mu_);
  bell_ = std::move(bell);
}

void PoolCore::clear_doorbell() {
  std::lock_guard<std::mutex> lock(bell_mu_);
  bell_ = nullptr;
}

void PoolCore::submit(Task* t) {
  t->enqueue_ns = now_ns();
  metrics_.submitted.fetch_add(1, std::memory_order_relaxed);
  scheduler_.push(t);
}

uint32_t PoolCore::add_handler(std::string filename, std::string name) {
  std::lock_guard<std::mutex> lock(handlers_mu_);
  for (size_t i = 0; i < handlers_.size(); ++i)
    if (handlers_[i].first == filename && handlers_[i].second == name)
      return static_cast<uint32_t>(i);
  handlers_.emplace_back(std::move(filename), std::move(name));
  return static_cast<uint32_t>(handlers_.size() - 1);
}

bool PoolCore::handler(uint32_t index, std::string* filename, std::string* name) const {
  std::lock_guard<std::mutex> lock(handlers_mu_);
  if (index >= handlers_.size()) return false;
  *filename = handlers_[index].first;
  *name = handlers_[index].second;
  return true;
}

std::shared_ptr<PoolCore::Consumer> PoolCore::add_consumer() {
  auto c = std::make_shared<Consumer>(scheduler_.add_consumer());
  std::lock_guard<std::mutex> lock(consumers_mu_);
  consumers_[c->id] = c;
  live_consumers_.store(consumers_.size(), std::memory_order_relaxed);
  return c;
}

std::shared_ptr<PoolCore::Consumer> PoolCore::consumer(ConsumerId id) const {
  std::lock_guard<std::mutex> lock(consumers_mu_);
  auto it = consumers_.find(id);
  return it == consumers_.end() ? nullptr : it->second;
}

void PoolCore::remove_consumer(ConsumerId id) {
  std::shared_ptr<Consumer> c;
  {
    std::lock_guard<std::mutex> lock(consumers_mu_);
    auto it = consumers_.find(id);
    if (it == consumers_.end()) return;
    c = it->second;
    consumers_.erase(it);
    live_consumers_.store(consumers_.size(), std::memory_order_relaxed);
  }
  abandon(*c);
  scheduler_.remove_consumer(id);
}

size_t PoolCore::take(Consumer& c, uint32_t* slots, Task** tasks, size_t max, bool block) {
  // Fair share: a consumer takes at most its share of what is queued, so a
  // batch never strands tasks behind one worker while another is idle.
  size_t consumers = std::max<size_t>(1, live_consumers_.load(std::memory_order_relaxed));
  size_t share = std::max<size_t>(1, scheduler_.size_approx() / consumers);
  max = std::min(max, share);
  for (;;) {
    size_t n = block ? scheduler_.take(c.id, tasks, max) : scheduler_.try_take(tasks, max);
    if (n == 0) return 0;
    uint64_t now = now_ns();
    size_t kept = 0;
    std::lock_guard<std::mutex> lock(c.mu);
    for (size_t i = 0; i < n; ++i) {
      Task* t = tasks[i];
      if (c.abandoned) {
        // This consumer is being torn down and never started the task: back
        // in line for another consumer.
        scheduler_.push(t);
        continue;
      }
      if (!t->try_claim()) {
        // A tombstone: its owner cancelled it. Hand it back to be freed.
        t->status = Status::kCancelled;
        finish(t);
        continue;
      }
      t->start_ns = now;
      t->holder.store(static_cast<int32_t>(c.id), std::memory_order_relaxed);
      t->issue_seq = ++c.issued;
      uint32_t slot;
      if (!c.free_slots.empty()) {
        slot = c.free_slots.back();
        c.free_slots.pop_back();
        c.held[slot] = t;
      } else {
        slot = static_cast<uint32_t>(c.held.size());
        c.held.push_back(t);
      }
      slots[kept] = slot;
      tasks[kept] = t;
      ++kept;
    }
    if (kept > 0 || c.abandoned) return kept;
    // Only tombstones came out: look again (or report empty if non-blocking).
    if (!block) return 0;
  }
}

bool PoolCore::complete(Consumer& c, uint32_t slot, Status status, Bytes&& result) {
  Task* t;
  uint64_t end = now_ns();
  uint64_t start;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (slot >= c.held.size() || c.held[slot] == nullptr) return false;
    t = c.held[slot];
    c.held[slot] = nullptr;
    c.free_slots.push_back(slot);
    start = std::max(t->start_ns, std::min(c.last_end_ns, end));
    c.last_end_ns = end;
  }
  t->start_ns = start;
  t->end_ns = end;
  t->status = status;
  t->result = std::move(result);
  uint64_t run = end - start;
  metrics_.wait.record(start - t->enqueue_ns);
  metrics_.run.record(run);
  metrics_.busy_ns.fetch_add(run, std::memory_order_relaxed);
  metrics_.completed.fetch_add(1, std::memory_order_relaxed);
  if (status != Status::kOk) metrics_.failed.fetch_add(1, std::memory_order_relaxed);
  finish(t);
  return true;
}

size_t PoolCore::abandon(Consumer& c) {
  std::vector<Task*> orphans;
  std::vector<Task*> unstarted;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.abandoned = true;
    const uint32_t started = static_cast<uint32_t>(c.progress[0]);
    for (Task* t : c.held) {
      if (t == nullptr) continue;
      // Signed distance: issue_seq wraps after 2^32 tasks.
      if (static_cast<int32_t>(t->issue_seq - started) > 0) unstarted.push_back(t);
      else orphans.push_back(t);
    }
    c.held.clear();
    c.free_slots.clear();
  }
  scheduler_.stop(c.id);
  for (Task* t : unstarted) {
    // Never started: back in line, claimable again. (If its owner tried to
    // cancel it meanwhile, the owner already settled it; running it again
    // settles nothing twice because the owner ignores unknown ids.)
    t->holder.store(-1, std::memory_order_relaxed);
    t->state.store(static_cast<uint32_t>(TaskState::kQueued), std::memory_order_release);
    scheduler_.push(t);
  }
  for (Task* t : orphans) {
    t->status = Status::kWorkerExited;
    t->end_ns = now_ns();
    finish(t);
  }
  return orphans.size();
}

void PoolCore::finish(Task* t) {
  if (t->status == Status::kCancelled)
    metrics_.cancelled.fetch_add(1, std::memory_order_relaxed);
  if (completions_.push(t)) {
    std::lock_guard<std::mutex> lock(bell_mu_);
    if (bell_) bell_();
  }
}

}  // namespace nativepool
