'use strict';
// What crosses between the pool and a child process (runtime 'process'),
// besides the task frames the binding writes (src/frame.h):
//   - the child's descriptors: CHILD_FDS
//   - the init message, v8-serialized (the kInit frame's body):
//       { capacity, concurrency, filename, workerData }
//   - control messages the child posts (kPost), v8-serialized:
//       { loaded: true } / { loaded: false, error }   as a worker thread's
//       { error }                                    an uncaught exception, then it exits
//   - requests (kRequest) the child blocks on, and the pool's kReply:
//       { want: seq }  -> { value } | { missing: reason }   a moved ArrayBuffer (SIDE)
//       { native: h }  -> { value } | { missing: reason }   a moved Pool.buffer() (NATIVE)
//   - what a handler sends with process.send() travels on Node's IPC channel
//     and becomes the pool's 'message' event.

/** The child's ends, by fd number in the child (spawn's stdio array). */
const CHILD_FDS = Object.freeze({ SOCKET: 3, SLOTS: 4 });

/** Frame kinds the binding hands lib (src/frame.h Kind), and -1: the child is gone. */
const EVENT = Object.freeze({ POST: 21, REQUEST: 22, CLOSED: -1 });

module.exports = { CHILD_FDS, EVENT };
