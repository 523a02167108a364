'use strict';
// Every shape that crosses a boundary, in one place: the numbers the binding
// and lib exchange (mirrored from binding/constants.cc; test/js/protocol.test.js
// checks each against `addon.constants`), the take batch layout, the slot
// words, the settle batch layout, the worker's init message and the control
// port's messages, and the tuning both sides read.

/** What happened to a task (src/task.h `Status`). */
const STATUS = Object.freeze({
  OK: 0,
  ERROR: 1,
  CANCELLED: 2, // a tombstone; lib never sees it
  WORKER_EXITED: 3,
  SHUTDOWN: 4,
});

/**
 * A held task's slot word (src/task.h `SlotState`), shared with the worker as
 * an Int32Array (port.slots()). The worker starts slot s with
 * Atomics.compareExchange(words, s, TAKEN, RUNNING); finding CANCELLED there,
 * it skips the task and calls port.release(s). Before it hands a result (or
 * an error) over it stores COMPLETING: an abort then drops the result
 * instead of stopping a worker whose task is done (a child process's result
 * takes a while to reach the core).
 */
const SLOT = Object.freeze({ FREE: 0, TAKEN: 1, RUNNING: 2, CANCELLED: 3, COMPLETING: 4 });

/** What native.cancel(id) found (src/task.h `CancelResult`), like uv_cancel. */
const CANCEL = Object.freeze({
  REMOVED: 0, // was queued; will never run
  NOT_STARTED: 1, // a worker held it but had not started it; it skips it
  RUNNING: 2, // running: only stopping its worker stops it
  FINISHED: 3, // done; its result is on the way and will be dropped
});

/**
 * port.take(max) / tryTake(max) return [slot, handler, value, ...]:
 * TAKE_STRIDE entries per task. handler is BAD_VALUE when the value could not
 * be rebuilt in the worker (value is then { error }); value is undefined for
 * a frame that needs the side channel: port.value(slot) decodes it once the
 * task has started.
 */
const TAKE_STRIDE = 3;
const BAD_VALUE = -1;
/** Set in a take batch's handler of a task that must run alone on its worker. */
const HANDLER_EXCLUSIVE = 1 << 30;
// ... and of a task whose value is the offset of its flat record in the
// port's inbox (port.inbox(); lib/wire-helpers.js decodeFlat).
const HANDLER_INBOX = 1 << 29;

/**
 * native.submit(id, handler, lane, value, flags, moving?) flags:
 * TRACK: it may be cancelled (signal, timeout, retry); RETAIN: it may run
 * again (retries keep its bytes); EXCLUSIVE: it runs alone on its worker (an
 * abortable task, Piscina's rule: aborting it costs no other task).
 */
const SUBMIT = Object.freeze({ TRACK: 1, RETAIN: 2, EXCLUSIVE: 4 });

/**
 * The binding settles a batch with settle(meta, ...values): meta is a
 * Float64Array of SETTLE_STRIDE numbers per task [id, status, consumer]
 * (consumer: the one that held it, or -1), values[i] the i-th task's value
 * (passed as arguments, at most 1,024 of them per call).
 */
const SETTLE_STRIDE = 3;
// In a settle batch, a status with this bit set: the task's value is the
// offset of its flat record in the pool's inbox (native.inbox();
// lib/wire-helpers.js decodeFlat), decoded during the settle call.
const STATUS_INBOX = 1 << 8;

/**
 * The interface a worker's loop (lib/worker.js) talks to — binding/worker_port.h
 * for a worker thread. Nothing else crosses from worker to pool.
 * @typedef {object} Port
 * @property {(max: number) => Array|null} take     parks until work; null once stopped
 * @property {(max: number) => Array|null} tryTake  [] when nothing is queued; null once stopped
 * @property {(slot: number) => any} value          the argument of a started side-channel task
 * @property {(slot: number, value: any, moving?: ArrayBuffer[]) => boolean} complete
 * @property {(slot: number, error: any) => boolean} fail
 * @property {(slot: number) => boolean} release    a CANCELLED slot was skipped
 * @property {() => boolean} armAsync               notify() once on new work or stop
 * @property {() => boolean} disarmAsync
 * @property {(handler: number) => [string, string]|null} handlerInfo  [href, export name]
 * @property {() => Int32Array} slots               the slot words (SLOT)
 * @property {() => void} close
 */

