import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// Four real HTTP servers on 127.0.0.1 that enforce a documented limit the way public APIs do,
// for the client tests (test/servers/clients.test.ts), bench/servers.mjs and nothing else.
//
// Each counts what it refused (429) and the most requests it saw at once, takes `workMs` per
// accepted request, and stops itself: after `maxRequests` requests or `lifetimeMs`, whichever
// comes first, and it never keeps the process alive on its own.
//
// Measurement tolerance (`graceMs`): a server judges a request when it *arrives*, the client
// when it *sends*; between the two lie a few milliseconds of loopback and event-loop delay that
// vary from request to request (the first requests also open their connections). A client
// pacing exactly at the limit would then be refused at random. Real servers have the same slack
// and clients keep a margin for it; these servers grant it instead (10 ms by default, 1% of a
// one-second window), so they judge the client's pacing and not the loopback's jitter. It is far
// too small to hide a wrong pacing: a leaky bucket's second burst is 100s of ms early.

/** What a server counted since it started. */
export interface ServerStats {
  /** Every request that reached the handler. */
  received: number;
  /** Answered 2xx. */
  served: number;
  /** Answered 429 (or 503), for whatever reason. */
  refused: number;
  /** (break server) requests that arrived while the client had been told to wait. */
  early: number;
  /** The most requests in progress at once. */
  maxConcurrent: number;
}

export interface LimitServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly stats: ServerStats;
  /** What the server's documentation says, in words (for logs and benchmark rows). */
  readonly documented: string;
  /**
   * The shortest time (ms) in which a perfect client starting at `startedAt` (a
   * `performance.now()` instant) could have `n` requests served, under this server's rules.
   */
  idealMs(n: number, startedAt: number): number;
  close(): Promise<void>;
}

interface CommonServerOptions {
  /** Time an accepted request takes. Default 30 ms. */
  workMs?: number;
  /** See the measurement tolerance above. Default 10 ms. */
  graceMs?: number;
  /** Stops after this many requests. Default 5 000. */
  maxRequests?: number;
  /** Stops after this long. Default 120 s. */
  lifetimeMs?: number;
}

/** The decision a policy takes when a request arrives. */
type Verdict = { accept: true } | { accept: false; status?: number; headers: OutgoingHttpHeaders };

interface Policy {
  arrive(now: number): Verdict;
  /** Headers of an accepted response, computed when it is sent (the server's freshest count). */
  headersAt?(now: number): OutgoingHttpHeaders;
  /** Headers sent with a refusal too (on top of the verdict's). */
  refusalHeadersAt?(now: number): OutgoingHttpHeaders;
}

const perfNow = (): number => performance.now();

const newStats = (): ServerStats => ({ received: 0, served: 0, refused: 0, early: 0, maxConcurrent: 0 });

async function serve(
  policy: Policy,
  options: CommonServerOptions,
  documented: string,
  idealMs: LimitServer['idealMs'],
  stats: ServerStats = newStats(),
): Promise<LimitServer> {
  const workMs = options.workMs ?? 30;
  const maxRequests = options.maxRequests ?? 5_000;
  let active = 0;

  const send = (res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string): void => {
    // Counted out before the response leaves: a client cannot see it (and send again) before.
    active--;
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body, () => {
      if (stats.received >= maxRequests) void close();
    });
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    stats.received++;
    active++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, active);
    const verdict = policy.arrive(perfNow());
    if (!verdict.accept) {
      stats.refused++;
      send(res, verdict.status ?? 429, { ...policy.refusalHeadersAt?.(perfNow()), ...verdict.headers }, 'Too Many Requests');
      return;
    }
    setTimeout(() => {
      stats.served++;
      send(res, 200, policy.headersAt?.(perfNow()) ?? {}, 'ok');
    }, workMs);
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const stop = setTimeout(() => void close(), options.lifetimeMs ?? 120_000);
  stop.unref();

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    clearTimeout(stop);
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  }

  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stats, documented, idealMs, close };
}

/** Whole seconds, rounded up, as `Retry-After` delta-seconds. */
const seconds = (ms: number): string => String(Math.max(0, Math.ceil(ms / 1000)));
/** Seconds with millisecond precision, rounded up (never earlier than the truth). */
const preciseSeconds = (ms: number): string => (Math.max(0, Math.ceil(ms)) / 1000).toFixed(3);

/**
 * Greedy schedule of a perfect client under "at most `limit` in any `windowMs`, at most
 * `concurrency` at once", each taking `workMs`, none starting before `notBefore(i)`.
 */
function slidingIdeal(n: number, limit: number, windowMs: number, concurrency: number, workMs: number, notBefore: (i: number) => number = () => 0): number {
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    let at = notBefore(i);
    if (i >= limit) at = Math.max(at, starts[i - limit]! + windowMs);
    if (i >= concurrency) at = Math.max(at, starts[i - concurrency]! + workMs);
    starts.push(at);
  }
  return (starts[n - 1] ?? 0) + workMs;
}

