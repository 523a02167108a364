// ChildProxy: the parent's end of a child process that works for a pool.
// It is an ordinary consumer of the PoolCore, whose thread happens to live in
// another process: one proxy thread per child takes batches from the
// scheduler on the child's behalf, writes them as frames (frame.h) on a
// socket, and completes what comes back, so held sets, exactly-once and the
// batched doorbell are those of a worker thread.
//
// The proxy thread, in a loop:
//   0. write kHandler for every handler known, then kInit
//   1. write what is due: a kNotify the scheduler asked for, frames lib queued (Send)
//   2. poll(socket, wake pipe)
//   3. read and handle the child's frames, in order:
//        kTake(max, block)  PoolCore::take(); kHandler for handlers the child
//                           has not seen, then kTasks (or kEmpty / kStopped).
//                           A blocking take parks this thread in the scheduler:
//                           the child asked because it has nothing running and
//                           its one thread waits for the answer.
//        kComplete          PoolCore::complete()     kRelease  PoolCore::release()
//        kArm / kDisarm     Scheduler::arm_async() / disarm_async(); the notifier
//                           (run on a producer thread) only sets a flag and
//                           writes the wake pipe: this thread is the socket's
//                           only writer
//        kPost / kRequest   handed to Callbacks::message
//   On EOF, an error or a malformed frame (the child is gone, or not ours to
//   trust), or after Shutdown(): take the results and posts the child already
//   wrote (unless it sent something malformed), abandon the consumer
//   (PoolCore::abandon: started tasks fail with kWorkerExited, the rest go
//   back in line), then Callbacks::closed, the thread's last act.
//
// Exactness: the consumer's slot words live in SharedSlots, mapped into the
// child, which starts a task with the same CAS as a worker thread. A task's
// payload is copied into the outgoing frame under the consumer's mutex, after
// checking it is still held: a cancel() that hands the task back to its owner
// (which frees it) cannot interleave with the copy. A task cancelled between
// take() and the copy goes out with no payload; the child finds its word
// kCancelled and releases the slot.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "bytes.h"
#include "frame.h"
#include "pool_core.h"
#include "shared_slots.h"

namespace nativepool {

class ChildProxy {
 public:
  struct Callbacks {
    // A kPost or kRequest frame from the child; on the proxy thread.
    std::function<void(frame::Kind kind, const uint8_t* body, size_t size)> message;
    // The child is gone (EOF, malformed input, or Shutdown()) and its held
    // tasks were abandoned. The proxy thread's last call.
    std::function<void()> closed;
  };

  // `fd`: the parent's end of a connected stream socket; the proxy owns it.
  // `slots`: memory the child maps too; the consumer's slot words move there
  // (it must not have taken anything yet). Throws std::invalid_argument if
  // the consumer holds a task or `slots` is smaller than its capacity.
  ChildProxy(std::shared_ptr<PoolCore> core, std::shared_ptr<PoolCore::Consumer> consumer, int fd,
             std::shared_ptr<SharedSlots> slots, Callbacks callbacks);
  ~ChildProxy();  // Shutdown(), Join()
  ChildProxy(const ChildProxy&) = delete;
  ChildProxy& operator=(const ChildProxy&) = delete;

  // Writes kInit with `init` as its body, then serves the child. Once.
  void Start(Bytes init);
  // Queues a frame for the child (e.g. a kReply); any thread.
  void Send(frame::Kind kind, const uint8_t* body, size_t size);
  // The child is gone or being killed: stops the consumer, shuts the socket
  // down and wakes the thread, which abandons and calls closed. Any thread;
  // idempotent.
  void Shutdown();
  // Waits for the proxy thread to end (after closed, or after Shutdown()).
  void Join();

  struct Waker;  // the wake pipe and the pending-notify flag (shared with the notifier)

 private:
  void Run(Bytes init);
  bool Handle(const frame::View& f, Bytes& out);
  // After the loop: completes and releases what the child had already written.
  void TakeFinished(frame::Reader& reader);
  bool SendTasks(uint32_t max, bool block, Bytes& out);
  bool Flush(Bytes& out);
  // kHandler frames for handlers [handlers_sent_, upto) that exist.
  void PutHandlers(Bytes& out, uint32_t upto);

  std::shared_ptr<PoolCore> core_;
  std::shared_ptr<PoolCore::Consumer> consumer_;
  const int fd_;
  std::shared_ptr<SharedSlots> slots_;
  Callbacks callbacks_;
  std::shared_ptr<Waker> waker_;
  std::mutex out_mu_;
  Bytes outbox_;  // frames queued by Send(), under out_mu_
  std::atomic<bool> closing_{false};
  std::thread thread_;
  uint32_t handlers_sent_ = 0;  // the child knows handlers [0, handlers_sent_); proxy thread only
};

}  // namespace nativepool
