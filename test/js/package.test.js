'use strict';
// The walking skeleton's promises: the package loads, one task goes
// end-to-end, idle scripts exit on their own, and a packed tarball installs
// into an empty folder and works.
const assert = require('node:assert/strict');
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const fixture = (name) => path.join(root, 'test', 'fixtures', name);

function runNode(code, { cwd = root, timeout = 10000 } = {}) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['-e', code], { cwd, timeout, encoding: 'utf8' });
  return { ...r, ms: Date.now() - t0 };
}

describe('package', function () {
  it('awaits pool.run(21) on a two-line worker file and gets the handler answer', function () {
    this.timeout(15000);
    const r = runNode(`
      const Pool = require(${JSON.stringify(root)});
      const pool = new Pool({ filename: ${JSON.stringify(fixture('double.js'))} });
      pool.run(21).then((v) => console.log(JSON.stringify(v)));
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '42');
  });

  it('exits within a second after awaiting one task, with no destroy', function () {
    this.timeout(15000);
    const r = runNode(`
      const Pool = require(${JSON.stringify(root)});
      const pool = new Pool({ filename: ${JSON.stringify(fixture('double.js'))}, minThreads: 2 });
      (async () => { console.log(await pool.run(1)); globalThis.t0 = Date.now(); })();
      process.on('exit', () => console.log('exit-after-ms', Date.now() - globalThis.t0));
    `);
    assert.equal(r.status, 0, r.stderr);
    const after = Number(/exit-after-ms (\d+)/.exec(r.stdout)[1]);
    assert.ok(after < 1000, `exited ${after} ms after its last task`);
  });

  it('gives the same class from require, { Pool } and import', function () {
    this.timeout(15000);
    const r = runNode(`
      const Pool = require(${JSON.stringify(root)});
      import(${JSON.stringify(path.join(root, 'lib', 'index.mjs'))}).then((m) => {
        console.log([m.default === Pool, m.Pool === Pool, Pool.Pool === Pool, typeof Pool].join(','));
      });
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'true,true,true,function');
  });

  it('resolves the package name through the exports map for require and import', function () {
    this.timeout(15000);
    // A scratch folder whose node_modules/nativepool links to this checkout.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nativepool-exports-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'nativepool'), 'dir');
    fs.writeFileSync(path.join(dir, 'esm.mjs'), `
      import Pool, { Pool as Named } from 'nativepool';
      import { createRequire } from 'node:module';
      const required = createRequire(import.meta.url)('nativepool');
      const pool = new Pool({ filename: ${JSON.stringify(fixture('double.js'))} });
      console.log(Pool === Named, Pool === required, await pool.run(5));
    `);
    const r = spawnSync(process.execPath, [path.join(dir, 'esm.mjs')], { cwd: dir, encoding: 'utf8', timeout: 10000 });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'true true 10');
  });

  it('installs from an npm pack tarball into an empty folder, building from source (NATIVEPOOL_FORCE_BUILD=1), and runs a task', function () {
    this.timeout(300000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nativepool-pack-'));
    try {
      const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
      const tarball = path.join(dir, out.trim().split('\n').pop());
      assert.ok(fs.existsSync(tarball), `npm pack made ${tarball}`);
      const app = path.join(dir, 'app');
      fs.mkdirSync(app);
      fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}');
      // The prebuilt binary in the tarball is skipped: this checks the fallback,
      // cmake-js with node-api-headers (no Node headers are downloaded).
      execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
        cwd: app, stdio: 'pipe', timeout: 280000, env: { ...process.env, NATIVEPOOL_FORCE_BUILD: '1' },
      });
      assert.ok(fs.existsSync(path.join(app, 'node_modules', 'nativepool', 'build', 'Release', 'nativepool.node')), 'built from source');
      fs.writeFileSync(path.join(app, 'worker.js'), 'module.exports = (x) => x + 1;\n');
      const r = runNode(`
        const Pool = require('nativepool');
        const pool = new Pool({ filename: require('path').join(__dirname, 'worker.js') });
        pool.run(41).then((v) => console.log(v));
      `.replace('__dirname', JSON.stringify(app)), { cwd: app });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), '42');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
