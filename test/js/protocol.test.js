'use strict';
// Every number lib mirrors from the binding matches the binding's own table.
const assert = require('node:assert');
const binding = require('../../lib/binding');
const protocol = require('../../lib/protocol');

describe('lib/protocol.js against the binding', () => {
  const c = binding.constants;

  it('mirrors the task status codes (src/task.h Status)', () => {
    assert.deepStrictEqual({ ...protocol.STATUS }, { ...c.status });
  });

  it('mirrors the slot word states (src/task.h SlotState)', () => {
    assert.deepStrictEqual({ ...protocol.SLOT }, { ...c.slot });
  });

  it('mirrors the cancel answers (src/task.h CancelResult)', () => {
    assert.deepStrictEqual({ ...protocol.CANCEL }, { ...c.cancel });
  });

  it('uses the take and settle batch layouts the binding writes', () => {
    assert.strictEqual(protocol.SETTLE_STRIDE, c.settleStride);
    assert.strictEqual(protocol.TAKE_STRIDE, c.takeStride);
    assert.strictEqual(protocol.BAD_VALUE, c.badValue);
    assert.strictEqual(protocol.HANDLER_EXCLUSIVE, c.handlerExclusive);
    assert.strictEqual(protocol.HANDLER_INBOX, c.handlerInbox);
    assert.strictEqual(protocol.STATUS_INBOX, c.statusInbox);
    assert.deepStrictEqual({ ...protocol.SUBMIT }, { ...c.submit });
  });

  it('sizes a worker so a whole short batch fits beside its running tasks', () => {
    for (const concurrency of [1, 2, 8, 64]) {
      assert.ok(protocol.slotCapacity(concurrency) >= protocol.TUNING.SHORT_BATCH + concurrency);
    }
    assert.ok(protocol.TUNING.SHORT_BATCH <= c.maxBatch);
  });

  it('gives the wire helpers one name per view and error kind, in the binding order', () => {
    assert.strictEqual(c.wire.viewKinds.at(-1), 'Buffer');
    assert.strictEqual(c.wire.viewKinds.at(-2), 'DataView');
    for (const name of c.wire.viewKinds.slice(0, -1)) assert.strictEqual(typeof globalThis[name], 'function', name);
    for (const name of c.wire.errorKinds) assert.ok(Error.isPrototypeOf(globalThis[name]) || name === 'Error', name);
    assert.deepStrictEqual(Object.keys(c.wire.classify).sort(), ['EXTERNAL', 'FLAT', 'MAP', 'REGEXP', 'SET', 'UNCLONEABLE']);
  });

  it('has a frozen constants table', () => {
    assert.ok(Object.isFrozen(c));
  });
});
