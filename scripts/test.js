#!/usr/bin/env node
'use strict';
// `npm test`: everything, in order; a failed step stops the run.
//   1. build the addon and the GoogleTest suite (cmake-js, Release)
//   2. ctest                      — the C++ core
//   3. sanitizers                 — the same suite under TSan and ASan+UBSan
//   4. binding sanitizers         — the addon built with ASan+UBSan, all of Mocha against it
//   5. fuzz                       — the wire decoder under libFuzzer, bounded
//   6. mocha                      — the JS API
//   7. tsc --noEmit               — the TypeScript contract (test/types)
//   8. Piscina's own test suite   — scripts/test-piscina.js: fails if a test
//                                   outside its written list of Piscina-internals tests fails
// Steps 6 and 7 run on this Node, then on every other supported major
// (scripts/node-versions.js: Node 20, 22, 24 and 26, each installed once from
// the npm registry's node@<major> package), and fail the run after the last
// one if any failed. The other steps, and the Mocha test that compiles the
// addon from a tarball, run once, on this Node: the addon is Node-API 8, one
// binary for every Node.
// NATIVEPOOL_QUICK=1 skips steps 3, 4, 5 and 8 and the other Nodes (for the
// edit-test loop). NATIVEPOOL_NODE_VERSIONS=24,26 runs steps 6 and 7 on
// exactly those majors.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const versions = require('./node-versions');

const root = path.resolve(__dirname, '..');
const quick = process.env.NATIVEPOOL_QUICK === '1';

function step(title, cmd, args, options = {}) {
  console.log(`\n=== ${title}: ${cmd} ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.error || r.status !== 0) {
    console.error(`=== ${title} FAILED after ${secs}s (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`})`);
    process.exit(r.status || 1);
  }
  console.log(`=== ${title} ok (${secs}s)`);
}

const node = process.execPath;
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
// configure every time: `compile` keeps a cached configuration that may lack the tests.
step('configure', node, [cmakeJs, 'configure', '--out', 'build', '--CDNATIVEPOOL_TESTS=ON']);
step('build', node, [cmakeJs, 'build', '--out', 'build']);
step('ctest', 'ctest', ['--test-dir', 'build', '--output-on-failure', '--no-tests=error', '--timeout', '300']);
if (!quick) {
  step('sanitizers', node, [path.join(root, 'scripts', 'sanitize.js')]);
  step('binding sanitizers', node, [path.join(root, 'scripts', 'sanitize-binding.js')]);
  if (fs.existsSync(path.join(root, 'scripts', 'fuzz.js'))) {
    step('fuzz', node, [path.join(root, 'scripts', 'fuzz.js'), '--seconds', process.env.NATIVEPOOL_FUZZ_SECONDS || '60']);
  }
}

const here = Number(process.versions.node.split('.')[0]);
if (!versions.SUPPORTED.includes(here)) console.log(`\nnote: this Node (${process.version}) is not one CI tests`);

(async () => {
  const results = [];
  for (const [i, major] of versions.majorsToTest().entries()) {
    // the first Node gets the spec reporter and the from-source build test;
    // the others print dots and failures
    results.push(await versions.run(versions.nodeBinary(major), { reporter: i === 0 ? 'spec' : 'dot', sourceBuild: i === 0 }));
  }
  if (!versions.report(results)) {
    console.error('=== mocha/types FAILED on a Node version (above)');
    process.exit(1);
  }
  if (!quick) step('piscina suite', node, [path.join(root, 'scripts', 'test-piscina.js')]);
  console.log('\nnpm test: all steps passed');
})().catch((err) => {
  console.error(`=== mocha/types FAILED: ${err.message}`);
  process.exit(1);
});