/** Key of the one message the pool posts to a new worker before anything else. */
const INIT_KEY = '__nativepool_init__';

/**
 * @typedef {object} WorkerInit
 * @property {number} poolId      PoolCore id in the process-wide registry
 * @property {number} consumerId  this worker's consumer in that pool
 * @property {number} concurrency concurrentTasksPerWorker
 * @property {string|null} filename default handler file (URL href)
 * @property {string} name        default handler export name
 * @property {MessagePort} control the worker's end of its control channel
 * @property {Array<[string, SharedArrayBuffer]>} sabs the pool's live SABs by id
 * @property {Float64Array} gauges over a SharedArrayBuffer: the worker writes
 *   its figures there (GAUGE), the pool reads them for stats()
 */

/**
 * Control port messages (lib/channel.js), both directions:
 *   { sab, id }          a SharedArrayBuffer minted on one side, by id
 *   { release: id }      pool -> worker: the main thread's SAB was collected
 *   { want: seq, flag }  worker -> pool: post side-channel value `seq`, then
 *                        Atomics.notify(flag)
 *   { seq, value }       a side-channel value (transferred); { seq, missing: true }
 *                        when the pool no longer holds it
 *   { starts }           worker -> pool, once: a Float64Array over a
 *                        SharedArrayBuffer, starts[slot] = when the task in
 *                        that slot started (ms, performance.timeOrigin + now())
 *   { loaded: true } / { loaded: false, error }  worker -> pool: the default
 *                        handler loaded, or failed to (pool.ready())
 */
const CONTROL = Object.freeze({ SAB: 'sab', RELEASE: 'release', WANT: 'want', SEQ: 'seq' });

/**
 * The worker's gauges (WorkerInit.gauges), for stats(): only the worker
 * writes them, at start, then when it goes idle or between batches, at most
 * every GAUGE_EVERY_MS.
 *  HEAP_USED: v8.getHeapStatistics().used_heap_size, bytes
 */
const GAUGE = Object.freeze({ HEAP_USED: 0, LENGTH: 1 });

/**
 * Tuning, decided here once per side.
 *  PARK_SPIN_NS: how long a worker that ran out of tasks keeps polling
 *    (yielding the CPU) before it parks on a futex. Back-to-back callers then
 *    skip one kernel wake-up per task: measured here, sequential round-trip
 *    p50 ~25 µs -> ~18 µs.
 *  SHORT_TASK_NS: a worker whose handlers run shorter than this on average
 *    takes SHORT_BATCH tasks at a time (never more than its fair share of the
 *    queue: src/pool_core.cc); longer or async ones one at a time.
 *  SLOT_HEADROOM: slots a worker holds beyond 2 × concurrentTasksPerWorker.
 *  GAUGE_EVERY_MS: how often at most a worker refreshes its GAUGE figures
 *    (v8.getHeapStatistics() costs a few µs).
 */
const TUNING = Object.freeze({
  PARK_SPIN_NS: 30_000,
  SHORT_TASK_NS: 50_000,
  SHORT_BATCH: 32,
  SLOT_HEADROOM: 32,
  GAUGE_EVERY_MS: 1000,
});

/** Slots a worker with `concurrency` may hold at once (take batch + running). */
function slotCapacity(concurrency) {
  return 2 * concurrency + TUNING.SLOT_HEADROOM;
}

module.exports = {
  STATUS, SLOT, CANCEL, TAKE_STRIDE, BAD_VALUE, HANDLER_EXCLUSIVE, HANDLER_INBOX, SUBMIT, SETTLE_STRIDE, STATUS_INBOX, INIT_KEY, CONTROL, GAUGE, TUNING, slotCapacity,
};
