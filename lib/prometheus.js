'use strict';
// require('nativepool/prometheus'): a pool's metrics in a prom-client
// registry, computed at scrape time (lib/exposition.js). prom-client ^15 is
// an optional peer dependency: it is loaded only when no registry is given.
//
//   const { register } = require('nativepool/prometheus');
//   const unregister = register(pool, { registry, prefix: 'nativepool_', labels: { pool: 'images' } });
//
// Several pools may share a registry: each series carries a `pool` label
// (the `labels.pool` you give, else the pool's id), and one scrape reads
// each pool once.
const { kFigures } = require('./figures');
const { families, checkPrefix, checkLabels } = require('./exposition');
const { invalid } = require('./options');

const collectors = new WeakMap(); // registry -> Map(prefix -> Collector)

/** One registry's nativepool metrics under one prefix, for every pool registered there. */
class Collector {
  #registry;
  #prefix;
  #pools = new Map(); // WeakRef<Pool> -> labels
  #metrics = new Map(); // unprefixed family name -> the metric object in the registry
  #cache = null; // name -> values, for the scrape under way

  constructor(registry, prefix) {
    this.#registry = registry;
    this.#prefix = prefix;
  }

  add(pool, labels) {
    for (const [ref, other] of this.#pools) {
      const known = ref.deref();
      if (known === undefined) {
        this.#pools.delete(ref); // collected: its labels are free again
        continue;
      }
      if (known === pool) throw new Error('This pool is already registered with this registry and prefix');
      if (sameLabels(other, labels)) {
        throw invalid('options.labels', 'labels that no other pool registered here has (set labels.pool)', labels);
      }
    }
    if (this.#metrics.size === 0) this.#define(families(pool[kFigures], labels));
    const ref = new WeakRef(pool);
    this.#pools.set(ref, labels);
    return ref;
  }

  remove(ref) {
    this.#pools.delete(ref);
    if (this.#pools.size > 0) return;
    for (const metric of this.#metrics.values()) {
      if (this.#registry.getSingleMetric(metric.name) === metric) this.#registry.removeSingleMetric(metric.name);
    }
    this.#metrics.clear();
    const byPrefix = collectors.get(this.#registry);
    if (byPrefix.get(this.#prefix) === this) byPrefix.delete(this.#prefix);
  }

  // Registers one metric object per family; all or none.
  #define(list) {
    try {
      for (const f of list) this.#defineOne(f);
    } catch (err) {
      this.remove(null);
      throw err;
    }
  }

  #defineOne(f) {
    const collector = this;
    const key = f.name;
    const metric = {
      name: this.#prefix + key,
      help: f.help,
      type: f.type,
      aggregator: f.aggregator,
      // prom-client renames counters for OpenMetrics through `name`: read it back here.
      async get() {
        return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: collector.#values(key) };
      },
      reset() {}, // registry.resetMetrics(): the figures are the pool's own
    };
    this.#registry.registerMetric(metric);
    this.#metrics.set(key, metric);
  }

  // Every pool's families, read once per scrape: the registry asks each
  // metric in the same synchronous pass; the cache is dropped after it.
  #values(key) {
    if (this.#cache === null) {
      const cache = new Map();
      for (const [ref, labels] of this.#pools) {
        const pool = ref.deref();
        if (pool === undefined) {
          this.#pools.delete(ref);
          continue;
        }
        for (const f of families(pool[kFigures], labels)) {
          const values = cache.get(f.name);
          if (values === undefined) cache.set(f.name, f.values.slice());
          else values.push(...f.values);
        }
      }
      this.#cache = cache;
      queueMicrotask(() => {
        this.#cache = null;
      });
    }
    return (this.#cache.get(key) || []).map((v) => (v.metricName === undefined ? v : { ...v, metricName: this.#prefix + v.metricName }));
  }
}

function sameLabels(a, b) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

function defaultRegistry() {
  let client;
  try {
    client = require('prom-client');
  } catch (err) {
    const e = new Error("nativepool/prometheus needs prom-client (npm install prom-client), or pass options.registry");
    e.code = 'ERR_PROM_CLIENT_MISSING';
    e.cause = err;
    throw e;
  }
  return client.register;
}

/**
 * Adds the pool's metrics to `options.registry` (prom-client's default
 * registry if omitted), computed at each scrape. Returns a function that
 * removes them. The series stay after the pool is closed (the last figures
 * are still true) until that function is called or the pool is collected.
 */
function register(pool, options = {}) {
  if (pool === null || typeof pool !== 'object' || pool[kFigures] === undefined) {
    throw invalid('pool', 'a nativepool Pool', pool);
  }
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
  const has = (k) => Object.hasOwn(options, k) && options[k] !== undefined;
  const prefix = checkPrefix(has('prefix') ? options.prefix : undefined);
  const registry = has('registry') ? options.registry : defaultRegistry();
  if (registry === null || typeof registry !== 'object' || typeof registry.registerMetric !== 'function' ||
      typeof registry.getSingleMetric !== 'function' || typeof registry.removeSingleMetric !== 'function') {
    throw invalid('options.registry', 'a prom-client Registry', registry);
  }
  const labels = checkLabels(has('labels') ? options.labels : undefined, pool[kFigures]);
  let byPrefix = collectors.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    collectors.set(registry, byPrefix);
  }
  let collector = byPrefix.get(prefix);
  if (collector === undefined) {
    collector = new Collector(registry, prefix);
    byPrefix.set(prefix, collector);
  }
  const ref = collector.add(pool, labels);
  let done = false;
  return function unregister() {
    if (done) return;
    done = true;
    collector.remove(ref);
  };
}

module.exports = { register };
