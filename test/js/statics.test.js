'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const { ROOT, Pool, fixture, poolTracker, runChild } = require('./helpers/pool');

describe('Pool.isWorkerThread', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('is false in the main thread', function () {
    assert.equal(Pool.isWorkerThread, false);
  });

  it('is true inside a pool worker', async function () {
    const pool = pools.make({ filename: fixture('worker-data.js'), minThreads: 1, maxThreads: 1 });
    assert.equal((await pool.run(null)).isWorkerThread, true);
  });

  it('is false in a plain worker_threads Worker that is not a pool worker', async function () {
    const w = new Worker(`
      const { parentPort } = require('node:worker_threads');
      parentPort.postMessage(require(${JSON.stringify(ROOT)}).isWorkerThread);
    `, { eval: true });
    const value = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    assert.equal(value, false);
  });

  it('is true in an ES module worker that imports nativepool', async function () {
    const pool = pools.make({ filename: fixture('esm-import.mjs'), minThreads: 1, maxThreads: 1, workerData: 'esm' });
    assert.deepEqual(await pool.run(null), { same: true, isWorkerThread: true, staticIsWorkerThread: true, workerData: 'esm' });
  });
});

describe('Pool.workerData', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  it('is undefined in the main thread', function () {
    assert.equal(Pool.workerData, undefined);
  });

  it("is the pool's workerData option inside a worker", async function () {
    const workerData = { n: 1, list: [1, 'two'], when: new Date(0), map: new Map([[1, 2]]) };
    const pool = pools.make({ filename: fixture('worker-data.js'), workerData, minThreads: 1, maxThreads: 1 });
    assert.deepEqual((await pool.run(null)).workerData, workerData);
  });
});

describe('Pool.move()', function () {
  it('wraps a typed array with transferableSymbol and valueSymbol', function () {
    const u8 = new Uint8Array(4);
    const moved = Pool.move(u8);
    assert.equal(moved[Pool.valueSymbol], u8);
    assert.equal(moved[Pool.transferableSymbol], u8.buffer);
  });

  it('wraps an ArrayBuffer', function () {
    const ab = new ArrayBuffer(4);
    const moved = Pool.move(ab);
    assert.equal(moved[Pool.valueSymbol], ab);
    assert.equal(moved[Pool.transferableSymbol], ab);
  });

  it('returns other values unchanged', function () {
    const obj = { a: 1 };
    assert.equal(Pool.move(obj), obj);
    assert.equal(Pool.move(5), 5);
  });
});

describe('Pool.transferableSymbol and Pool.valueSymbol', function () {
  it('are distinct symbols', function () {
    assert.equal(typeof Pool.transferableSymbol, 'symbol');
    assert.equal(typeof Pool.valueSymbol, 'symbol');
    assert.notEqual(Pool.transferableSymbol, Pool.valueSymbol);
  });
});

describe('Pool.version', function () {
  it("equals package.json's version", function () {
    assert.equal(Pool.version, require(path.join(ROOT, 'package.json')).version);
  });
});

describe('module entry points', function () {
  it("gives the same class for require('nativepool') and its Pool and Piscina properties", function () {
    const viaName = require('nativepool');
    assert.equal(viaName, Pool);
    assert.equal(viaName.Pool, Pool);
    assert.equal(viaName.Piscina, Pool);
    const { Pool: Destructured, Piscina } = require('nativepool');
    assert.equal(Destructured, Pool);
    assert.equal(Piscina, Pool);
  });

  it('exports the same names from import and require (every static of the class, and nothing else)', async function () {
    const esm = await import(pathToFileURL(path.join(ROOT, 'lib', 'index.mjs')).href);
    const named = Object.keys(esm).filter((k) => k !== 'default').sort();
    const statics = Object.getOwnPropertyNames(Pool).filter((k) => !['length', 'name', 'prototype'].includes(k)).sort();
    assert.deepEqual(named, statics);
    for (const k of named) assert.equal(esm[k], Pool[k], k);
    assert.ok(named.includes('Piscina'), 'Piscina is a named export');
  });

  it('gives the same class from a dynamic import of lib/index.mjs (default and named)', async function () {
    const esm = await import(pathToFileURL(path.join(ROOT, 'lib', 'index.mjs')).href);
    assert.equal(esm.default, Pool);
    assert.equal(esm.Pool, Pool);
    assert.equal(esm.Piscina, Pool);
    assert.equal(esm.move, Pool.move);
    assert.equal(esm.version, Pool.version);
    assert.equal(esm.transferableSymbol, Pool.transferableSymbol);
  });

  it("gives the same class for `import Pool, { Pool as P, Piscina } from 'nativepool'` and require() in one process", async function () {
    this.timeout(10000);
    const code = `
      import Pool, { Pool as P, Piscina, isWorkerThread, version } from 'nativepool';
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const C = require('nativepool');
      const ok = Pool === P && Pool === C && C.Pool === P && Piscina === C && C.Piscina === C &&
        isWorkerThread === false && version === C.version;
      console.log(ok ? 'same' : 'different');
    `;
    const esm = await runChild({ code, nodeArgs: ['--input-type=module'], killAfterMs: 8000 });
    assert.equal(esm.code, 0, esm.stderr);
    assert.equal(esm.stdout.trim(), 'same');
  });
});
