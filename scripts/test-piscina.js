#!/usr/bin/env node
'use strict';
// `npm run test:piscina`: Piscina 5.3.2's own test suite, as shipped in its
// npm package (node_modules/piscina/test/*.test.ts and test/fixtures/), run
// against this checkout the way a user switching would run it.
//
//   node scripts/test-piscina.js                  # against nativepool
//   node scripts/test-piscina.js --against-piscina # the baseline: real Piscina
//   node scripts/test-piscina.js pool.test.ts ...  # only these files
//   options: --file-timeout=SECONDS (30) --keep (the scratch folder) --verbose (stderr of failing files)
//
// How: a scratch copy in a temp folder holds Piscina's test/ folder unchanged
// and, in place of Piscina's package, re-export shims (see writeShims): the
// tests' `..`, `../dist`, fixtures' `../..` and `import('piscina')` all reach
// this checkout's `require('nativepool')` / `import 'nativepool'`. Nothing is
// implemented in a shim. Each file runs alone under
// `node --import tsx --test` (as Piscina's scripts/run-tests.js does) in its
// own process group, killed after --file-timeout: the test that hung counts as
// failed and the file's tests after it run again without it. Tests that never
// reported because the file crashed count as failed. (Node 20's
// --test-timeout applies to the whole file, not to each test.) Exit status: non-zero if a test fails that is not
// in PISCINA_INTERNALS below.
// Besides internals, DIFFERENCES lists the tests that assert what nativepool
// does differently on purpose; each is in the README's "Where nativepool
// differs from Piscina" and has a test of our own for what we do instead.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.resolve(__dirname, '..');
const piscinaDir = path.join(root, 'node_modules', 'piscina');

// Tests of Piscina's own internal classes and private mechanisms: no drop-in
// can pass them without re-implementing Piscina's insides. Key: 'file > test'.
// A failure here is reported but does not fail the run. Keep this list short
// and strict: a test of behaviour a Piscina user relies on never goes here.
const FIXED_QUEUE = "constructs Piscina's internal FixedQueue class (not a public API of a pool)";
const MOVE_MARKER = "checks Piscina's private kMovable marker (an unregistered Symbol in dist/symbols) via dist/common's isMovable()";
const PISCINA_INTERNALS = new Map([
  ['fixed-queue.test.ts > queue length', FIXED_QUEUE],
  ['fixed-queue.test.ts > queue length should not become negative', FIXED_QUEUE],
  ['fixed-queue.test.ts > queue remove', FIXED_QUEUE],
  ['fixed-queue.test.ts > remove not queued task should not lead to errors', FIXED_QUEUE],
  ['fixed-queue.test.ts > removing elements from intermediate CircularBuffer should not lead to issues', FIXED_QUEUE],
  ['fixed-queue.test.ts > removing elements from first CircularBuffer should not lead to issues', FIXED_QUEUE],
  ['fixed-queue.test.ts > removing elements from last CircularBuffer should not lead to issues', FIXED_QUEUE],
  ['fixed-queue.test.ts > simple integraion with Piscina', "passes Piscina's FixedQueue as a custom taskQueue implementation"],
  ['fixed-queue.test.ts > concurrent calls with Piscina', "passes Piscina's FixedQueue as a custom taskQueue implementation"],
  ['queues.test.ts > (the file itself)', "the file loops over Piscina's FixedQueue and ArrayTaskQueue classes at load time (fails before any test registers)"],
  ['queues.test.ts > FixedQueue - unshift', "unshift() of Piscina's internal FixedQueue class"],
  ['queues.test.ts > ArrayTaskQueue - unshift', "unshift() of Piscina's internal ArrayTaskQueue class"],
  ['task-queue.test.ts > custom task queue works', 'a custom taskQueue implementation fed PiscinaTask objects carrying Piscina.queueOptionsSymbol'],
  ['move-test.test.ts > Using Piscina.move() returns a movable object', MOVE_MARKER],
  ['move-test.test.ts > Using ArrayBuffer works as expected', MOVE_MARKER],
  ['move-test.test.ts > Using TypedArray works as expected', MOVE_MARKER],
  ['move-test.test.ts > Using MessagePort works as expected', MOVE_MARKER],
  ['histogram.test.ts > workers has histogram', "reads per-worker histograms off the PiscinaWorker objects a custom loadBalancer is called with"],
  ['histogram.test.ts > workers does not have histogram if disabled', 'expects a custom loadBalancer to be called with PiscinaWorker objects (5 × 2 planned assertions inside it)'],
  ['workers.test.ts > workers are marked as destroyed if destroyed', "inspects the PiscinaWorker objects (id, destroyed, terminating) a custom loadBalancer is called with"],
  ['atomics-optimization.test.ts > coverage test for Atomics optimization (sync mode)', "coverage of Piscina's atomics: 'sync' result-polling path; presumes its balancer gives each of 2 workers exactly 2 of 4 blocking tasks"],
]);

