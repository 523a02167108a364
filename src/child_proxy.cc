#include "child_proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace nativepool {

using frame::Kind;

// The notifier armed in the scheduler may run on a producer thread after the
// proxy is gone (it fires once, racing a disarm), so it holds this, not the
// proxy.
struct ChildProxy::Waker {
  int rd = -1;
  int wr = -1;
  std::atomic<bool> notify{false};

  Waker() {
    int p[2];
    if (pipe(p) != 0) throw std::system_error(errno, std::generic_category(), "nativepool: pipe");
    for (int fd : p) {
      fcntl(fd, F_SETFD, FD_CLOEXEC);
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    rd = p[0];
    wr = p[1];
  }
  ~Waker() {
    close(rd);
    close(wr);
  }
  // Nonblocking: a full pipe already wakes the reader.
  void Wake() {
    const uint8_t b = 1;
    while (write(wr, &b, 1) < 0 && errno == EINTR) {
    }
  }
  void Drain() {
    uint8_t buf[64];
    while (read(rd, buf, sizeof buf) > 0) {
    }
  }
};

ChildProxy::ChildProxy(std::shared_ptr<PoolCore> core, std::shared_ptr<PoolCore::Consumer> consumer, int fd,
                       std::shared_ptr<SharedSlots> slots, Callbacks callbacks)
    : core_(std::move(core)),
      consumer_(std::move(consumer)),
      fd_(fd),
      slots_(std::move(slots)),
      callbacks_(std::move(callbacks)),
      waker_(std::make_shared<Waker>()) {
  PoolCore::Consumer& c = *consumer_;
  if (slots_->capacity() < c.capacity) throw std::invalid_argument("nativepool: shared slots smaller than the consumer");
  std::lock_guard<std::mutex> lock(c.mu);
  for (uint32_t s = 0; s < c.capacity; ++s)
    if (c.held[s] != nullptr) throw std::invalid_argument("nativepool: a consumer moves its slot words before it takes");
  // Under c.mu, before anyone takes for this consumer: every reader of the
  // words (take, cancel, running, abandon, release) holds c.mu.
  for (uint32_t s = 0; s < c.capacity; ++s)
    slots_->words()[s].store(c.words[s].load(std::memory_order_relaxed), std::memory_order_relaxed);
  c.words = std::shared_ptr<std::atomic<int32_t>[]>(slots_, slots_->words());
}

ChildProxy::~ChildProxy() {
  Shutdown();
  Join();
  close(fd_);
}

void ChildProxy::Start(Bytes init) {
  if (thread_.joinable()) return;
  thread_ = std::thread([this, init = std::move(init)]() mutable { Run(std::move(init)); });
}

void ChildProxy::Send(Kind kind, const uint8_t* body, size_t size) {
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    frame::PutFrame(outbox_, kind, body, size);
  }
  waker_->Wake();
}

void ChildProxy::Shutdown() {
  // release: pairs with the acquire in Run(), after the wake-up.
  if (closing_.exchange(true, std::memory_order_acq_rel)) return;
  core_->scheduler().stop(consumer_->id);  // a parked take() returns
  ::shutdown(fd_, SHUT_RDWR);              // a blocked read or write returns
  waker_->Wake();                          // a poll() returns
}

void ChildProxy::Join() {
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool ChildProxy::Flush(Bytes& out) {
  if (waker_->notify.exchange(false, std::memory_order_acq_rel)) frame::PutFrame(out, Kind::kNotify);
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (!outbox_.empty()) {
      out.insert(out.end(), outbox_.begin(), outbox_.end());
      outbox_.clear();
    }
  }
  if (out.empty()) return true;
  bool ok = frame::WriteAll(fd_, out.data(), out.size());
  out.clear();
  return ok;
}

void ChildProxy::PutHandlers(Bytes& out, uint32_t upto) {
  for (; handlers_sent_ < upto; ++handlers_sent_) {
    std::string href, name;
    if (!core_->handler(handlers_sent_, &href, &name)) break;
    const size_t at = frame::Begin(out, Kind::kHandler);
    frame::PutU32(out, handlers_sent_);
    frame::PutU32(out, static_cast<uint32_t>(href.size()));
    frame::PutBytes(out, reinterpret_cast<const uint8_t*>(href.data()), href.size());
    frame::PutU32(out, static_cast<uint32_t>(name.size()));
    frame::PutBytes(out, reinterpret_cast<const uint8_t*>(name.data()), name.size());
    frame::End(out, at);
  }
}