export interface SlidingWindowServerOptions extends CommonServerOptions {
  /** Default 10. */
  limit?: number;
  /** Default 1 000. */
  windowMs?: number;
  /** Default 3. */
  concurrency?: number;
}

/**
 * (a) "At most `limit` requests in any `windowMs` (a sliding window), at most `concurrency` at
 * once; over either: 429 with `Retry-After` in seconds." No rate-limit headers otherwise.
 *
 * @example
 * ```ts
 * const server = await startSlidingWindowServer({ limit: 10, windowMs: 1_000, concurrency: 3 });
 * await fetch(server.url);
 * await server.close();
 * ```
 */
export function startSlidingWindowServer(options: SlidingWindowServerOptions = {}): Promise<LimitServer> {
  const { limit = 10, windowMs = 1_000, concurrency = 3, graceMs = 10, workMs = 30 } = options;
  const accepted: number[] = [];
  let active = 0;
  const policy: Policy = {
    arrive(now) {
      while (accepted.length > 0 && accepted[0]! <= now - windowMs + graceMs) accepted.shift();
      if (accepted.length >= limit) {
        return { accept: false, headers: { 'retry-after': seconds(accepted[0]! + windowMs - graceMs - now) } };
      }
      if (active >= concurrency) return { accept: false, headers: { 'retry-after': '1' } };
      accepted.push(now);
      active++;
      return { accept: true };
    },
    headersAt() {
      active--;
      return {};
    },
  };
  const documented = `${limit} per ${windowMs} ms (sliding), ${concurrency} at once`;
  return serve(policy, { ...options, workMs }, documented, (n) => slidingIdeal(n, limit, windowMs, concurrency, workMs));
}

export interface FixedWindowServerOptions extends CommonServerOptions {
  /** Default 10. */
  limit?: number;
  /** Default 1 000. */
  windowMs?: number;
  /** `X-RateLimit-Reset` as delta seconds (default) or as Unix epoch seconds (GitHub style). */
  reset?: 'delta' | 'epoch';
}

/** Fixed windows aligned to the server's own start: the window of `now` and when it ends. */
function fixedWindows(windowMs: number) {
  const start = perfNow();
  return {
    start,
    index: (now: number) => Math.floor((now - start) / windowMs),
    endOf: (now: number) => start + (Math.floor((now - start) / windowMs) + 1) * windowMs,
    /** A perfect client starting at `startedAt`, unlimited concurrency. */
    ideal(n: number, limit: number, workMs: number, startedAt: number) {
      const first = Math.floor((startedAt - start) / windowMs);
      const lastStart = start + (first + Math.floor((n - 1) / limit)) * windowMs;
      return Math.max(startedAt, lastStart) + workMs - startedAt;
    },
  };
}

/**
 * (b) "At most `limit` requests per fixed window of `windowMs`, windows counted from the
 * server's start." Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` (after
 * this request) and `X-RateLimit-Reset` (seconds with ms precision: until the window ends, or
 * the Unix epoch of that instant with `reset: 'epoch'`); over the limit: 429 with `Retry-After`.
 *
 * @example
 * ```ts
 * const server = await startFixedWindowServer({ limit: 10, windowMs: 1_000, reset: 'epoch' });
 * const res = await fetch(server.url);
 * res.headers.get('x-ratelimit-remaining'); // '9'
 * ```
 */
export function startFixedWindowServer(options: FixedWindowServerOptions = {}): Promise<LimitServer> {
  const { limit = 10, windowMs = 1_000, reset = 'delta', workMs = 30 } = options;
  const windows = fixedWindows(windowMs);
  let window = -1;
  let used = 0;
  const roll = (now: number) => {
    const w = windows.index(now);
    if (w !== window) [window, used] = [w, 0];
  };
  const rateHeaders = (now: number): OutgoingHttpHeaders => {
    roll(now);
    const untilReset = windows.endOf(now) - now;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(limit - used),
      'x-ratelimit-reset': reset === 'delta' ? preciseSeconds(untilReset) : preciseSeconds(Date.now() + untilReset),
    };
  };
  const policy: Policy = {
    arrive(now) {
      roll(now);
      if (used >= limit) return { accept: false, headers: { 'retry-after': seconds(windows.endOf(now) - now) } };
      used++;
      return { accept: true };
    },
    headersAt: rateHeaders,
    refusalHeadersAt: rateHeaders,
  };
  const documented = `${limit} per fixed ${windowMs} ms window, X-RateLimit-Reset as ${reset} seconds`;
  return serve(policy, { ...options, workMs }, documented, (n, startedAt) => windows.ideal(n, limit, workMs, startedAt));
}

export interface IetfServerOptions extends CommonServerOptions {
  /** Default 10. */
  limit?: number;
  /** Whole seconds (the field counts in seconds). Default 1 000. */
  windowMs?: number;
}