// Deliberate differences (README: "Where nativepool differs from Piscina").
const DIFFERENCES = new Map([
  ['pool.test.ts > workerCreate/workerDestroy should be emitted while managing worker lifecycle',
    'expects an abort of a task no worker has started to kill a worker (Piscina assigns tasks to workers at run()); nativepool cancels exactly: a task that has not started is removed and no worker is touched (test/js/cancel.test.js)'],
  ['idle-timeout.test.ts > idle timeout will not let go of threads if Infinity is used as the value',
    'expects the same task-to-thread assignment in two rounds (Piscina assigns at run() in worker order); nativepool workers pull, so which idle worker takes which task is not fixed. That idleTimeout: Infinity keeps both threads is checked in test/js/dropin.test.js'],
]);

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'against-piscina': { type: 'boolean', default: false },
    'file-timeout': { type: 'string', default: '30' },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const againstPiscina = opts['against-piscina'];
const fileTimeoutMs = Number(opts['file-timeout']) * 1000;

const link = (target, at) => {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at, fs.statSync(target).isDirectory() ? 'dir' : 'file');
};
const write = (file, text) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};

/**
 * The scratch folder is laid out as Piscina's package is: package.json,
 * dist/, test/. Its node_modules/piscina links back to it, so `..` (from a
 * test) and `piscina` (a bare import) are the same package.
 */
function makeScratch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nativepool-piscina-suite-'));
  fs.cpSync(path.join(piscinaDir, 'test'), path.join(dir, 'test'), { recursive: true });
  if (againstPiscina) {
    fs.copyFileSync(path.join(piscinaDir, 'package.json'), path.join(dir, 'package.json'));
    link(path.join(piscinaDir, 'dist'), path.join(dir, 'dist'));
  } else {
    writeShims(dir);
  }
  link(dir, path.join(dir, 'node_modules', 'piscina'));
  // What the tests import besides Piscina (Piscina's devDependencies / optional ones).
  for (const dep of ['tsx', 'concat-stream', '@napi-rs']) {
    link(path.join(root, 'node_modules', dep), path.join(dir, 'node_modules', dep));
  }
  return dir;
}

/**
 * `piscina` as a package that only re-exports nativepool. package.json carries
 * nativepool's version: the package a user imports is nativepool.
 * A few tests also import Piscina's private modules directly (dist/common,
 * dist/symbols, dist/worker_pool: helpers such as getAvailableParallelism and
 * private symbols); those paths re-export Piscina's real modules, since no
 * other package has them. Beyond helpers (and checking that our symbols are
 * Piscina's registered ones), only tests in PISCINA_INTERNALS depend on them.
 */
function writeShims(dir) {
  link(root, path.join(dir, 'node_modules', 'nativepool'));
  const { version } = require(path.join(root, 'package.json'));
  write(path.join(dir, 'package.json'), `${JSON.stringify({
    name: 'piscina',
    version,
    main: './dist/main.js',
    exports: { import: './dist/esm-wrapper.mjs', require: './dist/main.js' },
  }, null, 2)}\n`);
  const cjs = "'use strict';\nmodule.exports = require('nativepool');\n";
  write(path.join(dir, 'dist', 'main.js'), cjs);
  write(path.join(dir, 'dist', 'index.js'), cjs);
  write(path.join(dir, 'dist', 'esm-wrapper.mjs'), "export * from 'nativepool';\nexport { default } from 'nativepool';\n");
  for (const mod of ['common.js', 'symbols.js', path.join('worker_pool', 'index.js')]) {
    const real = path.join(piscinaDir, 'dist', mod);
    write(path.join(dir, 'dist', mod), `'use strict';\nmodule.exports = require(${JSON.stringify(real)});\n`);
  }
}

