'use strict';

// Hand-written SVG chart (no dependencies): one small panel per key figure, one bar per
// library (median, with a min–max whisker), the value printed on the bar, and the
// issue's target drawn as a dashed line where it has one.

const COLORS = {
  nativepool: '#d94f04', piscina: '#3b6fb6', tinypool: '#5aa469', poolifier: '#8e6bbf',
  workerpool: '#c9a227', inline: '#7f7f7f', idle: '#b0b0b0',
};

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function short(v, unit) {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  if (unit === 'us') {
    if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}ms`;
    return `${+v.toPrecision(3)}µs`;
  }
  if (unit === '%') return `${v.toFixed(1)}%`;
  if (unit === 'MiB') return `${Math.round(v)}M`;
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

// panels: [{ title, unit, better, bars: [{ lib, median, min, max }], target?: { value, label } }]
function chart({ title, subtitle, footnote, panels, cols = 4 }) {
  const pw = 300;
  const ph = 240;
  const top = 70;
  const rows = Math.ceil(panels.length / cols);
  const width = cols * pw + 20;
  const height = top + rows * ph + 50;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="14" y="26" font-size="18" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="14" y="48" font-size="12" fill="#444">${esc(subtitle)}</text>`);

  panels.forEach((p, idx) => {
    const x0 = 10 + (idx % cols) * pw;
    const y0 = top + Math.floor(idx / cols) * ph;
    const plotX = x0 + 44;
    const plotW = pw - 60;
    const plotY = y0 + 34;
    const plotH = ph - 90;
    const vals = p.bars.flatMap((b) => [b.median, b.max]).filter((v) => Number.isFinite(v));
    if (p.target && Number.isFinite(p.target.value)) vals.push(p.target.value);
    const vmax = (Math.max(0, ...vals) || 1) * 1.15;
    const y = (v) => plotY + plotH - (v / vmax) * plotH;

    out.push(`<g>`);
    out.push(`<text x="${x0 + 6}" y="${y0 + 16}" font-size="13" font-weight="bold">${esc(p.title)}</text>`);
    out.push(`<text x="${x0 + 6}" y="${y0 + 29}" font-size="10" fill="#666">${esc(p.better === 'higher' ? 'higher is better' : 'lower is better')}</text>`);
    for (let k = 0; k <= 4; k++) {
      const v = (vmax / 4) * k;
      const yy = y(v);
      out.push(`<line x1="${plotX}" x2="${plotX + plotW}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${plotX - 4}" y="${yy + 3}" font-size="9" text-anchor="end" fill="#777">${esc(short(v, p.unit))}</text>`);
    }
    const n = p.bars.length;
    const slot = plotW / Math.max(1, n);
    const bw = Math.min(32, slot * 0.7);
    p.bars.forEach((b, i) => {
      const cx = plotX + slot * (i + 0.5);
      const color = COLORS[b.lib] || '#999';
      if (Number.isFinite(b.median)) {
        out.push(`<rect x="${cx - bw / 2}" y="${y(b.median)}" width="${bw}" height="${plotY + plotH - y(b.median)}" fill="${color}"><title>${esc(`${b.lib}: ${short(b.median, p.unit)} (min ${short(b.min, p.unit)}, max ${short(b.max, p.unit)})`)}</title></rect>`);
        if (Number.isFinite(b.min) && Number.isFinite(b.max) && b.max > b.min) {
          out.push(`<line x1="${cx}" x2="${cx}" y1="${y(b.max)}" y2="${y(b.min)}" stroke="#222" stroke-width="1"/>`);
          out.push(`<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(b.max)}" y2="${y(b.max)}" stroke="#222"/>`);
          out.push(`<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(b.min)}" y2="${y(b.min)}" stroke="#222"/>`);
        }
        out.push(`<text x="${cx}" y="${Math.min(y(b.max), y(b.median)) - 4}" font-size="9" text-anchor="middle">${esc(short(b.median, p.unit))}</text>`);
      } else {
        out.push(`<text x="${cx}" y="${plotY + plotH - 4}" font-size="9" text-anchor="middle" fill="#999">n/a</text>`);
      }
      out.push(`<text x="${cx}" y="${plotY + plotH + 12}" font-size="9" text-anchor="end" transform="rotate(-35 ${cx} ${plotY + plotH + 12})">${esc(b.label || b.lib)}</text>`);
    });
    if (p.target && Number.isFinite(p.target.value)) {
      const yy = y(p.target.value);
      out.push(`<line x1="${plotX}" x2="${plotX + plotW}" y1="${yy}" y2="${yy}" stroke="#d94f04" stroke-dasharray="5,3" stroke-width="1.5"/>`);
      out.push(`<text x="${plotX + plotW}" y="${yy - 3}" font-size="9" text-anchor="end" fill="#d94f04">${esc(p.target.label)}</text>`);
    }
    out.push(`<line x1="${plotX}" x2="${plotX + plotW}" y1="${plotY + plotH}" y2="${plotY + plotH}" stroke="#333"/>`);
    out.push(`</g>`);
  });
  if (footnote) out.push(`<text x="14" y="${height - 14}" font-size="11" fill="#444">${esc(footnote)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

module.exports = { chart };
