#!/usr/bin/env node
'use strict';
// `npm test`: everything, in order, stopping at the first failure.
//   1. build the addon and the GoogleTest suite (cmake-js, Release)
//   2. ctest                      — the C++ core
//   3. sanitizers                 — the same suite under TSan and ASan+UBSan
//   4. binding sanitizers         — the addon built with ASan+UBSan, all of Mocha against it
//   5. fuzz                       — the wire decoder under libFuzzer, bounded
//   6. mocha                      — the JS API
//   7. tsc --noEmit               — the TypeScript contract (test/types)
//   8. Piscina's own test suite   — scripts/test-piscina.js: fails if a test
//                                   outside its written list of Piscina-internals tests fails
// NATIVEPOOL_QUICK=1 skips steps 3, 4, 5 and 8 (for the edit-test loop).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const quick = process.env.NATIVEPOOL_QUICK === '1';
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

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
step('mocha', bin('mocha'), []);
step('types', bin('tsc'), ['-p', 'test/types']);
if (!quick) step('piscina suite', node, [path.join(root, 'scripts', 'test-piscina.js')]);
console.log('\nnpm test: all steps passed');
