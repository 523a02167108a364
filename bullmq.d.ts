// The TypeScript contract of nativepool/bullmq (lib/bullmq/): pool.run()
// across machines on BullMQ and Redis. bullmq and ioredis are optional peer
// dependencies; these types do not import them.
import { EventEmitter } from 'node:events';
import Pool = require('./index');

/** A `redis://` / `rediss://` URL, a unix socket path, or an ioredis options object. */
export type RedisConnection = string | RedisOptions;

/** ioredis options (host, port, path, password, db, tls, …), passed to BullMQ as they are. */
export interface RedisOptions {
  host?: string;
  port?: number;
  path?: string;
  url?: string;
  username?: string;
  password?: string;
  db?: number;
  tls?: object;
  [option: string]: unknown;
}

/** How BullMQ retries a failed job: `attempts` counts every try. */
export interface RetryOptions {
  /** Tries in all, the first included. Default: `1` (no retry). */
  attempts?: number;
  /** ms before the first retry. Default: `0`. */
  delay?: number;
  /** `'exponential'` doubles the delay on each retry. Default: `'fixed'`. */
  backoff?: 'fixed' | 'exponential';
  /** Upper bound of a retry's delay, ms. Default: `Infinity`. */
  maxDelay?: number;
}

/** run() options that may be given as RemotePool `defaults`. */
export interface RemoteDefaults {
  /** Export of the consumer's worker file to call. Default: the consumer pool's `name`. */
  name?: string | null;
  /** Higher runs first, as in a local pool (BullMQ priority `1048576 - priority`). Default: `0`. */
  priority?: number;
  /** ms the task may run on the consumer (its local pool's `timeout`), counted from its start. */
  timeout?: number;
  retry?: RetryOptions;
}

export interface RemoteRunOptions extends RemoteDefaults {
  /** Aborts the job: a queued one is removed, a running one is aborted on its consumer. */
  signal?: Pool.AbortSignalLike | null;
}

export interface RemotePoolOptions {
  /** BullMQ queue name (no `:`). */
  queue: string;
  connection: RedisConnection;
  defaults?: RemoteDefaults;
  /** Unsettled run() calls this producer allows; past it run() rejects with ERR_QUEUE_FULL. Default: `Infinity`. */
  maxQueue?: number;
  /** BullMQ key prefix. Default: `'bull'`. */
  prefix?: string;
  /** Seconds a finished job and its result stay in Redis (removeOnComplete/removeOnFail age). Default: `3600`. */
  resultAge?: number;
  /** ms between checks, in Redis, of jobs whose result event has not arrived. Default: `5000`. */
  reconcileInterval?: number;
}

export interface RemoteStats {
  /** This producer's jobs not yet taken by a consumer. */
  queueSize: number;
  /** This producer's unsettled jobs. */
  pending: number;
  running: number;
  completed: number;
  /** BullMQ job counts of the whole queue (all producers). */
  counts: Record<'waiting' | 'prioritized' | 'delayed' | 'active' | 'completed' | 'failed', number>;
}

/** Codes of the errors nativepool/bullmq adds to nativepool's own. */
export type RemoteErrorCode =
  | Pool.ErrorCode
  | 'ERR_REMOTE_JOB_LOST'
  | 'ERR_REMOTE_JOB_FAILED'
  | 'ERR_REMOTE_UNAVAILABLE'
  | 'ERR_MISSING_PEER_DEPENDENCY';

export declare class RemotePool<TDefault = any, RDefault = any> extends EventEmitter {
  constructor(options: RemotePoolOptions);
  /** Queues `task` as a BullMQ job; resolves with the consumer's handler result. */
  run<T extends TDefault = TDefault, R = RDefault>(task: T, options?: RemoteRunOptions): Promise<NoInfer<R>>;
  /** Stops accepting run(); waits for every pending result, then disconnects. `{ force: true }` is destroy(). */
  close(options?: { force?: boolean }): Promise<void>;
  /** Rejects pending run() calls with ERR_POOL_CLOSED (their jobs stay queued), then disconnects. */
  destroy(): Promise<void>;
  readonly queueSize: number;
  readonly pendingCount: number;
  readonly completed: number;
  readonly needsDrain: boolean;
  /** The BullMQ Queue this producer adds to. */
  readonly queue: unknown;
  stats(): Promise<RemoteStats>;

  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'drain' | 'needsDrain' | 'close', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'drain' | 'needsDrain' | 'close', listener: () => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface ServeQueueOptions {
  queue: string;
  connection: RedisConnection;
  /** The local nativepool Pool that runs the jobs (the caller closes it). */
  pool: Pool;
  /** Jobs held at once. Default: `pool.options.maxThreads * pool.options.concurrentTasksPerWorker`. */
  concurrency?: number;
  /** BullMQ key prefix. Default: `'bull'`. */
  prefix?: string;
  /** Further BullMQ Worker options (maxStalledCount, limiter, …); lockDuration defaults to 10000, stalledInterval to 5000. */
  worker?: Record<string, unknown>;
}

export declare class QueueServer extends EventEmitter {
  /** Resolves when the BullMQ worker and the cancel listener are connected. */
  ready(): Promise<void>;
  /** Stops taking jobs, waits for the active ones, disconnects; the pool stays open. */
  close(): Promise<void>;
  readonly concurrency: number;
  readonly pool: Pool;
  /** The BullMQ Worker. */
  readonly worker: unknown;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** Consumes `queue` into the local `pool`; returns at once (see `ready()`). */
export declare function serveQueue(options: ServeQueueOptions): QueueServer;

/** The BullMQ priority a nativepool priority maps to: `clamp(1048576 - round(p), 1, 2097151)`. */
export declare function bullPriority(priority: number): number;

/** The custom QueueEvents event a producer publishes to abort a running job. */
export declare const CANCEL_EVENT: 'nativepool:cancel';
