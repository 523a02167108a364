'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { ROOT, Pool, fixture, poolTracker } = require('./helpers/pool');

const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

describe('new Pool(options)', function () {
  const pools = poolTracker();
  afterEach(() => pools.cleanup());

  describe('validation', function () {
    // [options, error class, the option the message names, what it says was expected]
    const cases = [
      [{ filename: 42 }, TypeError, 'options.filename', /(string|URL)/],
      [{ filename: '' }, TypeError, 'options.filename', /non-empty/],
      [{ filename: new URL('http://example.com/w.js') }, TypeError, 'options.filename', /file/],
      [{ name: '' }, TypeError, 'options.name', /non-empty string/],
      [{ name: 7 }, TypeError, 'options.name', /string/],
      [{ minThreads: -1 }, RangeError, 'options.minThreads', /integer/],
      [{ minThreads: 1.5 }, RangeError, 'options.minThreads', /integer/],
      [{ minThreads: '2' }, TypeError, 'options.minThreads', /integer/],
      [{ maxThreads: 0 }, RangeError, 'options.maxThreads', /integer >= 1/],
      [{ maxThreads: null }, TypeError, 'options.maxThreads', /integer/],
      [{ minThreads: 4, maxThreads: 2 }, RangeError, 'options.minThreads', /maxThreads/],
      [{ idleTimeout: -1 }, RangeError, 'options.idleTimeout', />= 0/],
      [{ idleTimeout: '10' }, TypeError, 'options.idleTimeout', /number/],
      [{ maxQueue: -1 }, RangeError, 'options.maxQueue', /integer/],
      [{ maxQueue: 'big' }, TypeError, 'options.maxQueue', /'auto'/],
      [{ concurrentTasksPerWorker: 0 }, RangeError, 'options.concurrentTasksPerWorker', /integer >= 1/],
      [{ closeTimeout: -5 }, RangeError, 'options.closeTimeout', />= 0/],
      [{ closeTimeout: 'soon' }, TypeError, 'options.closeTimeout', /number/],
      [{ recordTiming: 'yes' }, TypeError, 'options.recordTiming', /boolean/],
      [{ argv: '--x' }, TypeError, 'options.argv', /array/],
      [{ execArgv: [1] }, TypeError, 'options.execArgv[0]', /string/],
      [{ env: 5 }, TypeError, 'options.env', /object/],
      [{ resourceLimits: 5 }, TypeError, 'options.resourceLimits', /object/],
      [{ resourceLimits: { maxOldGenerationSizeMb: -1 } }, RangeError, 'options.resourceLimits.maxOldGenerationSizeMb', /positive/],
      [{ lanes: 0 }, RangeError, 'options.lanes', /integer/],
      [{ lanes: 65 }, RangeError, 'options.lanes', /64/],
      [{ laneWeights: [] }, TypeError, 'options.laneWeights', /non-empty array/],
      [{ stdout: 'yes' }, TypeError, 'options.stdout', /boolean/],
      [{ atomics: 'maybe' }, TypeError, 'options.atomics', /'sync'/],
      [{ niceIncrement: 0.5 }, TypeError, 'options.niceIncrement', /integer/],
    ];
    for (const [options, Ctor, name, expected] of cases) {
      it(`throws ${Ctor.name} naming ${name} for ${JSON.stringify(options, (k, v) => (v instanceof URL ? v.href : v))}`, function () {
        assert.throws(() => new Pool(options), (err) => {
          assert.ok(err instanceof Ctor, `expected ${Ctor.name}, got ${err && err.constructor.name}: ${err && err.message}`);
          assert.ok(err.message.includes(name), `message names ${name}: ${err.message}`);
          assert.match(err.message, expected);
          assert.match(err.message, /received/);
          return true;
        });
      });
    }

    it('throws TypeError when options is not an object', function () {
      assert.throws(() => new Pool('worker.js'), TypeError);
      assert.throws(() => new Pool([]), TypeError);
    });

    it("reports a misspelled option with \"Did you mean 'maxThreads'?\"", function () {
      assert.throws(() => new Pool({ maxThread: 2 }), (err) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /maxThread/);
        assert.match(err.message, /Did you mean 'maxThreads'\?/);
        return true;
      });
    });

    it('suggests the closest option for other misspellings', function () {
      assert.throws(() => new Pool({ fileName: 'x.js' }), /Did you mean 'filename'\?/);
      assert.throws(() => new Pool({ idleTimout: 5 }), /Did you mean 'idleTimeout'\?/);
    });

    it('rejects an unknown option with no near match without a suggestion', function () {
      assert.throws(() => new Pool({ zzzzzzzzzzzz: 1 }), (err) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /zzzzzzzzzzzz/);
        assert.doesNotMatch(err.message, /Did you mean/);
        return true;
      });
    });

    it('reports a misspelled resourceLimits key with a suggestion', function () {
      assert.throws(() => new Pool({ resourceLimits: { maxOldGenerationSize: 64 } }), /Did you mean 'maxOldGenerationSizeMb'\?/);
    });

    it("accepts every Piscina v5 option name", function () {
      const pool = pools.make({
        filename: fixture('echo.js'), name: 'default', minThreads: 0, maxThreads: 1, idleTimeout: 10,
        maxQueue: 10, concurrentTasksPerWorker: 1, resourceLimits: { maxOldGenerationSizeMb: 64 },
        argv: ['a'], execArgv: [], env: { X: '1' }, workerData: { w: 1 }, closeTimeout: 1000,
        recordTiming: true, atomics: 'sync', useAtomics: true, niceIncrement: 0, trackUnmanagedFds: true,
        taskQueue: undefined, loadBalancer: undefined, workerHistogram: false,
      });
      assert.ok(pool instanceof Pool);
    });
  });

  describe('defaults', function () {
    it('uses the defaults index.d.ts documents', function () {
      const pool = pools.make();
      const o = pool.options;
      assert.equal(o.filename, null);
      assert.equal(o.name, 'default');
      assert.equal(o.minThreads, Math.max(1, Math.floor(cpus / 2)));
      assert.equal(o.maxThreads, Math.max(1, Math.floor(cpus * 1.5)));
      assert.equal(o.idleTimeout, 0);
      assert.equal(o.maxQueue, Infinity);
      assert.equal(o.concurrentTasksPerWorker, 1);
      assert.equal(o.closeTimeout, 30000);
      assert.equal(o.recordTiming, true);
    });

    it('matches every literal `Default:` written in index.d.ts', function () {
      const dts = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8');
      const start = dts.indexOf('interface Options');
      const body = dts.slice(start, dts.indexOf('\n  }', start));
      const documented = {};
      const re = /Default: `([^`]+)`[^\n]*\n\s*(\w+)\?:/g;
      for (let m; (m = re.exec(body));) documented[m[2]] = m[1];
      assert.ok(Object.keys(documented).length >= 6, `parsed ${JSON.stringify(documented)}`);
      const o = pools.make().options;
      for (const [key, text] of Object.entries(documented)) {
        if (text.includes('(')) continue; // a formula, checked above
        const literal = text === 'Infinity' ? Infinity : JSON.parse(text.replace(/'/g, '"'));
        assert.equal(o[key], literal, `options.${key}: documented ${text}`);
      }
    });

    it('starts minThreads workers by default', function () {
      const pool = pools.make({ filename: fixture('echo.js') });
      assert.equal(pool.threads.length, Math.max(1, Math.floor(cpus / 2)));
    });

    it('raises maxThreads to minThreads when only minThreads is given', function () {
      const n = Math.max(1, Math.floor(cpus * 1.5)) + 1;
      const pool = pools.make({ minThreads: n });
      assert.equal(pool.options.maxThreads, n);
    });

    it('lowers minThreads to maxThreads when only maxThreads is given', function () {
      const pool = pools.make({ maxThreads: 1 });
      assert.equal(pool.options.minThreads, 1);
    });
  });

  describe('maxQueue', function () {
    it("maps 'auto' to maxThreads squared", function () {
      const pool = pools.make({ minThreads: 0, maxThreads: 3, maxQueue: 'auto' });
      assert.equal(pool.options.maxQueue, 9);
    });

    it('accepts Infinity and 0', function () {
      assert.equal(pools.make({ minThreads: 0, maxQueue: Infinity }).options.maxQueue, Infinity);
      assert.equal(pools.make({ minThreads: 0, maxQueue: 0 }).options.maxQueue, 0);
    });
  });

  describe('filename', function () {
    it('accepts a path', async function () {
      const pool = pools.make({ filename: fixture('math.js'), minThreads: 1, maxThreads: 1 });
      assert.equal(await pool.run({ a: 1, b: 2 }), 3);
    });

    it('accepts a relative path, resolved against the working directory', async function () {
      const pool = pools.make({ filename: path.relative(process.cwd(), fixture('math.js')), minThreads: 1, maxThreads: 1 });
      assert.equal(await pool.run({ a: 2, b: 2 }), 4);
    });

    it('accepts a file:// URL string', async function () {
      const pool = pools.make({ filename: pathToFileURL(fixture('math.js')).href, minThreads: 1, maxThreads: 1 });
      assert.equal(await pool.run({ a: 3, b: 4 }), 7);
    });

    it('accepts a URL object', async function () {
      const pool = pools.make({ filename: pathToFileURL(fixture('esm.mjs')), minThreads: 1, maxThreads: 1 });
      assert.equal(await pool.run(5), 25);
    });

    it('uses options.name as the default export to call', async function () {
      const pool = pools.make({ filename: fixture('math.js'), name: 'multiply', minThreads: 1, maxThreads: 1 });
      assert.equal(await pool.run({ a: 3, b: 4 }), 12);
    });
  });

  describe('workerData', function () {
    it('passes workerData to every worker', async function () {
      const pool = pools.make({ filename: fixture('worker-data.js'), workerData: { hello: ['world', 1] }, minThreads: 1, maxThreads: 1 });
      assert.deepEqual(await pool.run(null), { isWorkerThread: true, workerData: { hello: ['world', 1] } });
    });
  });
});
