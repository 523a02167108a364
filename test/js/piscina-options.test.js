'use strict';
// Options the way Piscina 5 takes them: its option names and value ranges,
// its error sentences, own properties only, and Infinity for "never".
const assert = require('node:assert/strict');
const { pathToFileURL } = require('node:url');
const { Pool, fixture, poolTracker, rejection, runChild } = require('./helpers/pool');
const { gatedPool } = require('./helpers/gate');

describe('options, as Piscina takes them', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  describe('own properties only', function () {
    it('ignores an option that only the options object\'s prototype has', async function () {
      const options = Object.create({ name: 'multiply', minThreads: 9, maxThreads: 9 });
      Object.assign(options, { filename: fixture('math.js'), minThreads: 0, maxThreads: 1 });
      const pool = pools.make(options);
      assert.equal(pool.options.name, 'default');
      assert.equal(pool.options.maxThreads, 1);
      assert.equal(await pool.run({ a: 2, b: 5 }), 7, 'the default export (add) ran, not multiply');
    });

    it('ignores a run() option that only the options object\'s prototype has', async function () {
      const pool = pools.make({ filename: fixture('math.js'), minThreads: 0, maxThreads: 1 });
      const runOptions = Object.create({ name: 'multiply', transferList: 'not an array' });
      assert.equal(await pool.run({ a: 2, b: 5 }, runOptions), 7);
    });

    it('never reads execArgv, env, filename or loadBalancer set on Object.prototype', async function () {
      this.timeout(15000);
      // In a child process: polluting this process's Object.prototype would
      // leak into every other test.
      const code = `
        Object.prototype.execArgv = ['--not-a-real-flag'];
        Object.prototype.env = { NODE_OPTIONS: '--title=polluted' };
        Object.prototype.filename = 'polluted.js';
        Object.prototype.loadBalancer = () => { throw new Error('polluted loadBalancer called'); };
        const Pool = require(${JSON.stringify(require.resolve('../..'))});
        const pool = new Pool({ filename: ${JSON.stringify(fixture('double.js'))}, minThreads: 1, maxThreads: 1 });
        const o = pool.options;
        const seen = [o.execArgv, o.env, o.loadBalancer].map((v) => v === undefined ? 'undefined' : 'polluted');
        pool.run(21).then(async (v) => {
          console.log(JSON.stringify({ seen, filename: o.filename, result: v }));
          await pool.destroy();
        }, (err) => { console.log(JSON.stringify({ seen, error: String(err && err.message) })); process.exitCode = 1; });
      `;
      const r = await runChild({ code, killAfterMs: 12000 });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      assert.deepEqual(out.seen, ['undefined', 'undefined', 'undefined']);
      assert.equal(out.filename, pathToFileURL(fixture('double.js')).href);
      assert.equal(out.result, 42, 'the worker started with no polluted flags and ran the task');
    });
  });

  describe('stricterFIFO', function () {
    it('accepts stricterFIFO: true and runs queued tasks in submission order', async function () {
      this.timeout(10000);
      const g = gatedPool(pools, { stricterFIFO: true });
      assert.equal(g.pool.options.stricterFIFO, true);
      const { task, started } = g.block();
      await started;
      const queued = Array.from({ length: 20 }, (_, i) => g.pool.run(i));
      g.open();
      await task;
      const results = await Promise.all(queued);
      assert.deepEqual(results.map((r) => r.v), results.map((_, i) => i));
      assert.deepEqual(results.map((r) => r.order), results.map((_, i) => i + 2), 'ran in the order submitted, after the gate task');
    });

    it("rejects a non-boolean stricterFIFO with Piscina's sentence", function () {
      assert.throws(() => new Pool({ stricterFIFO: 1 }), (err) => err instanceof TypeError &&
        /options\.stricterFIFO must be a boolean/.test(err.message) && /received number 1/.test(err.message));
    });
  });

  describe('timeouts of Infinity', function () {
    it('accepts idleTimeout and closeTimeout of Infinity and reads them back as Infinity', function () {
      const pool = pools.make({ minThreads: 0, maxThreads: 1, idleTimeout: Infinity, closeTimeout: Infinity });
      assert.equal(pool.options.idleTimeout, Infinity);
      assert.equal(pool.options.closeTimeout, Infinity);
    });

    it("reads a timeout beyond setTimeout's range (2^31 - 1 ms) as Infinity, never as setTimeout's 1 ms", function () {
      const pool = pools.make({ minThreads: 0, maxThreads: 1, idleTimeout: 2 ** 31, closeTimeout: 1e12 });
      assert.equal(pool.options.idleTimeout, Infinity);
      assert.equal(pool.options.closeTimeout, Infinity);
      const max = pools.make({ minThreads: 0, maxThreads: 1, idleTimeout: 2 ** 31 - 1 });
      assert.equal(max.options.idleTimeout, 2 ** 31 - 1);
    });
  });

  describe("errors in Piscina's words", function () {
    // The options and the sentences Piscina's own option-validation tests match.
    const cases = [
      [{ filename: 12 }, /options.filename must be a string or null/],
      [{ name: 12 }, /options.name must be a string or null/],
      [{ minThreads: -1 }, /options.minThreads must be a non-negative integer/],
      [{ minThreads: 'string' }, /options.minThreads must be a non-negative integer/],
      [{ maxThreads: 0 }, /options.maxThreads must be a positive integer/],
      [{ maxThreads: 'string' }, /options.maxThreads must be a positive integer/],
      [{ minThreads: 16, maxThreads: 8 }, /options.minThreads and options.maxThreads must not conflict/],
      [{ concurrentTasksPerWorker: 0 }, /options.concurrentTasksPerWorker must be a positive integer/],
      [{ idleTimeout: -1 }, /options.idleTimeout must be a non-negative integer/],
      [{ idleTimeout: 'string' }, /options.idleTimeout must be a non-negative integer/],
      [{ maxQueue: -1 }, /options.maxQueue must be a non-negative integer/],
      [{ maxQueue: 'string' }, /options.maxQueue must be a non-negative integer/],
      [{ atomics: -1 }, /options.atomics should be a value of sync, sync or disabled./],
      [{ resourceLimits: 0 }, /options.resourceLimits must be an object/],
      [{ trackUnmanagedFds: -1 }, /options.trackUnmanagedFds must be a boolean/],
      [{ closeTimeout: -1 }, /options.closeTimeout must be a non-negative integer/],
      [{ niceIncrement: 'string' }, /options.niceIncrement must be a non-negative integer/],
      ...(process.platform === 'win32' ? [] : [[{ niceIncrement: -1 }, /options.niceIncrement must be a non-negative integer/]]),
      [{ taskQueue: 0 }, /options.taskQueue must be a TaskQueue object/],
      [{ taskQueue: 'test' }, /options.taskQueue must be a TaskQueue object/],
      [{ taskQueue: null }, /options.taskQueue must be a TaskQueue object/],
      [{ taskQueue: new Date() }, /options.taskQueue must be a TaskQueue object/],
      [{ taskQueue: {} }, /options.taskQueue must be a TaskQueue object/],
      [{ loadBalancer: 'least-busy' }, /options.loadBalancer must be a function/],
    ];
    for (const [options, piscina] of cases) {
      const [key] = Object.keys(options);
      it(`says ${piscina.source.replace(/\\/g, '')} for ${JSON.stringify(options, (k, v) => (v instanceof Date ? 'a Date' : v))}, and what it received`, function () {
        assert.throws(() => new Pool(options), (err) => {
          assert.match(err.message, piscina);
          assert.ok(err.message.includes(`for options.${key}`), `names options.${key} in our words too: ${err.message}`);
          assert.match(err.message, /received/);
          assert.ok(err instanceof TypeError || err instanceof RangeError);
          assert.match(err.code, /^ERR_(INVALID_ARG_TYPE|OUT_OF_RANGE)$/);
          return true;
        });
      });
    }

    it("says exactly 'options.workerHistogram must be a boolean' (Piscina's tests compare it whole)", function () {
      assert.throws(() => new Pool({ workerHistogram: 1 }), (err) => err instanceof TypeError &&
        err.message === 'options.workerHistogram must be a boolean' && err.code === 'ERR_INVALID_ARG_TYPE');
    });

    it('accepts a taskQueue shaped like a TaskQueue (size, push, shift, remove)', function () {
      const taskQueue = { size: 0, push() {}, shift() { return null; }, remove() {} };
      assert.doesNotThrow(() => pools.make({ minThreads: 0, maxThreads: 1, taskQueue }));
    });

    it('still suggests the real name of a misspelled option', function () {
      assert.throws(() => new Pool({ stricterFifo: true }), /Did you mean 'stricterFIFO'\?/);
    });

    const runCases = [
      [{ transferList: 1 }, /transferList argument must be an Array/, 'options.transferList'],
      [{ filename: 1 }, /filename argument must be a string/, 'options.filename'],
      [{ name: 1 }, /name argument must be a string/, 'options.name'],
      [{ signal: 1 }, /signal argument must be an object/, 'options.signal'],
      [1, /options must be an object/, 'options'],
    ];
    for (const [options, piscina, name] of runCases) {
      it(`rejects run() with ${piscina.source.replace(/\\/g, '')} for ${JSON.stringify(options)}, naming ${name}`, async function () {
        const pool = pools.make({ filename: fixture('echo.js'), minThreads: 0, maxThreads: 1 });
        const err = await rejection(pool.run(42, options));
        assert.ok(err instanceof TypeError);
        assert.match(err.message, piscina);
        assert.ok(err.message.includes(`for ${name} `), err.message);
      });
    }
  });
});
