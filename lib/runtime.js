'use strict';
// A worker runtime is the only code that knows whether a worker is a thread
// or a process. The worker set (lib/worker-set.js) asks it for workers and
// talks to them only through this interface; the worker's loop
// (lib/worker.js) talks to the pool only through its port (lib/protocol.js
// `Port`) and its control channel.
//
// interface Runtime {
//   kind: 'thread' | 'process'   (lib/runtime-thread.js, lib/runtime-process.js)
//   start(init: WorkerInit without `control`) -> RuntimeWorker
//       Starts one worker with the pool's options (workerData, env, argv,
//       execArgv, resourceLimits, ...) and hands it `init` before anything
//       else, with the worker's end of a new control channel.
// }
//
// interface RuntimeWorker extends EventEmitter {
//   id: number            threadId, or the child's pid
//   control: MessagePort-like (postMessage, on('message'), unref): the pool's
//                         end of the control channel
//   public: object        what 'workerCreate' / 'workerDestroy' listeners and
//                         pool.threads see (the Worker, or the child's handle)
//   receive(): { message } | undefined   the next control message already
//                         posted, read synchronously (receiveMessageOnPort)
//   terminate(): void     stop it now; 'exit' follows
//   unref(): void         an idle worker never keeps the process alive
//   ref(): void           ...but one whose task waits for its exit does
//   events: 'message'(msg) a handler's parentPort.postMessage / process.send
//           'error'(err)   an uncaught exception or an out-of-memory kill
//           'exit'(code)   it is gone; comes last, once
// }
const { ThreadRuntime } = require('./runtime-thread');
const { ProcessRuntime } = require('./runtime-process');

function createRuntime(kind, options) {
  if (kind === 'thread') return new ThreadRuntime(options);
  if (kind === 'process') return new ProcessRuntime(options);
  throw new RangeError(`Unknown runtime '${kind}'`);
}

module.exports = { createRuntime };