/**
 * (c) The IETF draft's fields (draft-ietf-httpapi-ratelimit-headers, 08 on): fixed windows of
 * `windowMs` from the server's start, `RateLimit-Policy: "default";q=<limit>;w=<seconds>` and
 * `RateLimit: "default";r=<remaining>;t=<seconds until reset, rounded up>` on every response;
 * over the limit: 429 with `Retry-After`.
 *
 * @example
 * ```ts
 * const server = await startIetfServer({ limit: 10, windowMs: 1_000 });
 * (await fetch(server.url)).headers.get('ratelimit'); // '"default";r=9;t=1'
 * ```
 */
export function startIetfServer(options: IetfServerOptions = {}): Promise<LimitServer> {
  const { limit = 10, windowMs = 1_000, workMs = 30 } = options;
  const windows = fixedWindows(windowMs);
  let window = -1;
  let used = 0;
  const roll = (now: number) => {
    const w = windows.index(now);
    if (w !== window) [window, used] = [w, 0];
  };
  const rateHeaders = (now: number): OutgoingHttpHeaders => {
    roll(now);
    return {
      'ratelimit-policy': `"default";q=${limit};w=${windowMs / 1000}`,
      ratelimit: `"default";r=${limit - used};t=${seconds(windows.endOf(now) - now)}`,
    };
  };
  const policy: Policy = {
    arrive(now) {
      roll(now);
      if (used >= limit) return { accept: false, headers: { 'retry-after': seconds(windows.endOf(now) - now) } };
      used++;
      return { accept: true };
    },
    headersAt: rateHeaders,
    refusalHeadersAt: rateHeaders,
  };
  const documented = `${limit} per fixed ${windowMs} ms window, IETF RateLimit fields`;
  return serve(policy, { ...options, workMs }, documented, (n, startedAt) => windows.ideal(n, limit, workMs, startedAt));
}

export interface BreakServerOptions extends SlidingWindowServerOptions {
  /** The break starts at the request after this many accepted ones. Default 30. */
  breakAfter?: number;
  /** At least this long; it ends on the next whole second of the wall clock (an HTTP date has no finer unit). Default 1 000. */
  breakMs?: number;
  /** 429 (default) or 503. */
  status?: 429 | 503;
}

/**
 * (d) The sliding-window server of (a) (defaults: 10 per second, one at a time) that once, after
 * `breakAfter` accepted requests, answers `status` with `Retry-After: <HTTP date>` — the next
 * whole second at least `breakMs` ahead — and refuses every request arriving before that date
 * (counted in `stats.early`). That first refusal is unavoidable: nothing announced it.
 *
 * @example
 * ```ts
 * const server = await startBreakServer({ breakAfter: 30 });
 * ```
 */
export function startBreakServer(options: BreakServerOptions = {}): Promise<LimitServer & { breakUntil(): number | undefined }> {
  const { limit = 10, windowMs = 1_000, concurrency = 1, breakAfter = 30, breakMs = 1_000, status = 429, graceMs = 10, workMs = 30 } = options;
  const accepted: number[] = [];
  let acceptedCount = 0;
  let active = 0;
  /** The break, in wall-clock ms (what the date says) and in performance.now() ms (for the ideal). */
  let until: { wall: number; perf: number; startedPerf: number } | undefined;
  const stats = newStats();
  const httpDate = (wall: number): string => new Date(wall).toUTCString();
  const policy: Policy = {
    arrive(now) {
      const wall = Date.now();
      if (until && wall < until.wall) {
        if (wall < until.wall - graceMs) stats.early++;
        return { accept: false, status, headers: { 'retry-after': httpDate(until.wall) } };
      }
      if (!until && acceptedCount >= breakAfter) {
        const end = Math.ceil((wall + breakMs) / 1000) * 1000;
        until = { wall: end, perf: now + (end - wall), startedPerf: now };
        return { accept: false, status, headers: { 'retry-after': httpDate(end) } };
      }
      while (accepted.length > 0 && accepted[0]! <= now - windowMs + graceMs) accepted.shift();
      if (accepted.length >= limit) return { accept: false, headers: { 'retry-after': seconds(accepted[0]! + windowMs - graceMs - now) } };
      if (active >= concurrency) return { accept: false, headers: { 'retry-after': '1' } };
      accepted.push(now);
      acceptedCount++;
      active++;
      return { accept: true };
    },
    headersAt() {
      active--;
      return {};
    },
  };
  const documented = `${limit} per ${windowMs} ms (sliding), ${concurrency} at once, one break (${status} + Retry-After: HTTP date) after ${breakAfter}`;
  // The perfect client loses the break (from the request that met it to the date) and nothing else.
  const ideal = (n: number, startedAt: number): number =>
    slidingIdeal(n, limit, windowMs, concurrency, workMs, (i) => (until && i >= breakAfter ? until.perf - startedAt : 0));
  return serve(policy, { ...options, workMs }, documented, ideal, stats).then((server) => Object.assign(server, { breakUntil: () => until?.wall }));
}
