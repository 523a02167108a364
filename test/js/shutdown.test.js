'use strict';
// destroy() and close() leave nothing behind: every task settles once, nothing
// runs after destroy(), nothing is respawned, and the process exits on its own.
// Each case runs in a child process that ends without process.exit(): a
// pool that keeps anything alive shows as a timeout.
const assert = require('node:assert');
const { runChild, fixture, ROOT } = require('./helpers/pool');

// A child script: a marks pool (see test/fixtures/marks.js), `body` run
// inside an async function, then it prints JSON and lets the loop end.
function script(body, poolOptions = '{ minThreads: 1, maxThreads: 1 }') {
  return `
    const Pool = require(${JSON.stringify(ROOT)});
    const marks = new Int32Array(new SharedArrayBuffer(4 * 2100));
    const pool = new Pool({ filename: ${JSON.stringify(fixture('marks.js'))}, workerData: { marks }, ...${poolOptions} });
    const ran = (id) => Atomics.load(marks, 2 + id);
    const open = () => { Atomics.store(marks, 0, 1); Atomics.notify(marks, 0); };
    const atGate = async (k = 1) => { while (Atomics.load(marks, 1) < k) await new Promise((r) => setTimeout(r, 2)); };
    const outcome = (p) => p.then((v) => ({ ok: v }), (e) => ({ code: e.code }));
    (async () => { ${body} })().catch((e) => { console.error(e); process.exitCode = 1; });
  `;
}

async function runScript(body, poolOptions) {
  const r = await runChild({ code: script(body, poolOptions), killAfterMs: 15000 });
  assert.ok(!r.timedOut, `the process did not exit on its own (stdout: ${r.stdout}, stderr: ${r.stderr})`);
  assert.strictEqual(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

describe('shutdown leaves nothing behind', function () {
  this.timeout(30000);

  it('destroy() with a task queued behind a running one: both reject, nothing runs after, the process exits', async () => {
    const out = await runScript(`
      const running = outcome(pool.run(0, { name: 'gate' }));
      await atGate();
      const queued = outcome(pool.run(1));
      const destroyed = pool.destroy();
      open();
      await destroyed;
      await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify({ running: await running, queued: await queued, ran1: ran(1) }));
    `);
    assert.deepStrictEqual(out.queued, { code: 'ERR_POOL_CLOSED' });
    assert.ok(out.running.code === 'ERR_POOL_CLOSED' || out.running.ok === 0, JSON.stringify(out.running));
    assert.strictEqual(out.ran1, 0, 'a queued task never runs after destroy()');
  });

  it('destroy() with tasks a worker holds unstarted in its batch: they reject and never run, the process exits', async () => {
    const out = await runScript(`
      const tasks = [outcome(pool.run(0, { name: 'gate' }))];
      for (let i = 1; i <= 20; i++) tasks.push(outcome(pool.run(i))); // one first batch
      await atGate();
      const destroyed = pool.destroy();
      open();
      await destroyed;
      await new Promise((r) => setTimeout(r, 50));
      const results = await Promise.all(tasks);
      let ranAfter = 0;
      for (let i = 1; i <= 20; i++) ranAfter += ran(i);
      console.log(JSON.stringify({ codes: results.slice(1).map((r) => r.code), ranAfter }));
    `);
    assert.deepStrictEqual(out.codes, Array(20).fill('ERR_POOL_CLOSED'));
    assert.strictEqual(out.ranAfter, 0);
  });

  it('destroy() after a shared signal aborted 100 tasks mid-batch: every task settles once and the process exits', async () => {
    const out = await runScript(`
      const ac = new AbortController();
      const tasks = [outcome(pool.run(0, { name: 'gate' }))];
      for (let i = 1; i <= 100; i++) tasks.push(outcome(pool.run(i, { signal: ac.signal })));
      await atGate();
      ac.abort();
      await pool.destroy();
      const results = await Promise.all(tasks);
      let ran = 0;
      for (let i = 1; i <= 100; i++) ran += Atomics.load(marks, 2 + i);
      console.log(JSON.stringify({ aborted: results.slice(1).filter((r) => r.code === 'ERR_TASK_ABORTED').length, first: results[0].code, ran }));
    `);
    assert.strictEqual(out.aborted, 100);
    assert.strictEqual(out.first, 'ERR_POOL_CLOSED');
    assert.strictEqual(out.ran, 0, 'an aborted task never runs');
  });

  it('destroy() while the running task is aborted: the process exits', async () => {
    const out = await runScript(`
      const ac = new AbortController();
      const running = outcome(pool.run(0, { name: 'gate', signal: ac.signal }));
      const more = [1, 2, 3].map((i) => outcome(pool.run(i)));
      await atGate();
      ac.abort();
      await pool.destroy();
      console.log(JSON.stringify({ running: await running, more: await Promise.all(more) }));
    `);
    assert.deepStrictEqual(out.running, { code: 'ERR_TASK_ABORTED' });
    for (const r of out.more) assert.ok(r.code === 'ERR_POOL_CLOSED' || typeof r.ok === 'number', JSON.stringify(r));
  });

  it('destroy() with a finished result not yet delivered: it settles once and the process exits', async () => {
    const out = await runScript(`
      await pool.run(9);
      const before = pool.histogram.runTime.count;
      const done = outcome(pool.run(1));
      const deadline = Date.now() + 10000;
      while (pool.histogram.runTime.count === before && Date.now() < deadline);
      const destroyed = pool.destroy();
      await destroyed;
      console.log(JSON.stringify({ done: await done }));
    `);
    assert.ok(out.done.ok === 1 || out.done.code === 'ERR_POOL_CLOSED', JSON.stringify(out.done));
  });

  it('close() while tasks are being aborted resolves and the process exits (50 rounds)', async () => {
    const out = await runScript(`
      let settled = 0;
      const N = 50;
      for (let round = 0; round < N; round++) {
        const p = new Pool({ filename: ${JSON.stringify(fixture('marks.js'))}, workerData: { marks }, minThreads: 1, maxThreads: 2 });
        const ac = new AbortController();
        const tasks = [];
        for (let i = 0; i < 40; i++) tasks.push(outcome(p.run(i + 10, { signal: i % 2 ? ac.signal : undefined })));
        setImmediate(() => ac.abort());
        await p.close();
        for (const t of await Promise.all(tasks)) settled++;
      }
      await pool.destroy();
      console.log(JSON.stringify({ settled }));
    `);
    assert.strictEqual(out.settled, 50 * 40);
  });

  it('nothing respawns during destroy(): no workerCreate after it is called', async () => {
    const out = await runScript(`
      let created = 0;
      pool.on('workerCreate', () => created++);
      const tasks = [];
      for (let i = 0; i < 30; i++) tasks.push(outcome(pool.run(i)));
      await new Promise((r) => setImmediate(r));
      const at = created;
      await pool.destroy();
      await Promise.all(tasks);
      await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify({ after: created - at }));
    `, '{ minThreads: 2, maxThreads: 4 }');
    assert.strictEqual(out.after, 0);
  });
});
