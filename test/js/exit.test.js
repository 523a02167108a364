'use strict';
const assert = require('node:assert/strict');
const { ROOT, fixture, runChild } = require('./helpers/pool');

// Each script runs in its own node process; it must end by itself (exit code
// 0) well before the 5 s kill. A hang here is the failure mode.
const preamble = `
const Pool = require(${JSON.stringify(ROOT)});
const echo = ${JSON.stringify(fixture('echo.js'))};
`;

async function expectPromptExit(code, expectStdout) {
  const r = await runChild({ code: preamble + code, killAfterMs: 5000 });
  assert.equal(r.timedOut, false, `the child hung (killed after 5 s); stderr: ${r.stderr}`);
  assert.equal(r.code, 0, `exit code ${r.code} signal ${r.signal}; stderr: ${r.stderr}`);
  assert.ok(r.elapsedMs < 3000, `the child took ${Math.round(r.elapsedMs)} ms`);
  if (expectStdout !== undefined) assert.equal(r.stdout.trim(), expectStdout);
}

describe('process exit with a live pool', function () {
  this.timeout(10000);

  it('exits promptly after awaiting one task, with no destroy()', async function () {
    await expectPromptExit(`
      (async () => {
        const pool = new Pool({ filename: echo, minThreads: 2, maxThreads: 2 });
        console.log(await pool.run('one'));
      })();
    `, 'one');
  });

  it('exits promptly with an idle pool that was never used', async function () {
    await expectPromptExit(`
      const pool = new Pool({ filename: echo, minThreads: 2, maxThreads: 2 });
      console.log(pool.threads.length);
    `, '2');
  });

  it('exits promptly with a pool created inside a worker thread', async function () {
    await expectPromptExit(`
      const { Worker } = require('node:worker_threads');
      const inner = \`
        const { parentPort } = require('node:worker_threads');
        const Pool = require(\${JSON.stringify(${JSON.stringify(ROOT)})});
        const pool = new Pool({ filename: \${JSON.stringify(echo)}, minThreads: 1, maxThreads: 2 });
        pool.run('from inner pool').then((v) => parentPort.postMessage(v));
      \`;
      const w = new Worker(inner, { eval: true });
      w.on('message', (v) => console.log(v));
      w.on('error', (e) => { console.error(e); process.exitCode = 1; });
    `, 'from inner pool');
  });

  it('exits with code 0 when process.exit(0) is called while workers are parked', async function () {
    await expectPromptExit(`
      (async () => {
        const pool = new Pool({ filename: echo, minThreads: 2, maxThreads: 2 });
        await Promise.all([pool.run(1), pool.run(2), pool.run(3)]);
        setTimeout(() => process.exit(0), 50);
        setInterval(() => {}, 1000); // keeps the loop alive: exit() must end it
      })();
    `);
  });

  it("exits with code 0 when process.exit(0) is called from a task's then() callback", async function () {
    await expectPromptExit(`
      const pool = new Pool({ filename: echo, minThreads: 1, maxThreads: 1 });
      pool.run('x').then(() => process.exit(0));
    `);
  });

  it('keeps the process alive while a task is in flight', async function () {
    await expectPromptExit(`
      const pool = new Pool({ filename: ${JSON.stringify(fixture('sleep.js'))}, minThreads: 1, maxThreads: 1 });
      pool.run(200, { name: 'async' }).then((v) => console.log('done', v));
    `, 'done 200');
  });
});
