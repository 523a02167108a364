// The TypeScript contract of nativepool (lib/). Piscina v5-compatible.
import { EventEmitter } from 'node:events';
import type { Worker, ResourceLimits } from 'node:worker_threads';
import type { ChildProcess } from 'node:child_process';

declare namespace Pool {
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
    /** ms close() waits for queued and running tasks. Default: `30000`. */
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
    /** Accepted for Piscina compatibility; no effect. */
    niceIncrement?: number;
    /** Accepted for Piscina compatibility; no effect. */
    taskQueue?: unknown;
    /** Accepted for Piscina compatibility; no effect. */
    loadBalancer?: unknown;
    /** Accepted for Piscina compatibility; no effect. */
    workerHistogram?: boolean;
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
  }

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
    | 'ERR_NO_FILENAME';

  interface PoolError extends Error {
    code: ErrorCode;
  }
}

declare class Pool<TDefault = any, RDefault = any> extends EventEmitter implements AsyncDisposable {
  constructor(options?: Pool.Options);

  /** Runs `task` in a worker; resolves with the handler's (awaited) result. */
  run<T extends TDefault = TDefault, R = RDefault>(task: T, options?: Pool.RunOptions): Promise<NoInfer<R>>;
  /** Stops accepting tasks; waits up to closeTimeout for queued and running ones. */
  close(options?: Pool.CloseOptions): Promise<void>;
  /** Rejects queued tasks with ERR_POOL_CLOSED and stops every worker. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** Same as Pool.buffer(size). */
  buffer(size: number): ArrayBuffer;

  readonly options: Readonly<Required<Pick<Pool.Options, 'name' | 'minThreads' | 'maxThreads' | 'idleTimeout' | 'concurrentTasksPerWorker' | 'closeTimeout' | 'recordTiming'>>> & { maxQueue: number; filename: string | null };
  /** The workers: Worker objects, or ChildProcess objects with `runtime: 'process'` (cast as needed). */
  readonly threads: Worker[];
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

  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'drain' | 'needsDrain' | 'close', listener: () => void): this;
  on(event: 'workerCreate' | 'workerDestroy', listener: (worker: Worker) => void): this;
  /** With `runtime: 'process'` a worker is the ChildProcess (it has the child's `pid`). */
  on(event: 'workerCreate' | 'workerDestroy', listener: (worker: ChildProcess) => void): this;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'drain' | 'needsDrain' | 'close', listener: () => void): this;
  once(event: 'workerCreate' | 'workerDestroy', listener: (worker: Worker) => void): this;
  once(event: 'workerCreate' | 'workerDestroy', listener: (worker: ChildProcess) => void): this;
  once(event: 'message', listener: (message: unknown) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;

  static readonly Pool: typeof Pool;
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
