'use strict';

// Human formatting of figures and plain-text tables.

function num(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(digits)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(digits)}k`;
  if (a >= 100) return String(Math.round(v));
  return String(+v.toPrecision(digits));
}

// A duration given in µs, printed in the most readable unit.
function duration(us) {
  if (us === null || us === undefined || Number.isNaN(us)) return 'n/a';
  if (us >= 1e6) return `${+(us / 1e6).toPrecision(3)} s`;
  if (us >= 1e3) return `${+(us / 1e3).toPrecision(3)} ms`;
  return `${+us.toPrecision(3)} µs`;
}

function value(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  switch (unit) {
    case 'us': return duration(v);
    case '%': return `${+v.toFixed(1)}%`;
    case 'MiB': return `${+v.toFixed(1)} MiB`;
    case 'x': return `${+v.toPrecision(3)}×`;
    default: return `${num(v)}${unit ? ` ${unit}` : ''}`;
  }
}

// "median [min–max]" for a summary from stats.summarize().
function cell(summary, unit) {
  if (!summary) return 'n/a';
  if (summary.n === 1) return value(summary.median, unit);
  return `${value(summary.median, unit)} [${value(summary.min, unit)}–${value(summary.max, unit)}]`;
}

function ratio(r) {
  if (r === null || r === undefined || !Number.isFinite(r)) return 'n/a';
  return `${r >= 10 ? r.toFixed(1) : r >= 1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

// rows: array of arrays of strings; first row is the header.
function table(rows) {
  const widths = [];
  for (const row of rows) if (row) row.forEach((c, i) => { widths[i] = Math.max(widths[i] || 0, [...String(c)].length); });
  const line = (row) => row.map((c, i) => {
    const s = String(c);
    const pad = ' '.repeat(widths[i] - [...s].length);
    return i === 0 ? s + pad : pad + s;
  }).join('  ');
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows.slice(1)) out.push(row === null ? '' : line(row));
  return out.join('\n');
}

module.exports = { num, duration, value, cell, ratio, table };
