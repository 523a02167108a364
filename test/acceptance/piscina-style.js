'use strict';
// Written the way a Piscina v5 user writes code, with only the require
// changed. Exits 0 when every step behaved as Piscina documents.
const path = require('path');
const assert = require('assert');
const { EventEmitter } = require('events');
const Piscina = require('nativepool');

const piscina = new Piscina({
  filename: path.resolve(__dirname, 'worker.js'),
});

(async function () {
  // README: "const result = await piscina.run({ a: 4, b: 6 }); console.log(result); // Prints 10"
  const result = await piscina.run({ a: 4, b: 6 });
  console.log(result);
  assert.strictEqual(result, 10);

  // Multiple workers in one file: pick the export with { name }.
  const [sum, product] = await Promise.all([
    piscina.run({ a: 2, b: 3 }, { name: 'add' }),
    piscina.run({ a: 2, b: 3 }, { name: 'multiply' }),
  ]);
  assert.strictEqual(sum, 5);
  assert.strictEqual(product, 6);

  // Cancelable tasks with AbortController.
  const abortController = new AbortController();
  const task = piscina.run({ ms: 5000 }, { name: 'slow', signal: abortController.signal });
  abortController.abort();
  try {
    await task;
    assert.fail('the aborted task resolved');
  } catch (err) {
    assert.strictEqual(err.name, 'AbortError');
    console.log('The task was canceled');
  }

  // Cancelable tasks with an EventEmitter.
  const ee = new EventEmitter();
  const task2 = piscina.run({ ms: 5000 }, { name: 'slow', signal: ee });
  ee.emit('abort');
  try {
    await task2;
    assert.fail('the aborted task resolved');
  } catch (err) {
    assert.strictEqual(err.name, 'AbortError');
  }

  // Delaying availability / backpressure: drain and needsDrain exist.
  assert.strictEqual(typeof piscina.needsDrain, 'boolean');
  const many = [];
  for (let i = 0; i < 100; i++) many.push(piscina.run({ a: i, b: i }));
  const totals = await Promise.all(many);
  assert.strictEqual(totals.reduce((s, x) => s + x, 0), 9900);
  assert.ok(piscina.completed >= 103);
  assert.strictEqual(typeof piscina.utilization, 'number');
  assert.strictEqual(typeof piscina.histogram.runTime.p50, 'number');

  // Statics.
  assert.strictEqual(Piscina.isWorkerThread, false);
  assert.strictEqual(typeof Piscina.move, 'function');

  // Graceful shutdown.
  await piscina.close();
  await assert.rejects(piscina.run({ a: 1, b: 1 }), (err) => err.code === 'ERR_POOL_CLOSED');
  console.log('done');
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
