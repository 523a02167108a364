'use strict';
// Task lifecycle on diagnostics_channel, for OpenTelemetry and APM agents:
// a TracingChannel named 'nativepool:task', published the way Node's own
// tracePromise() does:
//   tracing:nativepool:task:start       run() was called
//   tracing:nativepool:task:end         run() returned its promise (the task is queued or refused)
//   tracing:nativepool:task:error       the task rejected: context.error
//   tracing:nativepool:task:asyncStart  the task settled: context.result or context.error
//   tracing:nativepool:task:asyncEnd    after asyncStart
// Every event of one task carries the same context object
// { pool, task, options }. start runs run() inside start.runStores(), so a
// store bound to the start channel (AsyncLocalStorage) is the task's async
// context until it settles.
//
// With no subscriber, run() pays one hasSubscribers check and nothing else.
const dc = require('node:diagnostics_channel');

const CHANNEL = 'nativepool:task';
const taskChannel = dc.tracingChannel(CHANNEL);

/** Runs `run(task, options)` traced. */
function traceRun(pool, task, options, run) {
  return taskChannel.tracePromise(run, { pool, task, options }, pool, task, options);
}

module.exports = { taskChannel, traceRun, CHANNEL };
