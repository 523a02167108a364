// Bytes: the byte vectors tasks carry (wire messages), and the cache that
// keeps their large buffers warm.
//
// Why: a fresh multi-megabyte allocation costs more in page faults than the
// copy into it (measured on the dev VM: a 1 MiB encode 212 µs fresh, 111 µs
// on warm memory; a 1 MiB copy round trip 1.5 ms against 0.36 ms). glibc
// returns large freed blocks to the kernel, so every task paid the faults
// again. Buffers of kMinBytes or more are taken from, and given back to, a
// process-wide cache of power-of-two blocks instead; smaller ones use
// ordinary new/delete.
//
// Protocol: acquire(n) returns a block of class_size(n) >= n bytes (a cached
// one if any, else a new one); release(p, n) with the same n puts it back, or
// frees it if the cache already holds kBudget idle bytes. One mutex; it is
// taken only for buffers of 64 KiB and more, whose copy dwarfs it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace nativepool {

class ByteCache {
 public:
  static constexpr size_t kMinBytes = size_t{64} << 10;   // smaller: plain new
  static constexpr size_t kMaxBytes = size_t{256} << 20;  // larger: never cached
  static constexpr size_t kBudget = size_t{128} << 20;    // idle bytes kept at most

  static void* acquire(size_t n);
  static void release(void* p, size_t n);
  // The block size that serves a request of n bytes (n >= kMinBytes).
  static size_t class_size(size_t n);
  // Best-effort figures, for tests.
  static size_t idle_bytes();
};

template <class T>
struct CachingAllocator {
  using value_type = T;
  CachingAllocator() noexcept = default;
  template <class U>
  CachingAllocator(const CachingAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes >= ByteCache::kMinBytes) return static_cast<T*>(ByteCache::acquire(bytes));
    return static_cast<T*>(::operator new(bytes));
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes >= ByteCache::kMinBytes) ByteCache::release(p, bytes);
    else ::operator delete(p);
  }
  template <class U>
  bool operator==(const CachingAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const CachingAllocator<U>&) const noexcept { return false; }
};

using Bytes = std::vector<uint8_t, CachingAllocator<uint8_t>>;

}  // namespace nativepool
