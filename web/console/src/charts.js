// Hand-written SVG bar charts with axis labels, plus the same figures as a table for screen
// readers and for anyone who wants the numbers. Colours come from CSS classes.
import { h, s, uid } from './dom.js';

function niceStep(max, ticks) {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  return step * mag;
}

// barChart({title, description, categories: [label], series: [{name, values: [number], cls}],
//           axisFormat: v => text, valueFormat: (v, i, series) => text, categoryHeader})
export function barChart(opts) {
  const { title, categories, series, axisFormat, valueFormat } = opts;
  // Drawn at about the size it is shown, so that its text stays legible (it still scales).
  const W = Math.max(300, Math.min(760, Math.round(opts.width || 640)));
  const H = W < 420 ? 200 : 240;
  const m = { top: 12, right: 8, bottom: opts.xTitle ? 44 : 30, left: 58 };
  const iw = W - m.left - m.right;
  const ih = H - m.top - m.bottom;
  const all = series.flatMap((se) => se.values.map(Number));
  const maxV = Math.max(0, ...all);
  const minV = Math.min(0, ...all);
  const span = maxV - minV || 1;
  const step = niceStep(span, 4);
  const top = Math.ceil(maxV / step) * step || step;
  const bottom = Math.floor(minV / step) * step;
  const y = (v) => m.top + ih - ((v - bottom) / (top - bottom)) * ih;
  const band = iw / Math.max(1, categories.length);
  const groupW = band * 0.72;
  const barW = groupW / series.length;

  const grid = [];
  for (let v = bottom; v <= top + step / 2; v += step) {
    const yy = y(v);
    grid.push(s('line', { x1: m.left, x2: W - m.right, y1: yy, y2: yy, class: v === 0 ? 'axis-line' : 'grid-line' }));
    grid.push(s('text', { x: m.left - 8, y: yy + 4, 'text-anchor': 'end', class: 'axis-label' }, axisFormat(v)));
  }
  const labelEvery = Math.ceil(categories.length / Math.max(1, Math.floor(iw / 46)));
  const bars = [];
  const xLabels = [];
  categories.forEach((cat, i) => {
    const x0 = m.left + band * i + (band - groupW) / 2;
    series.forEach((se, j) => {
      const v = Number(se.values[i]) || 0;
      const y0 = y(Math.max(0, v));
      const hgt = Math.max(v === 0 ? 0 : 1, Math.abs(y(v) - y(0)));
      bars.push(s('rect', { x: (x0 + j * barW).toFixed(1), y: y0.toFixed(1), width: Math.max(1, barW - 2).toFixed(1), height: hgt.toFixed(1), class: `bar ${se.cls || `bar-s${j}`}`, rx: 2 },
        s('title', null, `${se.name}, ${cat}: ${valueFormat(v, i, se)}`)));
    });
    if ((categories.length - 1 - i) % labelEvery === 0) {
      xLabels.push(s('text', { x: (m.left + band * i + band / 2).toFixed(1), y: H - m.bottom + 18, 'text-anchor': 'middle', class: 'axis-label' }, opts.shortLabels ? opts.shortLabels[i] : cat));
    }
  });
  if (opts.xTitle) xLabels.push(s('text', { x: (m.left + iw / 2).toFixed(1), y: H - 6, 'text-anchor': 'middle', class: 'axis-title' }, opts.xTitle));
  const titleId = uid('chart');
  const descId = uid('chartdesc');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${titleId} ${descId}`, preserveAspectRatio: 'xMidYMid meet' },
    s('title', { id: titleId }, title),
    s('desc', { id: descId }, opts.description || `Bar chart; the same figures are in the table below.`),
    grid, bars, xLabels);

  const legend = series.length > 1 ? h('ul', { class: 'legend', 'aria-hidden': 'true' },
    series.map((se, j) => h('li', null, h('span', { class: `swatch ${se.cls || `bar-s${j}`}` }), se.name))) : null;

  const dataTable = h('details', { class: 'chart-table' },
    h('summary', null, 'Show as table'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
      h('caption', { class: 'sr-only' }, title),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, opts.categoryHeader || ''), series.map((se) => h('th', { scope: 'col', class: 'num' }, se.name)))),
      h('tbody', null, categories.map((cat, i) => h('tr', null, h('th', { scope: 'row' }, cat),
        series.map((se) => h('td', { class: 'num' }, valueFormat(se.values[i], i, se)))))))));

  return h('figure', { class: 'chart-figure' }, opts.caption ? h('figcaption', { class: 'chart-caption' }, opts.caption) : null, svg, legend, dataTable);
}
