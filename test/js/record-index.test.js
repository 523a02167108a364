'use strict';
// lib/record-index.js: the task table's records by id. Checked against a
// plain Map driven by the same random sequence of adds and deletes, with ids
// increasing the way TaskTable hands them out and some records living long.
const assert = require('node:assert');
const { RecordIndex } = require('../../lib/record-index');

describe('RecordIndex', () => {
  it('agrees with a Map through bursts, long-lived records and laps of the ring', () => {
    const index = new RecordIndex();
    const model = new Map();
    let seed = 11;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    let nextId = 1;
    const check = (id) => assert.strictEqual(index.get(id), model.get(id), `get(${id})`);
    for (let round = 0; round < 40; round++) {
      // A burst of adds (some rounds large enough to grow the ring) ...
      const adds = rand() < 0.2 ? 5000 + Math.floor(rand() * 20000) : Math.floor(rand() * 3000);
      for (let k = 0; k < adds; k++) {
        const record = { id: nextId++ };
        index.set(record);
        model.set(record.id, record);
      }
      // ... then deletes, mostly of the oldest, leaving some behind for many laps.
      const ids = [...model.keys()];
      for (const id of ids) {
        if (rand() < 0.9 || rand() < 0.5) {
          assert.strictEqual(index.delete(id), true, `delete(${id})`);
          model.delete(id);
        }
      }
      assert.strictEqual(index.size, model.size);
      for (const id of ids) check(id);
      check(nextId); // never added
      assert.strictEqual(index.delete(nextId), false);
    }
    assert.deepStrictEqual(index.ids(), [...model.keys()].sort((a, b) => a - b));
    for (const id of index.ids()) assert.strictEqual(index.get(id), model.get(id));
    for (const id of index.ids()) index.delete(id);
    assert.strictEqual(index.size, 0);
    assert.deepStrictEqual(index.ids(), []);
  });

  it('keeps a record that outlives many laps, and ids above 2^32', () => {
    const index = new RecordIndex();
    const slow = { id: 3 };
    index.set(slow);
    for (let id = 4; id < 200000; id++) {
      index.set({ id });
      assert.strictEqual(index.delete(id), true);
    }
    assert.strictEqual(index.get(3), slow);
    const big = [2 ** 32 + 3, 2 ** 40 + 3, 2 ** 52 + 3].map((id) => ({ id }));
    for (const r of big) index.set(r);
    for (const r of big) assert.strictEqual(index.get(r.id), r);
    assert.strictEqual(index.size, 4);
    assert.deepStrictEqual(index.ids(), [3, ...big.map((r) => r.id)]);
  });
});
