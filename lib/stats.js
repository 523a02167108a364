'use strict';
// pool.stats(): one plain snapshot, computed now from the native core, the
// task table's outcome counters and the worker set. Nothing here runs per
// task. Field by field in the README ("pool.stats()").
const { OUTCOME } = require('./figures');

const NS_PER_MS = 1e6;

/** Milliseconds on the clock workers stamp task starts with (lib/worker.js). */
const clockNow = () => performance.timeOrigin + performance.now();

/**
 * One worker's figures. `native` is binding consumerFigures(id) (null once
 * its consumer is gone); `w` the PoolWorker.
 */
function workerFigures(w, native, now) {
  let state;
  if (w.retiring || w.exited || native === null) state = 'stopping';
  // Its 'loaded' message may trail the tasks it already took.
  else if (!w.ready && native.held === 0 && native.done === 0) state = 'starting';
  else if (native.held > 0) state = 'busy';
  else state = 'idle';
  // The oldest task it is running: from the start stamps it writes itself
  // (exact), or as the core times it until those have reached this thread.
  let currentTaskMs = 0;
  if (native !== null && native.running > 0) {
    if (w.starts === null) currentTaskMs = native.runningNs / NS_PER_MS;
    for (const slot of w.starts === null ? [] : native.runningSlots) {
      const started = w.starts[slot];
      if (started > 0) currentTaskMs = Math.max(currentTaskMs, now - started);
    }
  }
  // Its share of its life spent running tasks. Node's own
  // worker.performance.eventLoopUtilization() reads 1 for a worker parked
  // in native code waiting for work, so the core measures it.
  let elu = 0;
  if (native !== null && native.ageNs > 0) {
    elu = Math.min(1, (native.busyNs + currentTaskMs * NS_PER_MS) / native.ageNs);
  }
  const heap = w.gauges !== null && w.gauges !== undefined ? w.gauges[0] : 0;
  const out = { id: w.consumerId };
  const pub = w.rw.public;
  if (pub !== null && typeof pub === 'object' && typeof pub.threadId === 'number') out.threadId = pub.threadId;
  else out.pid = w.rw.id;
  out.state = state;
  out.tasksDone = native === null ? 0 : native.done;
  out.currentTaskMs = currentTaskMs;
  out.heapUsedBytes = heap > 0 ? heap : null;
  out.eventLoopUtilization = elu;
  return out;
}

/** The pool's stats() snapshot (lib/figures.js Figures). */
function snapshot(figures) {
  const { native, counters, tasks, workers } = figures;
  const n = native.stats();
  const q = native.queueFigures();
  const now = clockNow();
  const list = [];
  const byState = { starting: 0, idle: 0, busy: 0, stopping: 0 };
  let running = 0;
  let heapUsedBytes = 0;
  // ports(): every worker not yet exited, serving or leaving.
  for (const w of workers.ports()) {
    const nf = native.consumerFigures(w.consumerId);
    const wf = workerFigures(w, nf, now);
    if (nf !== null) running += nf.running;
    byState[wf.state]++;
    if (wf.heapUsedBytes !== null) heapUsedBytes += wf.heapUsedBytes;
    list.push(wf);
  }
  const o = counters.outcomes;
  const retried = counters.event('retried');
  const queued = q.lanes.reduce((a, b) => a + b, 0);
  return {
    submitted: n.submitted - retried,
    completed: o[OUTCOME.OK],
    failed: o[OUTCOME.ERROR],
    workerExited: o[OUTCOME.WORKER_EXITED],
    cancelled: o[OUTCOME.CANCELLED],
    aborted: o[OUTCOME.ABORTED],
    timedOut: o[OUTCOME.TIMEOUT],
    retried,
    recycled: counters.event('recycled'),
    rejected: { ...counters.rejected },
    pending: tasks.size,
    queued,
    queuedByLane: q.lanes,
    peakQueued: Math.max(q.peak, queued),
    running,
    workersStarted: counters.started,
    workerExits: { ...counters.exits },
    workersByState: byState,
    heapUsedBytes,
    utilization: figures.utilization,
    duration: figures.duration,
    waitTime: figures.timing('wait'),
    runTime: figures.timing('run'),
    workers: list,
  };
}

module.exports = { snapshot };
