'use strict';
// The worker-thread entry (runtime 'thread'): reads the init message, sets
// up the control channel (lib/channel.js: shared buffers, side-channel
// values) and the thread's WorkerPort, then runs the worker loop
// (lib/worker-loop.js). port.take() parks this thread in native code until
// there is work.
const { parentPort, receiveMessageOnPort } = require('node:worker_threads');
const binding = require('./binding');
const { INIT_KEY } = require('./protocol');
const { errors } = require('./errors');
const { SabTable, makeCodecHooks, applyControl, waitFor } = require('./channel');
const loop = require('./worker-loop');

// The pool posts the init message right after creating the Worker, so it is
// normally queued when this script starts; once, in a full test run on a
// loaded machine, it was not yet (and the worker threw). Then it is awaited,
// for a while.
const INIT_WAIT_MS = 30000;
const early = receiveMessageOnPort(parentPort);
if (early !== undefined) {
  start(early.message);
} else {
  const late = setTimeout(() => start(undefined), INIT_WAIT_MS);
  parentPort.once('message', (message) => {
    clearTimeout(late);
    start(message);
  });
}

function start(message) {
  if (!message || !message[INIT_KEY]) {
    throw new Error('nativepool: lib/worker.js must be started by a nativepool Pool');
  }
  const init = message[INIT_KEY];
  globalThis[Symbol.for('nativepool.worker')] = true; // Pool.isWorkerThread
  // niceIncrement: this thread runs at a lower priority (Linux: per thread).
  if (init.niceIncrement > 0) binding.niceThread(init.niceIncrement);

  // --- the control channel: shared buffers and side-channel values ------------
  const control = init.control;
  control.unref();
  const sabs = new SabTable(`w${init.consumerId}.`);
  for (const [id, sab] of init.sabs) sabs.learn(id, sab);
  const sideIn = new Map(); // seq -> value the pool posted to us
  const flag = new Int32Array(new SharedArrayBuffer(4)); // the pool notifies it
  let sideSeq = 0;
  let resultPorts = null; // MessagePorts the result being encoded transfers
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
    portListed: (p) => resultPorts !== null && resultPorts.includes(p),
  });

  const port = new binding.WorkerPort(init.poolId, init.consumerId, loop.ring, codec);
  const words = port.slots();
  // starts[slot]: when the task in that slot started (ms on the shared clock
  // performance.timeOrigin + performance.now()), for the pool's timeouts and
  // figures. Sent once; the pool reads it, only this thread writes it.
  const starts = new Float64Array(new SharedArrayBuffer(8 * words.length));
  control.postMessage({ starts });

  loop.run({
    port,
    words,
    starts,
    gauges: init.gauges,
    concurrency: init.concurrency,
    filename: init.filename,
    maxTasks: init.maxTasks,
    maxHeapBytes: init.maxHeapBytes,
    post: (msg) => control.postMessage(msg),
    setResultPorts: (ports) => {
      resultPorts = ports;
    },
  });
}
