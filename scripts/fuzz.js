#!/usr/bin/env node
// Builds the libFuzzer targets with clang (ASan + UBSan, core instrumented
// for coverage) into build-fuzz/ and runs wire_decode_fuzz for a bounded time.
//
//   node scripts/fuzz.js [--seconds N] [--jobs J]     (N defaults to 30)
//
// Seeds are valid encodings of generated values (test/js/helpers/gen-values.js
// through the addon in build/Release, when it is built) plus hand-made
// messages; they are written under build-fuzz/, never into the repository.
// Exits non-zero on any crash, leak, timeout or sanitizer report.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'build-fuzz');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`Expected positive integer for ${name} but received ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}
const seconds = arg('--seconds', 30);
const jobs = arg('--jobs', 1);

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status;
}

// --- build ----------------------------------------------------------------
const configure = [
  '-S', root, '-B', out, '-G', 'Ninja',
  '-DCMAKE_BUILD_TYPE=RelWithDebInfo',
  '-DCMAKE_CXX_COMPILER=clang++',
  '-DNATIVEPOOL_FUZZ=ON',
  '-DNATIVEPOOL_ADDON=OFF',
  // The decoder lives in nativepool_core: instrument it for coverage and
  // sanitize it too, or the fuzzer is blind to it.
  '-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link',
  '-DNATIVEPOOL_SANITIZE=address,undefined',
];
if (run('cmake', configure) !== 0) process.exit(1);
if (run('cmake', ['--build', out, '--target', 'wire_decode_fuzz']) !== 0) process.exit(1);

// --- seeds ----------------------------------------------------------------
const seeds = path.join(out, 'seeds', 'wire_decode');
const corpus = path.join(out, 'corpus', 'wire_decode');
const artifacts = path.join(out, 'artifacts') + path.sep;
for (const d of [seeds, corpus, artifacts]) fs.mkdirSync(d, { recursive: true });

const handMade = [
  [0xf5, 1, 0x00], [0xf5, 1, 0x01], [0xf5, 1, 0x04, 0x2a],
  [0xf5, 1, 0x07, 2, 0x68, 0x69],
  [0xf5, 1, 0x0a, 2, 2, 0x13, 0, 0x09, 0],                 // [self, hole]
  [0xf5, 1, 0x12, 1, 0, 2, 0x11, 2, 7, 8],                 // Uint8Array over a buffer
  [0xf5, 1, 0x10, 8, 3, 0x07, 1, 0x45, 0x07, 1, 0x6d, 0],  // custom error
  [0xf5, 1, 0x0b, 2, 0x07, 1, 0x61, 0x04, 2, 0x07, 3, 0x74, 0x61, 0x67, 0x07, 1, 0x78], // { a: 1, tag: 'x' }: flat
];
handMade.forEach((b, i) => fs.writeFileSync(path.join(seeds, `hand-${i}`), Buffer.from(b)));

let generated = 0;
const addonPath = path.join(root, 'build', 'Release', 'nativepool.node');
if (fs.existsSync(addonPath)) {
  const { wireEncode } = require(path.join(root, 'lib', 'binding.js')); // initializes the addon
  const { generateValues } = require(path.join(root, 'test', 'js', 'helpers', 'gen-values.js'));
  for (const v of generateValues({ seed: 0xf022, count: 400, maxDepth: 4, cloneableOnly: true })) {
    const bytes = wireEncode(v);
    if (bytes.length > 4096) continue;  // small seeds mutate faster
    fs.writeFileSync(path.join(seeds, `gen-${generated++}`), bytes);
  }
} else {
  console.warn(`note: ${addonPath} not built; using hand-made seeds only`);
}
console.log(`seeds: ${handMade.length} hand-made, ${generated} generated`);

// --- run ------------------------------------------------------------------
const env = {
  ...process.env,
  ASAN_OPTIONS: 'halt_on_error=1:detect_leaks=1:abort_on_error=0',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
const fuzzArgs = [
  `-max_total_time=${seconds}`, '-error_exitcode=1', '-timeout=10', '-rss_limit_mb=2048',
  '-max_len=65536', '-print_final_stats=1', `-artifact_prefix=${artifacts}`,
  corpus, seeds,
];
if (jobs > 1) fuzzArgs.unshift(`-fork=${jobs}`);
const r = spawnSync(path.join(out, 'wire_decode_fuzz'), fuzzArgs, { cwd: out, env, encoding: 'utf8' });
process.stdout.write(r.stdout || '');
process.stderr.write(r.stderr || '');
const text = `${r.stdout}\n${r.stderr}`;
const sanitizer = /runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY: /.test(text);
if (r.status !== 0 || r.signal || sanitizer) {
  console.error(`wire_decode_fuzz FAILED (status ${r.status}, signal ${r.signal}); artifacts in ${artifacts}`);
  process.exit(1);
}
const execs = /stat::number_of_executed_units:\s*(\d+)/.exec(text);
console.log(`wire_decode_fuzz ok: ${execs ? execs[1] : '?'} execs in ${seconds}s`);
