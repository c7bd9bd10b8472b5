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
