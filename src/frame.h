// Frames on the socket between the pool and a child process (the 'process'
// runtime: src/child_proxy.h in the parent, src/child_link.h in the child).
//
// A stream of length-prefixed frames, little-endian:
//
//   frame := u32 size | u8 kind | body          size = 1 + body length
//
//   kind        direction      body
//   kInit       parent->child  lib's init message (v8-serialized)
//   kTasks      parent->child  u32 n, n * (u32 slot, u32 handler, u32 len, len bytes)
//                              the bytes are the task's payload as queued (a codec
//                              frame, binding/codec.h): never re-encoded; handler
//                              has kHandlerExclusive set for a task that runs
//                              alone (an abortable one), as a worker thread's take does
//   kEmpty      parent->child  — a non-blocking take found nothing
//   kStopped    parent->child  — the consumer was stopped (or the pool shut down)
//   kHandler    parent->child  u32 index, u32 n, n bytes href, u32 m, m bytes name
//                              (sent before the first task that uses `index`)
//   kNotify     parent->child  — an armed child: a task was queued, or it was stopped
//   kReply      parent->child  the answer to a kRequest (lib's bytes)
//   kTake       child->parent  u32 max, u8 block
//   kComplete   child->parent  u32 slot, u8 status (src/task.h Status), rest: result
//   kRelease    child->parent  u32 slot: it skipped a slot it found kCancelled
//   kArm        child->parent  — notify me (kNotify) when a task is queued
//   kDisarm     child->parent  —
//   kPost       child->parent  a control message for lib (v8-serialized), no answer
//   kRequest    child->parent  a control message that wants one kReply
//
// The reader never trusts a size: a frame larger than kMaxFrame, an unknown
// kind or a body that does not parse is kMalformed, and the peer is treated
// as gone (the parent kills and replaces a child that sends one).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bytes.h"

namespace nativepool::frame {

enum class Kind : uint8_t {
  kInit = 1,
  kTasks = 2,
  kEmpty = 3,
  kStopped = 4,
  kHandler = 5,
  kNotify = 6,
  kReply = 7,
  kTake = 16,
  kComplete = 17,
  kRelease = 18,
  kArm = 19,
  kDisarm = 20,
  kPost = 21,
  kRequest = 22,
};

inline bool KnownKind(uint8_t k) { return (k >= 1 && k <= 7) || (k >= 16 && k <= 22); }

constexpr size_t kPrefix = 4;                  // the u32 size
// In a kTasks handler field: the task runs alone on its consumer (Task::exclusive).
// The same bit as a worker thread's take batch (binding/constants.h).
constexpr uint32_t kHandlerExclusive = 1u << 30;
constexpr uint32_t kMaxFrame = 1u << 30;       // 1 GiB: larger is malformed (WireLimits::max_size is below it)

// --- writing --------------------------------------------------------------------

inline void PutU32(Bytes& out, uint32_t v) {
  uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
                  static_cast<uint8_t>(v >> 24)};
  out.insert(out.end(), b, b + 4);
}
inline void PutU8(Bytes& out, uint8_t v) { out.push_back(v); }
inline void PutBytes(Bytes& out, const uint8_t* p, size_t n) {
  if (n > 0) out.insert(out.end(), p, p + n);
}

// Appends the prefix and kind of a frame; End() patches its size once the body
// is written. Usage: size_t at = Begin(out, Kind::kTake); PutU32(out, 8); End(out, at);
inline size_t Begin(Bytes& out, Kind kind) {
  const size_t at = out.size();
  PutU32(out, 0);
  PutU8(out, static_cast<uint8_t>(kind));
  return at;
}
inline void End(Bytes& out, size_t at) {
  const uint32_t size = static_cast<uint32_t>(out.size() - at - kPrefix);
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(size >> (8 * i));
}
// A frame whose body is `n` opaque bytes.
inline void PutFrame(Bytes& out, Kind kind, const uint8_t* p = nullptr, size_t n = 0) {
  const size_t at = Begin(out, kind);
  PutBytes(out, p, n);
  End(out, at);
}

