'use strict';
// A strict parser of the Prometheus text exposition format (0.0.4), written
// from the format's description, independent of lib/exposition.js: every
// sample must belong to a family declared by a # TYPE line before it.
const assert = require('node:assert/strict');

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
const SUFFIXES = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

function parseValue(s) {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  const v = Number(s);
  assert.ok(s !== '' && !Number.isNaN(v), `bad sample value '${s}'`);
  return v;
}

function parseLabels(text) {
  const labels = {};
  if (text === undefined || text === '') return labels;
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const m = LABEL.exec(text);
    assert.ok(m, `bad labels at '${text.slice(start)}'`);
    assert.ok(!Object.hasOwn(labels, m[1]), `label ${m[1]} twice`);
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** text -> Map(family name -> { type, help, samples: [{ name, labels, value }] }) */
function parse(text) {
  const families = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line))) {
      const fam = families.get(m[2]) || { type: 'untyped', help: '', samples: [] };
      if (m[1] === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]), line);
        assert.equal(fam.samples.length, 0, `TYPE after samples: ${line}`);
        fam.type = m[3];
      } else {
        fam.help = m[3];
      }
      families.set(m[2], fam);
      continue;
    }
    assert.ok(!line.startsWith('#'), `unknown comment: ${line}`);
    m = SAMPLE.exec(line);
    assert.ok(m, `bad sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    let family = null;
    for (const [fname, fam] of families) {
      const suffixes = SUFFIXES[fam.type] || [''];
      if (suffixes.some((suf) => fname + suf === name)) family = fam;
    }
    assert.ok(family, `sample ${name} has no # TYPE before it`);
    family.samples.push({ name, labels: parseLabels(labelText), value: parseValue(valueText) });
  }
  return families;
}

/** The value of the one sample `name` whose labels include `labels`. */
function value(families, family, name, labels = {}) {
  const fam = families.get(family);
  assert.ok(fam, `no family ${family}`);
  const hits = fam.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(hits.length, 1, `${hits.length} samples ${name} ${JSON.stringify(labels)}`);
  return hits[0].value;
}

/**
 * A histogram's buckets for `labels`, checked: le ascending and ending in
 * +Inf, counts cumulative (monotone), +Inf equal to _count. Returns
 * { buckets: [[le, count]], count, sum }.
 */
function histogram(families, family, labels = {}) {
  const fam = families.get(family);
  assert.ok(fam, `no family ${family}`);
  assert.equal(fam.type, 'histogram');
  const match = (s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  const buckets = fam.samples
    .filter((s) => s.name === `${family}_bucket` && match(s))
    .map((s) => [parseValue(s.labels.le), s.value]);
  assert.ok(buckets.length >= 2, `${family}: ${buckets.length} buckets`);
  for (let i = 1; i < buckets.length; i++) {
    assert.ok(buckets[i][0] > buckets[i - 1][0], `${family}: le ${buckets[i][0]} after ${buckets[i - 1][0]}`);
    assert.ok(buckets[i][1] >= buckets[i - 1][1], `${family}: count at le=${buckets[i][0]} below the one before`);
  }
  assert.equal(buckets[buckets.length - 1][0], Infinity, `${family}: the last bucket is +Inf`);
  const count = value(families, family, `${family}_count`, labels);
  const sum = value(families, family, `${family}_sum`, labels);
  assert.equal(buckets[buckets.length - 1][1], count, `${family}: +Inf bucket equals _count`);
  return { buckets, count, sum };
}

module.exports = { parse, value, histogram };
