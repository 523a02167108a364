'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { ROOT, runChild } = require('./helpers/pool');

describe('Piscina drop-in acceptance', function () {
  it('runs test/acceptance/piscina-style.js, written against Piscina\'s README, to exit code 0', async function () {
    this.timeout(20000);
    const r = await runChild({ file: path.join(ROOT, 'test', 'acceptance', 'piscina-style.js'), killAfterMs: 15000 });
    assert.equal(r.timedOut, false, `the script hung; stdout: ${r.stdout} stderr: ${r.stderr}`);
    assert.equal(r.code, 0, `exit code ${r.code}; stderr: ${r.stderr}`);
    assert.deepEqual(r.stdout.trim().split('\n'), ['10', 'The task was canceled', 'done']);
  });
});
