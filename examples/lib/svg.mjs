// A small SVG writer for run timelines: no dependency, deterministic output (same run, same bytes),
// so the picture in the README can be regenerated and diffed.

/** Escapes text and attribute values for XML. */
export function escapeXml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Numbers with at most one decimal: coordinates stay short and stable across platforms. */
const num = (n) => String(Math.round(n * 10) / 10);

/**
 * One element as a string. `attrs` values that are `undefined` are left out; numbers are rounded;
 * `children` are strings already rendered by `el` or `text`.
 */
export function el(name, attrs = {}, ...children) {
  let out = `<${name}`;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    out += ` ${key}="${typeof value === 'number' ? num(value) : escapeXml(value)}"`;
  }
  return children.length === 0 ? `${out}/>` : `${out}>${children.join('')}</${name}>`;
}

/** Text content, escaped. */
export const text = (value) => escapeXml(value);

/** A step series [[t, v], ...] as path commands, held at its last value until `endT`. */
function stepPath(points, x, y, endT) {
  // Several points at one instant (a refund and the admissions it allows) draw as their last value:
  // a spike of zero width would read as a state the limiter was in. Points that change nothing go.
  const steps = points
    .filter((p, i) => i + 1 === points.length || points[i + 1][0] !== p[0])
    .filter((p, i, kept) => i === 0 || p[1] !== kept[i - 1][1]);
  if (steps.length === 0) return '';
  let d = `M${num(x(steps[0][0]))} ${num(y(steps[0][1]))}`;
  for (let i = 1; i < steps.length; i++) d += `H${num(x(steps[i][0]))}V${num(y(steps[i][1]))}`;
  return `${d}H${num(x(endT))}`;
}

/** A tick step from 1, 2, 5 × 10^k giving about `count` ticks over `span`. */
function niceStep(span, count) {
  const raw = span / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
}

const COLORS = { waiting: '#f2c46d', working: '#2f7ed8', refunding: '#a9c9ee' };
const LABELS = { waiting: 'queued', working: 'working', refunding: 'credits out, coming back' };

/**
 * The picture of one run: a lane per waiter (queued, working, credits coming back, and its
 * admission mark), then panels of step series against their limit line, over one time axis.
 *
 * run = {
 *   title, subtitle?, endMs,
 *   lanes: [{ id?, label, admittedAt?, segments: [{ from, to, kind: 'waiting' | 'working' | 'refunding' }] }],
 *   panels: [{ title, max, height?, series: [{ name, points: [[ms, value], ...], fill?, color? }], limit?: { value, label } }],
 * }
 *
 * Marks a test can find: `g.lanes`, `g.panel[data-title]`, `.limit` (a panel's limit line),
 * `.series` paths with `data-name`, `.gridline` with `data-value` (a panel's 0, half and max),
 * `.admission` circles with `data-id` and `data-at` (one per lane with `admittedAt`), `.tick`
 * time-axis labels with `data-ms`.
 */
