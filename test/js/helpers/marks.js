'use strict';
// Pools over test/fixtures/marks.js: which tasks ran (a counter per task id in
// cells shared with the workers, helpers/cells.js) and a gate that holds a
// worker inside a task, so a test can put each task exactly where it wants it
// without timing.
const { fixture, waitFor } = require('./pool');
const { sharedCells } = require('./cells');

function markedPool(pools, n, options = {}) {
  const m = sharedCells(options.runtime || pools.runtime, 2 + n);
  const pool = pools.make({ filename: fixture('marks.js'), workerData: { marks: m.spec }, minThreads: 1, maxThreads: 1, ...options });
  return {
    pool,
    marks: m,
    ran: (id) => m.load(2 + id),
    /** Resolves once `k` tasks are waiting at the gate. */
    atGate: (k = 1) => waitFor(() => m.load(1) >= k, 10000, `${k} task(s) at the gate`),
    open() {
      m.store(0, 1);
    },
  };
}

module.exports = { markedPool };
