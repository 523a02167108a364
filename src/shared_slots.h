// SharedSlots: a consumer's slot words and start stamps in memory that a
// child process maps too, so the child starts a task with the same CAS on the
// same word as a worker thread does (src/task.h SlotState) and cancellation
// stays exact across the process boundary.
//
// Layout of the mapping (capacity = the consumer's slots):
//   [0, 4 * capacity)                  std::atomic<int32_t> words[capacity]
//   [align8(4 * capacity), + 8 * cap)  double starts[capacity]: when the task
//                                      in each slot started (ms since the
//                                      epoch; written by the child, read by
//                                      the pool for timeouts and figures)
//
// The parent creates it (an anonymous memfd on Linux, an unlinked file
// elsewhere) and hands the fd to the child, which maps it with open().
// Lock-free std::atomic<int32_t> is address-free, so its operations are
// atomic across processes on a MAP_SHARED mapping.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace nativepool {

class SharedSlots {
 public:
  // Throws std::system_error if the memory cannot be created or mapped.
  static std::shared_ptr<SharedSlots> Create(uint32_t capacity);
  static std::shared_ptr<SharedSlots> Open(int fd, uint32_t capacity);
  ~SharedSlots();
  SharedSlots(const SharedSlots&) = delete;
  SharedSlots& operator=(const SharedSlots&) = delete;

  static size_t SizeFor(uint32_t capacity);

  uint32_t capacity() const { return capacity_; }
  std::atomic<int32_t>* words() const { return static_cast<std::atomic<int32_t>*>(base_); }
  double* starts() const;
  size_t size() const { return size_; }
  // The descriptor to hand to the child (-1 once closed). The mapping stays.
  int fd() const { return fd_; }
  void CloseFd();

 private:
  SharedSlots(void* base, size_t size, uint32_t capacity, int fd)
      : base_(base), size_(size), capacity_(capacity), fd_(fd) {}
  void* base_;
  size_t size_;
  uint32_t capacity_;
  int fd_;
};

static_assert(std::atomic<int32_t>::is_always_lock_free, "slot words must be lock-free to be shared across processes");

}  // namespace nativepool
