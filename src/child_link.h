// ChildLink: a child process's end of its socket to the pool (the parent
// runs a ChildProxy on the other end; frames in frame.h). Used from the
// child's one JS thread, synchronously: Take() writes kTake and blocks until
// the answer, the way a worker thread's take() parks in the scheduler.
//
// kComplete is written at once: the next task may crash this process, and a
// finished task's result must not die with it (measured: a write per
// completion costs no burst throughput here, the proxy reads many frames per
// read). kRelease waits for the next frame written (a take always follows);
// kArm and kDisarm are written at once: a stale arm in the parent would take
// a notify meant for an idle worker.
//
// Watch: while the loop awaits async work, a watcher thread polls the socket
// and fires a callback (the loop's wake-up) once when something arrives.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bytes.h"
#include "frame.h"
#include "task.h"

namespace nativepool {

class ChildLink {
 public:
  struct TaskView {
    uint32_t slot;
    uint32_t handler;
    const uint8_t* data;  // the task's payload; valid until the next read
    size_t size;          // 0: the pool cancelled it before it was sent
  };
  enum class Took { kTasks, kEmpty, kStopped, kGone };

  explicit ChildLink(int fd);  // owns fd
  ~ChildLink();
  ChildLink(const ChildLink&) = delete;
  ChildLink& operator=(const ChildLink&) = delete;

  // Blocks for the kInit frame. False if the parent is gone.
  bool ReadInit(Bytes* init);
  // Asks for up to `max` tasks (waiting for work if `block`) and waits for
  // the answer. Views point into the link's buffer: use them before the next
  // call.
  Took Take(uint32_t max, bool block, std::vector<TaskView>* out);
  void Complete(uint32_t slot, Status status, const uint8_t* result, size_t size);
  void Release(uint32_t slot);
  bool Flush();
  // kArm; false if something already waits unread (look now instead).
  bool Arm();
  bool Disarm();
  bool Post(const uint8_t* body, size_t size);
  // Sends a kRequest and waits for its kReply.
  bool Request(const uint8_t* body, size_t size, Bytes* reply);
  bool Handler(uint32_t index, std::string* href, std::string* name) const;
  bool gone() const { return gone_; }
  // Shuts the socket down: the parent reads EOF.
  void Close();

  // Calls `fire` once, from the watcher thread, when the socket is readable
  // (or at EOF), unless Unwatch() comes first.
  void Watch(std::function<void()> fire);
  void Unwatch();

 private:
  // Reads until a frame of kind a or b arrives (handling kHandler and
  // skipping kNotify on the way). False if the parent is gone or sent
  // something malformed.
  bool Await(frame::Kind a, frame::Kind b, frame::Kind c, frame::View* out);
  bool Fail();
  void WatchLoop();

  const int fd_;
  bool gone_ = false;
  frame::Reader reader_;
  Bytes out_;
  std::unordered_map<uint32_t, std::pair<std::string, std::string>> handlers_;

  // The watcher: armed_ and stop_ under mu_; the pipe wakes its poll().
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool stop_ = false;
  std::function<void()> fire_;
  int wake_[2] = {-1, -1};
  std::thread watcher_;
};

// Makes this process die with its parent: SIGKILL when the thread that
// spawned it exits (Linux: PR_SET_PDEATHSIG), and at once if the parent is
// already gone (its pid is no longer our parent's).
void DieWithParent();

}  // namespace nativepool
