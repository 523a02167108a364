'use strict';
// A pool over test/fixtures/counter.js whose `gate` export blocks its worker
// until the test opens the gate: "N tasks running, M queued" without timing.
// The counter is cells shared with the workers (helpers/cells.js), of the
// pool tracker's runtime.
const { fixture, waitFor } = require('./pool');
const { sharedCells } = require('./cells');

function gatedPool(pools, options = {}) {
  const counter = sharedCells(options.runtime || pools.runtime);
  const pool = pools.make({ filename: fixture('counter.js'), workerData: { counter: counter.spec }, minThreads: 1, maxThreads: 1, ...options });
  return {
    pool,
    counter,
    /** Starts a task that blocks until open(); resolves once `n` gate tasks are running. */
    block(n = 1) {
      const p = pool.run('gate', { name: 'gate' });
      return { task: p, started: waitFor(() => counter.load(3) >= n, 5000, `${n} gate task(s) to start`) };
    },
    open() {
      counter.store(2, 1);
    },
    runs: () => counter.load(0),
  };
}

module.exports = { gatedPool };
