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
      scheduler_(std::move(options)),
      tombstones_(std::make_unique<std::atomic<int64_t>[]>(scheduler_.lanes())) {}

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
    for (Task*& t : c->held) {
      delete t;
      t = nullptr;
    }
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
  metrics_.on_submit();
  scheduler_.push(t);
}

void PoolCore::submit_bulk(Task* const* ts, size_t n) {
  const uint64_t now = now_ns();
  for (size_t i = 0; i < n; ++i) {
    ts[i]->enqueue_ns = now;
    metrics_.on_submit();
  }
  scheduler_.push_bulk(ts, n);
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

PoolCore::Consumer::Consumer(ConsumerId id, uint32_t capacity)
    : id(id),
      capacity(capacity),
      held(capacity, nullptr),
      words(new std::atomic<int32_t>[capacity]),
      created_ns(now_ns()) {
  free_slots.reserve(capacity);
  // Lowest slot handed out first.
  for (uint32_t s = capacity; s > 0; --s) free_slots.push_back(s - 1);
  for (uint32_t s = 0; s < capacity; ++s)
    words[s].store(static_cast<int32_t>(SlotState::kFree), std::memory_order_relaxed);
}

std::shared_ptr<PoolCore::Consumer> PoolCore::add_consumer(uint32_t capacity) {
  auto c = std::make_shared<Consumer>(scheduler_.add_consumer(), std::max<uint32_t>(1, capacity));
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
  std::shared_ptr<Consumer> c = consumer(id);
  if (!c) return;
  // Abandon while the consumer can still be found: a cancel() that looks for
  // a task's holder then always finds it, or finds the task settled.
  abandon(*c);
  {
    std::lock_guard<std::mutex> lock(consumers_mu_);
    consumers_.erase(id);
    live_consumers_.store(consumers_.size(), std::memory_order_relaxed);
  }
  scheduler_.remove_consumer(id);
}

size_t PoolCore::take(Consumer& c, uint32_t* slots, Task** tasks, size_t max, bool block) {
  // Fair share: a consumer takes at most its share of what is queued, so a
  // batch never strands tasks behind one worker while another is idle.
  size_t consumers = std::max<size_t>(1, live_consumers_.load(std::memory_order_relaxed));
  const size_t queued = scheduler_.size_approx();
  const int64_t waiting = static_cast<int64_t>(queued) - tombstones();
  metrics_.on_queue_seen(waiting > 0 ? static_cast<uint64_t>(waiting) : 0);
  size_t share = std::max<size_t>(1, queued / consumers);
  max = std::min(max, share);
  {
    std::lock_guard<std::mutex> lock(c.mu);
    max = std::min(max, c.free_slots.size());
  }
  if (max == 0 || stopped(c)) return 0;
  std::vector<Task*> back;  // popped after this consumer was abandoned
  for (;;) {
    size_t n = block ? scheduler_.take(c.id, tasks, max) : scheduler_.try_take(tasks, max);
    if (n == 0) return 0;
    uint64_t now = now_ns();
    size_t kept = 0;
    {
      std::lock_guard<std::mutex> lock(c.mu);
      for (size_t i = 0; i < n; ++i) {
        Task* t = tasks[i];
        if (c.abandoned || c.stopping) {
          back.push_back(t);  // never claimed: back in line for another consumer
          continue;
        }
        // Before the claim: a cancel() that sees kTaken sees the holder.
        t->holder.store(c.id, std::memory_order_relaxed);
        if (!t->try_claim()) {
          // A tombstone: its owner cancelled it. Hand it back to be freed.
          tombstones_of(t).fetch_sub(1, std::memory_order_relaxed);
          t->status = Status::kCancelled;
          finish(t);
          continue;
        }
        t->start_ns = now;
        const uint32_t slot = c.free_slots.back();
        c.free_slots.pop_back();
        c.held[slot] = t;
        t->slot.store(slot, std::memory_order_relaxed);
        // relaxed: published to the owner by c.mu, to this consumer's own
        // start CAS by program order.
        c.words[slot].store(static_cast<int32_t>(SlotState::kTaken), std::memory_order_relaxed);
        slots[kept] = slot;
        tasks[kept] = t;
        ++kept;
      }
    }
    if (!back.empty()) {
      for (Task* t : back) scheduler_.push(t);
      return 0;
    }
    if (kept > 0) return kept;
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
    if (slot >= c.capacity || c.held[slot] == nullptr) return false;
    // A slot the owner cancelled (not started) is released, never completed.
    if (c.words[slot].load(std::memory_order_relaxed) == static_cast<int32_t>(SlotState::kCancelled)) return false;
    t = c.held[slot];
    c.held[slot] = nullptr;
    c.words[slot].store(static_cast<int32_t>(SlotState::kFree), std::memory_order_relaxed);
    c.free_slots.push_back(slot);
    // relaxed: cancel() reads it under c.mu (or after failing to find the
    // task in the held set, having taken c.mu).
    t->state.store(static_cast<uint32_t>(TaskState::kDone), std::memory_order_relaxed);
    start = std::max(t->start_ns, std::min(c.last_end_ns, end));
    c.last_end_ns = end;
    // Only complete() writes these, under mu: no read-modify-write needed.
    c.done.store(c.done.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    c.busy_ns.store(c.busy_ns.load(std::memory_order_relaxed) + (end - start), std::memory_order_relaxed);
  }
  t->start_ns = start;
  t->end_ns = end;
  t->status = status;
  t->result = std::move(result);
  metrics_.on_ran(status, start - t->enqueue_ns, end - start);
  finish(t);
  return true;
}

bool PoolCore::release(Consumer& c, uint32_t slot) {
  Task* t;
  bool requeue;
  const bool shut = scheduler_.is_shutdown();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (slot >= c.capacity || c.held[slot] == nullptr) return false;
    if (c.words[slot].load(std::memory_order_relaxed) != static_cast<int32_t>(SlotState::kCancelled))
      return false;
    t = c.held[slot];
    c.held[slot] = nullptr;
    c.words[slot].store(static_cast<int32_t>(SlotState::kFree), std::memory_order_relaxed);
    c.free_slots.push_back(slot);
    requeue = t->reclaimed;
    if (requeue) {
      t->reclaimed = false;
      // Decided under c.mu, as in abandon(): release pairs with cancel()'s acquire.
      t->state.store(static_cast<uint32_t>(shut ? TaskState::kDone : TaskState::kQueued), std::memory_order_release);
    }
  }
  if (requeue) {
    requeue_unstarted(t, shut);
    return true;
  }
  // The consumer is done with it (it may have been decoding it when the
  // owner cancelled it): back to the owner as a tombstone, to be freed.
  t->status = Status::kCancelled;
  finish(t);
  return true;
}

size_t PoolCore::reclaim_unstarted(Consumer& c) {
  std::lock_guard<std::mutex> lock(c.mu);
  if (c.abandoned) return 0;
  c.stopping = true;
  size_t n = 0;
  for (uint32_t slot = 0; slot < c.capacity; ++slot) {
    Task* t = c.held[slot];
    if (t == nullptr) continue;
    int32_t expected = static_cast<int32_t>(SlotState::kTaken);
    // seq_cst: races with the consumer's start CAS on the same word; the
    // task stays in its slot (the consumer may be reading its payload)
    // until release() or abandon().
    if (c.words[slot].compare_exchange_strong(expected, static_cast<int32_t>(SlotState::kCancelled),
                                              std::memory_order_seq_cst)) {
      t->reclaimed = true;
      ++n;
    }
  }
  return n;
}

void PoolCore::requeue_unstarted(Task* t, bool shut) {
  if (shut) {
    t->status = Status::kShutdown;
    t->end_ns = now_ns();
    metrics_.on_cancelled();
    finish(t);
  } else {
    // Never started: back in line, claimable again (or cancellable: the
    // owner may turn it into a tombstone before a consumer pops it).
    scheduler_.push(t);
  }
}

CancelResult PoolCore::cancel(Task* t, ConsumerId* holder) {
  for (;;) {
    if (t->try_cancel()) {
      tombstones_of(t).fetch_add(1, std::memory_order_relaxed);
      metrics_.on_cancelled();
      return CancelResult::kRemoved;
    }
    // Claimed: the failed CAS's acquire makes `holder` readable.
    std::shared_ptr<Consumer> c = consumer(t->holder.load(std::memory_order_relaxed));
    if (c) {
      std::lock_guard<std::mutex> lock(c->mu);
      // `slot` may be another consumer's by now; then held[slot] != t here.
      const uint32_t slot = t->slot.load(std::memory_order_relaxed);
      if (slot < c->capacity && c->held[slot] == t) {
        int32_t expected = static_cast<int32_t>(SlotState::kTaken);
        // seq_cst: races with the consumer's start CAS on the same word.
        if (c->words[slot].compare_exchange_strong(
                expected, static_cast<int32_t>(SlotState::kCancelled), std::memory_order_seq_cst)) {
          // Not started: it stays in the slot (the consumer may be reading
          // its payload right now) until the consumer skips it; release()
          // then hands it back to the owner as a tombstone.
          t->state.store(static_cast<uint32_t>(TaskState::kDone), std::memory_order_relaxed);
          metrics_.on_cancelled();
          return CancelResult::kNotStarted;
        }
        if (expected == static_cast<int32_t>(SlotState::kCancelled)) {
          if (t->reclaimed) {
            // Taken back from a stopping consumer, not yet back in line: the
            // owner's cancel wins; release()/abandon() return a tombstone.
            t->reclaimed = false;
            t->state.store(static_cast<uint32_t>(TaskState::kDone), std::memory_order_relaxed);
            metrics_.on_cancelled();
          }
          return CancelResult::kNotStarted;  // (or cancelled twice)
        }
        // Finished, its result on the way (kCompleting): nothing to stop.
        if (expected == static_cast<int32_t>(SlotState::kCompleting)) return CancelResult::kFinished;
        *holder = c->id;
        return CancelResult::kRunning;
      }
    }
    // Not in that consumer's held set. Under its mutex (taken above) the
    // task either completed (kDone) or was put back in line (kQueued); a
    // consumer that has since claimed it again is found on the next round.
    // acquire: pairs with abandon()'s release store of kQueued.
    const uint32_t s = t->state.load(std::memory_order_acquire);
    if (s == static_cast<uint32_t>(TaskState::kDone)) return CancelResult::kFinished;
    if (s == static_cast<uint32_t>(TaskState::kCancelled)) return CancelResult::kRemoved;  // cancelled twice
  }
}

void PoolCore::take_queued(std::vector<Task*>* out, size_t keep) {
  Task* batch[64];
  size_t n;
  std::vector<Task*> popped;
  while ((n = scheduler_.try_take(batch, 64)) > 0) popped.insert(popped.end(), batch, batch + n);
  std::vector<Task*> kept;
  for (Task* t : popped) {
    // Out of the lanes, a task is touched by nobody but this (owner) thread.
    if (t->state.load(std::memory_order_acquire) != static_cast<uint32_t>(TaskState::kQueued)) {
      tombstones_of(t).fetch_sub(1, std::memory_order_relaxed);
      t->status = Status::kCancelled;  // a tombstone
      out->push_back(t);
    } else if (kept.size() < keep) {
      kept.push_back(t);
    } else {
      t->state.store(static_cast<uint32_t>(TaskState::kDone), std::memory_order_relaxed);
      t->status = Status::kShutdown;
      metrics_.on_cancelled();
      out->push_back(t);
    }
  }
  for (Task* t : kept) scheduler_.push(t);
}

size_t PoolCore::abandon(Consumer& c) {
  std::vector<Task*> orphans;
  std::vector<Task*> unstarted;
  std::vector<Task*> cancelled;  // the owner cancelled them; they await release()
  const bool shut = scheduler_.is_shutdown();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.abandoned) return 0;
    c.abandoned = true;
    for (uint32_t slot = 0; slot < c.capacity; ++slot) {
      Task* t = c.held[slot];
      if (t == nullptr) continue;
      c.held[slot] = nullptr;
      int32_t expected = static_cast<int32_t>(SlotState::kTaken);
      // seq_cst: races with the consumer's start CAS, should it still run.
      if (c.words[slot].compare_exchange_strong(
              expected, static_cast<int32_t>(SlotState::kCancelled), std::memory_order_seq_cst)) {
        unstarted.push_back(t);
        // Decided under c.mu, so cancel() never sees it held and kTaken at once.
        // release: pairs with the acquire load in cancel().
        t->state.store(static_cast<uint32_t>(shut ? TaskState::kDone : TaskState::kQueued),
                       std::memory_order_release);
      } else if (expected == static_cast<int32_t>(SlotState::kCancelled) && t->reclaimed) {
        t->reclaimed = false;  // taken back from it before it went: back in line
        unstarted.push_back(t);
        t->state.store(static_cast<uint32_t>(shut ? TaskState::kDone : TaskState::kQueued),
                       std::memory_order_release);
      } else if (expected == static_cast<int32_t>(SlotState::kCancelled)) {
        cancelled.push_back(t);
      } else {
        orphans.push_back(t);
        t->state.store(static_cast<uint32_t>(TaskState::kDone), std::memory_order_relaxed);
      }
    }
    c.free_slots.clear();
  }
  scheduler_.stop(c.id);
  uint64_t now = now_ns();
  for (Task* t : unstarted) requeue_unstarted(t, shut);
  for (Task* t : cancelled) {
    t->status = Status::kCancelled;  // a tombstone: its owner settled it already
    finish(t);
  }
  for (Task* t : orphans) {
    t->status = Status::kWorkerExited;
    t->end_ns = now;
    metrics_.on_ran(Status::kWorkerExited, t->start_ns - t->enqueue_ns, now - t->start_ns);
    finish(t);
  }
  return orphans.size();
}

