// The TypeScript contract of nativepool (lib/). Piscina v5-compatible.
import { EventEmitter } from 'node:events';
import type { Worker, ResourceLimits } from 'node:worker_threads';
import type { ChildProcess } from 'node:child_process';

/** The class's instance type, for the named type exports below. */
type PoolInstance<TDefault, RDefault> = Pool<TDefault, RDefault>;

declare namespace Pool {
  /** `import { Pool, Piscina } from 'nativepool'` as types: the pool instance type. */
  type Pool<TDefault = any, RDefault = any> = PoolInstance<TDefault, RDefault>;
  type Piscina<TDefault = any, RDefault = any> = PoolInstance<TDefault, RDefault>;
  /** Options of `new Pool(options)`; every one is optional. */
  interface Options {
    /** Worker file: a path, a `file://` string or a URL. Default: none (then every run() names one). */
    filename?: string | URL | null;
    /** Export to call in the worker file. Default: `'default'`. */
    name?: string;
    /** Threads kept alive. Default: `max(1, floor(availableParallelism / 2))`. */
    minThreads?: number;
    /** Most threads started. Default: `max(1, floor(availableParallelism * 1.5))`. */
    maxThreads?: number;
    /** ms a thread above `minThreads` may idle before it is stopped. Default: `0`. */
    idleTimeout?: number;
    /** Tasks allowed to wait; `'auto'` = maxThreads². Default: `Infinity`. */
    maxQueue?: number | 'auto';
    /** Tasks one worker runs at once (async handlers). Default: `1`. */
    concurrentTasksPerWorker?: number;
    resourceLimits?: ResourceLimits;
    argv?: unknown[];
    execArgv?: string[];
    env?: Record<string, string | undefined> | symbol;
    /** Available as `Pool.workerData` (and worker_threads' workerData) in workers. */
    workerData?: unknown;
    /** ms close() waits for queued and running tasks; `Infinity`: no limit. Default: `30000`. */
    closeTimeout?: number;
    /** Keep run/wait time histograms. Default: `true`. */
    recordTiming?: boolean;
    /** Priority lanes (1..64). Default: `3`. */
    lanes?: number;
    /** Weighted fair lanes instead of strict priority: one weight per lane. */
    laneWeights?: number[];
    /**
     * What a worker is: `'thread'` (a worker_threads Worker) or `'process'` (a
     * child process: a native crash, `process.abort()` or `process.exit()` in a
     * handler costs only the tasks that child had started). Default: `'thread'`.
     */
    runtime?: 'thread' | 'process';
    stdout?: boolean;
    stderr?: boolean;
    trackUnmanagedFds?: boolean;
    /** Accepted for Piscina compatibility; no effect. */
    atomics?: 'sync' | 'async' | 'disabled';
    /** Accepted for Piscina compatibility; no effect. */
    useAtomics?: boolean;
    /** Added to each worker thread's nice value (lower priority; Linux). Default: `0`. */
    niceIncrement?: number;
    /** Accepted for Piscina compatibility; no effect. */
    taskQueue?: unknown;
    /** Accepted for Piscina compatibility; no effect. */
    loadBalancer?: unknown;
    /** Accepted for Piscina compatibility; no effect. */
    workerHistogram?: boolean;
    /** Accepted for Piscina compatibility: tasks are already served first in, first out within a lane. */
    stricterFIFO?: boolean;
    /** ms a task may run (counted from when it starts) before it rejects with ERR_TASK_TIMEOUT and its worker is replaced. Default: `Infinity`. */
    timeout?: number;
    /** Retry policy for every task (run() may override). Default: none (one attempt). */
    retry?: RetryOptions | null;
    /** A worker that has run this many tasks is replaced after its current ones. Default: `Infinity`. */
    maxTasksPerWorker?: number;
    /** A worker whose V8 heap in use exceeds this many MiB after a task is replaced. Default: `Infinity`. */
    maxHeapUsedMb?: number;
  }

  interface RetryOptions {
    /** Tries in all, the first included (BullMQ's convention). Default: `1`. */
    attempts?: number;
    /** ms before the second attempt. Default: `0`. */
    delay?: number;
    /** `'exponential'` doubles the delay after each attempt. Default: `'fixed'`. */
    backoff?: 'fixed' | 'exponential';
    /** Cap on any delay, in ms. Default: `Infinity`. */
    maxDelay?: number;
    /** Decides whether a failed attempt is tried again. Default: every failure except ERR_TASK_ABORTED, ERR_POOL_CLOSED, ERR_DATA_CLONE, ERR_HANDLER_NOT_FOUND, ERR_QUEUE_FULL. */
    retryOn?: (err: unknown, attempt: number) => boolean;
  }

