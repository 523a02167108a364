'use strict';
// The worker loop, the same for every runtime: lib/worker.js runs it in a
// worker thread, lib/child.js in a child process. It pulls tasks from the
// pool through its port (lib/protocol.js `Port`): port.take() waits for work
// (parked in native code, or, in a child, blocked on its socket to the
// pool), so an idle worker costs nothing and a busy one never waits for a
// message to be routed to it. The entry hands run() the port, the slot
// words, the start stamps, the gauges and how to post a control message.
//
// Loop invariant: `inflight` counts tasks started and not yet completed.
// With nothing in flight the loop parks in take(); with async tasks in flight
// and spare concurrency it polls with tryTake() and otherwise arms an async
// notifier so a new task or a settling one wakes it. Every task of a batch is
// started (slot word TAKEN -> RUNNING) or skipped (CANCELLED: port.release)
// before the next take.
const v8 = require('node:v8');
// Bound once: the global `performance` is a lazy accessor, read per task otherwise.
const { performance } = require('node:perf_hooks');
const { SLOT, TAKE_STRIDE, BAD_VALUE, HANDLER_EXCLUSIVE, HANDLER_INBOX, TUNING, GAUGE } = require('./protocol');
const { errors, wrapThrown, cloneableOrDescribed, isErrorLike, describeValue } = require('./errors');
const { isMovable, takeTransferables } = require('./transfer');
const { Handlers } = require('./worker-handlers');
// The record of a flat result (a number, a short string, a plain object of
// those, ...) is written here in JS and handed over as bytes: no call from
// the encoder back into JS to read it (lib/wire-helpers.js encodeTask).
const { encodeTask, decodeFlat } = require('./binding').wireHelpers;

let wake = null; // resolves the loop's current wait
function ring() {
  const w = wake;
  wake = null;
  if (w) w();
}

// Set once by run().
let port; // lib/protocol.js Port
// port.inbox(), where take() copies a batch's flat records (a worker
// thread's port has one; a child's does not): decoded here, at once.
let inbox = null;
let words; // port.slots(): the slot words (SLOT)
// starts[slot]: when the task in that slot started (ms on the shared clock
// performance.timeOrigin + performance.now()), for the pool's timeouts and
// figures. Only this worker writes it.
let starts;
let clockOrigin;
let concurrency;
let handlers;
let post; // (msg) => void: a control message to the pool
let setResultPorts; // (ports | null) => void: the MessagePorts a result transfers
let limits; // { maxTasks, maxHeapBytes }: recycling (0: none)
// gauges: figures for the pool's stats() (lib/protocol.js GAUGE), written
// here at most every GAUGE_EVERY_MS, never per task.
let gauges;
let gaugesDue = 0;
function publishGauges(now) {
  if (now < gaugesDue) return;
  gaugesDue = now + TUNING.GAUGE_EVERY_MS;
  gauges[GAUGE.HEAP_USED] = v8.getHeapStatistics().used_heap_size;
}

// --- completing ------------------------------------------------------------------
// Every path from a handler's result or error to the core ends in a call that
// cannot throw: a value that cannot be cloned fails the task with a
// DataCloneError; a thrown value that cannot be cloned is described instead.

function fail(slot, err) {
  Atomics.store(words, slot, SLOT.COMPLETING); // done: an abort now drops the error
  try {
    port.fail(slot, wrapThrown(err));
    return;
  } catch {
    // Something in it cannot cross; see below.
  }
  let wrapped;
  try {
    // An Error keeps its class, message and stack; an own property that
    // cannot be cloned is replaced by its description. Anything else thrown
    // that cannot be cloned (a symbol, a function) becomes a DataCloneError.
    wrapped = isErrorLike(err)
      ? wrapThrown(err, cloneableOrDescribed)
      : wrapThrown(errors.dataClone(`The thrown value ${describeValue(err)}`));
    port.fail(slot, wrapped);
  } catch (cloneErr) {
    let detail;
    try {
      detail = String(cloneErr && cloneErr.message);
    } catch {
      detail = 'unknown reason';
    }
    port.fail(slot, wrapThrown(errors.dataClone('The thrown value', detail)));
  }
}

function complete(slot, result) {
  Atomics.store(words, slot, SLOT.COMPLETING); // done: an abort now drops the result
  let moved = null;
  try {
    if (isMovable(result)) {
      moved = takeTransferables(result, undefined);
      setResultPorts(moved.ports);
      try {
        port.complete(slot, moved.value, moved.moving);
      } finally {
        setResultPorts(null);
      }
    } else {
      port.complete(slot, result, undefined, encodeTask(result));
    }
  } catch (err) {
    fail(slot, err);
    return;
  }
  if (moved) moved.commit();
}