int64_t PoolCore::tombstones() const {
  int64_t n = 0;
  for (uint32_t lane = 0; lane < scheduler_.lanes(); ++lane) n += tombstones_[lane].load(std::memory_order_relaxed);
  return n;
}

size_t PoolCore::queued_approx(uint32_t lane) const {
  if (lane >= scheduler_.lanes()) return 0;
  const int64_t n = static_cast<int64_t>(scheduler_.lane_size_approx(lane)) -
                    tombstones_[lane].load(std::memory_order_relaxed);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

size_t PoolCore::queued_approx() const {
  const int64_t n = static_cast<int64_t>(scheduler_.size_approx()) - tombstones();
  return n > 0 ? static_cast<size_t>(n) : 0;
}

bool PoolCore::consumer_figures(ConsumerId id, ConsumerFigures* out) const {
  std::shared_ptr<Consumer> c = consumer(id);
  if (!c) return false;
  out->done = c->done.load(std::memory_order_relaxed);
  out->busy_ns = c->busy_ns.load(std::memory_order_relaxed);
  const uint64_t now = now_ns();
  out->age_ns = now > c->created_ns ? now - c->created_ns : 0;
  out->held = 0;
  out->running = 0;
  out->running_ns = 0;
  out->running_slots.clear();
  std::lock_guard<std::mutex> lock(c->mu);
  for (uint32_t s = 0; s < c->capacity; ++s) {
    if (c->held[s] == nullptr) continue;
    ++out->held;
    // relaxed: a figure; the consumer's start CAS may land just after it.
    if (c->words[s].load(std::memory_order_relaxed) == static_cast<int32_t>(SlotState::kRunning)) {
      ++out->running;
      out->running_slots.push_back(s);
      const Task* t = c->held[s];
      const uint64_t start = std::max(t->start_ns, std::min(c->last_end_ns, now));
      out->running_ns = std::max(out->running_ns, now > start ? now - start : 0);
    }
  }
  return true;
}

void PoolCore::running_tasks(std::vector<RunningTask>* out) const {
  out->clear();
  std::vector<std::shared_ptr<Consumer>> all;
  {
    std::lock_guard<std::mutex> lock(consumers_mu_);
    all.reserve(consumers_.size());
    for (const auto& entry : consumers_) all.push_back(entry.second);
  }
  for (const auto& c : all) {
    std::lock_guard<std::mutex> lock(c->mu);
    for (uint32_t s = 0; s < c->capacity; ++s) {
      const Task* t = c->held[s];
      if (t == nullptr) continue;
      // seq_cst: a start CAS that landed (the consumer's, on this word) is seen.
      if (c->words[s].load(std::memory_order_seq_cst) != static_cast<int32_t>(SlotState::kRunning)) continue;
      out->push_back(RunningTask{t, t->id, c->id, s});
    }
  }
}

void PoolCore::finish(Task* t) {
  if (completions_.push(t)) {
    std::lock_guard<std::mutex> lock(bell_mu_);
    if (bell_) bell_();
  }
}

}  // namespace nativepool
