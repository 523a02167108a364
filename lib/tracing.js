'use strict';
// Task lifecycle on diagnostics_channel, for OpenTelemetry and APM agents:
// a TracingChannel named 'nativepool:task', with the events and context
// fields of Node's own tracePromise():
//   tracing:nativepool:task:start       run() was called: context { pool, task, options }
//   tracing:nativepool:task:end         run() returned its promise
//   tracing:nativepool:task:error       the task rejected: context.error
//   tracing:nativepool:task:asyncStart  the task settles: context.result or context.error
//   tracing:nativepool:task:asyncEnd    its promise has settled
// Every event of one task carries the same context object. run() runs
// inside start.runStores(context), so a store bound to the start channel
// (AsyncLocalStorage) is the task's async context: asyncStart and asyncEnd
// are published in it too.
//
// Cost: with no subscriber, run() pays one hasSubscribers check and a
// settling task one null check (record.context). With one, the settle batch
// publishes from the record, so tracing adds no promise of its own (only a
// task run() refuses gets a derived promise, to publish its error).
const dc = require('node:diagnostics_channel');

const CHANNEL = 'nativepool:task';
const taskChannel = dc.tracingChannel(CHANNEL);
const { start, end, asyncStart, asyncEnd, error } = taskChannel;

function publishRefused(ctx, err) {
  ctx.error = err;
  error.publish(ctx);
  asyncStart.publish(ctx);
  asyncEnd.publish(ctx);
  throw err;
}

/**
 * run(task, options) traced. `tasks.tracing` hands the context to the task
 * table, which gives it to the record it accepts (TaskTable.add).
 */
function traceRun(tasks, pool, task, options, run) {
  const ctx = { pool, task, options };
  return start.runStores(ctx, () => {
    tasks.tracing = ctx;
    let promise;
    try {
      promise = run(task, options);
    } finally {
      const accepted = tasks.tracing === null;
      tasks.tracing = null;
      end.publish(ctx);
      if (!accepted && promise !== undefined) promise = promise.then(undefined, (err) => publishRefused(ctx, err));
    }
    return promise;
  });
}

/** Settles a traced record: called in the record's async scope, as the task settles. */
function settleTraced(ctx, ok, value, settle) {
  if (ok) {
    ctx.result = value;
  } else {
    ctx.error = value;
    error.publish(ctx);
  }
  asyncStart.publish(ctx);
  try {
    settle(value);
  } finally {
    asyncEnd.publish(ctx);
  }
}

module.exports = { taskChannel, traceRun, settleTraced, CHANNEL };
