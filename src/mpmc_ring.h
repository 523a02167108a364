// MpmcRing: a bounded multi-producer multi-consumer ring (Vyukov), and
// SpillQueue: that ring plus a mutex-protected overflow list, so a push never
// fails for lack of space.
//
// MpmcRing protocol (D. Vyukov, "Bounded MPMC queue", 1024cores.net; the
// layout of rigtorp/MPMCQueue). Cell i carries a sequence number `seq`,
// initially i. With `pos` a monotonically increasing ticket:
//   1. try_push: pos = head_. If cells[pos].seq == pos the cell is free for
//      this lap: CAS head_ pos -> pos+1 to claim it, construct the value, then
//      store seq = pos+1 (release) to publish it. seq < pos: the ring is full.
//   2. try_pop: pos = tail_. If cells[pos].seq == pos+1 the cell holds this
//      lap's value: CAS tail_ pos -> pos+1 to claim it, move the value out,
//      destroy it, then store seq = pos+capacity (release) to hand the cell to
//      the producer of the next lap. seq < pos+1: the ring is empty.
//   3. A lost CAS reloads the ticket and retries; nobody ever waits on another
//      thread inside the ring (a claimed-but-unpublished cell reads as "empty"
//      or "full" to others until its owner finishes).
// Invariant: tail_ <= head_ <= tail_ + capacity; cells [tail_, head_) are
// claimed by producers, published, or being consumed.
//
// The head_ CAS is seq_cst on purpose: together with the seq_cst loads in
// maybe_nonempty() it is one side of the Dekker pair that the scheduler's
// parking protocol relies on (see event_count.h). On x86 a CAS is a full
// barrier anyway, so this costs nothing there.
//
// SpillQueue ordering choice: while anything is in the overflow list
// (spilled_ > 0), every push goes to the overflow list, and pops take the ring
// first, then the list, and the list only once no ring cell is claimed
// (head_ == tail_, read under the list's mutex). So each producer's items come out in the order it
// pushed them: its ring items were all pushed before its spilled ones, and it
// returns to the ring only once the list has fully drained. Pushes racing
// from different producers have no defined relative order, as with any MPMC
// queue.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace nativepool {

// Pinned, not std::hardware_destructive_interference_size (ABI-unstable, g++
// warns). 64 bytes is the line on x86-64 and most arm64 cores.
inline constexpr size_t kCacheLine = 64;

// One atomic ticket alone on its cache line, so producers bumping head_ do
// not invalidate the line consumers bump tail_ on (false sharing).
struct alignas(kCacheLine) PaddedTicket {
  std::atomic<uint64_t> value{0};
};
static_assert(sizeof(PaddedTicket) == kCacheLine, "a ticket must fill exactly one line");
static_assert(alignof(PaddedTicket) == kCacheLine, "a ticket must start a line");

template <typename T>
class MpmcRing {
  static_assert(std::is_nothrow_move_constructible_v<T> && std::is_nothrow_destructible_v<T>,
                "try_pop moves out of a claimed cell and cannot roll back a throw");

