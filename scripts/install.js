'use strict';
// `npm install` hook. In order:
//   1. the prebuilt binary shipped in the tarball (prebuilds/<platform>-<arch>/nativepool.node),
//      if a fresh `node` process can load it on this machine;
//   2. else a build from source with cmake-js (needs CMake >= 3.20 and a C++20 compiler);
//   3. else one message naming what is missing, and exit code 1.
// NATIVEPOOL_FORCE_BUILD=1 skips step 1, and so does a git checkout (a prebuilt
// binary left there by `npm pack` may be older than the sources). With
// `npm install --ignore-scripts` this does not run at all and lib/binding.js loads
// the prebuilt binary at require time.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const target = `${process.platform}-${process.arch}`;
const prebuilt = path.join(root, 'prebuilds', target, 'nativepool.node');

/** null when `file` loads in a fresh process, else why it does not. */
function loadError(file) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8', timeout: 60000 });
  if (r.status === 0) return null;
  const stderr = (r.stderr || '').split('\n').find((line) => /Error/.test(line));
  return (stderr || (r.error && r.error.message) || `exit ${r.status ?? r.signal}`).trim();
}

/** The first of `names` that runs with `--version`, or null. */
function findTool(names) {
  for (const name of names) {
    if (!name) continue;
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return { name, version: (r.stdout || '').split('\n')[0].trim() };
  }
  return null;
}

function resolveCmakeJs() {
  try {
    return require.resolve('cmake-js/bin/cmake-js');
  } catch {
    return null; // not installed: reported as missing below
  }
}

function fail(lines) {
  console.error(['', 'nativepool: cannot install the native addon.', ...lines.map((l) => `  ${l}`), ''].join('\n'));
  process.exit(1);
}

function main() {
  const why = [];
  if (process.env.NATIVEPOOL_FORCE_BUILD) {
    why.push('NATIVEPOOL_FORCE_BUILD is set: the prebuilt binary is not used.');
  } else if (fs.existsSync(path.join(root, '.git'))) {
    why.push('This is a git checkout: the addon is built from its sources.');
  } else if (fs.existsSync(prebuilt)) {
    const err = loadError(prebuilt);
    if (err === null) {
      console.log(`nativepool: using the prebuilt binary prebuilds/${target}/nativepool.node`);
      return;
    }
    why.push(`The prebuilt binary for ${target} does not load here: ${err}`);
  } else {
    why.push(`No prebuilt binary ships for ${target} (prebuilds/${target}/nativepool.node).`);
  }

  const cmake = findTool(['cmake']);
  const cxx = findTool([process.env.CXX, 'c++', 'g++', 'clang++']);
  const cmakeJs = resolveCmakeJs();
  const missing = [];
  if (!cmake) missing.push('CMake >= 3.20 (`cmake` is not on the PATH)');
  if (!cxx) missing.push('a C++20 compiler: g++ >= 10 or clang++ >= 12 (none of $CXX, c++, g++, clang++ is on the PATH)');
  if (!cmakeJs) missing.push("the npm package cmake-js (a dependency of nativepool; it was not installed)");
  if (missing.length > 0) {
    fail([
      ...why,
      'Building from source needs, and this machine lacks:',
      ...missing.map((m) => `  - ${m}`),
      'Install them (Debian/Ubuntu: apt-get install cmake g++) and run `npm rebuild nativepool`.',
    ]);
  }

  console.log(`nativepool: building from source (${why.join(' ')}) with ${cmake.version} and ${cxx.name} (${cxx.version})`);
  const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    fail([
      ...why,
      `Building from source with ${cmake.version} and ${cxx.name} (${cxx.version}) failed (see the output above).`,
      'It needs CMake >= 3.20 and a C++20 compiler (g++ >= 10 or clang++ >= 12).',
    ]);
  }
}

main();
