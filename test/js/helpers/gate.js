'use strict';
// A pool over test/fixtures/counter.js whose `gate` export blocks its thread
// until the test opens the gate: "N tasks running, M queued" without timing.
const { fixture, waitFor, sharedCounter } = require('./pool');

function gatedPool(pools, options = {}) {
  const counter = sharedCounter();
  const pool = pools.make({ filename: fixture('counter.js'), workerData: { counter }, minThreads: 1, maxThreads: 1, ...options });
  return {
    pool,
    counter,
    /** Starts a task that blocks until open(); resolves once `n` gate tasks are running. */
    block(n = 1) {
      const p = pool.run('gate', { name: 'gate' });
      return { task: p, started: waitFor(() => Atomics.load(counter, 3) >= n, 5000, `${n} gate task(s) to start`) };
    },
    open() {
      Atomics.store(counter, 2, 1);
      Atomics.notify(counter, 2);
    },
    runs: () => Atomics.load(counter, 0),
  };
}

module.exports = { gatedPool };
