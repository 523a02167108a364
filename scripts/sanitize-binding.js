#!/usr/bin/env node
// Builds the addon itself (binding/ + src/) with AddressSanitizer and
// UndefinedBehaviorSanitizer into build-asan-addon/ and runs the whole Mocha
// suite against it: Node is not instrumented, so the ASan runtime is preloaded
// (LD_PRELOAD) and lib/binding.js is pointed at the sanitized addon with
// NATIVEPOOL_ADDON. Worker threads run in the same process; child processes the
// tests spawn inherit the environment, so they preload the runtime and load the
// sanitized addon too (an instrumented addon refuses to load without it).
//
//   node scripts/sanitize-binding.js              # build, then run every test file
//   node scripts/sanitize-binding.js --no-build   # reuse build-asan-addon/
//   node scripts/sanitize-binding.js -- test/js/data.test.js   # some files only
//
// halt_on_error=1 for both sanitizers; leak detection is off (Node itself does
// not free everything at exit). Reports go to files under
// build-asan-addon/reports/ as well as failing the process that hit them, so a
// report in a child process whose non-zero exit a test expected (a crash test)
// still fails the run. Exits non-zero if Mocha fails or any report was written.
//
// Compiler: $CXX if set, else clang++ when it and its shared ASan runtime are
// installed (Debian: clang, libclang-rt-dev), else g++. With clang one runtime
// (libclang_rt.asan) carries both sanitizers and honours log_path for both;
// g++ 12's libubsan ignores log_path next to libasan, so with g++ a UBSan report
// in a child whose crash a test expected is seen only in that child's stderr.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'build-asan-addon');
const reports = path.join(out, 'reports');
const ARCH = { x64: 'x86_64', arm64: 'aarch64' }[process.arch] || process.arch;

const argv = process.argv.slice(2);
const dashes = argv.indexOf('--');
const files = dashes < 0 ? [] : argv.slice(dashes + 1);
const flags = dashes < 0 ? argv : argv.slice(0, dashes);
for (const f of flags) {
  if (f !== '--no-build') {
    console.error(`sanitize-binding: unknown option ${f} (expected --no-build, or -- followed by test files)`);
    process.exit(2);
  }
}

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r;
}

// The shared runtime file the compiler's sanitizers link against, or null.
function runtimeOf(compiler, name) {
  const r = spawnSync(compiler, [`-print-file-name=${name}`], { encoding: 'utf8' });
  const file = (r.stdout || '').trim();
  return r.status === 0 && path.isAbsolute(file) && fs.existsSync(file) ? file : null;
}

function toolchain() {
  const clangRuntime = (c) => runtimeOf(c, `libclang_rt.asan-${ARCH}.so`);
  const candidates = process.env.CXX ? [process.env.CXX] : ['clang++', 'g++'];
  for (const cxx of candidates) {
    if (/clang/.test(path.basename(cxx))) {
      const rt = clangRuntime(cxx);
      if (rt) return { cxx, preload: [rt], ubsanLogs: true };
    } else {
      const asan = runtimeOf(cxx, 'libasan.so');
      const ubsan = runtimeOf(cxx, 'libubsan.so');
      if (asan && ubsan) return { cxx, preload: [asan, ubsan], ubsanLogs: false };
    }
  }
  console.error(`sanitize-binding: no sanitizer runtime found for ${candidates.join(' or ')}`);
  return process.exit(1);
}

const tc = toolchain();
console.log(`sanitize-binding: ${tc.cxx}, preloading ${tc.preload.join(' ')}`);
if (!tc.ubsanLogs) console.log('sanitize-binding: note: UBSan reports of child processes are not written to files with this compiler (see the header)');

