'use strict';
// Explicit resource management, as each Node offers it. Every Node we test
// has Symbol.asyncDispose and Symbol.dispose (Node 20 and 22 define the
// symbols; V8 gives them from Node 24 with the `using` syntax and
// AsyncDisposableStack). pool[Symbol.asyncDispose]() awaits close();
// pool[Symbol.dispose]() starts it (as Piscina does). Each test
// asserts what this runtime supports, so a runtime that lost a feature, or a
// detection that went wrong, fails instead of skipping.
const assert = require('node:assert/strict');
const { fixture, poolTracker, rejection, waitFor } = require('./helpers/pool');
const Pool = require('../..');

const major = Number(process.versions.node.split('.')[0]);
const AsyncFunction = (async () => {}).constructor;
function parses(source) {
  try {
    new AsyncFunction(source);  // eslint-disable-line no-new
    return true;
  } catch (err) {
    if (err instanceof SyntaxError) return false;
    throw err;
  }
}

// Node 24 (V8 13.6) is the first of our majors with explicit resource
// management on by default: `using`, `await using`, (Async)DisposableStack.
const expectUsing = major >= 24;

describe(`explicit resource management on Node ${process.versions.node}`, function () {
  this.timeout(15000);
  const pools = poolTracker();
  afterEach(() => pools.cleanup());
  const options = (name = 'double.js') => ({ filename: fixture(name), minThreads: 1, maxThreads: 1 });

  it(`has Symbol.asyncDispose, and ${expectUsing ? 'parses' : 'does not parse'} \`await using\` and \`using\``, () => {
    assert.equal(typeof Symbol.asyncDispose, 'symbol');
    assert.equal(typeof Symbol.dispose, 'symbol');
    assert.equal(parses('await using x = null;'), expectUsing);
    assert.equal(parses('using x = null;'), expectUsing);
    assert.equal(typeof AsyncDisposableStack, expectUsing ? 'function' : 'undefined');
  });

  it('closes the pool through pool[Symbol.asyncDispose]() the way `await using` desugars, letting the running task finish', async () => {
    const log = [];
    const pool = pools.make(options('sleep.js'));
    pool.once('close', () => log.push('close'));
    let task;
    try {
      task = pool.run(50).then((v) => log.push(`task ${v}`));
    } finally {
      await pool[Symbol.asyncDispose]();
    }
    log.push('after block');
    await task;
    assert.deepEqual(log, ['task 50', 'close', 'after block']);
    assert.equal((await rejection(pool.run(1))).code, 'ERR_POOL_CLOSED');
  });

  it('starts closing the pool through pool[Symbol.dispose]() the way `using` desugars, without waiting for the running task', async () => {
    const log = [];
    const pool = pools.make(options('sleep.js'));
    pool.once('close', () => log.push('close'));
    let task;
    try {
      task = pool.run(50).then((v) => log.push(`task ${v}`));
    } finally {
      pool[Symbol.dispose]();
    }
    log.push('after block');
    assert.equal((await rejection(pool.run(1))).code, 'ERR_POOL_CLOSED');
    await task;
    await waitFor(() => log.includes('close'), 10000, "'close'");
    assert.deepEqual(log, ['after block', 'task 50', 'close']);
  });

  if (expectUsing) {
    const scoped = require('../fixtures/await-using.js');

    it('closes the pool when an `await using` block ends, before the code after it', async () => {
      const log = [];
      const pool = await scoped.runInBlock(Pool, options(), log);
      assert.deepEqual(log, [42, 'end of block', 'close', 'after block']);
      assert.equal((await rejection(pool.run(1))).code, 'ERR_POOL_CLOSED');
    });

    it('lets a task that is running when the `await using` block ends finish, then closes', async () => {
      const log = [];
      const pool = await scoped.leaveWhileRunning(Pool, options('sleep.js'), log, 50);
      assert.deepEqual(log, ['task 50', 'close', 'after block']);
      assert.equal((await rejection(pool.run(1))).code, 'ERR_POOL_CLOSED');
    });

    it('closes the pool when an `await using` block throws, before the catch runs', async () => {
      const log = [];
      const pool = await scoped.throwInBlock(Pool, options(), log);
      assert.deepEqual(log, [42, 'close', 'caught boom']);
      assert.equal((await rejection(pool.run(1))).code, 'ERR_POOL_CLOSED');
    });

    it('starts closing the pool when a `using` block ends; the running task still finishes', async () => {
      const log = [];
      const pool = await scoped.usingInBlock(Pool, options('sleep.js'), log, 50);
      assert.equal((await rejection(pool.run(1))).code, 'ERR_POOL_CLOSED');
      await waitFor(() => log.includes('close'), 10000, "'close'");
      assert.deepEqual(log, ['after block', 'task 50', 'close']);
    });

    it('is closed by an AsyncDisposableStack it was handed to', async () => {
      const stack = new AsyncDisposableStack();  // eslint-disable-line no-undef
      const pool = stack.use(pools.make(options()));
      let closed = false;
      pool.once('close', () => { closed = true; });
      assert.equal(await pool.run(4), 8);
      await stack.disposeAsync();
      assert.equal(closed, true);
      assert.equal((await rejection(pool.run(1))).code, 'ERR_POOL_CLOSED');
    });
  }
});