function nodeArgs(file, extra) {
  return [
    '--enable-source-maps', '--import=tsx', '--test',
    `--test-reporter=${path.join(__dirname, 'piscina-reporter.mjs')}`,
    ...extra, file,
  ];
}

/** Runs `node ... --test file` in its own process group; resolves with the JSON lines it reported. */
function runFile(dir, file, extra, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs(file, extra), {
      cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, NODE_OPTIONS: undefined },
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s) => { out += s; });
    child.stderr.setEncoding('utf8').on('data', (s) => { err += s; });
    let timedOut = false;
    const killGroup = () => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch (e) { if (e.code !== 'ESRCH') throw e; }
    };
    const timer = setTimeout(() => { timedOut = true; killGroup(); }, timeoutMs);
    process.once('exit', killGroup);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.removeListener('exit', killGroup);
      // The file's own child processes (if any survived it) go with it.
      killGroup();
      const results = [];
      const diagnostics = [];
      const other = [];
      for (const line of out.split('\n')) {
        if (line.startsWith('{"status"')) results.push(JSON.parse(line));
        else if (line.startsWith('{"diagnostic"')) diagnostics.push(JSON.parse(line).diagnostic);
        else if (line.startsWith('{"output"')) other.push(JSON.parse(line).output.replace(/\n$/, ''));
        else if (line.trim() !== '') other.push(line);
      }
      resolve({ results, diagnostics, timedOut, code, signal, stdout: other.join('\n'), stderr: err });
    });
  });
}

/** 'file > suite > test', numbered when a file repeats a name (Piscina's does). */
function keyer(file) {
  const counts = new Map();
  return (r) => {
    const base = [file, ...r.suite, r.name].join(' > ');
    const n = (counts.get(base) || 0) + 1;
    counts.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  };
}

const escapeRegExp = (text) => text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/**
 * One run of a test file: the results of the tests whose key is in `wanted`
 * (all when null), with a test that passed but failed an assertion after it
 * ended (Node reports that as a diagnostic and fails the file) as failed.
 */
async function runOnce(dir, file, extra, wanted) {
  const rel = path.join('test', file);
  const abs = path.join(dir, rel);
  const run = await runFile(dir, rel, extra, fileTimeoutMs);
  const key = keyer(file);
  const tests = [];
  let fileError = null;
  for (const r of run.results) {
    // The runner reports a failed file (an error outside any test, a
    // non-zero exit) as one more result named after the file's path.
    if (r.suite.length === 0 && r.name === abs) { fileError = r.error; continue; }
    const k = key(r);
    if (wanted === null || wanted.has(k)) tests.push({ key: k, name: r.name, status: r.status, error: r.error });
  }
  for (const message of run.diagnostics) {
    const m = /^(?:Error: )?Test "(.*)" at .* generated asynchronous activity after the test ended\. This activity created the error "(.*)" and would have caused the test to fail/s.exec(message);
    const test = m && tests.find((t) => t.status === 'pass' && t.name === m[1]);
    if (test) {
      test.status = 'fail';
      test.error = `after the test ended: ${m[2].replace(/\s*\n\s*/g, ' ').trim()}`;
    }
  }
  return { tests, run, fileError };
}

