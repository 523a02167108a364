'use strict';
// The Node versions we claim are the ones CI runs: the README line, package.json's
// `engines` and scripts/node-versions.js agree, `npm test` runs them all, and
// the runner reports each version's Mocha summary and fails when one fails.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const versions = require('../../scripts/node-versions');
const pkg = require('../../package.json');

const root = path.resolve(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const here = Number(process.versions.node.split('.')[0]);

function runner(args) {
  return spawnSync(process.execPath, [path.join(root, 'scripts', 'node-versions.js'), ...args],
    { cwd: root, encoding: 'utf8', timeout: 60000 });
}

describe('supported Node versions', function () {
  this.timeout(60000);

  it('README states exactly the majors CI tests, with the oldest minor', () => {
    const line = /^\*\*Supported Node versions: (.+)\*\*/m.exec(readme);
    assert.ok(line, 'README has a "**Supported Node versions: ...**" line');
    const listed = [...line[1].matchAll(/(\d+)(?: \(≥ (\d+\.\d+)\))?/g)].map((m) => [Number(m[1]), m[2] || null]);
    assert.deepEqual(listed.map(([m]) => m), versions.SUPPORTED);
    for (const [m, min] of listed) assert.equal(min, versions.MIN[m] ? versions.MIN[m].replace(/\.0$/, '') : null, `minimum of Node ${m}`);
  });

  it("package.json's engines accepts exactly those majors", () => {
    assert.equal(pkg.engines.node, versions.enginesRange());
    assert.equal(versions.enginesRange(), '^20.17.0 || ^22.0.0 || ^24.0.0 || ^26.0.0');
  });

  it('npm test runs Mocha and tsc on this Node first, then every other supported major', () => {
    assert.deepEqual(versions.majorsToTest({}, 20), [20, 22, 24, 26]);
    assert.deepEqual(versions.majorsToTest({}, 24), [24, 20, 22, 26]);
    assert.deepEqual(versions.majorsToTest({}, 23), [23, 20, 22, 24, 26]);
    assert.deepEqual(versions.majorsToTest({ NATIVEPOOL_QUICK: '1' }, 20), [20]);
    assert.deepEqual(versions.majorsToTest({ NATIVEPOOL_QUICK: '1', NATIVEPOOL_NODE_VERSIONS: '24,26' }, 20), [24, 26]);
    assert.match(fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8'), /^npm test$/m);
    assert.equal(pkg.scripts.test, 'node scripts/test.js');
  });

  it('rejects a Node list that is not majors, naming where it came from', () => {
    for (const bad of ['', 'x', '24,', '24.1', '-2']) {
      assert.throws(() => versions.parseMajors(bad, 'NATIVEPOOL_NODE_VERSIONS'), (err) => err instanceof TypeError &&
        err.message.includes('NATIVEPOOL_NODE_VERSIONS') && err.message.includes(JSON.stringify(bad)));
    }
    assert.deepEqual(versions.parseMajors('22, 24', 'x'), [22, 24]);
    const r = runner(['--node', 'twenty']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Expected Node majors like 24 or 22,24 for --node but received "twenty"/);
  });

  it("reads Mocha's summary lines", () => {
    const s = versions.mochaSummary('  ✔ a\n\n  283 passing (1m)\n  2 failing\n  1 pending\n\n  1) x\n');
    assert.deepEqual(s, { passing: 283, failing: 2, line: '283 passing (1m), 2 failing, 1 pending' });
    assert.deepEqual(versions.mochaSummary('Error: cannot find module'), { passing: 0, failing: 0, line: 'no Mocha summary' });
  });

  it('runs one named test file on a given Node and prints its summary line', () => {
    const r = runner(['--node', String(here), 'test/js/clone-equal.test.js']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [, count] = /^ *(\d+) passing/m.exec(r.stdout);
    assert.ok(Number(count) > 20 && Number(count) < 100, `only clone-equal.test.js ran (${count} tests)`);
    assert.match(r.stdout, new RegExp(`^  ok     node ${process.version.replace(/\./g, '\\.')}  mocha: ${count} passing`, 'm'));
  });

  it('fails, and says which version failed, when a test fails', () => {
    const r = runner(['--node', String(here), 'test/fixtures/mocha-failing.test.js']);
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`^  FAILED node ${process.version.replace(/\./g, '\\.')}  mocha: 1 passing \\(\\d+m?s\\), 1 failing`, 'm'));
  });

  it('uses this Node itself for its own major, without installing anything', () => {
    assert.equal(versions.nodeBinary(here), process.execPath);
    const r = runner(['--which', String(here)]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), process.execPath);
    assert.equal(r.stderr, '');
  });
});
