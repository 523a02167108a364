'use strict';
// The worker-thread entry. It pulls tasks from the pool in native code:
// port.take() parks this thread until there is work, so an idle worker costs
// nothing and a busy one never waits for a message to be routed to it.
//
// Loop invariant: `inflight` counts tasks started and not yet completed.
// With nothing in flight the loop parks in take(); with async tasks in flight
// and spare concurrency it polls with tryTake() and otherwise arms an async
// notifier so a new task or a settling one wakes it.
const { parentPort, receiveMessageOnPort } = require('node:worker_threads');
const binding = require('./binding');
const { INIT_KEY } = require('./protocol');
const { errors, serializeError } = require('./errors');
const { isMovable, takeTransferables } = require('./transfer');
const { SabTable, makeCodecHooks, applyControl, waitFor } = require('./channel');

const initMessage = receiveMessageOnPort(parentPort);
if (!initMessage || !initMessage.message || !initMessage.message[INIT_KEY]) {
  throw new Error('nativepool: lib/worker.js must be started by a nativepool Pool');
}
const init = initMessage.message[INIT_KEY];
globalThis[Symbol.for('nativepool.worker')] = true; // Pool.isWorkerThread

let wake = null; // resolves the loop's current wait
function ring() {
  const w = wake;
  wake = null;
  if (w) w();
}

// Shared buffers: the ones the pool had before this worker started, and the
// control port on which it announces later ones (lib/channel.js).
const control = init.control;
control.unref();
const sabs = new SabTable(`w${init.consumerId}.`);
for (const [id, sab] of init.sabs) sabs.learn(id, sab);
const sideIn = new Map(); // seq -> value the pool posted to us
const flag = new Int32Array(new SharedArrayBuffer(4)); // the pool notifies it
let sideSeq = 0;
function drainControl() {
  let any = false;
  for (let m = receiveMessageOnPort(control); m !== undefined; m = receiveMessageOnPort(control)) {
    any = true;
    const msg = m.message;
    if (msg && msg.seq !== undefined) sideIn.set(msg.seq, msg);
    else applyControl(sabs, msg);
  }
  return any;
}
function takeSide(seq) {
  control.postMessage({ want: seq, flag });
  const msg = waitFor(() => sideIn.get(seq), drainControl, flag, 'A transferred value');
  sideIn.delete(seq);
  if (msg.missing) throw errors.dataClone('A transferred value', 'the pool no longer holds it');
  return msg.value;
}
const codec = makeCodecHooks(sabs, {
  announce: (sab, id) => control.postMessage({ sab, id }),
  drain: drainControl,
  sendSide: (value, transfer) => {
    const seq = `w${init.consumerId}.${++sideSeq}`;
    control.postMessage({ seq, value }, transfer);
    return seq;
  },
  takeSide,
});

const port = new binding.WorkerPort(init.poolId, init.consumerId, ring, codec);
const concurrency = init.concurrency;
// progress[0] = take-order number of the task about to start. If this
// worker dies, the pool fails only tasks it had started; the rest of its
// batch goes back in line (PoolCore::abandon).
const progress = port.progress();
let issued = 0;

// --- handlers ----------------------------------------------------------------
const modules = new Map(); // href -> Promise<module namespace>
const handlers = new Map(); // index -> function | Error

function loadModule(href) {
  let p = modules.get(href);
  if (!p) {
    p = import(href);
    modules.set(href, p);
  }
  return p;
}

async function resolveHandler(index) {
  const info = port.handlerInfo(index);
  if (!info) throw new Error(`nativepool: unknown handler ${index}`);
  const [href, name] = info;
  let mod = await loadModule(href);
  // CommonJS arrives as { default: module.exports }; an async module may
  // export a promise of its handler (Piscina does the same).
  let fn;
  if (name === 'default') {
    fn = mod.default !== undefined ? mod.default : mod;
    if (fn && typeof fn.then === 'function') fn = await fn;
    if (fn && typeof fn === 'object' && typeof fn.default === 'function') fn = fn.default;
  } else {
    fn = mod[name];
    // CommonJS: named handlers may hang off module.exports, even when it is
    // itself a function (Piscina's README: add.multiply = multiply).
    const cjs = mod.default;
    if (fn === undefined && cjs !== null && (typeof cjs === 'object' || typeof cjs === 'function')) fn = cjs[name];
    if (fn && typeof fn.then === 'function') fn = await fn;
  }
  if (typeof fn !== 'function') throw errors.handlerNotFound(name, href);
  return fn;
}

function handlerFor(index) {
  const h = handlers.get(index);
  if (h !== undefined) return h;
  const p = resolveHandler(index).then(
    (fn) => {
      handlers.set(index, fn);
      return fn;
    },
    (err) => {
      handlers.set(index, { error: err });
      throw err;
    },
  );
  handlers.set(index, p);
  return p;
}

// --- completing ----------------------------------------------------------------
function complete(slot, result) {
  if (!isMovable(result)) {
    try {
      port.complete(slot, result);
    } catch (err) {
      port.fail(slot, serializeError(err));
    }
    return;
  }
  let moved;
  try {
    moved = takeTransferables(result, undefined);
    port.complete(slot, moved.value, moved.moving);
  } catch (err) {
    port.fail(slot, serializeError(err));
    return;
  }
  moved.commit();
}

function fail(slot, err) {
  try {
    port.fail(slot, serializeError(err));
  } catch (cloneErr) {
    port.fail(slot, serializeError(errors.dataClone('The thrown value', String(cloneErr && cloneErr.message))));
  }
}

// --- the loop ----------------------------------------------------------------------
let inflight = 0;
let avgRunNs = 0; // EWMA of run time: short tasks are taken in batches
const kShortNs = 50_000;

function settled() {
  inflight--;
  ring();
}

function runOne(slot, index, value) {
  let fn = handlers.get(index);
  if (typeof fn !== 'function') {
    if (fn && fn.error) return fail(slot, fn.error);
    inflight++;
    Promise.resolve(handlerFor(index))
      .then((f) => f(value))
      .then((r) => complete(slot, r), (err) => fail(slot, err))
      .finally(settled);
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
    inflight++;
    Promise.resolve(result)
      .then((r) => complete(slot, r), (err) => fail(slot, err))
      .finally(settled);
    avgRunNs = kShortNs * 4; // async work: take one at a time
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

async function main() {
  if (init.filename) {
    // Load the default handler before the first task; a failure here is
    // reported per task, not as a crash (every replacement would crash too).
    await Promise.resolve(handlerFor(0)).catch(() => {});
  }
  for (;;) {
    let batch;
    if (inflight === 0) {
      const max = avgRunNs < kShortNs && concurrency === 1 ? 32 : concurrency;
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
    for (let i = 0; i < batch.length; i += 3) {
      issued++;
      if (batch[i] < 0) continue; // the binding already failed it
      while (inflight >= concurrency) await waitForWake();
      progress[0] = issued;
      runOne(batch[i], batch[i + 1], batch[i + 2]);
    }
  }
  while (inflight > 0) await waitForWake();
  port.close();
  // Stopped by the pool: leave now, even if a handler left timers or
  // sockets behind that would keep this thread's loop alive.
  process.exit(0);
}

main().catch((err) => {
  // A bug in this loop, not in a task: let the worker die; the pool fails
  // what it held with ERR_WORKER_EXITED and replaces it.
  process.nextTick(() => {
    throw err;
  });
});