async function runSuiteFile(dir, file) {
  // 1. The file's tests, listed without running any: every name is skipped
  //    by a pattern nothing matches (Node reports them as skipped).
  const listing = await runOnce(dir, file, ['--test-name-pattern=^(?!)$'], null);
  const names = new Map(listing.tests.map((t) => [t.key, t.name]));
  // 2. The real run, sequential within the file as Piscina runs it.
  const t0 = Date.now();
  const first = await runOnce(dir, file, [], null);
  const tests = [...first.tests];
  let last = first;
  let missing = [...names.keys()].filter((k) => !tests.some((t) => t.key === k));
  // 3. A killed file: the first test that never reported is the one that
  //    hung, and fails; the tests after it run again without it.
  while (last.run.timedOut && missing.length > 0) {
    const [hung, ...rest] = missing;
    tests.push({ key: hung, status: 'fail', error: `hung: did not finish within ${fileTimeoutMs / 1000}s (the file was killed)` });
    if (rest.length === 0) break;
    const pattern = `^(${[...new Set(rest.map((k) => names.get(k)))].map(escapeRegExp).join('|')})$`;
    last = await runOnce(dir, file, [`--test-name-pattern=${pattern}`], new Set(rest));
    tests.push(...last.tests);
    missing = rest.filter((k) => !last.tests.some((t) => t.key === k));
  }
  const secs = (Date.now() - t0) / 1000;
  const why = `never reported (the file failed: ${last.fileError || last.run.signal || `exit code ${last.run.code}`})`;
  for (const key of missing) tests.push({ key, status: 'fail', error: why });
  // A file that failed although none of its tests did (an error after the
  // tests, a crash while loading before any test registered): one failure.
  const run = first.run;
  const fileFailed = first.fileError !== null || run.timedOut || run.code !== 0;
  if (fileFailed && !tests.some((t) => t.status === 'fail')) {
    const printed = `${run.stdout}\n${run.stderr}`.split('\n').find((l) => /^\s*\w*Error\b/.test(l));
    const reason = first.fileError && first.fileError !== 'test failed' ? first.fileError : (printed || first.fileError || 'the file failed').trim();
    tests.push({ key: `${file} > (the file itself)`, status: 'fail', error: reason });
  }
  return { file, tests, secs, run };
}

function suiteFiles() {
  const all = fs.readdirSync(path.join(piscinaDir, 'test')).filter((f) => f.endsWith('.test.ts')).sort();
  if (positionals.length === 0) return all;
  for (const f of positionals) if (!all.includes(f)) throw new Error(`No such test file in Piscina's suite: ${f}`);
  return positionals;
}

async function main() {
  const files = suiteFiles();
  const target = againstPiscina ? `piscina ${require(path.join(piscinaDir, 'package.json')).version}` : `nativepool (${root})`;
  const dir = makeScratch();
  console.log(`Piscina's test suite (${files.length} files) against ${target}; scratch copy in ${dir}`);
  const all = [];
  try {
    for (const file of files) {
      const res = await runSuiteFile(dir, file);
      const pass = res.tests.filter((t) => t.status === 'pass').length;
      const fail = res.tests.filter((t) => t.status === 'fail').length;
      console.log(`  ${file}: ${pass} passed, ${fail} failed${res.run.timedOut ? ' (killed)' : ''} (${res.secs.toFixed(1)}s)`);
      if (opts.verbose && fail > 0) {
        const text = [res.run.stdout, ...res.run.diagnostics, res.run.stderr].filter((s) => s.trim()).join('\n');
        if (text) console.log(text.replace(/^/gm, '    | '));
      }
      all.push(...res.tests);
    }
  } finally {
    if (opts.keep) console.log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  const passed = all.filter((t) => t.status === 'pass');
  const failed = all.filter((t) => t.status === 'fail');
  const skipped = all.filter((t) => t.status === 'skip');
  const internal = failed.filter((t) => PISCINA_INTERNALS.has(t.key));
  const different = failed.filter((t) => DIFFERENCES.has(t.key));
  const real = failed.filter((t) => !PISCINA_INTERNALS.has(t.key) && !DIFFERENCES.has(t.key));
  if (real.length > 0) {
    console.log(`\nFailures (${real.length}):`);
    for (const t of real) console.log(`  ✗ ${t.key}\n      ${t.error}`);
  }
  if (internal.length > 0) {
    console.log(`\nFailures of listed Piscina-internals tests (${internal.length}, allowed):`);
    for (const t of internal) console.log(`  - ${t.key}\n      ${t.error}\n      internal: ${PISCINA_INTERNALS.get(t.key)}`);
  }
  if (different.length > 0) {
    console.log(`\nFailures of tests of documented differences (${different.length}, allowed):`);
    for (const t of different) console.log(`  - ${t.key}\n      ${t.error}\n      difference: ${DIFFERENCES.get(t.key)}`);
  }
  console.log(`\n${passed.length} passed, ${failed.length} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`
    + ` (${internal.length} of the failures are listed Piscina internals, ${different.length} documented differences, ${real.length} are neither)`);
  process.exitCode = real.length > 0 ? 1 : 0;
}

if (!fs.existsSync(path.join(piscinaDir, 'test'))) {
  console.error('node_modules/piscina/test is missing: run npm ci (piscina 5.3.2 is a devDependency)');
  process.exit(1);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});

