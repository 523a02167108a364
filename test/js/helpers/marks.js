'use strict';
// Pools over test/fixtures/marks.js: which tasks ran (a counter per task id in
// a SharedArrayBuffer) and a gate that holds a worker inside a task, so a test
// can put each task exactly where it wants it without timing.
const { fixture, waitFor } = require('./pool');

function marks(n) {
  return new Int32Array(new SharedArrayBuffer(4 * (2 + n)));
}

function markedPool(pools, n, options = {}) {
  const m = marks(n);
  const pool = pools.make({ filename: fixture('marks.js'), workerData: { marks: m }, minThreads: 1, maxThreads: 1, ...options });
  return {
    pool,
    marks: m,
    ran: (id) => Atomics.load(m, 2 + id),
    /** Resolves once `k` tasks are waiting at the gate. */
    atGate: (k = 1) => waitFor(() => Atomics.load(m, 1) >= k, 10000, `${k} task(s) at the gate`),
    open() {
      Atomics.store(m, 0, 1);
      Atomics.notify(m, 0);
    },
  };
}

module.exports = { marks, markedPool };
