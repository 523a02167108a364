'use strict';
// The handler that runs a chunk of runMany()/map() tasks in a worker: an
// ordinary handler file (lib/worker.js loads it like any other), called with
//   { h: href, m: export name, b: bytes of the values (lib/batch-codec.js),
//     n: how many, c: Int32Array over the job's SharedArrayBuffer,
//     p: this chunk's progress word in it }
// It calls the user's handler on each value in order and returns
//   { r: bytes of the results | v: the results (when the codec cannot carry
//     them), e: [[index, wrapped error], ...] or undefined, k: values run,
//     t: ns spent, a: 1 if the handler returned a promise }
// Before value i starts it stores i + 1 in c[p] (so the pool knows, if this
// thread dies, which values had started) and stops early once c[0] is set
// (the job failed, was aborted or abandoned: nothing more of it may start).
const { Handlers } = require('./worker-handlers');
const { encodeAll, decodeAll } = require('./batch-codec');
const { wrapThrown, cloneableOrDescribed } = require('./errors');

const byKey = new Map(); // `${href}\0${name}` -> handler index here
const infos = [];
const handlers = new Handlers((index) => infos[index] || null);

function indexOf(href, name) {
  const key = `${href}\0${name}`;
  let index = byKey.get(key);
  if (index === undefined) {
    index = infos.length;
    infos.push([href, name]);
    byKey.set(key, index);
  }
  return index;
}

// A thrown value crosses as lib/worker.js sends it; what cannot be cloned
// is described instead.
const wrap = (err) => wrapThrown(err, cloneableOrDescribed);

function reply(results, errs, k, t0, async) {
  const out = { r: undefined, v: undefined, e: errs, k, t: Number(process.hrtime.bigint() - t0), a: async ? 1 : 0 };
  let bytes = null;
  try {
    bytes = encodeAll(results, 0, k);
  } catch {
    bytes = null; // a getter threw: the native codec reports it
  }
  if (bytes !== null) out.r = bytes;
  else out.v = results.slice(0, k);
  return out;
}

async function runAsync(fn, values, results, errs, from, c, p, t0) {
  let k = from;
  for (; k < values.length; k++) {
    if (Atomics.load(c, 0) !== 0) break;
    Atomics.store(c, p, k + 1);
    try {
      results[k] = await fn(values[k]);
    } catch (err) {
      results[k] = undefined;
      errs.push([k, wrap(err)]);
    }
  }
  return reply(results, errs.length ? errs : undefined, k, t0, true);
}

function runChunk(fn, chunk) {
  const t0 = process.hrtime.bigint();
  const values = decodeAll(chunk.b, chunk.n, new Array(chunk.n));
  const { c, p } = chunk;
  const results = new Array(values.length);
  const errs = [];
  let k = 0;
  for (; k < values.length; k++) {
    if (Atomics.load(c, 0) !== 0) break;
    Atomics.store(c, p, k + 1);
    let r;
    try {
      r = fn(values[k]);
    } catch (err) {
      results[k] = undefined;
      errs.push([k, wrap(err)]);
      continue;
    }
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      // An async handler: settle this one, then go on one at a time.
      return Promise.resolve(r).then(
        (v) => { results[k] = v; },
        (err) => { results[k] = undefined; errs.push([k, wrap(err)]); },
      ).then(() => runAsync(fn, values, results, errs, k + 1, c, p, t0));
    }
    results[k] = r;
  }
  return reply(results, errs.length ? errs : undefined, k, t0, false);
}

module.exports = function runBatch(chunk) {
  const index = indexOf(chunk.h, chunk.m);
  const fn = handlers.ready(index);
  if (fn !== undefined) return runChunk(fn, chunk);
  return handlers.get(index).then((f) => runChunk(f, chunk));
};
