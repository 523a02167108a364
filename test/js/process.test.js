'use strict';
// The 'process' runtime's own promises (the behaviour suites run against
// both runtimes: run, errors, data, lifecycle, cancel, invariants): children
// that crash natively, abort or exit cost only the tasks they had started;
// no child outlives its pool or its parent; what a child sees of itself.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { spawn, spawnSync } = require('node:child_process');
const { Pool, fixture, poolTracker, waitFor, rejection, outcome, runChild } = require('./helpers/pool');
const { sharedCells } = require('./helpers/cells');
const binding = require('../../lib/binding');
const { EVENT, CHILD_FDS } = require('../../lib/child-protocol');

/** Running (not gone, not a zombie waiting to be reaped). */
function running(pid) {
  let stat;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Gone from the process table: exited and reaped (by this process, its parent). */
function reaped(pid) {
  return !fs.existsSync(`/proc/${pid}`);
}

describe("runtime: 'process'", function () {
  this.timeout(30000);
  const pools = poolTracker({ runtime: 'process' });
  afterEach(() => pools.cleanup());

  describe('options', function () {
    it("rejects a runtime that is not 'thread' or 'process' with a RangeError naming options.runtime", function () {
      assert.throws(() => new Pool({ runtime: 'fork' }), (err) => err instanceof RangeError && /options\.runtime/.test(err.message) && /'thread' or 'process'/.test(err.message));
      assert.throws(() => new Pool({ runtime: 1 }), (err) => err instanceof TypeError && /options\.runtime/.test(err.message));
    });

    it("defaults to 'thread'", function () {
      const pool = pools.make({ filename: fixture('echo.js'), runtime: undefined, minThreads: 0 });
      assert.equal(pool.options.runtime, 'thread');
    });

    it('throws a DataCloneError naming options.workerData when it holds a SharedArrayBuffer', function () {
      assert.throws(() => new Pool({ runtime: 'process', workerData: { sab: new SharedArrayBuffer(4) } }),
        (err) => err.name === 'DataCloneError' && err.code === 'ERR_DATA_CLONE' && /options\.workerData/.test(err.message));
    });

    it('mirrors the binding: event kinds and the child descriptors', function () {
      assert.equal(EVENT.POST, binding.ProcessProxy.EVENT_POST);
      assert.equal(EVENT.REQUEST, binding.ProcessProxy.EVENT_REQUEST);
      assert.equal(EVENT.CLOSED, binding.ProcessProxy.EVENT_CLOSED);
      assert.deepEqual({ ...CHILD_FDS }, { SOCKET: 3, SLOTS: 4 });
    });
  });

  describe('what a child sees', function () {
    it("hands 'workerCreate' listeners and pool.threads the child process, with its pid", async function () {
      const created = [];
      const pool = pools.make({ filename: fixture('child-info.js'), minThreads: 1, maxThreads: 1 });
      pool.on('workerCreate', (w) => created.push(w));
      const info = await pool.run(null);
      assert.equal(created.length, 1);
      assert.equal(created[0].pid, info.pid);
      assert.notEqual(info.pid, process.pid);
      assert.equal(info.ppid, process.pid);
      assert.equal(pool.threads[0].pid, info.pid);
    });

    it('sets Pool.isWorkerThread, Pool.workerData and worker_threads.workerData in the child', async function () {
      const pool = pools.make({ filename: fixture('child-info.js'), workerData: { n: 1, m: new Map([[1, 'a']]) }, maxThreads: 1 });
      const info = await pool.run(null);
      assert.equal(info.isMainThread, true, 'a child process runs handlers on its main thread');
      assert.equal(info.isWorkerThread, true);
      assert.deepEqual(info.workerData, { n: 1, m: new Map([[1, 'a']]) });
      assert.deepEqual(info.threadsWorkerData, info.workerData);
      assert.equal(Pool.isWorkerThread, false, 'not in the parent');
    });

    it('applies env, argv, execArgv and resourceLimits.maxOldGenerationSizeMb (--max-old-space-size) to the child', async function () {
      const pool = pools.make({
        filename: fixture('child-info.js'),
        maxThreads: 1,
        env: { ...process.env, NATIVEPOOL_TEST_VALUE: 'from the pool' },
        argv: ['a', 'b'],
        execArgv: ['--no-warnings'],
        resourceLimits: { maxOldGenerationSizeMb: 96 },
      });
      const info = await pool.run(null);
      assert.equal(info.env, 'from the pool');
      assert.deepEqual(info.argv, ['a', 'b']);
      assert.deepEqual(info.execArgv, ['--no-warnings', '--max-old-space-size=96']);
      // V8's heap_size_limit is old space plus a young generation whose size
      // differs by Node major (96 MiB of old space reads 176 MiB on Node 20,
      // 288 on 24): compare with this Node given the same flag.
      const heapMb = (args) => Number(spawnSync(process.execPath, [...args, '-p',
        'Math.round(require("node:v8").getHeapStatistics().heap_size_limit / (1 << 20))'], { encoding: 'utf8' }).stdout);
      const expected = heapMb(['--max-old-space-size=96']);
      assert.ok(expected < heapMb([]), 'the flag lowers the limit on this Node');
      assert.equal(info.heapLimitMb, expected, `heap limit ${info.heapLimitMb} MiB, as node --max-old-space-size=96 has`);
    });

    it('carries a 4 MiB argument and result through the socket', async function () {
      const pool = pools.make({ filename: fixture('child-info.js'), maxThreads: 1 });
      const u8 = new Uint8Array(4 << 20).fill(1);
      u8[u8.length - 1] = 9;
      const r = await pool.run(u8, { name: 'size' });
      assert.equal(r.n, 4 << 20);
      assert.equal(r.last, 9);
      assert.deepEqual(r.back, u8);
    });
  });

  describe('a child that crashes', function () {
    for (const how of ['segv', 'abort', 'exit']) {
      it(`rejects only the task that child had started (${how}) with ERR_WORKER_EXITED, replaces the child and keeps serving`, async function () {
        const pool = pools.make({ filename: fixture('crash.js'), minThreads: 1, maxThreads: 1, stderr: true }); // abort() prints a stack: keep it off the test output
        const before = await pool.run(null, { name: 'pid' });
        // One batch: the crash runs between two tasks the same child holds.
        const results = await Promise.all([pool.run('a'), pool.run(how), pool.run('b'), pool.run('c')].map(outcome));
        assert.deepEqual(results.map((r) => (r.ok ? r.value : r.error.code)), ['a', 'ERR_WORKER_EXITED', 'b', 'c']);
        const after = await pool.run(null, { name: 'pid' });
        assert.notEqual(after, before, 'a new child');
        await waitFor(() => reaped(before), 5000, 'the crashed child to be reaped');
        assert.equal(pool.threads.length, 1);
      });
    }

    it('survives a crash storm: every task settles once, the crashing ones with ERR_WORKER_EXITED', async function () {
      this.timeout(60000);
      const pool = pools.make({ filename: fixture('crash.js'), minThreads: 2, maxThreads: 2, stderr: true });
      const values = Array.from({ length: 400 }, (_, i) => (i % 50 === 25 ? ['segv', 'abort', 'exit'][(i / 50) % 3 | 0] : i));
      const results = await Promise.all(values.map((v) => outcome(pool.run(v))));
      results.forEach((r, i) => {
        if (typeof values[i] === 'string') assert.equal(r.ok ? r.value : r.error.code, 'ERR_WORKER_EXITED', `task ${i}`);
        else assert.equal(r.ok ? r.value : r.error.code, i, `task ${i}`);
      });
      assert.equal(await pool.run('still'), 'still');
    });
  });

  describe('stopping children', function () {
    it('runs an abortable task alone in its child, whatever concurrentTasksPerWorker says', async function () {
      // The child learns which tasks run alone from the batch the proxy sends
      // (frame::kHandlerExclusive): stopping it for an abort then costs no
      // other task. Without it the abortable task ran beside the others.
      const pool = pools.make({ filename: fixture('span.js'), minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2 });
      const before = pool.run(150);
      const alone = pool.run(150, { signal: new AbortController().signal });
      const after = pool.run(150);
      const [a, b, c] = await Promise.all([before, alone, after]);
      const overlap = (x, y) => x[0] < y[1] && y[0] < x[1];
      assert.ok(!overlap(a, b), 'the abortable task started while another ran');
      assert.ok(!overlap(b, c), 'a task started beside the running abortable one');
    });

    it('kills the child running an aborted task (SIGTERM, then SIGKILL) and replaces it', async function () {
      const started = sharedCells('process', 1);
      const pool = pools.make({ filename: fixture('busy.js'), workerData: { started: started.spec }, minThreads: 1, maxThreads: 1 });
      const ac = new AbortController();
      const task = pool.run(null, { signal: ac.signal });
      await waitFor(() => started.load(0) === 1, 8000, 'the busy task to start');
      const pid = pool.threads[0].pid;
      ac.abort();
      assert.equal((await rejection(task)).code, 'ERR_TASK_ABORTED');
      await waitFor(() => reaped(pid), 5000, 'the busy child to be killed and reaped');
      assert.equal(await pool.run('again', { filename: fixture('echo.js') }), 'again');
      assert.notEqual(pool.threads[0].pid, pid);
    });

    it('times out a retried attempt only by its own clock while the stopped attempt is still dying', async function () {
      // The first attempt hangs in a child that ignores SIGTERM, so it still
      // counts as running (with its old start) until the SIGKILL ~250 ms
      // later; the second attempt runs 120 ms on the other child meanwhile.
      const calls = sharedCells('process', 1);
      const pool = pools.make({ filename: fixture('stubborn.js'), name: 'hangOnce', workerData: { calls: calls.spec }, minThreads: 2, maxThreads: 2 });
      await pool.ready();
      const timedOut = [];
      pool.on('taskTimeout', (e) => timedOut.push(e.attempt));
      const n = await pool.run(120, { timeout: 200, retry: { attempts: 2 } });
      assert.equal(n, 2);
      assert.deepEqual(timedOut, [1], 'only the first attempt timed out');
    });

    it('leaves no child and no zombie after destroy()', async function () {
      const pool = pools.make({ filename: fixture('echo.js'), minThreads: 3, maxThreads: 3 });
      await Promise.all([1, 2, 3].map((v) => pool.run(v)));
      const pids = pool.threads.map((w) => w.pid);
      assert.equal(pids.length, 3);
      await pool.destroy();
      for (const pid of pids) assert.ok(reaped(pid), `child ${pid} is gone and reaped`);
    });

    it('lets close() finish running work, then ends every child', async function () {
      const pool = pools.make({ filename: fixture('sleep.js'), minThreads: 2, maxThreads: 2 });
      const tasks = [100, 100, 50].map((ms) => pool.run(ms));
      await waitFor(() => pool.threads.length === 2, 5000, 'two children');
      const pids = pool.threads.map((w) => w.pid);
      await pool.close();
      assert.deepEqual(await Promise.all(tasks), [100, 100, 50]);
      for (const pid of pids) assert.ok(reaped(pid), `child ${pid} is gone and reaped`);
    });

    it('retires idle children after idleTimeout, down to minThreads', async function () {
      const pool = pools.make({ filename: fixture('sleep.js'), minThreads: 0, maxThreads: 2, idleTimeout: 50 });
      await Promise.all([pool.run(30), pool.run(30)]);
      const pids = pool.threads.map((w) => w.pid);
      await waitFor(() => pool.threads.length === 0, 5000, 'the idle children to leave');
      await waitFor(() => pids.every(reaped), 5000, 'the children to be reaped');
      assert.equal(await pool.run(1), 1);
    });
  });

  describe('what a child inherits', function () {
    it("does not inherit -e from a parent run with node -e (it runs lib/child.js, not the parent's script)", async function () {
      const code = `
        const Pool = require(${JSON.stringify(require.resolve('../..'))});
        const pool = new Pool({ runtime: 'process', filename: ${JSON.stringify(fixture('child-info.js'))}, maxThreads: 1 });
        pool.run(null).then(async (info) => { console.log(JSON.stringify(info.execArgv)); await pool.destroy(); });
      `;
      const r = await runChild({ code, killAfterMs: 15000 });
      assert.equal(r.timedOut, false);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), []);
    });

    it('refuses to nest process pools past 4 levels (a preload that creates one in every child)', async function () {
      const r = await runChild({ file: fixture('echo.js'), nodeArgs: ['--require', fixture('preload-pool.js')], killAfterMs: 20000 });
      assert.equal(r.timedOut, false, 'the chain of children ended');
      assert.match(r.stderr, /nested 4 deep/);
    });
  });

  describe('the parent', function () {
    it('is not kept alive by an idle process pool, and its children go with it', async function () {
      const r = await runChild({ file: fixture('process-parent.js'), killAfterMs: 10000 });
      assert.equal(r.timedOut, false, 'it ended on its own');
      assert.equal(r.code, 0, r.stderr);
      const { pids } = JSON.parse(r.stdout);
      await waitFor(() => pids.every((pid) => !running(pid)), 1000, 'the children to be gone');
    });

    it('killed with SIGKILL leaves no child running (gone within a second)', async function () {
      const parent = spawn(process.execPath, [fixture('process-parent.js'), 'stay'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      const line = new Promise((resolve, reject) => {
        parent.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(JSON.parse(out));
        });
        parent.on('exit', () => reject(new Error(`the parent exited first: ${out}`)));
      });
      const { pids } = await line;
      assert.equal(pids.length, 2);
      for (const pid of pids) assert.ok(running(pid), `child ${pid} runs`);
      const exited = new Promise((resolve) => parent.once('exit', resolve));
      parent.kill('SIGKILL');
      await exited;
      // Dead within a second (PR_SET_PDEATHSIG, and EOF on the socket). A
      // dead child of a dead parent waits for init to reap it: not running.
      await waitFor(() => pids.every((pid) => !running(pid)), 1000, 'the orphaned children to die');
    });
  });
});