// --- recycling ------------------------------------------------------------------
// maxTasksPerWorker: this worker starts at most limits.maxTasks tasks (0: no
// limit); maxHeapUsedMb: after a task, a heap in use above limits.maxHeapBytes
// (0: no limit) ends it. Either way it tells the pool (which starts its
// replacement first), finishes what it runs and leaves; tasks it holds
// unstarted go back in line.
let started = 0;
let recycling = false;
function checkRecycle() {
  if (recycling) return true;
  let why = null;
  if (limits.maxTasks > 0 && started >= limits.maxTasks) why = 'tasks';
  else if (limits.maxHeapBytes > 0 && v8.getHeapStatistics().used_heap_size > limits.maxHeapBytes) why = 'heap';
  if (why === null) return false;
  recycling = true;
  post({ recycle: why });
  return true;
}
let limited = false; // set by run(): maxTasks or maxHeapBytes

// --- running --------------------------------------------------------------------
let inflight = 0;
// An exclusive (abortable) task runs alone: it starts only when nothing else
// runs here, and nothing else starts or is taken while it is in flight.
let exclusiveInflight = false;
let avgRunNs = 0; // EWMA of run time: short tasks are taken in batches
// While async tasks are in flight this ref'd timer keeps the thread's loop
// alive: a handler may await something that holds no handle of its own
// (Atomics.waitAsync, an unref'd timer) and Node would end the thread.
let keepAlive = null;

function settled() {
  if (limited) checkRecycle();
  if (--inflight === 0 && keepAlive !== null) {
    clearInterval(keepAlive);
    keepAlive = null;
  }
  ring();
}

function startAsync(slot, promise, exclusive) {
  if (inflight++ === 0 && keepAlive === null) keepAlive = setInterval(() => {}, 1 << 30);
  if (exclusive) exclusiveInflight = true;
  promise.then((r) => complete(slot, r), (err) => fail(slot, err)).finally(() => {
    if (exclusive) exclusiveInflight = false;
    settled();
  });
}

function runOne(slot, index, value, exclusive) {
  if (index === BAD_VALUE) return fail(slot, value.error);
  if (value === undefined) {
    try {
      value = port.value(slot); // a frame that needed the side channel
    } catch (err) {
      return fail(slot, err);
    }
  }
  const fn = handlers.ready(index);
  if (fn === undefined) {
    startAsync(slot, handlers.get(index).then((f) => f(value)), exclusive);
    return;
  }
  const t0 = starts[slot]; // stamped by runBatch just now (ms)
  let result;
  try {
    result = fn(value);
  } catch (err) {
    fail(slot, err);
    return;
  }
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    startAsync(slot, Promise.resolve(result), exclusive);
    avgRunNs = TUNING.SHORT_TASK_NS * 4; // async work: take one at a time
    return;
  }
  complete(slot, result);
  const dt = (clockOrigin + performance.now() - t0) * 1e6;
  avgRunNs = avgRunNs === 0 ? dt : avgRunNs * 0.9 + dt * 0.1;
}

function waitForWake() {
  return new Promise((resolve) => {
    wake = resolve;
  });
}

// Waits for a task to be queued, this worker to be stopped, or (with tasks
// in flight) one of them to settle, without blocking the event loop.
async function parkAsync() {
  const waiting = waitForWake();
  if (port.armAsync()) {
    await waiting;
    port.disarmAsync();
  } else {
    wake = null; // work is queued (or we were stopped): look again now
  }
}

// How many tasks to take when idle: a batch of short sync tasks, else as
// many as may run at once.
function batchSize() {
  const n = avgRunNs < TUNING.SHORT_TASK_NS && concurrency === 1 ? TUNING.SHORT_BATCH : concurrency;
  return limits.maxTasks > 0 ? Math.max(1, Math.min(n, limits.maxTasks - started)) : n;
}

// The values take() left in the inbox, decoded before the next take()
// reuses it.
function fromInbox(batch) {
  for (let i = 0; i < batch.length; i += TAKE_STRIDE) {
    const handler = batch[i + 1];
    if (handler === BAD_VALUE || (handler & HANDLER_INBOX) === 0) continue;
    batch[i + 1] = handler & ~HANDLER_INBOX;
    batch[i + 2] = decodeFlat(inbox, batch[i + 2]);
  }
}

// Starts the batch's tasks in order. Returns -1 when it went through them
// all, or the index of the first one that must wait (for a free slot, or to
// run alone): runBatchFrom() goes on from there. Most batches never wait,
// and then cost no await.
function runBatch(batch, from) {
  for (let i = from; i < batch.length; i += TAKE_STRIDE) {
    const handler = batch[i + 1];
    const exclusive = handler !== BAD_VALUE && (handler & HANDLER_EXCLUSIVE) !== 0;
    if (inflight >= concurrency || exclusiveInflight || (exclusive && inflight > 0)) return i;
    if (limited && checkRecycle()) return -1; // the rest stays unstarted: back in line when we leave
    startTask(batch, i, exclusive ? handler & ~HANDLER_EXCLUSIVE : handler, exclusive);
  }
  return -1;
}

