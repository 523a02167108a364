// require('nativepool/prometheus'): a pool's metrics in a prom-client registry.
import Pool = require('./index');

/** What register() needs of a registry: prom-client's Registry has it. */
export interface RegistryLike {
  registerMetric(metric: any): void;
  getSingleMetric(name: string): any;
  removeSingleMetric(name: string): void;
}

export interface RegisterOptions {
  /** Default: prom-client's global `register` (prom-client must then be installed). */
  registry?: RegistryLike;
  /** Prepended to every metric name. Default: `'nativepool_'`. */
  prefix?: string;
  /** Constant labels on every series; `pool` defaults to the pool's id. */
  labels?: Record<string, string | number>;
}

/** Adds the pool's metrics, computed at each scrape. Returns a function that removes them. */
export function register(pool: Pool, options?: RegisterOptions): () => void;
