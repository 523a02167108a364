'use strict';
// `npm install nativepool` on a machine without CMake or a C++ compiler: the
// tarball from `npm pack` carries a prebuilt binary; the install script uses it
// when it loads, the package still works when install scripts are skipped, and
// when nothing works the message names what is missing. npm installs the
// tarball's dependencies with --prefer-offline: from the local cache, asking the
// registry only for what it lacks (after a bare `npm ci` the cache has the
// tarballs but not the package documents that --offline would need).
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const target = `${process.platform}-${process.arch}`;
const TOOLS = ['cmake', 'g++', 'c++', 'cc', 'gcc', 'clang', 'clang++', 'make', 'ninja'];

/** A bin folder holding only node, npm and sh (npm runs install scripts with sh). */
function bareBin(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const npm = fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(npm, path.join(bin, 'npm'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  return bin;
}

/** Only HOME (for the npm cache) and a PATH of `bin`. */
function bareEnv(bin) {
  const env = { HOME: os.homedir(), PATH: bin };
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return env;
}

function newApp(dir, name) {
  const app = path.join(dir, name);
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  fs.writeFileSync(path.join(app, 'worker.js'), 'module.exports = (x) => x + 1;\n');
  return app;
}

/** Runs one task through the installed package with the bare PATH. */
function runTask(app, env) {
  return spawnSync(path.join(env.PATH, 'node'), ['-e', `
    const Pool = require('nativepool');
    const pool = new Pool({ filename: ${JSON.stringify(path.join(app, 'worker.js'))} });
    pool.run(41).then((v) => console.log(v));
  `], { cwd: app, env, encoding: 'utf8', timeout: 30000 });
}

describe('install without a compiler', function () {
  this.timeout(300000);
  let dir;
  let tarball;
  let bin;
  let env;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nativepool-install-'));
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8', timeout: 280000 });
    tarball = path.join(dir, out.trim().split('\n').pop());
    bin = bareBin(dir);
    env = bareEnv(bin);
    for (const tool of TOOLS) {
      const r = spawnSync(tool, ['--version'], { env });
      assert.equal(r.error && r.error.code, 'ENOENT', `${tool} must not be on the test PATH`);
    }
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it(`ships prebuilds/${target}/nativepool.node in the npm pack tarball`, () => {
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    assert.ok(list.includes(`package/prebuilds/${target}/nativepool.node`), list.join('\n'));
    assert.ok(!list.some((f) => f.startsWith('package/build/')), 'no build output in the tarball');
  });

  it('installs the tarball where PATH has node and npm but no CMake or compiler, uses the prebuilt binary and runs a task', () => {
    const app = newApp(dir, 'with-scripts');
    const r = spawnSync(path.join(bin, 'npm'), ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball],
      { cwd: app, env, encoding: 'utf8', timeout: 280000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`nativepool: using the prebuilt binary prebuilds/${target}/nativepool.node`));
    assert.ok(!fs.existsSync(path.join(app, 'node_modules', 'nativepool', 'build')), 'nothing was compiled');
    const t = runTask(app, env);
    assert.equal(t.status, 0, t.stderr);
    assert.equal(t.stdout.trim(), '42');
  });

  it('works when install scripts are skipped (--ignore-scripts): the prebuilt binary loads at require time', () => {
    const app = newApp(dir, 'ignore-scripts');
    const r = spawnSync(path.join(bin, 'npm'), ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
      { cwd: app, env, encoding: 'utf8', timeout: 280000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout, /using the prebuilt binary/, 'the install script did not run');
    assert.ok(!fs.existsSync(path.join(app, 'node_modules', 'nativepool', 'build')));
    const t = runTask(app, env);
    assert.equal(t.status, 0, t.stderr);
    assert.equal(t.stdout.trim(), '42');
  });

  it('fails with one message naming CMake and a C++20 compiler when the prebuilt binary does not load and neither is on the PATH', () => {
    const app = newApp(dir, 'broken-prebuild');
    const r = spawnSync(path.join(bin, 'npm'), ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
      { cwd: app, env, encoding: 'utf8', timeout: 280000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const pkg = path.join(app, 'node_modules', 'nativepool');
    fs.writeFileSync(path.join(pkg, 'prebuilds', target, 'nativepool.node'), 'not an ELF file');

    const install = spawnSync(path.join(bin, 'node'), [path.join(pkg, 'scripts', 'install.js')], { cwd: pkg, env, encoding: 'utf8', timeout: 60000 });
    assert.equal(install.status, 1, install.stdout + install.stderr);
    assert.match(install.stderr, new RegExp(`The prebuilt binary for ${target} does not load here`));
    assert.match(install.stderr, /CMake >= 3\.20 \(`cmake` is not on the PATH\)/);
    assert.match(install.stderr, /a C\+\+20 compiler/);
    assert.doesNotMatch(install.stderr, /cmake-js/, 'cmake-js itself was installed');
    assert.ok(!fs.existsSync(path.join(pkg, 'build')));

    const t = runTask(app, env);
    assert.notEqual(t.status, 0);
    assert.match(t.stderr, /no usable native addon for .*could not load: prebuilds\/.*npm rebuild nativepool.*CMake >= 3\.20 and a C\+\+20 compiler/s);
  });
});
