'use strict';

// Per-thread scheduler statistics of this process (Linux only): for each thread, the
// time it spent on a CPU and the time it spent runnable but waiting for one
// (/proc/self/task/<tid>/schedstat). On a shared machine the waiting time is CPU taken
// by other processes, which no pool can win back.

const fs = require('node:fs');

function snapshot() {
  let tids;
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const out = new Map();
  for (const tid of tids) {
    try {
      const [run, wait] = fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      out.set(tid, { runNs: run, waitNs: wait });
    } catch {
      // the thread exited between readdir and read
    }
  }
  return out;
}

// Differences between two snapshots, busiest thread (most CPU) first.
function diff(before, after) {
  if (!before || !after) return null;
  const rows = [];
  for (const [tid, b] of after) {
    const a = before.get(tid) || { runNs: 0, waitNs: 0 };
    rows.push({ tid: Number(tid), main: Number(tid) === process.pid, runNs: b.runNs - a.runNs, waitNs: b.waitNs - a.waitNs });
  }
  return rows.sort((x, y) => y.runNs - x.runNs);
}

module.exports = { snapshot, diff };
