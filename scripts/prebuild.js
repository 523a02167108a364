#!/usr/bin/env node
'use strict';
// `npm pack` / `npm publish` (the `prepack` script): builds the addon for this
// platform into prebuilds/<platform>-<arch>/nativepool.node, so the tarball
// installs without CMake or a compiler.
//
// - Node-API 8 (package.json "binary".napi_versions; CMakeLists.txt sets
//   NAPI_VERSION=8): one binary serves every Node >= 20.17.
// - The Release build in build/ (the one `npm install` made; incremental),
//   stripped. On Debian 12 it needs glibc >= 2.34 and libstdc++ >= GCC 11
//   (GLIBCXX_3.4.29): Ubuntu 22.04, RHEL 9, Debian 12 and later. (Linking
//   libstdc++ statically was tried: it pulls in arc4random and needs glibc 2.36.)
//   Where it does not load, scripts/install.js builds from source.
// - Checked before it is kept: a fresh `node` process loads it.
//
//   node scripts/prebuild.js        (NATIVEPOOL_SKIP_PREBUILD=1 skips it)
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const platform = process.platform;
const arch = process.arch;

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`})`);
  }
  return r;
}

function main() {
  if (process.env.NATIVEPOOL_SKIP_PREBUILD === '1') {
    console.log('nativepool prebuild: skipped (NATIVEPOOL_SKIP_PREBUILD=1)');
    return;
  }
  const out = path.join(root, 'build');
  run(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', out]);

  const built = path.join(out, 'Release', 'nativepool.node');
  const dir = path.join(root, 'prebuilds', `${platform}-${arch}`);
  const target = path.join(dir, 'nativepool.node');
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `nativepool.${process.pid}.tmp.node`);
  fs.copyFileSync(built, tmp);
  if (platform !== 'win32' && spawnSync('strip', ['--version'], { stdio: 'ignore' }).status === 0) {
    run('strip', [platform === 'darwin' ? '-x' : '--strip-unneeded', tmp]);
  }
  check(tmp);
  fs.renameSync(tmp, target);
  console.log(`nativepool prebuild: ${path.relative(root, target)} (${(fs.statSync(target).size / 1024).toFixed(0)} KiB, Node-API 8)`);
}

// A fresh process loads the binary and finds the Pool's native class in it.
function check(file) {
  const code = `
    const b = require(${JSON.stringify(file)});
    if (typeof b.NativePool !== 'function') throw new Error('no NativePool export');
  `;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`the prebuilt binary does not load: ${(r.stderr || r.error || '').toString().trim()}`);
}

try {
  main();
} catch (err) {
  console.error(`nativepool prebuild: ${err.message}`);
  process.exit(1);
}
