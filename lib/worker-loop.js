'use strict';
// The worker loop, the same for every runtime: lib/worker.js runs it in a
// worker thread, lib/child.js in a child process. It pulls tasks from the
// pool through its port (lib/protocol.js `Port`): port.take() waits for work
// (parked in native code, or, in a child, blocked on its socket to the
// pool), so an idle worker costs nothing and a busy one never waits for a
// message to be routed to it. The entry hands run() the port, the slot
// words, the start stamps and how to post a control message.
//
// Loop invariant: `inflight` counts tasks started and not yet completed.
// With nothing in flight the loop parks in take(); with async tasks in flight
// and spare concurrency it polls with tryTake() and otherwise arms an async
// notifier so a new task or a settling one wakes it. Every task of a batch is
// started (slot word TAKEN -> RUNNING) or skipped (CANCELLED: port.release)
// before the next take.
const { SLOT, TAKE_STRIDE, BAD_VALUE, TUNING } = require('./protocol');
const { errors, wrapThrown, cloneableOrDescribed } = require('./errors');
const { isMovable, takeTransferables } = require('./transfer');
const { Handlers } = require('./worker-handlers');

let wake = null; // resolves the loop's current wait
function ring() {
  const w = wake;
  wake = null;
  if (w) w();
}

// Set once by run().
let port; // lib/protocol.js Port
let words; // port.slots(): the slot words (SLOT)
// starts[slot]: when the task in that slot started (ms on the shared clock
// performance.timeOrigin + performance.now()), for the pool's timeouts and
// figures. Only this worker writes it.
let starts;
let clockOrigin;
let concurrency;
let handlers;
let post; // (msg) => void: a control message to the pool

// --- completing ------------------------------------------------------------------
// Every path from a handler's result or error to the core ends in a call that
// cannot throw: a value that cannot be cloned fails the task with a
// DataCloneError; a thrown value that cannot be cloned is described instead.

function fail(slot, err) {
  try {
    port.fail(slot, wrapThrown(err));
    return;
  } catch {
    // Something in it cannot cross: describe what cannot, keep the rest.
  }
  try {
    port.fail(slot, wrapThrown(err, cloneableOrDescribed));
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
  let moved = null;
  try {
    if (isMovable(result)) {
      moved = takeTransferables(result, undefined);
      port.complete(slot, moved.value, moved.moving);
    } else {
      port.complete(slot, result);
    }
  } catch (err) {
    fail(slot, err);
    return;
  }
  if (moved) moved.commit();
}

// --- running --------------------------------------------------------------------
let inflight = 0;
let avgRunNs = 0; // EWMA of run time: short tasks are taken in batches
// While async tasks are in flight this ref'd timer keeps the thread's loop
// alive: a handler may await something that holds no handle of its own
// (Atomics.waitAsync, an unref'd timer) and Node would end the thread.
let keepAlive = null;

function settled() {
  if (--inflight === 0 && keepAlive !== null) {
    clearInterval(keepAlive);
    keepAlive = null;
  }
  ring();
}

function startAsync(slot, promise) {
  if (inflight++ === 0 && keepAlive === null) keepAlive = setInterval(() => {}, 1 << 30);
  promise.then((r) => complete(slot, r), (err) => fail(slot, err)).finally(settled);
}

function runOne(slot, index, value) {
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
    startAsync(slot, handlers.get(index).then((f) => f(value)));
    return;
  }
  const t0 = process.hrtime.bigint();
  let result;
  try {
    result = fn(value);
  } catch (err) {
    fail(slot, err);
    return;
  }
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    startAsync(slot, Promise.resolve(result));
    avgRunNs = TUNING.SHORT_TASK_NS * 4; // async work: take one at a time
    return;
  }
  complete(slot, result);
  const dt = Number(process.hrtime.bigint() - t0);
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
  return avgRunNs < TUNING.SHORT_TASK_NS && concurrency === 1 ? TUNING.SHORT_BATCH : concurrency;
}

async function runBatch(batch) {
  for (let i = 0; i < batch.length; i += TAKE_STRIDE) {
    const slot = batch[i];
    while (inflight >= concurrency) await waitForWake();
    // Start it, unless the pool cancelled it while it waited in our batch.
    starts[slot] = clockOrigin + performance.now();
    if (Atomics.compareExchange(words, slot, SLOT.TAKEN, SLOT.RUNNING) !== SLOT.TAKEN) {
      port.release(slot);
      continue;
    }
    runOne(slot, batch[i + 1], batch[i + 2]);
  }
}

async function main(filename) {
  if (filename) {
    // Load the default handler before the first task (pool.ready() waits
    // for this message). A failure is reported per task, not as a crash:
    // every replacement would fail the same way.
    try {
      await handlers.get(0);
      post({ loaded: true });
    } catch (err) {
      post({ loaded: false, error: wrapThrown(err, cloneableOrDescribed) });
    }
  } else {
    post({ loaded: true });
  }
  for (;;) {
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
        if (process.getActiveResourcesInfo().length > 0) {
          await parkAsync();
          continue;
        }
        batch = port.take(max);
      }
    } else if (inflight < concurrency) {
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
    await runBatch(batch);
  }
  while (inflight > 0) await waitForWake();
  port.close();
  // Stopped by the pool: leave now, even if a handler left timers or
  // sockets behind that would keep this thread's loop alive.
  process.exit(0);
}

/**
 * Runs the loop until the pool stops this worker, then exits the thread or
 * process. ctx: { port, words, starts, concurrency, filename, post }.
 */
function run(ctx) {
  port = ctx.port;
  words = ctx.words;
  starts = ctx.starts;
  clockOrigin = performance.timeOrigin;
  concurrency = ctx.concurrency;
  handlers = new Handlers((index) => port.handlerInfo(index));
  post = ctx.post;
  main(ctx.filename).catch((err) => {
    // A bug in this loop, not in a task: let the worker die; the pool fails
    // what it had started with ERR_WORKER_EXITED and replaces it.
    process.nextTick(() => {
      throw err;
    });
  });
}

module.exports = { ring, run };