async function runBatchFrom(batch, at) {
  for (let i = at; i >= 0; i = runBatch(batch, i)) {
    const handler = batch[i + 1];
    const exclusive = handler !== BAD_VALUE && (handler & HANDLER_EXCLUSIVE) !== 0;
    while (inflight >= concurrency || exclusiveInflight || (exclusive && inflight > 0)) await waitForWake();
    if (limited && checkRecycle()) return;
    startTask(batch, i, exclusive ? handler & ~HANDLER_EXCLUSIVE : handler, exclusive);
    i += TAKE_STRIDE;
    if (i >= batch.length) return;
  }
}

// Starts one task of the batch, unless the pool cancelled it while it
// waited in the batch.
function startTask(batch, i, handler, exclusive) {
  const slot = batch[i];
  starts[slot] = clockOrigin + performance.now();
  if (Atomics.compareExchange(words, slot, SLOT.TAKEN, SLOT.RUNNING) !== SLOT.TAKEN) {
    port.release(slot);
    return;
  }
  started++;
  runOne(slot, handler, batch[i + 2], exclusive);
  if (limited) checkRecycle();
}

async function main(filename) {
  if (filename) {
    // Load the default handler before the first task (pool.ready() waits
    // for this message). A failure is reported per task, not as a crash:
    // every replacement would fail the same way.
    try {
      await handlers.get(0);
      // What the file queued while loading (an immediate that throws, an
      // exit) happens before we say it loaded: a file that kills its worker
      // while loading is a bootstrap failure, not a crash to respawn from.
      await new Promise(setImmediate);
      post({ loaded: true });
    } catch (err) {
      post({ loaded: false, error: wrapThrown(err, cloneableOrDescribed) });
    }
  } else {
    post({ loaded: true });
  }
  for (;;) {
    if (recycling) break;
    let batch;
    if (inflight === 0) {
      const max = batchSize();
      batch = port.tryTake(max);
      if (batch !== null && batch.length === 0) {
        // Idle. Give this thread's event loop a turn first (nextTicks,
        // immediates, due timers, I/O that handlers left behind), then park:
        // in native code if the loop has nothing pending, else asynchronously
        // so the loop keeps running while we wait.
        await new Promise(setImmediate);
        publishGauges(performance.now());
        if (process.getActiveResourcesInfo().length > 0) {
          await parkAsync();
          continue;
        }
        batch = port.take(max);
      }
    } else if (inflight < concurrency && !exclusiveInflight) {
      batch = port.tryTake(concurrency - inflight);
      if (batch !== null && batch.length === 0) {
        await parkAsync();
        continue;
      }
    } else {
      await waitForWake();
      continue;
    }
    if (batch === null) break; // stopped: the pool is retiring this worker
    if (inbox !== null) fromInbox(batch);
    const wait = runBatch(batch, 0);
    if (wait >= 0) await runBatchFrom(batch, wait);
    publishGauges(performance.now());
  }
  while (inflight > 0) await waitForWake();
  port.close();
  // Stopped by the pool: leave now, even if a handler left timers or
  // sockets behind that would keep this thread's loop alive.
  process.exit(0);
}

/**
 * Runs the loop until the pool stops this worker, then exits the thread or
 * process. ctx: { port, words, starts, gauges, concurrency, filename, post,
 * maxTasks, maxHeapBytes, setResultPorts? }.
 */
function run(ctx) {
  port = ctx.port;
  inbox = typeof port.inbox === 'function' ? port.inbox() : null;
  words = ctx.words;
  starts = ctx.starts;
  clockOrigin = performance.timeOrigin;
  concurrency = ctx.concurrency;
  handlers = new Handlers((index) => port.handlerInfo(index));
  post = ctx.post;
  setResultPorts = ctx.setResultPorts || (() => {});
  limits = { maxTasks: ctx.maxTasks || 0, maxHeapBytes: ctx.maxHeapBytes || 0 };
  limited = limits.maxTasks > 0 || limits.maxHeapBytes > 0;
  gauges = ctx.gauges || new Float64Array(GAUGE.LENGTH); // a child process: local only
  publishGauges(0);
  main(ctx.filename).catch((err) => {
    // A bug in this loop, not in a task: let the worker die; the pool fails
    // what it had started with ERR_WORKER_EXITED and replaces it.
    process.nextTick(() => {
      throw err;
    });
  });
}

module.exports = { ring, run };
