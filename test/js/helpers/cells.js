'use strict';
// Cells for a pool of either runtime (test/fixtures/cells.js): a
// SharedArrayBuffer for worker threads, a log file for child processes.
// Pass `cells.spec` in workerData; read them here with load(i).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { openCells } = require('../../fixtures/cells');

let dir = null;
let seq = 0;

function sharedCells(runtime, n = 4) {
  if (runtime !== 'process') return openCells(new Int32Array(new SharedArrayBuffer(4 * n)));
  if (dir === null) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nativepool-cells-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const file = path.join(dir, `cells-${++seq}`);
  fs.writeFileSync(file, '');
  return openCells({ file });
}

module.exports = { sharedCells };
