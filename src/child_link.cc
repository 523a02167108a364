#include "child_link.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace nativepool {

using frame::Kind;

ChildLink::ChildLink(int fd) : fd_(fd) {
  // Not inherited by anything this process spawns: EOF must mean we are gone.
  fcntl(fd_, F_SETFD, FD_CLOEXEC);
}

ChildLink::~ChildLink() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    armed_ = false;
  }
  cv_.notify_one();
  if (wake_[1] >= 0) {
    const uint8_t b = 1;
    while (write(wake_[1], &b, 1) < 0 && errno == EINTR) {
    }
  }
  if (watcher_.joinable()) watcher_.join();
  for (int fd : wake_)
    if (fd >= 0) close(fd);
  close(fd_);
}

bool ChildLink::Fail() {
  gone_ = true;
  return false;
}

bool ChildLink::Await(Kind a, Kind b, Kind c, frame::View* f) {
  if (gone_) return false;
  for (;;) {
    frame::Reader::Result r;
    while ((r = reader_.Next(f)) == frame::Reader::kFrame) {
      if (f->kind == a || f->kind == b || f->kind == c) return true;
      if (f->kind == Kind::kNotify) continue;  // for a watch that ended: stale
      if (f->kind != Kind::kHandler) return Fail();
      frame::Cursor in = f->cursor();
      const uint32_t index = in.U32();
      const uint32_t n = in.U32();
      const uint8_t* href = in.Take(n);
      const uint32_t m = in.U32();
      const uint8_t* name = in.Take(m);
      if (!in.AtEnd()) return Fail();
      handlers_[index] = {std::string(reinterpret_cast<const char*>(href), n),
                          std::string(reinterpret_cast<const char*>(name), m)};
    }
    if (r == frame::Reader::kMalformed) return Fail();
    if (frame::ReadSome(fd_, reader_) == 0) return Fail();
  }
}

bool ChildLink::ReadInit(Bytes* init) {
  frame::View f;
  if (!Await(Kind::kInit, Kind::kInit, Kind::kInit, &f)) return false;
  init->assign(f.body, f.body + f.size);
  return true;
}

bool ChildLink::Flush() {
  if (gone_) return false;
  if (out_.empty()) return true;
  bool ok = frame::WriteAll(fd_, out_.data(), out_.size());
  out_.clear();
  return ok || Fail();
}

ChildLink::Took ChildLink::Take(uint32_t max, bool block, std::vector<TaskView>* out) {
  out->clear();
  const size_t at = frame::Begin(out_, Kind::kTake);
  frame::PutU32(out_, max);
  frame::PutU8(out_, block ? 1 : 0);
  frame::End(out_, at);
  if (!Flush()) return Took::kGone;
  frame::View f;
  if (!Await(Kind::kTasks, Kind::kEmpty, Kind::kStopped, &f)) return Took::kGone;
  if (f.kind == Kind::kEmpty) return Took::kEmpty;
  if (f.kind == Kind::kStopped) return Took::kStopped;
  frame::Cursor in = f.cursor();
  const uint32_t n = in.U32();
  for (uint32_t i = 0; i < n && in.ok; ++i) {
    TaskView t;
    t.slot = in.U32();
    t.handler = in.U32();
    t.size = in.U32();
    t.data = in.Take(t.size);
    out->push_back(t);
  }
  if (!in.AtEnd() || n == 0) {
    out->clear();
    Fail();
    return Took::kGone;
  }
  return Took::kTasks;
}

// Written at once: a crash in the next task must not lose this one's result.
void ChildLink::Complete(uint32_t slot, Status status, const uint8_t* result, size_t size) {
  const size_t at = frame::Begin(out_, Kind::kComplete);
  frame::PutU32(out_, slot);
  frame::PutU8(out_, static_cast<uint8_t>(status));
  frame::PutBytes(out_, result, size);
  frame::End(out_, at);
  Flush();
}

void ChildLink::Release(uint32_t slot) {
  const size_t at = frame::Begin(out_, Kind::kRelease);
  frame::PutU32(out_, slot);
  frame::End(out_, at);
}

bool ChildLink::Arm() {
  // Something read but not handled yet (a notify, say): look now.
  if (reader_.pending() > 0) return false;
  frame::PutFrame(out_, Kind::kArm);
  return Flush();
}

bool ChildLink::Disarm() {
  frame::PutFrame(out_, Kind::kDisarm);
  return Flush();
}

bool ChildLink::Post(const uint8_t* body, size_t size) {
  frame::PutFrame(out_, Kind::kPost, body, size);
  return Flush();
}

bool ChildLink::Request(const uint8_t* body, size_t size, Bytes* reply) {
  frame::PutFrame(out_, Kind::kRequest, body, size);
  if (!Flush()) return false;
  frame::View f;
  if (!Await(Kind::kReply, Kind::kReply, Kind::kReply, &f)) return false;
  reply->assign(f.body, f.body + f.size);
  return true;
}

bool ChildLink::Handler(uint32_t index, std::string* href, std::string* name) const {
  auto it = handlers_.find(index);
  if (it == handlers_.end()) return false;
  *href = it->second.first;
  *name = it->second.second;
  return true;
}

void ChildLink::Close() {
  Flush();
  ::shutdown(fd_, SHUT_RDWR);
  gone_ = true;
}

// --- the watcher -------------------------------------------------------------------

void ChildLink::Watch(std::function<void()> fire) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!watcher_.joinable()) {
    if (pipe(wake_) != 0) throw std::system_error(errno, std::generic_category(), "nativepool: pipe");
    for (int fd : wake_) {
      fcntl(fd, F_SETFD, FD_CLOEXEC);
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    watcher_ = std::thread([this] { WatchLoop(); });
  }
  fire_ = std::move(fire);
  armed_ = true;
  lock.unlock();
  cv_.notify_one();
}

void ChildLink::Unwatch() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!armed_) return;
  armed_ = false;
  const uint8_t b = 1;  // out of its poll(), back to waiting for the next Watch()
  while (write(wake_[1], &b, 1) < 0 && errno == EINTR) {
  }
}

void ChildLink::WatchLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return armed_ || stop_; });
      if (stop_) return;
    }
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) {
      uint8_t buf[64];
      while (read(wake_[0], buf, sizeof buf) > 0) {
      }
    }
    if (fds[0].revents == 0) continue;
    std::function<void()> fire;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      if (!armed_) continue;
      armed_ = false;
      fire = std::move(fire_);
    }
    if (fire) fire();
  }
}

void DieWithParent() {
#ifdef __linux__
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent died before the call took effect: follow it now.
  if (getppid() != parent) raise(SIGKILL);
#endif
}

}  // namespace nativepool