export function timelineSvg(run, { width = 860 } = {}) {
  const left = 150;
  const right = 24;
  const plotWidth = width - left - right;
  const x = (ms) => left + (ms / run.endMs) * plotWidth;
  const head = [];
  const body = [];
  let top = 16;

  head.push(el('text', { x: 16, y: top + 14, class: 'title', 'font-size': 16, 'font-weight': 'bold' }, text(run.title)));
  top += 22;
  if (run.subtitle) {
    head.push(el('text', { x: 16, y: top + 12, fill: '#555' }, text(run.subtitle)));
    top += 18;
  }

  if (run.lanes.length > 0) {
    let lx = left;
    const legend = [];
    for (const kind of ['waiting', 'working', 'refunding']) {
      legend.push(el('rect', { x: lx, y: top + 4, width: 14, height: 10, fill: COLORS[kind] }));
      legend.push(el('text', { x: lx + 19, y: top + 13 }, text(LABELS[kind])));
      lx += 40 + LABELS[kind].length * 6.5;
    }
    legend.push(el('circle', { cx: lx + 6, cy: top + 9, r: 4, fill: '#111' }));
    legend.push(el('text', { x: lx + 15, y: top + 13 }, text('admitted')));
    head.push(el('g', { class: 'legend' }, ...legend));
    top += 24;
  }
  const plotTop = top;

  if (run.lanes.length > 0) {
    const laneHeight = 22;
    const lanes = [];
    for (const [i, lane] of run.lanes.entries()) {
      const y0 = top + i * laneHeight;
      lanes.push(el('text', { x: left - 8, y: y0 + 15, 'text-anchor': 'end' }, text(lane.label)));
      for (const s of lane.segments) {
        if (!(s.to > s.from)) continue;
        lanes.push(el('rect', { x: x(s.from), y: y0 + 4, width: x(s.to) - x(s.from), height: laneHeight - 8, fill: COLORS[s.kind], class: `segment ${s.kind}` }));
      }
      if (lane.admittedAt !== undefined) {
        lanes.push(el('circle', { cx: x(lane.admittedAt), cy: y0 + laneHeight / 2, r: 4, fill: '#111', class: 'admission', 'data-id': lane.id ?? i + 1, 'data-at': lane.admittedAt }));
      }
    }
    body.push(el('g', { class: 'lanes' }, ...lanes));
    top += run.lanes.length * laneHeight + 14;
  }

  for (const panel of run.panels) {
    const height = panel.height ?? 120;
    const y = (v) => top + 18 + (1 - v / panel.max) * (height - 18);
    const marks = [el('text', { x: 16, y: top + 18 + (height - 18) / 2 + 4, 'font-weight': 'bold' }, text(panel.title))];
    for (const v of [0, panel.max / 2, panel.max]) {
      marks.push(el('line', { x1: left, x2: left + plotWidth, y1: y(v), y2: y(v), stroke: '#e3e3e3', class: 'gridline', 'data-value': v }));
      marks.push(el('text', { x: left - 8, y: y(v) + 4, 'text-anchor': 'end', fill: '#555' }, text(formatValue(v))));
    }
    for (const series of panel.series) {
      const d = stepPath(series.points, x, y, run.endMs);
      if (series.fill) marks.push(el('path', { d: `${d}V${num(y(0))}H${num(x(series.points[0][0]))}Z`, fill: series.fill, stroke: 'none' }));
      marks.push(el('path', { d, fill: 'none', stroke: series.color ?? '#2f7ed8', 'stroke-width': 2, class: 'series', 'data-name': series.name }));
    }
    if (panel.limit) {
      const ly = y(panel.limit.value);
      marks.push(el('line', { x1: left, x2: left + plotWidth, y1: ly, y2: ly, stroke: '#d62728', 'stroke-width': 1.5, 'stroke-dasharray': '6 4', class: 'limit', 'data-value': panel.limit.value }));
      marks.push(el('text', { x: left + plotWidth - 4, y: ly - 5, 'text-anchor': 'end', fill: '#d62728' }, text(panel.limit.label)));
    }
    body.push(el('g', { class: 'panel', 'data-title': panel.title }, ...marks));
    top += height + 14;
  }

  // The time axis, with a faint line at each tick through the lanes and panels (drawn first, under the marks).
  const grid = [];
  const axis = [el('line', { x1: left, x2: left + plotWidth, y1: top, y2: top, stroke: '#333' })];
  const step = niceStep(run.endMs, 10);
  for (let i = 0, ms = 0; ms <= run.endMs; ms = ++i * step) {
    grid.push(el('line', { x1: x(ms), x2: x(ms), y1: plotTop, y2: top, stroke: '#f0f0f0' }));
    axis.push(el('line', { x1: x(ms), x2: x(ms), y1: top, y2: top + 5, stroke: '#333' }));
    axis.push(el('text', { x: x(ms), y: top + 18, 'text-anchor': 'middle', class: 'tick', 'data-ms': ms }, text(`${formatValue(ms / 1000)} s`)));
  }
  top += 28;

  const svgAttrs = {
    xmlns: 'http://www.w3.org/2000/svg',
    width,
    height: top,
    viewBox: `0 0 ${width} ${num(top)}`,
    'font-family': 'system-ui, -apple-system, Segoe UI, sans-serif',
    'font-size': 12,
  };
  const children = [el('rect', { width: '100%', height: '100%', fill: '#fff' }), ...head, el('g', { class: 'grid' }, ...grid), ...body, el('g', { class: 'axis' }, ...axis)];
  // One top-level element per line keeps diffs of the checked-in picture readable.
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el('svg', svgAttrs, ...children.map((c) => `\n${c}`), '\n')}\n`;
}

const formatValue = (v) => String(Math.round(v * 100) / 100);
