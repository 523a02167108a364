'use strict';
// The child-process entry (runtime 'process'; lib/runtime-process.js starts
// it). fd 3 is a socket to the pool's proxy for this child, fd 4 the shared
// memory holding its slot words and start stamps. It reads its init message,
// then runs the same worker loop as a worker thread (lib/worker-loop.js)
// over a ChildPort.
//
// It dies with its parent: PR_SET_PDEATHSIG (SIGKILL) where Linux has it,
// and in any case at EOF on the socket (a take() answers null, the loop
// ends). An uncaught exception is reported to the pool (the worker's
// 'error') before the process exits with code 1, as a worker thread would.
const v8 = require('node:v8');
const wt = require('node:worker_threads');
const binding = require('./binding');
const loop = require('./worker-loop');
const { makeChildCodec } = require('./child-codec');
const { wrapThrown, cloneableOrDescribed } = require('./errors');
const { CHILD_FDS } = require('./child-protocol');

binding.ChildPort.dieWithParent();

const native = new binding.ChildPort(CHILD_FDS.SOCKET, loop.ring, makeChildCodec(() => native));
const initBytes = native.init();
if (initBytes === null) process.exit(0); // the pool went away before we started
const init = v8.deserialize(initBytes);
native.map(CHILD_FDS.SLOTS, init.capacity);

// What a handler sees: Pool.isWorkerThread, Pool.workerData, and
// require('node:worker_threads').workerData, as in a worker thread.
wt.workerData = init.workerData;
globalThis[Symbol.for('nativepool.worker')] = true;
globalThis[Symbol.for('nativepool.child')] = true;

function post(msg) {
  native.post(v8.serialize(msg));
}

process.on('uncaughtException', (err) => {
  try {
    native.flush(); // what it finished before, first
    post({ error: wrapThrown(err, cloneableOrDescribed) });
  } finally {
    process.exit(1);
  }
});

// niceIncrement: this process runs at a lower priority.
if (init.niceIncrement > 0) binding.niceThread(init.niceIncrement);

loop.run({
  port: native,
  words: native.slots(),
  starts: native.starts(),
  concurrency: init.concurrency,
  filename: init.filename,
  maxTasks: init.maxTasks,
  maxHeapBytes: init.maxHeapBytes,
  post,
});
