// IdTable: a map from task id to a small value, for one thread (the owner's
// table of the tasks it may cancel). Open addressing, Robin Hood linear
// probing with backward-shift deletion, so an insert allocates nothing: a
// std::unordered_map allocates a node per entry, and the owner tracks every
// task that has a signal, a timeout or retries — in a burst, every task.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace nativepool {

template <typename V>
class IdTable {
 public:
  // The one id the table cannot hold (it marks an empty slot).
  static constexpr uint64_t kNoId = std::numeric_limits<uint64_t>::max();

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

  // The value of `id`, or nullptr. Valid until the next put() or erase().
  V* find(uint64_t id) {
    const size_t i = index_of(id);
    return i == kNone ? nullptr : &slots_[i].value;
  }

  // Inserts `id`, or replaces its value.
  void put(uint64_t id, V value) {
    assert(id != kNoId);
    if (V* v = find(id)) {
      *v = value;
      return;
    }
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? kMinCapacity : slots_.size() * 2);
    insert(Slot{id, value});
  }

  // Removes `id`; false if it was not there.
  bool erase(uint64_t id) {
    size_t i = index_of(id);
    if (i == kNone) return false;
    // Backward shift: pull the rest of the run one slot closer to home,
    // up to an empty slot or an entry already at home.
    for (size_t j = (i + 1) & mask_; slots_[j].id != kNoId && distance(j) > 0; j = (j + 1) & mask_) {
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i].id = kNoId;
    --size_;
    // Give back what a burst grew, with room to spare (no thrashing).
    if (slots_.size() > kMinCapacity && size_ * 8 < slots_.size()) rehash(slots_.size() / 4);
    return true;
  }

 private:
  static constexpr size_t kMinCapacity = 64;
  struct Slot {
    uint64_t id = kNoId;
    V value{};
  };

  size_t home(uint64_t id) const {
    // The low bits, as they are: the owner numbers tasks consecutively and
    // settles them roughly in order, so the live ids are a sliding window
    // that maps onto neighbouring slots without collisions, and a burst walks
    // the table in order (a scrambling hash costs a cache miss per task).
    return static_cast<size_t>(id ^ (id >> 32)) & mask_;
  }

  static constexpr size_t kNone = std::numeric_limits<size_t>::max();

  // How far the entry in slot i sits from its home slot.
  size_t distance(size_t i) const { return (i - home(slots_[i].id)) & mask_; }

  // Robin Hood lookup: an entry nearer its home than we are to ours means
  // `id` would have taken that slot; it is not here.
  size_t index_of(uint64_t id) const {
    if (size_ == 0) return kNone;
    for (size_t i = home(id), d = 0;; i = (i + 1) & mask_, ++d) {
      if (slots_[i].id == id) return i;
      if (slots_[i].id == kNoId || distance(i) < d) return kNone;
    }
  }

  // Robin Hood insertion of a new id: whoever is farther from home keeps
  // the slot; the other moves on.
  void insert(Slot s) {
    for (size_t i = home(s.id), d = 0;; i = (i + 1) & mask_, ++d) {
      if (slots_[i].id == kNoId) {
        slots_[i] = s;
        ++size_;
        return;
      }
      const size_t theirs = distance(i);
      if (theirs < d) {
        std::swap(s, slots_[i]);
        d = theirs;
      }
    }
  }

  void rehash(size_t capacity) {
    if (capacity < kMinCapacity) capacity = kMinCapacity;
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.id != kNoId) insert(s);
    }
  }

  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace nativepool