// --- reading --------------------------------------------------------------------

// A bounds-checked cursor over a frame body: every read past the end sets
// ok = false and yields zeros, so a parser checks `ok` once at the end.
struct Cursor {
  const uint8_t* p;
  size_t n;
  bool ok = true;

  uint8_t U8() {
    if (n < 1) return Fail<uint8_t>();
    uint8_t v = *p;
    ++p;
    --n;
    return v;
  }
  uint32_t U32() {
    if (n < 4) return Fail<uint32_t>();
    uint32_t v = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                 static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
    p += 4;
    n -= 4;
    return v;
  }
  // `len` bytes in place (nullptr and ok = false if fewer remain).
  const uint8_t* Take(size_t len) {
    if (n < len) return Fail<const uint8_t*>();
    const uint8_t* at = p;
    p += len;
    n -= len;
    return at;
  }
  bool AtEnd() const { return ok && n == 0; }

 private:
  template <typename T>
  T Fail() {
    ok = false;
    n = 0;
    return T{};
  }
};

struct View {
  Kind kind;
  const uint8_t* body;  // valid until the Reader is written to or read again
  size_t size;
  Cursor cursor() const { return Cursor{body, size}; }
};

// Reassembles frames from a byte stream read in arbitrary pieces.
// Protocol: Space(n) -> read up to n bytes into it -> Commit(got) -> Next()
// until it returns kNeedMore. A View stays valid until the next Space().
class Reader {
 public:
  enum Result { kFrame, kNeedMore, kMalformed };

  // At least `n` writable bytes at the end of the buffer (more when a
  // partial frame of known size is pending, so a large frame is read in as
  // few calls as possible).
  uint8_t* Space(size_t* n) {
    if (start_ > 0 && start_ == end_) start_ = end_ = 0;
    size_t want = *n;
    if (end_ - start_ >= kPrefix) {
      const uint32_t size = PeekSize();
      if (size <= kMaxFrame && kPrefix + size > end_ - start_) want = std::max(want, kPrefix + size - (end_ - start_));
    }
    if (buf_.size() - end_ < want) {
      if (start_ > 0) {  // compact: move the pending bytes to the front
        std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
      }
      if (buf_.size() - end_ < want) buf_.resize(end_ + want);
    }
    *n = buf_.size() - end_;
    return buf_.data() + end_;
  }
  void Commit(size_t n) { end_ += n; }

  Result Next(View* out) {
    const size_t avail = end_ - start_;
    if (avail < kPrefix) return kNeedMore;
    const uint32_t size = PeekSize();
    if (size == 0 || size > kMaxFrame) return kMalformed;
    if (avail < kPrefix + size) return kNeedMore;
    const uint8_t* p = buf_.data() + start_ + kPrefix;
    if (!KnownKind(p[0])) return kMalformed;
    out->kind = static_cast<Kind>(p[0]);
    out->body = p + 1;
    out->size = size - 1;
    start_ += kPrefix + size;
    return kFrame;
  }

  size_t pending() const { return end_ - start_; }

 private:
  uint32_t PeekSize() const {
    const uint8_t* p = buf_.data() + start_;
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  }

  Bytes buf_;
  size_t start_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last byte read in
};

// --- the socket -------------------------------------------------------------------

// Writes all of `p` (retrying on EINTR and short writes; never raises
// SIGPIPE). False once the peer is gone or the socket was shut down.
bool WriteAll(int fd, const uint8_t* p, size_t n);
// Reads what is available (blocking until at least one byte, EOF or error)
// into the reader. Returns bytes read; 0 at EOF or on error.
size_t ReadSome(int fd, Reader& reader, size_t hint = 64 * 1024);

}  // namespace nativepool::frame
