'use strict';
// A real redis-server per test file, on a unix socket in a temp dir, with
// persistence off and maxmemory-policy noeviction; and nativepool-worker
// consumer processes. Nothing outlives the test process: redis runs under a
// small sh watchdog that kills it when our end of its stdin closes (however
// this process ends, even by SIGKILL), and every child is also killed from a
// process 'exit' hook. Consumers get an IPC channel and leave when it closes.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'nativepool-worker.js');

const live = new Map(); // child -> pids to SIGKILL at exit
process.on('exit', () => {
  for (const pids of live.values()) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        if (err.code !== 'ESRCH') throw err;
      }
    }
  }
});
function track(child, pids = [child.pid]) {
  live.set(child, pids);
  child.once('exit', () => live.delete(child));
  return child;
}

// $1 = redis-server path, rest = its arguments. Prints its pid, then waits
// for stdin to close and kills it.
const WATCHDOG = 'r="$1"; shift; "$r" "$@" & p=$!; echo "watchdog-pid $p"; cat >/dev/null; kill -9 $p 2>/dev/null; wait $p 2>/dev/null';

function haveRedis() {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Resolves when `stream` has printed a line matching `re`; rejects on exit or after `ms`. */
function waitForLine(child, stream, re, ms, what) {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk) => {
      text += chunk;
      const m = re.exec(text);
      if (m) {
        done();
        resolve([m[0], text]);
      }
    };
    const onExit = (code, signal) => {
      done();
      reject(new Error(`${what}: exited (${code ?? signal}) before ready; output:\n${text}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: not ready within ${ms} ms; output:\n${text}`));
    }, ms);
    function done() {
      clearTimeout(timer);
      stream.off('data', onData);
      child.off('exit', onExit);
    }
    stream.setEncoding('utf8');
    stream.on('data', onData);
    child.once('exit', onExit);
  });
}

class RedisServer {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nativepool-redis-'));
    this.socket = path.join(this.dir, 'redis.sock');
    this.child = null;
  }

  async start() {
    const args = [
      '--port', '0', '--unixsocket', this.socket, '--unixsocketperm', '700', '--dir', this.dir,
      '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--loglevel', 'notice',
    ];
    if (!haveRedis()) {
      throw new Error('redis-server is not installed: these tests run the real one (Debian: apt-get install redis-server; .ci/run installs it)');
    }
    // The sh stays alive to kill redis when stdin closes; at exit we kill redis itself.
    const child = spawn('sh', ['-c', WATCHDOG, 'sh', 'redis-server', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    const pids = [];
    track(child, pids);
    this.child = child;
    let text;
    try {
      [, text] = await waitForLine(child, child.stdout, /^(?=[\s\S]*watchdog-pid \d+)(?=[\s\S]*ready to accept connections)/i, 10000, 'redis-server');
    } catch (err) {
      // Not ready: the watchdog kills redis when its stdin closes and exits,
      // so nothing keeps this process (Mocha) alive after the failure.
      this.child = null;
      child.stdin.end();
      child.stdout.resume();
      throw err;
    }
    pids.push(Number(/watchdog-pid (\d+)/.exec(text)[1]));
    child.stdout.resume();
    return this;
  }

  /** Kills redis (SIGKILL: nothing to save) and resolves when it is gone. */
  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    await gone;
  }

  /** Stops redis and starts a fresh one on the same socket (persistence is off: it comes back empty). */
  async restart() {
    await this.stop();
    return this.start();
  }

  async destroy() {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves when `cond()` (sync or async) is truthy; rejects after `ms` — a hang guard, not a timing check. */
async function waitUntil(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function startRedis() {
  return new RedisServer().start();
}

/**
 * Starts `node <argv>` with an IPC channel and resolves once it printed its
 * first stdout line: { child, pid, line, stdoutAfter(), stderr(), exited },
 * where `exited` resolves with { code, signal }.
 */
async function startProcess(argv, what, ms = 20000) {
  const child = track(spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => { stderr += s; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const [line] = await waitForLine(child, child.stdout, /^.*\n/, ms, what).catch((err) => {
    err.message += `\nstderr:\n${stderr}`;
    throw err;
  });
  let rest = '';
  child.stdout.on('data', (s) => { rest += s; });
  return { child, pid: child.pid, line: line.trimEnd(), stdoutAfter: () => rest, stderr: () => stderr, exited };
}

/** Starts `nativepool-worker` and resolves once it printed its ready line. */
function startConsumer({ queue, socket, filename, threads = 1, args = [] }) {
  const argv = [CLI, '--queue', queue, '--redis', socket, '--filename', filename, '--threads', String(threads), ...args];
  return startProcess(argv, `nativepool-worker ${queue}`);
}

module.exports = { startRedis, startConsumer, startProcess, waitUntil, haveRedis, RedisServer, CLI, ROOT };