void ChildProxy::Run(Bytes init) {
  Bytes out;
  // Every handler known now, then kInit: the child may load its default
  // handler before it takes a task.
  PutHandlers(out, UINT32_MAX);
  frame::PutFrame(out, Kind::kInit, init.data(), init.size());
  Bytes().swap(init);
  frame::Reader reader;
  bool alive = true;
  bool trusted = true;  // false: the child sent something we cannot trust
  while (alive) {
    if (!Flush(out)) break;
    pollfd fds[2] = {{fd_, POLLIN, 0}, {waker_->rd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) waker_->Drain();
    // acquire: pairs with the release in Shutdown().
    if (closing_.load(std::memory_order_acquire)) break;
    if (fds[0].revents == 0) continue;
    if (frame::ReadSome(fd_, reader) == 0) break;  // EOF or error: the child is gone
    frame::View f;
    frame::Reader::Result r;
    while (alive && (r = reader.Next(&f)) == frame::Reader::kFrame) alive = trusted = Handle(f, out);
    if (alive && r == frame::Reader::kMalformed) alive = trusted = false;
  }
  Flush(out);  // best effort: a kStopped the child may still read
  ::shutdown(fd_, SHUT_RDWR);  // the child reads EOF, whatever ended this loop
  if (trusted) TakeFinished(reader);
  PoolCore::Consumer& c = *consumer_;
  core_->scheduler().disarm_async(c.id);
  core_->abandon(c);
  if (callbacks_.closed) callbacks_.closed();
}

// The loop ended (Shutdown(), EOF, a failed write): what the child wrote
// before it was stopped still counts. A result already in the socket belongs
// to a task the child finished (its word says kCompleting), perhaps before it
// started the task whose abort stops it; abandon() would fail it as if the
// child had died running it. A kPost may say why it went (the error that
// killed it). Read what is there (shutdown() keeps queued bytes readable)
// without waiting, and complete, release or deliver it; a kRequest has no
// one left to answer it.
void ChildProxy::TakeFinished(frame::Reader& reader) {
  Bytes none;  // nothing is written any more
  for (;;) {
    frame::View f;
    frame::Reader::Result r;
    while ((r = reader.Next(&f)) == frame::Reader::kFrame) {
      if (f.kind != Kind::kComplete && f.kind != Kind::kRelease && f.kind != Kind::kPost) continue;
      if (!Handle(f, none)) return;
    }
    if (r == frame::Reader::kMalformed) return;
    size_t room = 64 * 1024;
    uint8_t* at = reader.Space(&room);
    const ssize_t n = ::recv(fd_, at, room, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nothing more queued (a partial frame is the child's loss)
    reader.Commit(static_cast<size_t>(n));
  }
}

bool ChildProxy::Handle(const frame::View& f, Bytes& out) {
  PoolCore::Consumer& c = *consumer_;
  frame::Cursor in = f.cursor();
  switch (f.kind) {
    case Kind::kTake: {
      const uint32_t max = in.U32();
      const uint8_t block = in.U8();
      if (!in.AtEnd() || block > 1) return false;
      // Answer everything the child sent before this take first: the child
      // waits for the answer, and a blocking take may park.
      if (!Flush(out)) return false;
      return SendTasks(max, block == 1, out);
    }
    case Kind::kComplete: {
      const uint32_t slot = in.U32();
      const uint8_t status = in.U8();
      if (!in.ok) return false;
      if (status != static_cast<uint8_t>(Status::kOk) && status != static_cast<uint8_t>(Status::kError)) return false;
      Bytes result(in.p, in.p + in.n);
      core_->complete(c, slot, static_cast<Status>(status), std::move(result));
      return true;
    }
    case Kind::kRelease: {
      const uint32_t slot = in.U32();
      if (!in.AtEnd()) return false;
      core_->release(c, slot);
      return true;
    }
    case Kind::kArm: {
      if (!in.AtEnd()) return false;
      std::shared_ptr<Waker> w = waker_;
      bool armed = core_->scheduler().arm_async(c.id, [w] {
        // release: pairs with the acq_rel exchange in Flush().
        w->notify.store(true, std::memory_order_release);
        w->Wake();
      });
      // Not armed: a task is queued (or the child was stopped): look now.
      if (!armed) frame::PutFrame(out, Kind::kNotify);
      return true;
    }
    case Kind::kDisarm:
      if (!in.AtEnd()) return false;
      core_->scheduler().disarm_async(c.id);
      return true;
    case Kind::kPost:
    case Kind::kRequest:
      if (callbacks_.message) callbacks_.message(f.kind, f.body, f.size);
      return true;
    default:
      return false;  // a parent -> child kind from the child
  }
}

bool ChildProxy::SendTasks(uint32_t max, bool block, Bytes& out) {
  PoolCore::Consumer& c = *consumer_;
  constexpr size_t kMax = 256;
  if (max == 0 || max > kMax) max = kMax;
  uint32_t slots[kMax];
  Task* tasks[kMax];
  const size_t n = core_->take(c, slots, tasks, max, block);
  if (n == 0) {
    frame::PutFrame(out, block || core_->stopped(c) ? Kind::kStopped : Kind::kEmpty);
    return Flush(out);
  }
  {
    // Under c.mu: a task still held here cannot be handed back to (and freed
    // by) its owner until we let go. (handlers_mu_, taken by handler(), is a
    // leaf below c.mu.)
    std::lock_guard<std::mutex> lock(c.mu);
    auto held = [&](size_t i) { return slots[i] < c.capacity && c.held[slots[i]] == tasks[i]; };
    // Handlers the child has not seen yet, before the first task using them.
    uint32_t top = 0;
    for (size_t i = 0; i < n; ++i)
      if (held(i)) top = std::max(top, tasks[i]->handler + 1);
    PutHandlers(out, top);
    const size_t at = frame::Begin(out, Kind::kTasks);
    frame::PutU32(out, static_cast<uint32_t>(n));
    for (size_t i = 0; i < n; ++i) {
      Task* t = tasks[i];
      const bool h = held(i);
      frame::PutU32(out, slots[i]);
      frame::PutU32(out, h ? t->handler | (t->exclusive ? frame::kHandlerExclusive : 0) : 0);
      frame::PutU32(out, h ? static_cast<uint32_t>(t->payload.size()) : 0);
      if (h) frame::PutBytes(out, t->payload.data(), t->payload.size());
    }
    frame::End(out, at);
  }
  return Flush(out);
}

}  // namespace nativepool
