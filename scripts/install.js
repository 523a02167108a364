'use strict';
// `npm install` hook: use a prebuilt binary for this platform if the package
// ships one (prebuilds/<platform>-<arch>/nativepool.node), else compile with
// cmake-js. Set NATIVEPOOL_FORCE_BUILD=1 to always compile.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'nativepool.node');

if (!process.env.NATIVEPOOL_FORCE_BUILD && fs.existsSync(prebuilt)) {
  console.log(`nativepool: using prebuilt ${path.relative(root, prebuilt)}`);
  process.exit(0);
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  console.error('nativepool: building the addon failed; it needs cmake >= 3.20 and a C++20 compiler (g++ >= 10 or clang >= 12).');
  process.exit(result.status ?? 1);
}
