// A tiny horizontal bar-chart generator: every figure in docs/benchmarks/*.svg comes from a run.

const COLORS = { ours: '#c8961e', peer: '#5b6b7c', reference: '#aab4be' };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 1234567 → "1.23 M", 12345 → "12.3 k", 12.34 → "12.3". */
export function compact(value) {
  const a = Math.abs(value);
  if (!Number.isFinite(value)) return 'n/a';
  if (a >= 1e6) return `${(value / 1e6).toFixed(a >= 1e8 ? 0 : 2)} M`;
  if (a >= 1e4) return `${(value / 1e3).toFixed(a >= 1e5 ? 0 : 1)} k`;
  if (a >= 100) return value.toFixed(0);
  return value.toFixed(1);
}

/**
 * @param {{ title: string, unit: string, bars: Array<{ label: string, value: number, kind?: 'ours'|'peer'|'reference', note?: string }>,
 *   target?: { value: number, label: string }, lowerIsBetter?: boolean, format?: (v: number) => string }} spec
 */
export function barChart({ title, unit, bars, target, lowerIsBetter = false, format = compact }) {
  const width = 860;
  const labelWidth = 380;
  const valueWidth = 110;
  const barArea = width - labelWidth - valueWidth - 20;
  const rowHeight = 26;
  const top = 54;
  const height = top + bars.length * rowHeight + 34;
  const finite = bars.filter((b) => Number.isFinite(b.value));
  const max = Math.max(...finite.map((b) => b.value), target?.value ?? 0) * 1.05 || 1;
  const x = (v) => labelWidth + (v / max) * barArea;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="22" ${FONT} font-size="15" font-weight="600" fill="#1f2328">${esc(title)}</text>`);
  out.push(
    `<text x="12" y="40" ${FONT} font-size="12" fill="#57606a">${esc(unit)} — ${lowerIsBetter ? 'lower is better' : 'higher is better'}; gold: Aurum, grey: peers, light: references</text>`,
  );
  bars.forEach((b, i) => {
    const y = top + i * rowHeight;
    const kind = b.kind ?? 'peer';
    out.push(`<text x="${labelWidth - 8}" y="${y + 17}" ${FONT} font-size="12" text-anchor="end" fill="#1f2328">${esc(b.label)}</text>`);
    if (Number.isFinite(b.value)) {
      const w = Math.max(1, x(b.value) - labelWidth);
      out.push(`<rect x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowHeight - 8}" rx="2" fill="${COLORS[kind]}"/>`);
      out.push(
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 17}" ${FONT} font-size="12" fill="#1f2328">${esc(format(b.value))}${b.note ? ` ${esc(b.note)}` : ''}</text>`,
      );
    } else {
      out.push(`<text x="${labelWidth + 6}" y="${y + 17}" ${FONT} font-size="12" fill="#57606a">${esc(b.note ?? 'n/a')}</text>`);
    }
  });
  if (target && Number.isFinite(target.value)) {
    const tx = x(target.value).toFixed(1);
    const y1 = top - 4;
    const y2 = top + bars.length * rowHeight;
    out.push(`<line x1="${tx}" y1="${y1}" x2="${tx}" y2="${y2}" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${tx}" y="${y2 + 16}" ${FONT} font-size="11" text-anchor="middle" fill="#cf222e">${esc(target.label)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const SERIES = ['#c8961e', '#5b6b7c', '#2f81f7', '#8250df', '#1a7f37', '#bf3989', '#9a6700', '#57606a'];

/**
 * A line chart of series over a shared x axis (e.g. admitted per second of each variant), with
 * optional dashed horizontal references (a bound, a rate).
 * @param {{ title: string, unit: string, xLabel: string, series: Array<{ label: string, points: Array<[number, number]>, dashed?: boolean }>,
 *   references?: Array<{ value: number, label: string }>, format?: (v: number) => string }} spec
 */
export function lineChart({ title, unit, xLabel, series, references = [], format = compact }) {
  const width = 860;
  const left = 70;
  const right = 20;
  const top = 54;
  const plotHeight = 300;
  const legendRow = 18;
  const height = top + plotHeight + 40 + series.length * legendRow + 10;
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = [...series.flatMap((s) => s.points.map(([, y]) => y)), ...references.map((r) => r.value)].filter(Number.isFinite);
  const xMin = Math.min(...xs, 0);
  const xMax = Math.max(...xs, 1);
  const yMax = Math.max(...ys, 1) * 1.08;
  const x = (v) => left + ((v - xMin) / (xMax - xMin || 1)) * (width - left - right);
  const y = (v) => top + plotHeight - (v / yMax) * plotHeight;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="22" ${FONT} font-size="15" font-weight="600" fill="#1f2328">${esc(title)}</text>`);
  out.push(`<text x="12" y="40" ${FONT} font-size="12" fill="#57606a">${esc(unit)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    out.push(`<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${width - right}" y2="${y(v).toFixed(1)}" stroke="#eaeef2"/>`);
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" ${FONT} font-size="11" text-anchor="end" fill="#57606a">${esc(format(v))}</text>`);
  }
  const step = Math.max(1, Math.ceil((xMax - xMin) / 10));
  for (let v = Math.ceil(xMin); v <= xMax; v += step) {
    out.push(`<text x="${x(v).toFixed(1)}" y="${top + plotHeight + 16}" ${FONT} font-size="11" text-anchor="middle" fill="#57606a">${v}</text>`);
  }
  out.push(
    `<text x="${(left + width - right) / 2}" y="${top + plotHeight + 32}" ${FONT} font-size="11" text-anchor="middle" fill="#57606a">${esc(xLabel)}</text>`,
  );
  for (const r of references) {
    if (!Number.isFinite(r.value)) continue;
    out.push(
      `<line x1="${left}" y1="${y(r.value).toFixed(1)}" x2="${width - right}" y2="${y(r.value).toFixed(1)}" stroke="#cf222e" stroke-width="1.2" stroke-dasharray="5 4"/>`,
    );
    out.push(
      `<text x="${width - right - 4}" y="${(y(r.value) - 4).toFixed(1)}" ${FONT} font-size="11" text-anchor="end" fill="#cf222e">${esc(r.label)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const color = SERIES[i % SERIES.length];
    const d = s.points.map(([px, py], j) => `${j ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 3"' : ''}/>`);
    for (const [px, py] of s.points) out.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="2.5" fill="${color}"/>`);
    const ly = top + plotHeight + 40 + i * legendRow + 12;
    out.push(
      `<line x1="${left}" y1="${ly - 4}" x2="${left + 24}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 3"' : ''}/>`,
    );
    out.push(`<text x="${left + 30}" y="${ly}" ${FONT} font-size="12" fill="#1f2328">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