// --- build ------------------------------------------------------------------
if (!flags.includes('--no-build')) {
  // A cache made by another compiler cannot be reconfigured in place.
  const stamp = path.join(out, 'compiler.txt');
  if (fs.existsSync(out) && (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== tc.cxx)) {
    fs.rmSync(out, { recursive: true, force: true });
  }
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(stamp, tc.cxx);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const r = run(process.execPath, [cmakeJs, 'compile', '--out', out,
    `--CDCMAKE_CXX_COMPILER=${tc.cxx}`,
    '--CDCMAKE_BUILD_TYPE=RelWithDebInfo',
    '--CDNATIVEPOOL_SANITIZE=address,undefined',
    '--CDNATIVEPOOL_TESTS=OFF']);
  if (r.status !== 0) {
    console.error('sanitize-binding: the sanitized build failed');
    process.exit(1);
  }
}
const addon = ['Release', 'RelWithDebInfo'].map((d) => path.join(out, d, 'nativepool.node')).find((f) => fs.existsSync(f));
if (!addon) {
  console.error(`sanitize-binding: no nativepool.node under ${out} (build it first)`);
  process.exit(1);
}

// --- run ----------------------------------------------------------------------
fs.rmSync(reports, { recursive: true, force: true });
fs.mkdirSync(reports, { recursive: true });
const env = {
  ...process.env,
  NATIVEPOOL_ADDON: addon,
  LD_PRELOAD: [...tc.preload, process.env.LD_PRELOAD].filter(Boolean).join(' '),
  ASAN_OPTIONS: `halt_on_error=1:detect_leaks=0:log_path=${path.join(reports, 'report')}`,
  UBSAN_OPTIONS: `halt_on_error=1:print_stacktrace=1:log_path=${path.join(reports, 'report')}`,
};
const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
// Test files named on the command line replace .mocharc's spec (Mocha would add them to it).
// The full run leaves out one test: it compiles a plain addon from an `npm pack` tarball
// (2.5 min under the preloaded runtime on the 2-core box) that this run would not load
// anyway — NATIVEPOOL_ADDON points the tarball's lib/binding.js at the sanitized addon.
const PACK_TEST = 'installs from an npm pack tarball';
const rc = JSON.parse(fs.readFileSync(path.join(root, '.mocharc.json'), 'utf8'));
const mochaArgs = files.length
  ? ['--no-config', '--timeout', String(rc.timeout), '--slow', String(rc.slow), ...files]
  : ['--fgrep', PACK_TEST, '--invert'];
const t0 = Date.now();
// ASan's frames are larger: the wire tests nest 1,000 levels deep, which
// overflows V8's default ~1 MB stack limit here (it took 3-7 MB). Give V8 the
// main thread's stack (ulimit -s, 8 MB here) less 1 MB of headroom.
const ulimitKb = Number(spawnSync('sh', ['-c', 'ulimit -s'], { encoding: 'utf8' }).stdout.trim());
const STACK_KB = Number.isFinite(ulimitKb) && ulimitKb > 2048 ? Math.min(ulimitKb - 1024, 15 * 1024) : 7000;
console.log(`$ NATIVEPOOL_ADDON=${env.NATIVEPOOL_ADDON} LD_PRELOAD="${env.LD_PRELOAD}" ASAN_OPTIONS=${env.ASAN_OPTIONS} UBSAN_OPTIONS=${env.UBSAN_OPTIONS} node --stack-size=${STACK_KB} ${path.relative(root, mocha)} ${mochaArgs.join(' ')}`);
const r = spawnSync(process.execPath, [`--stack-size=${STACK_KB}`, mocha, ...mochaArgs], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
if (r.error) throw r.error;
process.stdout.write(r.stdout);
const seconds = ((Date.now() - t0) / 1000).toFixed(1);

// --- verdict --------------------------------------------------------------------
const found = fs.readdirSync(reports).map((f) => path.join(reports, f));
for (const f of found) {
  console.log(`\n=== sanitizer report ${path.relative(root, f)}\n${fs.readFileSync(f, 'utf8')}`);
}
const summary = (r.stdout || '').split('\n').filter((l) => /^\s+\d+ (passing|failing|pending)/.test(l)).map((l) => l.trim()).join(', ');
const ok = r.status === 0 && found.length === 0;
console.log(`\n== binding under ASan+UBSan: ${ok ? 'OK' : 'FAILED'} — mocha ${summary || `printed no summary (exit ${r.status ?? r.signal})`}; ${found.length} sanitizer report(s); ${seconds} s`);
process.exit(ok ? 0 : 1);