 public:
  // capacity is rounded up to a power of two, at least 2.
  explicit MpmcRing(size_t capacity) {
    size_t cap = 2;
    while (cap < capacity) cap <<= 1;
    mask_ = cap - 1;
    cells_ = std::unique_ptr<Cell[]>(new Cell[cap]);
    for (size_t i = 0; i < cap; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }
  ~MpmcRing() {
    // Single-threaded by now: destroy whatever is still published.
    uint64_t h = head_.value.load(std::memory_order_relaxed);
    for (uint64_t pos = tail_.value.load(std::memory_order_relaxed); pos != h; ++pos) {
      Cell& cell = cells_[pos & mask_];
      if (cell.seq.load(std::memory_order_relaxed) == pos + 1)
        std::launder(reinterpret_cast<T*>(cell.storage))->~T();
    }
  }
  MpmcRing(const MpmcRing&) = delete;
  MpmcRing& operator=(const MpmcRing&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // False, leaving `v` untouched, if the ring is full.
  template <typename U>
  bool try_push(U&& v) {
    uint64_t pos = head_.value.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      // acquire: pairs with the release seq store in try_pop() of the
      // previous lap, so that consumer's move-out happened before we reuse it.
      uint64_t seq = cell.seq.load(std::memory_order_acquire);
      int64_t dif = static_cast<int64_t>(seq) - static_cast<int64_t>(pos);
      if (dif == 0) {
        // seq_cst: claim; also the producer half of the Dekker pair with
        // EventCount::prepare_wait() + maybe_nonempty() (see the file top).
        if (head_.value.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                              std::memory_order_relaxed)) {
          ::new (static_cast<void*>(cell.storage)) T(std::forward<U>(v));
          // release: publishes the value; pairs with the acquire in try_pop().
          cell.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (dif < 0) {
        return false;  // full (or the previous lap's consumer is mid-pop)
      } else {
        pos = head_.value.load(std::memory_order_relaxed);
      }
    }
  }

  // False if the ring is empty (or its next cell is claimed but unpublished).
  bool try_pop(T& out) {
    uint64_t pos = tail_.value.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      // acquire: pairs with the release seq store in try_push(); makes the
      // constructed value visible before we move it out.
      uint64_t seq = cell.seq.load(std::memory_order_acquire);
      int64_t dif = static_cast<int64_t>(seq) - static_cast<int64_t>(pos + 1);
      if (dif == 0) {
        // relaxed is enough for the claim: the data was acquired through
        // seq above, and nobody reads anything through tail_.
        if (tail_.value.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed,
                                              std::memory_order_relaxed)) {
          T* slot = std::launder(reinterpret_cast<T*>(cell.storage));
          out = std::move(*slot);
          slot->~T();
          // release: hands the emptied cell to the next lap's producer; pairs
          // with the acquire seq load in try_push().
          cell.seq.store(pos + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (dif < 0) {
        return false;
      } else {
        pos = tail_.value.load(std::memory_order_relaxed);
      }
    }
  }

  // Bulk variants loop the single-item operations. A ranged claim (one CAS
  // for k cells) has not been written or measured yet; the scheduler's
  // handoff numbers (bench/cpp/RESULTS.md) did not call for it.
  // Return how many items were moved (a prefix of `items`).
  size_t try_push_bulk(T* items, size_t n) {
    size_t i = 0;
    while (i < n && try_push(std::move(items[i]))) ++i;
    return i;
  }
  size_t try_pop_bulk(T* out, size_t max) {
    size_t i = 0;
    while (i < max && try_pop(out[i])) ++i;
    return i;
  }

  // seq_cst reads of both tickets: false means no producer had claimed a
  // cell that no consumer has claimed, at a point in the single total order
  // after everything sequenced before this call. Used by the parking re-check.
  bool maybe_nonempty() const {
    uint64_t t = tail_.value.load(std::memory_order_seq_cst);
    uint64_t h = head_.value.load(std::memory_order_seq_cst);
    return h != t;
  }

  // Best-effort (relaxed reads): may be stale by the time the caller looks.
  size_t size_approx() const {
    uint64_t h = head_.value.load(std::memory_order_relaxed);
    uint64_t t = tail_.value.load(std::memory_order_relaxed);
    return h > t ? static_cast<size_t>(h - t) : 0;
  }

 private:
  struct Cell {
    std::atomic<uint64_t> seq{0};
    alignas(T) unsigned char storage[sizeof(T)];
  };

  PaddedTicket head_;  // next ticket for producers
  PaddedTicket tail_;  // next ticket for consumers
  // Read-only after construction; on its own line, away from tail_.
  alignas(kCacheLine) size_t mask_ = 0;
  std::unique_ptr<Cell[]> cells_;
};

// A ring that never refuses a push: when the ring is full, items spill into a
// mutex-protected list, and stay on that path until the list drains (see the
// ordering choice at the top of this file).
template <typename T>
class SpillQueue {
 public:
  explicit SpillQueue(size_t ring_capacity) : ring_(ring_capacity) {}

  template <typename U>
  void push(U&& v) {
    // acquire: pairs with the release decrement in pop_spilled(); once we
    // see the list drained, every spilled item has been taken.
    if (spilled_.load(std::memory_order_acquire) == 0 && ring_.try_push(std::forward<U>(v))) return;
    std::lock_guard<std::mutex> lock(mu_);
    list_.push_back(std::forward<U>(v));
    // seq_cst: producer half of the parking Dekker pair on the spill path
    // (see maybe_nonempty()); the mutex orders it against pop_spilled().
    spilled_.fetch_add(1, std::memory_order_seq_cst);
  }

  bool try_pop(T& out) {
    if (ring_.try_pop(out)) return true;
    if (spilled_.load(std::memory_order_relaxed) == 0) return false;
    return pop_spilled(out);
  }

  size_t try_pop_bulk(T* out, size_t max) {
    size_t n = ring_.try_pop_bulk(out, max);
    while (n < max && spilled_.load(std::memory_order_relaxed) != 0 && pop_spilled(out[n])) ++n;
    return n;
  }

  bool maybe_nonempty() const {
    return ring_.maybe_nonempty() || spilled_.load(std::memory_order_seq_cst) != 0;
  }
  size_t size_approx() const {
    return ring_.size_approx() + static_cast<size_t>(spilled_.load(std::memory_order_relaxed));
  }
  size_t spilled_approx() const { return static_cast<size_t>(spilled_.load(std::memory_order_relaxed)); }
  size_t ring_capacity() const { return ring_.capacity(); }

 private:
  bool pop_spilled(T& out) {
    std::lock_guard<std::mutex> lock(mu_);
    // Spilled items come after every ring item a producer claimed before
    // spilling. Checked under mu_: a producer's head_ CAS happens-before its
    // spill (its unlock), hence before this read. If the ring still holds a
    // claimed cell (say, one its producer has not published yet), wait for it.
    if (list_.empty() || ring_.maybe_nonempty()) return false;
    out = std::move(list_.front());
    list_.pop_front();
    // release: pairs with the acquire load in push(); a producer that reads 0
    // returns to the ring only after this pop.
    spilled_.fetch_sub(1, std::memory_order_release);
    return true;
  }

  MpmcRing<T> ring_;
  alignas(kCacheLine) std::atomic<uint64_t> spilled_{0};  // == list_.size(); own line: read on every push
  std::mutex mu_;
  std::deque<T> list_;
};

}  // namespace nativepool