  /** Why a worker left: the `reason` of 'workerDestroy'. */
  type ExitReason = 'crash' | 'oom' | 'abort' | 'timeout' | 'recycle' | 'idle' | 'destroy';

  interface WorkerExitInfo {
    reason: ExitReason;
    exitCode: number | null;
  }

  interface TaskTimeoutEvent {
    id: number;
    timeout: number;
    attempt: number;
    error: PoolError;
  }

  interface TaskRetryEvent {
    id: number;
    /** The attempt that just failed (1-based). */
    attempt: number;
    error: unknown;
    /** ms until the next attempt. */
    delay: number;
  }

  /** Anything with AbortSignal's addEventListener, or an EventEmitter that emits 'abort'. */
  type AbortSignalLike =
    | AbortSignal
    | { addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void; removeEventListener(type: 'abort', listener: () => void): void; aborted?: boolean; reason?: unknown }
    | { once(event: 'abort', listener: () => void): unknown; off?(event: 'abort', listener: () => void): unknown; aborted?: boolean };

  type Transferable = ArrayBuffer | ArrayBufferView | import('node:worker_threads').MessagePort;

  interface RunOptions {
    /** Export to call. Default: the pool's `name`. */
    name?: string | null;
    /** Worker file for this task. Default: the pool's `filename`. */
    filename?: string | URL | null;
    /** Buffers whose ownership moves to the worker (the source is detached). */
    transferList?: Transferable[];
    /** Aborts the task: a queued one is removed, a running one's worker is replaced. */
    signal?: AbortSignalLike | null;
    /** Higher runs first. Default: `0`. */
    priority?: number;
    /** ms this task may run. Default: the pool's `timeout`. */
    timeout?: number;
    /** Retry policy for this task (`null`: none). Default: the pool's `retry`. */
    retry?: RetryOptions | null;
  }

  /** Options of `pool.runMany()` and `pool.map()`: run()'s per-task options (no `transferList`; `signal` is for the whole batch) and these. */
  interface BatchOptions extends Omit<RunOptions, 'transferList'> {
    /** `'fail-fast'` rejects (or throws, for map) with the first error and cancels what is queued; `'all'` settles every task. Default: `'fail-fast'`. */
    settle?: 'fail-fast' | 'all';
    /** Tasks in flight at most. Default: runMany `16384`; map `256 × maxThreads × concurrentTasksPerWorker`. */
    concurrency?: number;
  }

  /** An entry of `runMany(..., { settle: 'all' })` or of `map(..., { settle: 'all' })`, as Promise.allSettled gives. */
  type Settled<R> = PromiseSettledResult<R>;

  interface CloseOptions {
    /** Reject queued tasks now instead of running them. Default: `false`. */
    force?: boolean;
  }

  /** Milliseconds. */
  interface HistogramSummary {
    count: number;
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p0_001: number; p0_01: number; p0_1: number; p1: number; p2_5: number; p10: number;
    p25: number; p50: number; p75: number; p90: number; p97_5: number; p99: number;
    p99_9: number; p99_99: number; p99_999: number;
  }

  interface PoolHistogram {
    readonly runTime: HistogramSummary | null;
    readonly waitTime: HistogramSummary | null;
    resetRunTime(): void;
    resetWaitTime(): void;
  }

  /** What pool.stats() says of one worker. */
  interface WorkerStats {
    /** The pool's id for this worker. */
    id: number;
    /** Its worker_threads threadId (thread runtime). */
    threadId?: number;
    /** Its process id (process runtime). */
    pid?: number;
    state: 'starting' | 'idle' | 'busy' | 'stopping';
    /** Tasks it completed (resolved or rejected by its handler). */
    tasksDone: number;
    /** ms the oldest task it is running has run so far; 0 when it runs none. */
    currentTaskMs: number;
    /** V8 heap in use, as it last published it (at most once a second); null before it did. */
    heapUsedBytes: number | null;
    /** 0..1: share of its life spent running tasks. */
    eventLoopUtilization: number;
  }

