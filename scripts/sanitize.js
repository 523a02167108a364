#!/usr/bin/env node
// Builds and runs the C++ test suite under ThreadSanitizer (build-tsan) and
// Address+UndefinedBehaviorSanitizer (build-asan), with halt_on_error=1.
// Prints each ctest summary; exits non-zero if any step fails.
//
//   node scripts/sanitize.js            # both
//   node scripts/sanitize.js thread     # just one ('thread' or 'address')
//
// Compiler: $CXX if set, else g++ (its TSan was checked here to report a
// deliberately racy program). No dependencies beyond Node built-ins.
'use strict';

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const cxx = process.env.CXX || 'g++';

const configs = [
  {
    name: 'thread',
    dir: 'build-tsan',
    sanitize: 'thread',
    env: { TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1' },
  },
  {
    name: 'address',
    dir: 'build-asan',
    sanitize: 'address,undefined',
    env: {
      ASAN_OPTIONS: 'halt_on_error=1:detect_leaks=1',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
    },
  },
];

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  return r;
}

function summarize(output) {
  // ctest's own summary: the "% tests passed" line, the failures list, time.
  const lines = output.split('\n');
  const start = lines.findIndex((l) => /tests passed|tests failed/.test(l));
  return start < 0 ? lines.slice(-20).join('\n') : lines.slice(start).join('\n').trim();
}

const wanted = process.argv.slice(2);
const results = [];
for (const c of configs) {
  if (wanted.length && !wanted.includes(c.name)) continue;
  const step = (label, r) => {
    if (r.status !== 0) {
      process.stdout.write(r.stdout || '');
      process.stderr.write(r.stderr || '');
      results.push({ name: c.name, ok: false, summary: `${label} failed (exit ${r.status})` });
      return false;
    }
    return true;
  };
  const configure = run('cmake', [
    '-S', '.', '-B', c.dir, '-G', 'Ninja',
    `-DCMAKE_CXX_COMPILER=${cxx}`,
    '-DCMAKE_BUILD_TYPE=RelWithDebInfo',
    `-DNATIVEPOOL_SANITIZE=${c.sanitize}`,
    '-DNATIVEPOOL_TESTS=ON',
    '-DNATIVEPOOL_BENCH=OFF',
    '-DNATIVEPOOL_ADDON=OFF',
  ]);
  if (!step('configure', configure)) continue;
  const build = run('cmake', ['--build', c.dir]);
  if (!step('build', build)) continue;
  const env = { ...process.env, ...c.env };
  const test = run('ctest', ['--output-on-failure', '--no-tests=error', '--timeout', '300'], {
    cwd: path.join(root, c.dir),
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const summary = summarize(test.stdout || '');
  if (test.status !== 0) process.stdout.write(test.stdout || '');
  results.push({ name: c.name, ok: test.status === 0, summary });
}

let failed = false;
for (const r of results) {
  console.log(`\n== ${r.name} sanitizer: ${r.ok ? 'OK' : 'FAILED'}\n${r.summary}`);
  if (!r.ok) failed = true;
}
if (results.length === 0) {
  console.error('no sanitizer selected (use "thread" and/or "address")');
  failed = true;
}
process.exit(failed ? 1 : 0);
