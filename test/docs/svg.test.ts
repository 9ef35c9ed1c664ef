import { describe, expect, it } from 'vitest';
import { el, escapeXml, timelineSvg, type Run } from '../../examples/lib/svg.mjs';
import { allElements, parseXml, type XmlElement } from '../support/xml.js';
import { checkTimeline, stepValues } from '../support/timeline-checks.js';

describe('the XML checker itself', () => {
  it.each([
    ['<a><b></a></b>', /closes/],
    ['<a>', /never closed/],
    ['<a x="1" x="2"/>', /duplicate attribute/],
    ['<a>1 < 2</a>', /expected a name/],
    ['<a x="1 < 2"/>', /raw </],
    ['<a>fish & chips</a>', /stray &/],
    ['<a x=1/>', /expected ="/],
    ['<a/><b/>', /second root/],
    ['<a x="1"y="2"/>', /space before an attribute/],
  ])('rejects %s', (source, why) => {
    expect(() => parseXml(source)).toThrow(why);
  });

  it('reads nested elements, attributes and entities', () => {
    const root = parseXml('<?xml version="1.0"?>\n<a k="&lt;&#39;">x &amp; <b/>y</a>');
    expect(root).toEqual({ name: 'a', attrs: { k: "<'" }, text: 'x & y', children: [{ name: 'b', attrs: {}, children: [], text: '' }] });
  });
});

describe('el', () => {
  it('escapes text and attribute values so they read back unchanged', () => {
    const nasty = `<script>"a" & 'b'</script>`;
    const root = parseXml(el('text', { 'data-x': nasty, skipped: undefined, n: 1.26 }, escapeXml(nasty)));
    expect(root.text).toBe(nasty);
    expect(root.attrs).toEqual({ 'data-x': nasty, n: '1.3' });
  });

  it('self-closes an element without children', () => {
    expect(el('line', { x1: 0 })).toBe('<line x1="0"/>');
  });
});

describe('timelineSvg', () => {
  const run: Run = {
    title: 'two waiters & a <limit>',
    endMs: 20_000,
    lanes: [
      { id: 'a', label: 'a', admittedAt: 0, segments: [{ from: 0, to: 0, kind: 'waiting' }, { from: 0, to: 4_000, kind: 'working' }, { from: 4_000, to: 9_000, kind: 'refunding' }] },
      { id: 'b', label: 'b', admittedAt: 9_000, segments: [{ from: 0, to: 9_000, kind: 'waiting' }, { from: 9_000, to: 12_000, kind: 'working' }] },
    ],
    panels: [
      {
        title: 'credits out',
        max: 10,
        limit: { value: 10, label: 'capacity 10' },
        series: [{ name: 'credits-out', points: [[0, 0], [0, 6], [9_000, 0], [9_000, 10], [17_000, 0]], fill: '#eee' }],
      },
    ],
  };
  const svg = timelineSvg(run);
  const root = parseXml(svg);

  it('is one well-formed <svg> whose size matches its viewBox', () => {
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs.viewBox).toBe(`0 0 ${root.attrs.width} ${root.attrs.height}`);
    expect(allElements(root).find((e) => e.attrs.class === 'title')!.text).toBe('two waiters & a <limit>');
  });

  it('puts each admission mark on the time axis at its instant, in its own lane', () => {
    const { admissions } = checkTimeline(root);
    expect(admissions.map((a) => [a.id, a.at])).toEqual([['a', 0], ['b', 9_000]]);
  });

  it('draws the limit line and the series as steps, same-instant points as their last value', () => {
    const { panel } = checkTimeline(root);
    const credits = panel('credits out');
    expect(credits.limit).toBe(10);
    expect(stepValues(credits, 'credits-out')).toEqual([
      [0, 6],
      [9_000, 10],
      [17_000, 0],
    ]);
  });

  it('writes the same bytes for the same run', () => {
    expect(timelineSvg(run)).toBe(svg);
  });

  it('leaves out zero-length segments', () => {
    const rects = allElements(root).filter((e: XmlElement) => e.attrs.class?.startsWith('segment'));
    expect(rects.map((r) => r.attrs.class)).toEqual(['segment working', 'segment refunding', 'segment waiting', 'segment working']);
  });
});