  /** pool.stats(): one snapshot, computed when called. */
  interface Stats {
    /** Tasks run() accepted. At rest: completed + failed + workerExited + cancelled + aborted + timedOut. */
    submitted: number;
    /** Resolved. */
    completed: number;
    /** Rejected with the handler's error. */
    failed: number;
    /** Rejected because the worker running them exited. */
    workerExited: number;
    /** Rejected before running: close({ force }), destroy(), or no worker could load the file. */
    cancelled: number;
    /** Rejected by their AbortSignal. */
    aborted: number;
    /** Rejected by their timeout. */
    timedOut: number;
    /** Attempts run again after a failure. */
    retried: number;
    /** Workers replaced by recycling. */
    recycled: number;
    /** Tasks run() refused without accepting them, by reason. */
    rejected: { queueFull: number; closed: number; invalid: number; aborted: number };
    /** Accepted and not yet settled. */
    pending: number;
    /** Waiting for a worker. */
    queued: number;
    /** Waiting for a worker, by priority lane (0 is the highest). */
    queuedByLane: number[];
    /** The most tasks that waited at once. */
    peakQueued: number;
    /** Started by a worker and not finished. */
    running: number;
    workersStarted: number;
    /** Workers that exited, by reason: crash, oom, abort, idle, destroy, ... */
    workerExits: Record<string, number>;
    workersByState: { starting: number; idle: number; busy: number; stopping: number };
    /** Sum of the workers' heapUsedBytes. */
    heapUsedBytes: number;
    /** 0..1: share of maxThreads × duration spent running tasks. */
    utilization: number;
    /** ms since the pool was created. */
    duration: number;
    /** From run() until a worker started the task, ms (always recorded). */
    waitTime: HistogramSummary;
    /** Run time, ms (always recorded). */
    runTime: HistogramSummary;
    workers: WorkerStats[];
  }

  interface MetricsOptions {
    /** Prepended to every metric name. Default: `'nativepool_'`. */
    prefix?: string;
    /** Constant labels on every series; `pool` defaults to the pool's id. */
    labels?: Record<string, string | number>;
  }

  /** The context every event of the 'nativepool:task' tracing channel carries. */
  interface TaskTraceContext {
    pool: Pool;
    task: unknown;
    options: RunOptions | undefined;
    /** Set at asyncStart when the task resolved. */
    result?: unknown;
    /** Set at error when the task rejected. */
    error?: unknown;
  }

  /** What move() returns: the value, marked to be transferred. */
  interface Movable<T> {
    readonly [Pool.transferableSymbol]: Transferable;
    readonly [Pool.valueSymbol]: T;
  }

  /** Errors nativepool creates carry one of these codes. */
  type ErrorCode =
    | 'ERR_POOL_CLOSED'
    | 'ERR_QUEUE_FULL'
    | 'ERR_TASK_ABORTED'
    | 'ERR_TASK_TIMEOUT'
    | 'ERR_WORKER_EXITED'
    | 'ERR_DATA_CLONE'
    | 'ERR_HANDLER_NOT_FOUND'
    | 'ERR_HANDLER_LOAD'
    | 'ERR_WORKER_INIT'
    | 'ERR_WORKER_OUT_OF_MEMORY'
    | 'ERR_CLOSE_TIMEOUT'
    | 'ERR_NO_FILENAME';

  interface PoolError extends Error {
    code: ErrorCode;
  }
}

declare class Pool<TDefault = any, RDefault = any> extends EventEmitter implements AsyncDisposable {
  constructor(options?: Pool.Options);

