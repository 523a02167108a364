#include "shared_slots.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <new>
#include <string>
#include <system_error>

namespace nativepool {

namespace {
[[noreturn]] void Throw(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

int AnonymousFile() {
  int fd = -1;
#ifdef __linux__
  fd = memfd_create("nativepool-slots", MFD_CLOEXEC);
  if (fd >= 0) return fd;
#endif
  std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/nativepool-XXXXXX";
  fd = mkstemp(path.data());
  if (fd < 0) return -1;
  unlink(path.c_str());
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

void* Map(int fd, size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? nullptr : p;
}
}  // namespace

size_t SharedSlots::SizeFor(uint32_t capacity) {
  const size_t words = (size_t{4} * capacity + 7) & ~size_t{7};
  return words + size_t{8} * capacity;
}

double* SharedSlots::starts() const {
  return reinterpret_cast<double*>(static_cast<char*>(base_) + ((size_t{4} * capacity_ + 7) & ~size_t{7}));
}

std::shared_ptr<SharedSlots> SharedSlots::Create(uint32_t capacity) {
  const size_t size = SizeFor(capacity);
  int fd = AnonymousFile();
  if (fd < 0) Throw("nativepool: cannot create shared memory for a child process");
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    Throw("nativepool: cannot size shared memory for a child process");
  }
  void* base = Map(fd, size);
  if (base == nullptr) {
    int e = errno;
    close(fd);
    errno = e;
    Throw("nativepool: cannot map shared memory for a child process");
  }
  // The file reads as zeros: kFree words, 0.0 stamps. Begin the atomics'
  // lifetime explicitly.
  auto* words = static_cast<std::atomic<int32_t>*>(base);
  for (uint32_t s = 0; s < capacity; ++s) new (&words[s]) std::atomic<int32_t>(0);
  return std::shared_ptr<SharedSlots>(new SharedSlots(base, size, capacity, fd));
}

std::shared_ptr<SharedSlots> SharedSlots::Open(int fd, uint32_t capacity) {
  const size_t size = SizeFor(capacity);
  struct stat st;
  if (fstat(fd, &st) != 0) Throw("nativepool: the shared slot memory is not open");
  if (static_cast<size_t>(st.st_size) < size) {
    errno = EINVAL;
    Throw("nativepool: the shared slot memory is smaller than its capacity");
  }
  void* base = Map(fd, size);
  if (base == nullptr) Throw("nativepool: cannot map the shared slot memory");
  return std::shared_ptr<SharedSlots>(new SharedSlots(base, size, capacity, fd));
}

SharedSlots::~SharedSlots() {
  munmap(base_, size_);
  CloseFd();
}

void SharedSlots::CloseFd() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace nativepool
