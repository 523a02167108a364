#include "bytes.h"

#include <bit>
#include <cstdlib>
#include <mutex>

namespace nativepool {

namespace {
constexpr int kMinShift = 16;  // 64 KiB
constexpr int kMaxShift = 28;  // 256 MiB
constexpr int kClasses = kMaxShift - kMinShift + 1;

struct Cache {
  std::mutex mu;
  std::vector<void*> free[kClasses];  // LIFO per class: the warmest block first
  size_t idle = 0;                    // bytes held in `free`
};

Cache& cache() {
  // Leaked on purpose: released blocks may arrive from threads that outlive
  // static destruction (worker threads at process exit).
  static Cache* c = new Cache();
  return *c;
}

int class_of(size_t n) {
  int shift = std::bit_width(n - 1);  // ceil(log2 n)
  if (shift < kMinShift) shift = kMinShift;
  return shift - kMinShift;
}
}  // namespace

size_t ByteCache::class_size(size_t n) {
  if (n > kMaxBytes) return n;
  return size_t{1} << (class_of(n) + kMinShift);
}

void* ByteCache::acquire(size_t n) {
  if (n <= kMaxBytes) {
    const int k = class_of(n);
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (!c.free[k].empty()) {
      void* p = c.free[k].back();
      c.free[k].pop_back();
      c.idle -= size_t{1} << (k + kMinShift);
      return p;
    }
  }
  void* p = std::malloc(class_size(n));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void ByteCache::release(void* p, size_t n) {
  if (p == nullptr) return;
  if (n <= kMaxBytes) {
    const int k = class_of(n);
    const size_t size = size_t{1} << (k + kMinShift);
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.idle + size <= kBudget) {
      c.free[k].push_back(p);
      c.idle += size;
      return;
    }
  }
  std::free(p);
}

size_t ByteCache::idle_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.idle;
}

}  // namespace nativepool
