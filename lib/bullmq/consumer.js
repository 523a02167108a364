'use strict';
// serveQueue: a BullMQ Worker whose processor feeds a local nativepool Pool.
// The job's wire bytes are decoded here and the task runs through pool.run()
// with BullMQ's per-job AbortSignal; the result goes back as wire bytes, an
// error as a failedReason that carries the whole error (codec.js). Errors that
// cannot change on a second try fail without retry (UnrecoverableError).
// A producer aborts a running job by publishing CANCEL_EVENT on the queue's
// cancel stream (protocol.js); every consumer hears it, the one holding the
// job aborts it (worker.cancelJob), and all remember the id for a while so a
// job cancelled between two attempts, or just before it was picked up, does
// not start.
const { EventEmitter } = require('node:events');
const { errors, isErrorLike } = require('../errors');
const { loadBullmq, closeBounded } = require('./deps');
const codec = require('./codec');
const { checkServeOptions, backoffStrategy } = require('./options');
const { CANCEL_EVENT, cancelStream } = require('./protocol');

const NON_RETRYABLE = new Set([
  'ERR_TASK_ABORTED', 'ERR_DATA_CLONE', 'ERR_HANDLER_NOT_FOUND', 'ERR_NO_FILENAME',
  'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE',
]);
const CANCEL_MEMORY = { max: 10000, ms: 10 * 60 * 1000 };

class QueueServer extends EventEmitter {
  #o;
  #worker;
  #events;
  #cancelled = new Map(); // jobId -> Date.now() when the cancel arrived
  #closing = null;
  #ready;

  constructor(o) {
    super();
    const { Worker, QueueEvents } = loadBullmq();
    this.#o = o;
    const cancels = cancelStream(o.prefix, o.queue);
    this.#events = new QueueEvents(cancels.name, { connection: o.connection, prefix: cancels.prefix });
    this.#events.on('error', (err) => this.#relayError(err));
    this.#events.on(CANCEL_EVENT, ({ jobId }) => this.#cancel(jobId));
    const settings = { ...(o.worker.settings || {}), backoffStrategy };
    this.#worker = new Worker(o.queue, (job, token, signal) => this.#process(job, signal), {
      ...o.worker,
      settings,
      connection: o.connection,
      prefix: o.prefix,
      concurrency: o.concurrency,
    });
    this.#worker.on('error', (err) => this.#relayError(err));
    this.#ready = Promise.all([this.#worker.waitUntilReady(), this.#events.waitUntilReady()]).then(() => undefined);
    this.#ready.catch((err) => this.#relayError(err));
  }

  /** Resolves when the worker and the cancel listener are connected. */
  ready() {
    return this.#ready;
  }

  get worker() {
    return this.#worker;
  }
  get concurrency() {
    return this.#o.concurrency;
  }
  get pool() {
    return this.#o.pool;
  }

  async #process(job, signal) {
    if (this.#cancelled.has(job.id)) throw this.#failure(errors.aborted('cancelled by its producer'), job);
    const data = job.data || {};
    let task;
    try {
      task = codec.decodeValue(data.v);
    } catch (err) {
      throw this.#failure(err, job);
    }
    const options = { signal };
    if (data.n !== undefined) options.name = data.n;
    if (data.t !== undefined) options.timeout = data.t;
    let result;
    try {
      result = await this.#o.pool.run(task, options);
    } catch (err) {
      throw this.#failure(err, job);
    }
    try {
      return codec.encodeValue(result);
    } catch (err) {
      throw this.#failure(err, job);
    }
  }

  /** The Error BullMQ fails the job with: its message carries the whole error. */
  #failure(err, job) {
    const { UnrecoverableError } = loadBullmq();
    const attempts = (job.opts && job.opts.attempts) || 1;
    if (attempts > 1 && isErrorLike(err)) err.attempts = job.attemptsMade + 1;
    const reason = codec.failureReason(err);
    const code = isErrorLike(err) ? err.code : undefined;
    const failure = NON_RETRYABLE.has(code) ? new UnrecoverableError(reason) : new Error(reason);
    if (isErrorLike(err) && typeof err.stack === 'string') failure.stack = err.stack;
    return failure;
  }

  #cancel(jobId) {
    const now = Date.now();
    this.#cancelled.set(jobId, now);
    for (const [id, at] of this.#cancelled) {
      if (this.#cancelled.size <= CANCEL_MEMORY.max && now - at < CANCEL_MEMORY.ms) break;
      this.#cancelled.delete(id);
    }
    this.#worker.cancelJob(jobId, 'cancelled by its producer');
  }

  #relayError(err) {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** Stops taking jobs, waits for the active ones to finish, disconnects. The pool stays open (it is the caller's). */
  close() {
    if (!this.#closing) {
      this.#closing = (async () => {
        await this.#ready.catch(() => undefined);
        await this.#worker.close();
        await closeBounded(this.#events);
        this.emit('close');
      })();
    }
    return this.#closing;
  }
}

/** Consumes `queue` into the local `pool`. Returns the server at once; `await server.ready()` to know it is consuming. */
function serveQueue(options) {
  return new QueueServer(checkServeOptions(options));
}

module.exports = { serveQueue, QueueServer };
