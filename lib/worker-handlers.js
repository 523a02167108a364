'use strict';
// Finding a task's handler inside a worker: load its file once, pick the
// export, cache the function (or the load error) by handler index.
//
// A file is loaded the way its parent process would load it: require() first
// (CommonJS, and whatever the parent's require hooks handle: .ts under tsx or
// ts-node, .cts, Node's own type stripping), then import() when it is an ES
// module (.mjs, "type": "module", or ESM syntax require() refuses). Piscina
// does the same. A load failure is coded (ERR_HANDLER_LOAD) with the original
// error as its cause.
const { createRequire } = require('node:module');
const { fileURLToPath } = require('node:url');
const { errors } = require('./errors');

const requireHere = createRequire(__filename);

// require() refuses these: the file is an ES module (or needs the ESM loader).
const ESM_CODES = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE', 'ERR_UNKNOWN_FILE_EXTENSION', 'ERR_REQUIRE_CYCLE_MODULE']);
function looksLikeEsm(err) {
  if (err && ESM_CODES.has(err.code)) return true;
  // ESM syntax in a file CommonJS treats as a script.
  return err instanceof SyntaxError && /\b(import|export)\b|top-level await|import\.meta/.test(String(err.message));
}

async function loadFile(href) {
  if (!href.startsWith('file:')) return import(href); // data: URLs
  const file = fileURLToPath(href);
  if (/\.mjs$|\.mts$/i.test(file)) return import(href);
  let exported;
  try {
    exported = requireHere(file);
  } catch (err) {
    if (!looksLikeEsm(err)) throw err;
    return import(href);
  }
  // A namespace-like view of module.exports, as import() gives for CommonJS.
  return { default: exported, __cjs: true };
}

class Handlers {
  /** @param {(index: number) => [string, string] | null} info  port.handlerInfo */
  constructor(info) {
    this.info = info;
    this.modules = new Map(); // href -> Promise<module namespace>
    this.byIndex = new Map(); // index -> function | { error } | Promise<function>
  }

  module(href) {
    let p = this.modules.get(href);
    if (!p) {
      p = loadFile(href).catch((err) => {
        throw errors.handlerLoad(href, err);
      });
      this.modules.set(href, p);
    }
    return p;
  }

  async resolve(index) {
    const info = this.info(index);
    if (!info) throw errors.internal(`unknown handler ${index}`);
    const [href, name] = info;
    const mod = await this.module(href);
    // CommonJS arrives as { default: module.exports }; an async module may
    // export a promise of its handler (Piscina does the same).
    let fn;
    if (name === 'default') {
      fn = mod.default !== undefined ? mod.default : mod;
      if (fn && typeof fn.then === 'function') fn = await fn;
      if (fn && typeof fn === 'object' && typeof fn.default === 'function') fn = fn.default;
    } else {
      fn = mod.__cjs ? undefined : mod[name];
      // CommonJS: named handlers hang off module.exports, even when it is
      // itself a function (Piscina's README: add.multiply = multiply).
      const cjs = mod.default;
      if (fn === undefined && cjs !== null && (typeof cjs === 'object' || typeof cjs === 'function')) fn = cjs[name];
      if (fn && typeof fn.then === 'function') fn = await fn;
    }
    if (typeof fn !== 'function') throw errors.handlerNotFound(name, href);
    return fn;
  }

  /** The function for `index` if it is loaded, else undefined. */
  ready(index) {
    const h = this.byIndex.get(index);
    return typeof h === 'function' ? h : undefined;
  }

  /** A promise of the function (rejects with the load error, every time). */
  get(index) {
    const h = this.byIndex.get(index);
    if (typeof h === 'function') return Promise.resolve(h);
    if (h !== undefined && h.error !== undefined) return Promise.reject(h.error);
    if (h !== undefined) return h;
    const p = this.resolve(index).then(
      (fn) => {
        this.byIndex.set(index, fn);
        return fn;
      },
      (err) => {
        this.byIndex.set(index, { error: err });
        throw err;
      },
    );
    this.byIndex.set(index, p);
    return p;
  }
}

module.exports = { Handlers };
