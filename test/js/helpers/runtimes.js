'use strict';
// The worker runtimes the behaviour suites run against:
//   for (const runtime of RUNTIMES) describe(`... [${runtime}]`, ...)
// NATIVEPOOL_RUNTIMES=thread (or process) narrows it while editing.
const RUNTIMES = (process.env.NATIVEPOOL_RUNTIMES || 'thread,process').split(',').map((s) => s.trim()).filter(Boolean);

/** A worker's identity in pool.threads / 'workerCreate': a thread's threadId, a child's pid. */
function workerId(w) {
  return w.threadId !== undefined ? w.threadId : w.pid;
}

module.exports = { RUNTIMES, workerId };
