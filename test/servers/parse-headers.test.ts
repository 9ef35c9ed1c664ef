import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRateLimitHeaders, readServerReport, type ServerReport } from '../../src/server-report.js';

// Every wall-clock reading in these tests is this instant: Wed, 21 Oct 2026 07:28:00.250 GMT.
const NOW = Date.UTC(2026, 9, 21, 7, 28, 0, 250);
const NOW_S = Math.floor(NOW / 1000);

let fake: ReturnType<typeof FakeTimers.install>;
beforeEach(() => {
  fake = FakeTimers.install({ now: NOW, toFake: ['Date'] });
});
afterEach(() => fake.uninstall());

const parse = (headers: Record<string, unknown>): ServerReport => parseRateLimitHeaders(headers);

/** No field of a report is ever NaN, negative or infinite. */
function expectSane(report: ServerReport): void {
  for (const value of Object.values(report)) {
    expect(typeof value).toBe('number');
    expect(Number.isFinite(value) && value >= 0).toBe(true);
  }
}

describe('Retry-After', () => {
  it('delta seconds become milliseconds', () => {
    expect(parse({ 'retry-after': '120' })).toStrictEqual({ retryAfterMs: 120_000 });
    expect(parse({ 'retry-after': '0' })).toStrictEqual({ retryAfterMs: 0 });
    expect(parse({ 'retry-after': ' 7 ' })).toStrictEqual({ retryAfterMs: 7_000 });
  });

  it('tolerates fractions, computed from the digits and rounded up to whole ms', () => {
    expect(parse({ 'retry-after': '1.5' })).toStrictEqual({ retryAfterMs: 1_500 });
    expect(parse({ 'retry-after': '0.734' })).toStrictEqual({ retryAfterMs: 734 });
    expect(parse({ 'retry-after': '0.0001' })).toStrictEqual({ retryAfterMs: 1 });
    expect(parse({ 'retry-after': '2.' })).toStrictEqual({ retryAfterMs: 2_000 });
  });

  it('a negative delay counts as 0', () => {
    expect(parse({ 'retry-after': '-5' })).toStrictEqual({ retryAfterMs: 0 });
  });

  it('an IMF-fixdate is the time from now until then', () => {
    expect(parse({ 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT' })).toStrictEqual({ retryAfterMs: 29_750 });
    expect(parse({ 'retry-after': 'wed, 21 oct 2026 07:29:00 gmt' })).toStrictEqual({ retryAfterMs: 59_750 });
    expect(parse({ 'retry-after': 'Thu, 1 Jan 2027 00:00:00 GMT' })).toStrictEqual({ retryAfterMs: Date.UTC(2027, 0, 1) - NOW });
  });

  it('the obsolete RFC 850 and asctime forms are read too, asctime as GMT', () => {
    expect(parse({ 'retry-after': 'Wednesday, 21-Oct-26 07:28:10 GMT' })).toStrictEqual({ retryAfterMs: 9_750 });
    expect(parse({ 'retry-after': 'Wed Oct 21 07:28:10 2026' })).toStrictEqual({ retryAfterMs: 9_750 });
    expect(parse({ 'retry-after': 'Sun Nov  6 08:49:37 2026' })).toStrictEqual({ retryAfterMs: Date.UTC(2026, 10, 6, 8, 49, 37) - NOW });
  });

  it('RFC 850 two-digit years more than 50 years ahead are in the past century', () => {
    // 2094 would be 68 years ahead: it means 1994, long past.
    expect(parse({ 'retry-after': 'Sunday, 06-Nov-94 08:49:37 GMT' })).toStrictEqual({ retryAfterMs: 0 });
    expect(parse({ 'retry-after': 'Monday, 06-Nov-70 08:49:37 GMT' })).toStrictEqual({ retryAfterMs: Date.UTC(2070, 10, 6, 8, 49, 37) - NOW });
  });

  it('surrounding spaces, the last minute and second of a day, and a leap second are read', () => {
    expect(parse({ 'retry-after': '  Wed, 21 Oct 2026 07:28:30 GMT ' })).toStrictEqual({ retryAfterMs: 29_750 });
    expect(parse({ 'retry-after': 'Wed, 21 Oct 2026 23:59:59 GMT' })).toStrictEqual({ retryAfterMs: Date.UTC(2026, 9, 21, 23, 59, 59) - NOW });
    expect(parse({ 'retry-after': 'Wed, 21 Oct 2026 07:59:00 GMT' })).toStrictEqual({ retryAfterMs: Date.UTC(2026, 9, 21, 7, 59) - NOW });
    expect(parse({ 'retry-after': 'Wed, 21 Oct 2026 07:29:60 GMT' })).toStrictEqual({ retryAfterMs: Date.UTC(2026, 9, 21, 7, 29, 59) - NOW });
  });

  it('RFC 850: a year exactly 50 years ahead stays in this century', () => {
    expect(parse({ 'retry-after': 'Wednesday, 21-Oct-76 07:28:00 GMT' })).toStrictEqual({ retryAfterMs: Date.UTC(2076, 9, 21, 7, 28) - NOW });
  });

  it('a date in the past is 0, never negative', () => {
    expect(parse({ 'retry-after': 'Wed, 21 Oct 2026 07:27:00 GMT' })).toStrictEqual({ retryAfterMs: 0 });
    expect(parse({ 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' })).toStrictEqual({ retryAfterMs: 0 });
  });

  it('reads the wall clock once per call, and only for a date', () => {
    let reads = 0;
    const realNow = Date.now;
    Date.now = () => (reads++, realNow());
    try {
      parse({ 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT', 'x-ratelimit-reset': String(NOW_S + 60), 'x-ratelimit-remaining': '1' });
      expect(reads).toBe(1);
      reads = 0;
      parse({ 'retry-after': '30', 'x-ratelimit-reset': '60', 'x-ratelimit-remaining': '1' });
      expect(reads).toBe(0);
    } finally {
      Date.now = realNow;
    }
  });

  it('follows the wall clock it reads (a faked Date)', () => {
    const header = { 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT' };
    expect(parse(header)).toStrictEqual({ retryAfterMs: 29_750 });
    fake.tick(10_000);
    expect(parse(header)).toStrictEqual({ retryAfterMs: 19_750 });
    fake.setSystemTime(NOW + 60_000);
    expect(parse(header)).toStrictEqual({ retryAfterMs: 0 });
  });

  it('a field repeated and joined with commas gives its first member', () => {
    expect(parse({ 'retry-after': '30, 60' })).toStrictEqual({ retryAfterMs: 30_000 });
    expect(parse({ 'retry-after': '30 , 60' })).toStrictEqual({ retryAfterMs: 30_000 });
    expect(parse({ 'x-ratelimit-remaining': '4 ,9' })).toStrictEqual({ remaining: 4 });
    expect(parse({ 'retry-after': ['45', '90'] })).toStrictEqual({ retryAfterMs: 45_000 });
  });

  it.each([
    'soon', '', '   ', '1e3', '0x10', 'Infinity', 'NaN', '12abc', '1 2', '+', '.5',
    'Wed, 31 Feb 2026 07:28:00 GMT', 'Wed, 21 Foo 2026 07:28:00 GMT', 'Wed, 21 Oct 2026 25:00:00 GMT',
    'Wed, 21 Oct 2026 24:00:00 GMT', 'Wed, 00 Oct 2026 07:28:00 GMT', 'Wed, 21 Oct 2026 07:60:00 GMT', 'Wed, 21 Oct 2026 07:28:61 GMT',
    'Wed, 21 Oct 2026 07:28:00 PST', '2026-10-21T07:28:30Z', '1'.repeat(400),
  ])('ignores %j', (value) => {
    expect(parse({ 'retry-after': value })).toStrictEqual({});
  });
});

describe('IETF RateLimit, structured (draft 08 on)', () => {
  it('r is remaining, t the reset in seconds', () => {
    expect(parse({ ratelimit: '"default";r=50;t=30' })).toStrictEqual({ remaining: 50, resetInMs: 30_000 });
    expect(parse({ RateLimit: '"default";r=0;t=1', 'RateLimit-Policy': '"default";q=10;w=1' })).toStrictEqual({ remaining: 0, resetInMs: 1_000 });
  });

  it('with several policies, the one with the least remaining (then the later reset)', () => {
    expect(parse({ ratelimit: '"hour";r=100;t=3000, "second";r=2;t=1' })).toStrictEqual({ remaining: 2, resetInMs: 1_000 });
    expect(parse({ ratelimit: '"second";r=2;t=1, "hour";r=100;t=3000' })).toStrictEqual({ remaining: 2, resetInMs: 1_000 });
    expect(parse({ ratelimit: '"a";r=5;t=1, "b";r=5;t=9' })).toStrictEqual({ remaining: 5, resetInMs: 9_000 });
    expect(parse({ ratelimit: '"a";r=5;t=9, "b";r=5;t=1' })).toStrictEqual({ remaining: 5, resetInMs: 9_000 });
    expect(parse({ ratelimit: '"a";r=5, "b";r=5;t=3' })).toStrictEqual({ remaining: 5, resetInMs: 3_000 });
    expect(parse({ ratelimit: '"a";r=5;t=3, "b";r=5' })).toStrictEqual({ remaining: 5, resetInMs: 3_000 });
  });

  it('reads tokens as names, spaces, a partition key, and parameters in any order', () => {
    expect(parse({ ratelimit: 'default; pk=:dXNlcjEyMw==:; t=10; r=3' })).toStrictEqual({ remaining: 3, resetInMs: 10_000 });
    expect(parse({ ratelimit: '"a,b;c";r=4;t=2' })).toStrictEqual({ remaining: 4, resetInMs: 2_000 });
    expect(parse({ ratelimit: '"a,r=0";r=4;t=2' })).toStrictEqual({ remaining: 4, resetInMs: 2_000 });
    expect(parse({ ratelimit: '"x\\";r=0;t=9";r=4;t=2' })).toStrictEqual({ remaining: 4, resetInMs: 2_000 });
    expect(parse({ ratelimit: '"x";r=5;t=1, "a=b";r=2;t=1, "y";r=9;t=1' })).toStrictEqual({ remaining: 2, resetInMs: 1_000 });
    expect(parse({ ratelimit: '"default";r=3;t=10;pk=:abc:' })).toStrictEqual({ remaining: 3, resetInMs: 10_000 });
    expect(parse({ ratelimit: '"default"; r = 3 ; t = 10' })).toStrictEqual({ remaining: 3, resetInMs: 10_000 });
  });

  it('without t, only remaining; a policy without r is skipped', () => {
    expect(parse({ ratelimit: '"default";r=7' })).toStrictEqual({ remaining: 7 });
    expect(parse({ ratelimit: '"default";t=30' })).toStrictEqual({});
    expect(parse({ ratelimit: '"x";t=30, "y";r=1;t=2' })).toStrictEqual({ remaining: 1, resetInMs: 2_000 });
  });

  it('a value that does not parse leaves its field out', () => {
    expect(parse({ ratelimit: '"default";r=lots;t=30' })).toStrictEqual({});
    expect(parse({ ratelimit: '"default";r=3;t=later' })).toStrictEqual({ remaining: 3 });
    expect(parse({ ratelimit: '"default";r=-3;t=-1' })).toStrictEqual({ remaining: 0, resetInMs: 0 });
  });

  it('RateLimit-Policy alone is informational', () => {
    expect(parse({ 'ratelimit-policy': '"burst";q=100;w=60' })).toStrictEqual({});
  });
});

describe('IETF RateLimit, older drafts', () => {
  it('the dictionary form of draft 07', () => {
    expect(parse({ ratelimit: 'limit=100, remaining=50, reset=30' })).toStrictEqual({ remaining: 50, resetInMs: 30_000 });
    expect(parse({ ratelimit: 'remaining=0, reset=2.5' })).toStrictEqual({ remaining: 0, resetInMs: 2_500 });
    expect(parse({ ratelimit: 'limit=100, remaining=x, reset=30' })).toStrictEqual({ resetInMs: 30_000 });
    expect(parse({ ratelimit: 'remaining=50, reset=30, limit=100' })).toStrictEqual({ remaining: 50, resetInMs: 30_000 });
    expect(parse({ ratelimit: 'remaining=5, remaining=x, reset=3, reset=y' })).toStrictEqual({ remaining: 5, resetInMs: 3_000 });
  });

  it('separate RateLimit-Remaining / RateLimit-Reset (drafts 00–06)', () => {
    expect(parse({ 'RateLimit-Limit': '10', 'RateLimit-Remaining': '4', 'RateLimit-Reset': '6' })).toStrictEqual({ remaining: 4, resetInMs: 6_000 });
    expect(parse({ 'ratelimit-reset': String(NOW_S + 5) })).toStrictEqual({ resetInMs: 4_750 });
  });

  it('the structured field wins over the separate ones, which win over X-RateLimit', () => {
    const all = {
      ratelimit: '"default";r=1;t=1',
      'ratelimit-remaining': '2',
      'ratelimit-reset': '2',
      'x-ratelimit-remaining': '3',
      'x-ratelimit-reset': '3',
    };
    expect(parse(all)).toStrictEqual({ remaining: 1, resetInMs: 1_000 });
    const { ratelimit: _, ...older } = all;
    expect(parse(older)).toStrictEqual({ remaining: 2, resetInMs: 2_000 });
    expect(parse({ ratelimit: 'garbage', 'x-ratelimit-remaining': '3' })).toStrictEqual({ remaining: 3 });
  });
});

describe('X-RateLimit-*', () => {
  it('a reset up to 1e9 is delta seconds', () => {
    expect(parse({ 'x-ratelimit-remaining': '9', 'x-ratelimit-reset': '60' })).toStrictEqual({ remaining: 9, resetInMs: 60_000 });
    expect(parse({ 'x-ratelimit-reset': '0.734' })).toStrictEqual({ resetInMs: 734 });
    expect(parse({ 'x-ratelimit-reset': '1000000000' })).toStrictEqual({ resetInMs: 1e12 });
  });

  it('a reset above 1e9 is Unix epoch seconds, as GitHub sends it (fractions as Discord does)', () => {
    expect(parse({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 30) })).toStrictEqual({ remaining: 0, resetInMs: 29_750 });
    expect(parse({ 'x-ratelimit-reset': `${NOW_S + 1}.5` })).toStrictEqual({ resetInMs: 1_250 });
    expect(parse({ 'x-ratelimit-reset': `${NOW_S}.2501` })).toStrictEqual({ resetInMs: 1 });
    expect(parse({ 'x-ratelimit-reset': '1000000001' })).toStrictEqual({ resetInMs: 0 });
  });

  it('a reset above 1e12 is Unix epoch milliseconds (read as seconds it would be the year 33658)', () => {
    const nowMs = NOW_S * 1_000 + 250;
    expect(parse({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowMs + 30_000) })).toStrictEqual({ remaining: 0, resetInMs: 30_000 });
    expect(parse({ 'ratelimit-remaining': '1', 'ratelimit-reset': `${nowMs + 1}.5` })).toStrictEqual({ remaining: 1, resetInMs: 2 });
    expect(parse({ 'x-ratelimit-reset': String(nowMs - 5_000) })).toStrictEqual({ resetInMs: 0 });
    expect(parse({ 'x-ratelimit-reset': '1000000000000' })).toStrictEqual({ resetInMs: 1e15 - NOW }); // 1e12 itself is still seconds (33658 AD)
    expect(parse({ 'x-ratelimit-reset': '1000000000001' })).toStrictEqual({ resetInMs: 0 });
  });

  it('an epoch in the past and negative numbers count as 0', () => {
    expect(parse({ 'x-ratelimit-reset': String(NOW_S - 100) })).toStrictEqual({ resetInMs: 0 });
    expect(parse({ 'x-ratelimit-remaining': '-1', 'x-ratelimit-reset': '-4' })).toStrictEqual({ remaining: 0, resetInMs: 0 });
  });

  it('fractional remaining is kept (costs may be fractional)', () => {
    expect(parse({ 'x-ratelimit-remaining': '2.5' })).toStrictEqual({ remaining: 2.5 });
  });

  it.each(['', 'many', '1e3', 'NaN', '-', '5 requests', '0x1f'])('ignores %j', (value) => {
    expect(parse({ 'x-ratelimit-remaining': value, 'x-ratelimit-reset': value })).toStrictEqual({});
  });
});

describe('containers', () => {
  const expected = { retryAfterMs: 2_000, remaining: 4, resetInMs: 3_000 };

  it('a fetch Headers', () => {
    const headers = new Headers({ 'Retry-After': '2', 'X-RateLimit-Remaining': '4', 'X-RateLimit-Reset': '3' });
    expect(parseRateLimitHeaders(headers)).toStrictEqual(expected);
  });

  it('a fetch Headers with a field appended twice (joined with a comma) gives the first', () => {
    const headers = new Headers();
    headers.append('x-ratelimit-remaining', '4');
    headers.append('x-ratelimit-remaining', '8');
    expect(parseRateLimitHeaders(headers)).toStrictEqual({ remaining: 4 });
  });

  it("Node's IncomingHttpHeaders: lower-case keys, string | string[] (the first element)", () => {
    const headers: import('node:http').IncomingHttpHeaders = {
      'retry-after': '2',
      'x-ratelimit-remaining': ['4', '9'],
      'x-ratelimit-reset': '3',
    };
    expect(parseRateLimitHeaders(headers)).toStrictEqual(expected);
  });

  it('a null-prototype object (as Node builds them)', () => {
    const headers = Object.assign(Object.create(null), { 'retry-after': '2', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': '3' });
    expect(parseRateLimitHeaders(headers)).toStrictEqual(expected);
  });

  it('a Map, keys in any case (other keys skipped)', () => {
    const headers = new Map<unknown, unknown>([[1, 'x'], ['Retry-After', '2'], ['x-ratelimit-REMAINING', '4'], ['X-RateLimit-Reset', ['3']]]);
    expect(parseRateLimitHeaders(headers)).toStrictEqual(expected);
  });

  it('names that differ only in case: the first one counts', () => {
    expect(parseRateLimitHeaders({ 'Retry-After': '1', 'retry-after': '2' })).toStrictEqual({ retryAfterMs: 1_000 });
    expect(parseRateLimitHeaders(new Map([['retry-after', '3'], ['RETRY-AFTER', '4']]))).toStrictEqual({ retryAfterMs: 3_000 });
  });

  it('a plain object, keys in any case, numbers as numbers', () => {
    expect(parseRateLimitHeaders({ 'RETRY-AFTER': 2, 'X-Ratelimit-Remaining': 4, 'x-ratelimit-reset': '3' })).toStrictEqual(expected);
  });

  it('anything with get(name) (axios AxiosHeaders style)', () => {
    const values: Record<string, string> = { 'retry-after': '2', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': '3' };
    const headers = { get: (name: string) => values[name.toLowerCase()] ?? null };
    expect(parseRateLimitHeaders(headers)).toStrictEqual(expected);
  });

  it('junk containers and junk values give an empty report, never a throw', () => {
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('no'); } });
    const throwingGet = { get: () => { throw new Error('no'); } };
    for (const headers of [undefined, null, 42, 'retry-after: 5', true, Symbol('h'), [], hostile, throwingGet, () => 1]) {
      expect(parseRateLimitHeaders(headers)).toStrictEqual({});
    }
    const values = [null, undefined, {}, [], [null], NaN, Infinity, -Infinity, Symbol('v'), 10n, true];
    for (const value of values) {
      const report = parseRateLimitHeaders({ 'retry-after': value, 'x-ratelimit-remaining': value, 'x-ratelimit-reset': value, ratelimit: value });
      expectSane(report);
      expect(report).toStrictEqual({});
    }
  });

  it('random junk never yields NaN, a negative or an infinite field', () => {
    const pieces = ['', '-', '1', '9'.repeat(30), '.', ',', ';', '=', '"', 'r', 't', 'GMT', ' ', 'e', 'Wed, 21 Oct 2026 ', '07:28:00'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % pieces.length;
    for (let i = 0; i < 2_000; i++) {
      const value = Array.from({ length: 1 + (i % 7) }, () => pieces[next()]).join('');
      expectSane(parse({ 'retry-after': value, ratelimit: value, 'x-ratelimit-remaining': value, 'x-ratelimit-reset': value }));
      expectSane(parse({ 'ratelimit-remaining': value, 'ratelimit-reset': value }));
    }
  });
});

describe('readServerReport', () => {
  it('a ServerReport is checked and copied, only the fields present', () => {
    const given = { remaining: 3, resetInMs: 500 };
    const report = readServerReport(given);
    expect(report).toStrictEqual({ remaining: 3, resetInMs: 500 });
    expect(report).not.toBe(given);
    expect(readServerReport({})).toStrictEqual({});
    expect(readServerReport({ retryAfterMs: undefined, remaining: 0 })).toStrictEqual({ remaining: 0 });
    expect(readServerReport({ retryAfterMs: Infinity })).toStrictEqual({ retryAfterMs: Infinity });
    expect(readServerReport({ remaining: 0.5, extra: 'ignored' })).toStrictEqual({ remaining: 0.5 });
  });

  it.each([
    [{ remaining: -1 }, RangeError, /report\.remaining .*-1/],
    [{ remaining: NaN }, RangeError, /report\.remaining .*NaN/],
    [{ remaining: Infinity }, RangeError, /report\.remaining .*Infinity/],
    [{ resetInMs: Infinity }, RangeError, /report\.resetInMs .*Infinity/],
    [{ resetInMs: '30' }, TypeError, /report\.resetInMs .*"30"/],
    [{ retryAfterMs: -5 }, RangeError, /report\.retryAfterMs .*-5/],
    [{ retryAfterMs: null }, TypeError, /report\.retryAfterMs .*null/],
  ])('%o throws', (input, type, message) => {
    expect(() => readServerReport(input)).toThrow(type);
    expect(() => readServerReport(input)).toThrow(message);
  });

  it('headers passed instead of a response or a report are a TypeError that says what to do', () => {
    expect(() => readServerReport(new Headers({ 'retry-after': '5' }))).toThrow(/parseRateLimitHeaders/);
    expect(() => readServerReport(new Map([['retry-after', '5']]))).toThrow(TypeError);
    expect(() => readServerReport({ 'Retry-After': '5', 'X-RateLimit-Remaining': '0' })).toThrow(/with keys Retry-After, X-RateLimit-Remaining$/);
    expect(() => readServerReport({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 })).toThrow(/keys a, b, c, d, e$/);
    // Half a response: without a status, or without headers, it is not one.
    expect(() => readServerReport({ headers: { 'retry-after': '5' } })).toThrow(/keys headers/);
    expect(() => readServerReport({ status: 429 })).toThrow(/keys status/);
  });

  it.each([
    [undefined, 'undefined'],
    [null, 'null'],
    [5, '5'],
    ['res', '"res"'],
  ])('%s is a TypeError naming it', (input, shown) => {
    expect(() => readServerReport(input)).toThrow(TypeError);
    expect(() => readServerReport(input)).toThrow(`observe takes a ServerReport or a response; got ${shown}`);
  });

  it('a fetch Response: Retry-After counts on 429 and 503 only, the quota on any status', () => {
    const headers = { 'retry-after': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' };
    expect(readServerReport(new Response(null, { status: 429, headers }))).toStrictEqual({ retryAfterMs: 3_000, remaining: 0, resetInMs: 2_000 });
    expect(readServerReport(new Response(null, { status: 503, headers }))).toStrictEqual({ retryAfterMs: 3_000, remaining: 0, resetInMs: 2_000 });
    expect(readServerReport(new Response(null, { status: 200, headers }))).toStrictEqual({ remaining: 0, resetInMs: 2_000 });
    expect(readServerReport(new Response(null, { status: 301, headers: { 'retry-after': '3' } }))).toStrictEqual({});
  });

  it('an HTTP-date Retry-After on a 429 is a delay, never a crash (the README advice gave NaN)', () => {
    const res = new Response(null, { status: 429, headers: { 'retry-after': 'Wed, 21 Oct 2026 07:28:05 GMT' } });
    expect(Number(res.headers.get('retry-after')) * 1_000).toBeNaN();
    expect(readServerReport(res)).toStrictEqual({ retryAfterMs: 4_750 });
  });

  it('IncomingMessage / got style ({ statusCode, headers }) and axios style ({ status, headers })', () => {
    expect(readServerReport({ statusCode: 429, headers: { 'retry-after': ['1', '2'] } })).toStrictEqual({ retryAfterMs: 1_000 });
    expect(readServerReport({ status: 503, headers: new Map([['Retry-After', '2']]) })).toStrictEqual({ retryAfterMs: 2_000 });
    expect(readServerReport({ status: '429', headers: { 'retry-after': '2' } })).toStrictEqual({ retryAfterMs: 2_000 });
    expect(readServerReport({ status: 200, statusText: 'OK', headers: { 'retry-after': '2', ratelimit: '"d";r=1;t=1' } })).toStrictEqual({ remaining: 1, resetInMs: 1_000 });
  });

  it('a response with junk headers or status is an empty report, not an error', () => {
    expect(readServerReport({ status: 429, headers: null })).toStrictEqual({});
    expect(readServerReport({ status: undefined, headers: { 'retry-after': '2' } })).toStrictEqual({});
    expect(readServerReport({ statusCode: 429, headers: { 'retry-after': 'whenever' } })).toStrictEqual({});
    const hostile = { status: 429, get headers(): never { throw new Error('no'); } };
    expect(readServerReport(hostile)).toStrictEqual({});
    const status = { valueOf(): never { throw new Error('no'); } };
    expect(readServerReport({ status, headers: { 'retry-after': '2', 'x-ratelimit-remaining': '1' } })).toStrictEqual({ remaining: 1 });
  });
});
