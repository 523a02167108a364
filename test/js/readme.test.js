'use strict';
// The README's option tables state defaults; they must be the code's.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DEFAULTS } = require('../../lib/options');

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

// Rows like: | `idleTimeout` | `0` | meaning |
function documentedDefaults(heading) {
  const start = readme.indexOf(heading);
  assert.ok(start >= 0, `README has ${heading}`);
  const section = readme.slice(start, readme.indexOf('\n### ', start + heading.length));
  const out = {};
  for (const m of section.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)) out[m[1]] = m[2].trim();
  return out;
}

describe('README', () => {
  const docs = documentedDefaults('### `new Pool([options])`');

  it('documents every literal default of new Pool() as the code has it', () => {
    const literal = (v) => (typeof v === 'string' ? `\`'${v}'\`` : `\`${v}\``);
    for (const key of ['name', 'idleTimeout', 'maxQueue', 'concurrentTasksPerWorker', 'closeTimeout', 'recordTiming', 'lanes', 'timeout', 'maxTasksPerWorker', 'maxHeapUsedMb']) {
      assert.equal(docs[key], literal(DEFAULTS[key]), `README default of ${key}`);
    }
    assert.equal(docs.filename, '`null`');
    assert.equal(docs.retry, 'none (one attempt)');
    assert.equal(DEFAULTS.retry, null);
    assert.equal(DEFAULTS.filename, null);
  });

  it('documents the thread-count defaults by the formula the code uses', () => {
    const cpus = os.availableParallelism();
    assert.equal(docs.minThreads, '`max(1, floor(availableParallelism / 2))`');
    assert.equal(DEFAULTS.minThreads, Math.max(1, Math.floor(cpus / 2)));
    assert.equal(docs.maxThreads, '`max(1, floor(availableParallelism × 1.5))`');
    assert.equal(DEFAULTS.maxThreads, Math.max(1, Math.floor(cpus * 1.5)));
  });

  it('documents the run() options that run() accepts, with their defaults', () => {
    const run = documentedDefaults('### `pool.run(task[, options])`');
    const { RUN_OPTIONS } = require('../../lib/options');
    assert.deepStrictEqual(Object.keys(run).sort(), [...RUN_OPTIONS].sort());
    assert.equal(run.priority, '`0`');
  });
});
