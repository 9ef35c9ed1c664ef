// Reads a timeline SVG back into times and values, using only what the picture itself shows
// (the tick labels of the time axis, a panel's grid lines), so a mark drawn at the wrong place fails.
import { expect } from 'vitest';
import { allElements, type XmlElement } from './xml.js';

export interface PanelView {
  limit: number | undefined;
  valueOf: (y: number) => number;
  series: Map<string, string>;
  msOf: (x: number) => number;
}

const linear = (x0: number, y0: number, x1: number, y1: number) => (x: number) => y0 + ((x - x0) * (y1 - y0)) / (x1 - x0);
const byClass = (root: XmlElement, cls: string) => allElements(root).filter((e) => e.attrs.class?.split(' ').includes(cls));

export function checkTimeline(root: XmlElement) {
  const ticks = byClass(root, 'tick').map((t) => ({ ms: Number(t.attrs['data-ms']), x: Number(t.attrs.x) }));
  expect(ticks.length).toBeGreaterThanOrEqual(3);
  const first = ticks[0]!;
  const last = ticks.at(-1)!;
  const xOf = linear(first.ms, first.x, last.ms, last.x);
  const msOf = linear(first.x, first.ms, last.x, last.ms);
  for (const t of ticks) expect(Math.abs(t.x - xOf(t.ms))).toBeLessThanOrEqual(0.15);
  expect(ticks.map((t) => t.ms)).toEqual([...ticks.map((t) => t.ms)].sort((a, b) => a - b));

  const admissions = byClass(root, 'admission').map((c) => ({
    id: c.attrs['data-id']!,
    at: Number(c.attrs['data-at']),
    cx: Number(c.attrs.cx),
    cy: Number(c.attrs.cy),
  }));
  for (const a of admissions) expect(Math.abs(a.cx - xOf(a.at)), `admission ${a.id} at ${a.at} ms`).toBeLessThanOrEqual(0.15);
  // One lane each, top to bottom.
  for (let i = 1; i < admissions.length; i++) expect(admissions[i]!.cy).toBeGreaterThan(admissions[i - 1]!.cy);

  const panel = (title: string): PanelView => {
    const g = allElements(root).find((e) => e.name === 'g' && e.attrs.class === 'panel' && e.attrs['data-title'] === title);
    expect(g, `panel ${title}`).toBeDefined();
    const grid = byClass(g!, 'gridline').map((l) => ({ v: Number(l.attrs['data-value']), y: Number(l.attrs.y1) }));
    expect(grid.length).toBeGreaterThanOrEqual(2);
    const lo = grid[0]!;
    const hi = grid.at(-1)!;
    const valueOf = linear(lo.y, lo.v, hi.y, hi.v);
    const limitLine = byClass(g!, 'limit')[0];
    let limit: number | undefined;
    if (limitLine) {
      limit = Number(limitLine.attrs['data-value']);
      expect(Math.abs(valueOf(Number(limitLine.attrs.y1)) - limit)).toBeLessThan(0.01);
    }
    const series = new Map(byClass(g!, 'series').map((p) => [p.attrs['data-name']!, p.attrs.d!]));
    return { limit, valueOf, series, msOf };
  };
  return { admissions, panel, xOf };
}

/** A step path read back as [ms, value] at its start and at each change (ms to 10 ms, values to 0.1: coordinates are written to 0.1 px). */
export function stepValues(view: PanelView, name: string): [number, number][] {
  const d = view.series.get(name);
  expect(d, `series ${name}`).toBeDefined();
  const commands = [...d!.matchAll(/([MHV])([^MHV]+)/g)];
  const ms = (x: number) => Math.round(view.msOf(x) / 10) * 10;
  const value = (y: number) => Math.round(view.valueOf(y) * 10) / 10;
  const [x0, y0] = commands[0]![2]!.trim().split(/\s+/).map(Number);
  let at = ms(x0!);
  const out: [number, number][] = [[at, value(y0!)]];
  for (const [, cmd, arg] of commands.slice(1)) {
    if (cmd === 'H') at = ms(Number(arg));
    else out.push([at, value(Number(arg))]);
  }
  return out;
}
