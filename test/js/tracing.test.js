'use strict';
const assert = require('node:assert/strict');
const dc = require('node:diagnostics_channel');
const { AsyncLocalStorage } = require('node:async_hooks');
const { fixture, poolTracker, outcome, rejection } = require('./helpers/pool');

const CHANNEL = 'nativepool:task';
const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

/** Subscribes to every event of the tracing channel; records [event, context] in order. */
function record() {
  const channel = dc.tracingChannel(CHANNEL);
  const seen = [];
  const handlers = Object.fromEntries(EVENTS.map((e) => [e, (ctx) => seen.push([e, ctx])]));
  channel.subscribe(handlers);
  return { seen, channel, stop: () => channel.unsubscribe(handlers) };
}

describe('diagnostics_channel tracing (nativepool:task)', function () {
  this.timeout(20000);
  const pools = poolTracker();
  let rec = null;
  afterEach(async () => {
    if (rec) rec.stop();
    rec = null;
    await pools.cleanup();
  });

  it('publishes start, end, asyncStart and asyncEnd for every task of a burst, and error with the task\'s error', async function () {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 2, maxThreads: 2 });
    rec = record();
    const N = 300;
    const tasks = [];
    for (let i = 0; i < N; i++) {
      tasks.push(i % 10 === 0 ? pool.run(`bad ${i}`, { filename: fixture('throws.js'), name: 'value' }) : pool.run(i));
    }
    const outcomes = await Promise.all(tasks.map(outcome));
    const byContext = new Map();
    for (const [event, ctx] of rec.seen) {
      if (!byContext.has(ctx)) byContext.set(ctx, []);
      byContext.get(ctx).push(event);
    }
    assert.equal(byContext.size, N, 'one context per task');
    let failures = 0;
    for (const [ctx, events] of byContext) {
      const i = tasks.findIndex((_, k) => ctx.task === k || ctx.task === `bad ${k}`);
      assert.ok(i >= 0, `context for task ${ctx.task}`);
      assert.equal(ctx.pool, pool);
      if (i % 10 === 0) {
        failures++;
        assert.deepEqual(events, ['start', 'end', 'error', 'asyncStart', 'asyncEnd'], `task ${i}`);
        assert.equal(ctx.error, `bad ${i}`, 'the error is what the handler threw');
        assert.equal(outcomes[i].error, ctx.error);
      } else {
        assert.deepEqual(events, ['start', 'end', 'asyncStart', 'asyncEnd'], `task ${i}`);
        assert.equal(ctx.result, i);
        assert.equal(outcomes[i].value, i);
      }
    }
    assert.equal(failures, N / 10);
  });

  it('publishes error for a task run() refuses, with its coded error, and traces the next task normally', async function () {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
    rec = record();
    const bad = await rejection(pool.run(1, { name: 7 }));
    assert.equal(bad.code, 'ERR_INVALID_ARG_TYPE');
    const uncloneable = await rejection(pool.run(() => {}));
    assert.equal(uncloneable.name, 'DataCloneError');
    assert.equal(await pool.run(3), 3);
    const events = rec.seen.map(([e, ctx]) => `${e}:${typeof ctx.task === 'function' ? 'fn' : ctx.task}`);
    assert.deepEqual(events, [
      'start:1', 'end:1', 'error:1', 'asyncStart:1', 'asyncEnd:1',
      'start:fn', 'end:fn', 'error:fn', 'asyncStart:fn', 'asyncEnd:fn',
      'start:3', 'end:3', 'asyncStart:3', 'asyncEnd:3',
    ]);
    assert.equal(rec.seen[2][1].error, bad);
    assert.equal(rec.seen[7][1].error, uncloneable);
  });

  it('runs the task inside start.runStores, so a store bound to start is the context where it settles', async function () {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
    const als = new AsyncLocalStorage();
    const channel = dc.tracingChannel(CHANNEL);
    const transform = (ctx) => ({ span: ctx.task });
    channel.start.bindStore(als, transform);
    const stores = [];
    const onSettle = () => stores.push(als.getStore());
    channel.asyncStart.subscribe(onSettle);
    try {
      await Promise.all([pool.run('a'), pool.run('b')]);
    } finally {
      channel.asyncStart.unsubscribe(onSettle);
      channel.start.unbindStore(als);
    }
    assert.deepEqual(stores.map((s) => s && s.span).sort(), ['a', 'b']);
  });

  it('traces for a subscriber of asyncEnd alone, and stops when it leaves', async function () {
    const pool = pools.make({ filename: fixture('echo.js'), minThreads: 1, maxThreads: 1 });
    const ends = [];
    const onEnd = (ctx) => ends.push(ctx.result);
    const asyncEnd = dc.channel(`tracing:${CHANNEL}:asyncEnd`);
    asyncEnd.subscribe(onEnd);
    try {
      assert.equal(await pool.run(1), 1);
      assert.equal(await pool.run(2), 2);
    } finally {
      asyncEnd.unsubscribe(onEnd);
    }
    assert.deepEqual(ends, [1, 2]);
    assert.equal(await pool.run(3), 3);
    assert.deepEqual(ends, [1, 2], 'nothing published after unsubscribe');
  });
});