  /** Runs `task` in a worker; resolves with the handler's (awaited) result. */
  run<T extends TDefault = TDefault, R = RDefault>(task: T, options?: Pool.RunOptions): Promise<NoInfer<R>>;
  /** Runs every task; resolves with the results in input order. Fails fast like Promise.all: the first error rejects and the batch's queued tasks are cancelled. */
  runMany<T extends TDefault = TDefault, R = RDefault>(tasks: Iterable<T>, options?: Pool.BatchOptions & { settle?: 'fail-fast' }): Promise<NoInfer<R>[]>;
  /** With `{ settle: 'all' }`: resolves with Promise.allSettled-shaped entries in input order. */
  runMany<T extends TDefault = TDefault, R = RDefault>(tasks: Iterable<T>, options: Pool.BatchOptions & { settle: 'all' }): Promise<Pool.Settled<NoInfer<R>>[]>;
  /** An async iterator of results in input order, at most `concurrency` tasks in flight; breaking out of the loop cancels what is queued. */
  map<T extends TDefault = TDefault, R = RDefault>(items: Iterable<T> | AsyncIterable<T>, options?: Pool.BatchOptions & { settle?: 'fail-fast' }): AsyncIterableIterator<NoInfer<R>>;
  /** With `{ settle: 'all' }`: yields Promise.allSettled-shaped entries in input order. */
  map<T extends TDefault = TDefault, R = RDefault>(items: Iterable<T> | AsyncIterable<T>, options: Pool.BatchOptions & { settle: 'all' }): AsyncIterableIterator<Pool.Settled<NoInfer<R>>>;
  /** Stops accepting tasks; waits up to closeTimeout for queued and running ones. */
  close(options?: Pool.CloseOptions): Promise<void>;
  /** Rejects queued tasks with ERR_POOL_CLOSED and stops every worker. */
  destroy(): Promise<void>;
  /** Resolves once minThreads workers (at least one) have loaded the worker file; rejects with its coded load error. */
  ready(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** Starts close() (for `using`). */
  [Symbol.dispose](): void;
  /** Same as Pool.buffer(size). */
  buffer(size: number): ArrayBuffer;

  readonly options: Readonly<Required<Pick<Pool.Options, 'name' | 'minThreads' | 'maxThreads' | 'idleTimeout' | 'concurrentTasksPerWorker' | 'closeTimeout' | 'recordTiming'>>> & { maxQueue: number; filename: string | null };
  /** The workers: Worker objects, or ChildProcess objects with `runtime: 'process'` (cast as needed). */
  readonly threads: Worker[];
  readonly maxThreads: number;
  readonly minThreads: number;
  /** Workers no pending task is placed on. */
  readonly idleThreads: number;
  readonly queueSize: number;
  readonly pendingCount: number;
  readonly completed: number;
  readonly needsDrain: boolean;
  /** ms since the pool was created. */
  readonly duration: number;
  /** 0..1: share of maxThreads × duration spent running tasks. */
  readonly utilization: number;
  readonly histogram: Pool.PoolHistogram;
  /** @deprecated use histogram.runTime */
  readonly runTime: Pool.HistogramSummary | null;
  /** @deprecated use histogram.waitTime */
  readonly waitTime: Pool.HistogramSummary | null;
  /** Counters, gauges, timings and per-worker figures, computed now. */
  stats(): Pool.Stats;
  /** The pool's metrics in the Prometheus text exposition format (no dependency). */
  metrics(options?: Pool.MetricsOptions): string;

  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'drain' | 'needsDrain' | 'close', listener: () => void): this;
  on(event: 'workerCreate', listener: (worker: Worker) => void): this;
  on(event: 'workerDestroy', listener: (worker: Worker, info: Pool.WorkerExitInfo) => void): this;
  on(event: 'workerRecycle', listener: (worker: Worker, info: { reason: 'tasks' | 'heap' }) => void): this;
  on(event: 'taskTimeout', listener: (event: Pool.TaskTimeoutEvent) => void): this;
  on(event: 'taskRetry', listener: (event: Pool.TaskRetryEvent) => void): this;
  /** With `runtime: 'process'` a worker is the ChildProcess (it has the child's `pid`). */
  on(event: 'workerCreate', listener: (worker: ChildProcess) => void): this;
  on(event: 'workerDestroy', listener: (worker: ChildProcess, info: Pool.WorkerExitInfo) => void): this;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'drain' | 'needsDrain' | 'close', listener: () => void): this;
  once(event: 'workerCreate', listener: (worker: Worker) => void): this;
  once(event: 'workerDestroy', listener: (worker: Worker, info: Pool.WorkerExitInfo) => void): this;
  once(event: 'workerRecycle', listener: (worker: Worker, info: { reason: 'tasks' | 'heap' }) => void): this;
  once(event: 'taskTimeout', listener: (event: Pool.TaskTimeoutEvent) => void): this;
  once(event: 'taskRetry', listener: (event: Pool.TaskRetryEvent) => void): this;
  once(event: 'workerCreate', listener: (worker: ChildProcess) => void): this;
  once(event: 'workerDestroy', listener: (worker: ChildProcess, info: Pool.WorkerExitInfo) => void): this;
  once(event: 'message', listener: (message: unknown) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;

  static readonly Pool: typeof Pool;
  /** The same class under Piscina's name: `import { Piscina } from 'nativepool'`. */
  static readonly Piscina: typeof Pool;
  /** True inside a worker started by a nativepool Pool (a worker thread, or a child process with `runtime: 'process'`). */
  static readonly isWorkerThread: boolean;
  /** The pool's workerData option, inside its workers. */
  static readonly workerData: any;
  static readonly version: string;
  static readonly transferableSymbol: unique symbol;
  static readonly valueSymbol: unique symbol;
  /** Marks a buffer (or view, or MessagePort) to be transferred, not copied. */
  static move<T extends Pool.Transferable>(value: T): Pool.Movable<T>;
  /** An ArrayBuffer the pool allocates: transferring it moves a pointer, never the bytes. */
  static buffer(size: number): ArrayBuffer;
}

export = Pool;
