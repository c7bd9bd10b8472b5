#!/usr/bin/env node
// Draws docs/load-shedding.svg: the load factor of each default tier against load, with the
// default threshold, minFactor and floor, computed by the core's own loadFactor (so the chart
// cannot drift from the code: packages/testkit/test/docs.test.ts re-renders and compares).
//   pnpm docs:load-chart      (builds core, then writes the SVG)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const W = 640;
const H = 400;
const M = { left: 56, right: 150, top: 36, bottom: 52 };
const COLORS = { free: '#9aa0a6', basic: '#4285f4', premium: '#f4b400', enterprise: '#0f9d58' };
const fmt = (n) => Number(n.toFixed(2)).toString();

/**
 * The chart as an SVG string.
 * @param core the core package's exports (loadFactor, floorForBoost, TIERS, DEFAULT_TIER_QUOTAS)
 */
export function renderLoadChart(core, { threshold = 0.8, minFactor = 0.1, floor = 0.05 } = {}) {
  const { loadFactor, floorForBoost, TIERS, DEFAULT_TIER_QUOTAS } = core;
  const floorOf = floorForBoost(Object.fromEntries(TIERS.map((t) => [t, floor])), DEFAULT_TIER_QUOTAS);
  const x = (load) => M.left + load * (W - M.left - M.right);
  const y = (factor) => H - M.bottom - factor * (H - M.top - M.bottom);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>Load factor by tier against load</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="20" font-size="14" font-weight="bold">Load factor by tier (threshold ${threshold}, minFactor ${minFactor}, floor ${floor})</text>`,
  ];
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    out.push(`<line x1="${x(0)}" y1="${fmt(y(v))}" x2="${x(1)}" y2="${fmt(y(v))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 8}" y="${fmt(y(v) + 4)}" text-anchor="end">${v}</text>`);
    out.push(`<text x="${fmt(x(v))}" y="${H - M.bottom + 18}" text-anchor="middle">${v}</text>`);
  }
  out.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(0)}" stroke="#333"/>`);
  out.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(1)}" stroke="#333"/>`);
  out.push(`<line x1="${fmt(x(threshold))}" y1="${y(0)}" x2="${fmt(x(threshold))}" y2="${y(1)}" stroke="#c00" stroke-dasharray="4 4"/>`);
  out.push(`<text x="${fmt(x(threshold) - 4)}" y="${y(1) - 6}" text-anchor="end" fill="#c00">threshold</text>`);
  out.push(`<text x="${fmt((x(0) + x(1)) / 2)}" y="${H - 14}" text-anchor="middle">load (smoothed signal, 0 idle … 1 saturated)</text>`);
  out.push(
    `<text x="16" y="${fmt((y(0) + y(1)) / 2)}" text-anchor="middle" transform="rotate(-90 16 ${fmt((y(0) + y(1)) / 2)})">factor on rate, burst and concurrency</text>`,
  );
  TIERS.forEach((tier, i) => {
    const boost = DEFAULT_TIER_QUOTAS[tier].priorityBoost;
    const points = [];
    for (let s = 0; s <= 200; s++) {
      const load = s / 200;
      points.push(`${fmt(x(load))},${fmt(y(loadFactor(load, threshold, minFactor, boost, floorOf(boost))))}`);
    }
    out.push(`<polyline fill="none" stroke="${COLORS[tier]}" stroke-width="2" points="${points.join(' ')}"/>`);
    const ly = M.top + 20 + i * 20;
    out.push(`<line x1="${W - M.right + 14}" y1="${ly - 4}" x2="${W - M.right + 34}" y2="${ly - 4}" stroke="${COLORS[tier]}" stroke-width="2"/>`);
    const atFull = loadFactor(1, threshold, minFactor, boost, floorOf(boost));
    out.push(`<text x="${W - M.right + 40}" y="${ly}">${tier} (boost ${boost}): ${fmt(atFull)}</text>`);
  });
  out.push(`<text x="${W - M.right + 14}" y="${M.top + 110}" fill="#555">factor at load 1</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const core = await import('../packages/core/dist/index.js');
  const target = new URL('../docs/load-shedding.svg', import.meta.url);
  writeFileSync(target, renderLoadChart(core));
  console.log(`wrote ${fileURLToPath(target)}`);
}
