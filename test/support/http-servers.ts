import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// Four real HTTP servers on 127.0.0.1 that enforce a documented limit the way public APIs do,
// for the client tests (test/servers/clients.test.ts), bench/servers.mjs and the example.
//
// Each counts what it refused (429/503) and the most requests it had in progress at once, takes
// `workMs` per accepted request, and stops itself after `maxRequests` requests or `lifetimeMs`,
// whichever comes first; it never keeps the process alive on its own.
//
// When a request counts. A server judges a request when it arrives; the client's limiter admits
// it earlier, and what lies between — the loopback, the event loop, the synchronous work of the
// `fetch` calls admitted before it in the same instant, on a loaded machine a stall of 10 or
// 20 ms — differs from request to request (measured here: 0.5 to 27 ms). A client pacing exactly
// at the limit would then be refused at random, whenever an early request of a window travelled
// slower than a later one. These servers are instruments for the client's pacing, not for the
// machine's jitter: a request that carries `x-sent-at` (SENT_AT) counts at that
// `performance.now()` instant (server and client share the process, so the clock; an instant
// after the arrival is ignored). The tests' and the benchmark's clients stamp each request
// with the instant their limiter admitted it (`admissionStamps`). A request without the header
// counts at its arrival, and windows are then judged `toleranceMs` short (25 ms by default, for
// the jitter above; far too little to hide a leaky bucket's second burst, 100s of ms early).
// Retry-After, X-RateLimit-Reset and RateLimit `t` come from the server's own clock, as any
// server's would.

/** The request header carrying the client's `performance.now()` when it called `fetch`. */
export const SENT_AT = 'x-sent-at';

/** What a server counted since it started. */
export interface ServerStats {
  /** Every request that reached the handler (but warm-ups). */
  received: number;
  /** Answered 200. */
  served: number;
  /** Answered 429 (or 503), for whatever reason. */
  refused: number;
  /** (break server) requests sent while the client had been told to wait. */
  early: number;
  /** The most requests in progress at once. */
  maxConcurrent: number;
  /** Each request: when it counted (`performance.now()`), when it arrived, what it got. */
  log: { at: number; arrived: number; status: number }[];
}

export interface LimitServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly stats: ServerStats;
  /** What the server's documentation says, in words (for logs and benchmark rows). */
  readonly documented: string;
  /**
   * The shortest time (ms) in which a perfect client starting at `startedAt` (a
   * `performance.now()` instant) could have `n` requests served under this server's rules.
   */
  idealMs(n: number, startedAt: number): number;
  close(): Promise<void>;
}

interface CommonServerOptions {
  /** Time an accepted request takes. Default 30 ms. */
  workMs?: number;
  /** For requests without `x-sent-at`, windows are judged this much short (see the top of this file). Default 25 ms. */
  toleranceMs?: number;
  /** Stops after this many requests. Default 5 000. */
  maxRequests?: number;
  /** Stops after this long. Default 120 s. */
  lifetimeMs?: number;
}

/** A request as a policy sees it: the instant it counts at, when it arrived, the slack it is judged with. */
interface Arrival {
  at: number;
  arrived: number;
  slack: number;
}

/** The decision a policy takes when a request arrives. */
type Verdict = { accept: true } | { accept: false; status?: number; headers: OutgoingHttpHeaders };

interface Policy {
  arrive(request: Arrival): Verdict;
  /** Called as an accepted request's response is sent; its headers (the server's count then). */
  done?(now: number): OutgoingHttpHeaders;
  /** Headers sent with a refusal too (on top of the verdict's). */
  refusalHeaders?(now: number): OutgoingHttpHeaders;
}

const perfNow = (): number => performance.now();

/** A path every server answers at once (204) without counting it or applying its limit. */
const WARM_UP = '/warm-up';

/**
 * Opens `connections` keep-alive connections to the server through `fetch` with uncounted
 * requests, before a measured run: the first `fetch` of a process loads and sets up undici
 * (tens of ms) and a new connection costs a handshake, once, for the first requests only.
 *
 * @example
 * ```ts
 * const server = await startSlidingWindowServer();
 * await warmUp(server, 3);
 * ```
 */
export async function warmUp(server: LimitServer, connections = 1, rounds = 3): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        const res = await fetch(server.url + WARM_UP);
        await res.arrayBuffer();
      }),
    );
  }
}

/**
 * `fetch(url)` stamped with `x-sent-at: <instant>` (default: now), the body read (so the
 * connection is reused).
 *
 * @example
 * ```ts
 * const res = await stampedFetch(server.url);
 * ```
 */
export async function stampedFetch(url: string, sentAt = performance.now()): Promise<Response> {
  const res = await fetch(url, { headers: { [SENT_AT]: String(sentAt) } });
  await res.arrayBuffer();
  return res;
}

/**
 * Stamps each request with the instant the limiter admitted it, read from the limiter's
 * `admitted` events (its clock is `performance.now()`): pass `onEvent` to the limiter, an `id`
 * from `nextId()` to `run`, and send with `fetch(url, id)` from inside the task.
 *
 * @example
 * ```ts
 * const stamps = admissionStamps();
 * const throttle = new Throttle({ rate: 10, concurrency: 3, onEvent: stamps.onEvent });
 * const id = stamps.nextId();
 * const res = await throttle.run(() => stamps.fetch(server.url, id), { id });
 * ```
 */
export function admissionStamps(): {
  onEvent(event: { type: string; id?: string | number; at: number }): void;
  nextId(): number;
  fetch(url: string, id: number): Promise<Response>;
} {
  const admitted = new Map<string | number, number>();
  let next = 0;
  return {
    onEvent(event) {
      if (event.type === 'admitted' && event.id !== undefined) admitted.set(event.id, event.at);
    },
    nextId: () => next++,
    fetch(url, id) {
      const at = admitted.get(id);
      admitted.delete(id);
      return fetch(url, at === undefined ? {} : { headers: { [SENT_AT]: String(at) } });
    },
  };
}

const newStats = (): ServerStats => ({ received: 0, served: 0, refused: 0, early: 0, maxConcurrent: 0, log: [] });

/** When a request counts: its plausible `x-sent-at` (judged exactly), or its arrival (judged with `toleranceMs`). */
function countsAt(req: IncomingMessage, arrived: number, toleranceMs: number): Arrival {
  const header = req.headers[SENT_AT];
  const sent = typeof header === 'string' ? Number(header) : NaN;
  const stamped = Number.isFinite(sent) && sent <= arrived && sent >= arrived - 10_000;
  return stamped ? { at: sent, arrived, slack: 0 } : { at: arrived, arrived, slack: toleranceMs };
}

async function serve(
  policy: Policy,
  options: CommonServerOptions,
  documented: string,
  idealMs: LimitServer['idealMs'],
  stats: ServerStats = newStats(),
): Promise<LimitServer> {
  const workMs = options.workMs ?? 30;
  const maxRequests = options.maxRequests ?? 5_000;
  const toleranceMs = options.toleranceMs ?? 25;
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
    if (req.url === WARM_UP) {
      res.writeHead(204).end();
      return;
    }
    const arrived = perfNow();
    stats.received++;
    active++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, active);
    const request = countsAt(req, arrived, toleranceMs);
    const verdict = policy.arrive(request);
    stats.log.push({ at: request.at, arrived, status: verdict.accept ? 200 : (verdict.status ?? 429) });
    if (!verdict.accept) {
      stats.refused++;
      send(res, verdict.status ?? 429, { ...policy.refusalHeaders?.(arrived), ...verdict.headers }, 'Too Many Requests');
      return;
    }
    setTimeout(() => {
      stats.served++;
      send(res, 200, policy.done?.(perfNow()) ?? {}, 'ok');
    }, workMs);
  });
  server.keepAliveTimeout = 10_000;

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

/** Whole seconds, rounded up, as `Retry-After` delta-seconds (at least 1: 0 would invite a retry at once). */
const seconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));
/** Seconds with millisecond precision, rounded up (never earlier than the truth). */
const preciseSeconds = (ms: number): string => (Math.max(0, Math.ceil(ms)) / 1000).toFixed(3);

/**
 * "At most `limit` in any window of `windowMs`", judged over every window that holds the new
 * instant: requests may arrive out of the order they count in (see the top of this file).
 */
class SlidingCount {
  readonly #limit: number;
  readonly #windowMs: number;
  /** Instants of the accepted requests, ascending. */
  readonly #at: number[] = [];

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Accepts `at` and returns 0, or refuses it and returns the ms until it would have fitted; windows judged `slack` short. */
  offer(at: number, slack: number): number {
    const list = this.#at;
    while (list.length > 0 && list[0]! <= at - 2 * this.#windowMs) list.shift();
    let p = list.findIndex((t) => t > at);
    if (p === -1) p = list.length;
    const trial = [...list.slice(0, p), at, ...list.slice(p)];
    // A window holding limit + 1 requests has a pair `limit` apart, less than a window apart, around `at`.
    for (let i = Math.max(0, p - this.#limit); i <= p && i + this.#limit < trial.length; i++) {
      // Compared as `later < earlier + window`, the form a limiter computes its freeing instant in (a difference can be an ulp short).
      if (trial[i + this.#limit]! < trial[i]! + (this.#windowMs - slack)) return Math.max(1, trial[i]! + this.#windowMs - at);
    }
    list.splice(p, 0, at);
    return 0;
  }
}

/**
 * Greedy schedule of a perfect client under "at most `limit` in any `windowMs`, at most
 * `concurrency` at once", each taking `workMs`, request `i` not before `notBefore(i)`.
 */
function slidingIdeal(
  n: number,
  limit: number,
  windowMs: number,
  concurrency: number,
  workMs: number,
  notBefore: (i: number) => number = () => 0,
): number {
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
  const { limit = 10, windowMs = 1_000, concurrency = 3, workMs = 30 } = options;
  const window = new SlidingCount(limit, windowMs);
  let active = 0;
  const policy: Policy = {
    arrive({ at, slack }) {
      if (active >= concurrency) return { accept: false, headers: { 'retry-after': '1' } };
      const wait = window.offer(at, slack);
      if (wait > 0) return { accept: false, headers: { 'retry-after': seconds(wait) } };
      active++;
      return { accept: true };
    },
    done() {
      active--;
      return {};
    },
  };
  const documented = `${limit} per ${windowMs} ms (sliding window), ${concurrency} at once`;
  return serve(policy, { ...options, workMs }, documented, (n) => slidingIdeal(n, limit, windowMs, concurrency, workMs));
}

/** Fixed windows aligned to the server's own start: counts per window, and when each ends. */
class FixedWindows {
  readonly start = perfNow();
  readonly #windowMs: number;
  readonly #limit: number;
  readonly #shared: number;
  readonly #used = new Map<number, number>();

  constructor(limit: number, windowMs: number, shared: number) {
    [this.#limit, this.#windowMs, this.#shared] = [limit, windowMs, shared];
  }

  #index(now: number): number {
    return Math.floor((now - this.start) / this.#windowMs);
  }

  endOf(now: number): number {
    return this.start + (this.#index(now) + 1) * this.#windowMs;
  }

  /** Counts a request at `at` if its window has room. */
  offer(at: number): boolean {
    const w = this.#index(at);
    for (const old of this.#used.keys()) if (old < w - 2) this.#used.delete(old);
    const used = this.#used.get(w) ?? this.#shared;
    if (used >= this.#limit) return false;
    this.#used.set(w, used + 1);
    return true;
  }

  remaining(now: number): number {
    return this.#limit - (this.#used.get(this.#index(now)) ?? this.#shared);
  }

  /** A perfect client starting at `startedAt`, unlimited concurrency. */
  ideal(n: number, workMs: number, startedAt: number): number {
    const perWindow = this.#limit - this.#shared;
    const lastStart = this.start + (this.#index(startedAt) + Math.floor((n - 1) / perWindow)) * this.#windowMs;
    return Math.max(startedAt, lastStart) + workMs - startedAt;
  }
}

export interface FixedWindowServerOptions extends CommonServerOptions {
  /** Default 10. */
  limit?: number;
  /** Default 1 000. */
  windowMs?: number;
  /** `X-RateLimit-Reset` as delta seconds (default) or as Unix epoch seconds (GitHub style). */
  reset?: 'delta' | 'epoch';
  /** Requests of someone else on the same quota, taken at the start of every window. Default 0. */
  sharedPerWindow?: number;
}

/**
 * (b) "At most `limit` requests per fixed window of `windowMs`, windows counted from the
 * server's start." Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
 * `X-RateLimit-Reset` (seconds with ms precision until the window ends, or with `reset:
 * 'epoch'` the Unix time of that instant), as counted when the response is sent; over the limit:
 * 429 with `Retry-After`.
 *
 * @example
 * ```ts
 * const server = await startFixedWindowServer({ limit: 10, windowMs: 1_000, reset: 'epoch' });
 * const res = await fetch(server.url);
 * res.headers.get('x-ratelimit-remaining'); // '9'
 * ```
 */
export function startFixedWindowServer(options: FixedWindowServerOptions = {}): Promise<LimitServer> {
  const { limit = 10, windowMs = 1_000, reset = 'delta', sharedPerWindow = 0, workMs = 30 } = options;
  const windows = new FixedWindows(limit, windowMs, sharedPerWindow);
  const rateHeaders = (now: number): OutgoingHttpHeaders => {
    const untilReset = windows.endOf(now) - now;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(windows.remaining(now)),
      // As an epoch, the window's end on the wall clock, never before it: Date.now() is whole ms
      // (up to 1 ms behind) and drifts from performance.now(), by which the windows are counted.
      'x-ratelimit-reset': reset === 'delta' ? preciseSeconds(untilReset) : preciseSeconds(Date.now() + 2 + untilReset),
    };
  };
  const policy: Policy = {
    arrive({ at, arrived }) {
      if (windows.offer(at)) return { accept: true };
      return { accept: false, headers: { 'retry-after': seconds(windows.endOf(arrived) - arrived) } };
    },
    done: rateHeaders,
    refusalHeaders: rateHeaders,
  };
  const documented = `${limit} per fixed ${windowMs} ms window, X-RateLimit-Reset in ${reset} seconds`;
  return serve(policy, { ...options, workMs }, documented, (n, startedAt) => windows.ideal(n, workMs, startedAt));
}

export interface IetfServerOptions extends CommonServerOptions {
  /** Default 10. */
  limit?: number;
  /** Whole seconds (the fields count in seconds). Default 1 000. */
  windowMs?: number;
  /** Requests of someone else on the same quota, taken at the start of every window. Default 0. */
  sharedPerWindow?: number;
}

/**
 * (c) The IETF fields (draft-ietf-httpapi-ratelimit-headers, 08 on), over fixed windows of
 * `windowMs` from the server's start: `RateLimit-Policy: "default";q=<limit>;w=<seconds>` and
 * `RateLimit: "default";r=<remaining>;t=<seconds until the reset, rounded up>` on every
 * response; over the limit: 429 with `Retry-After`.
 *
 * @example
 * ```ts
 * const server = await startIetfServer({ limit: 10, windowMs: 1_000 });
 * (await fetch(server.url)).headers.get('ratelimit'); // '"default";r=9;t=1'
 * ```
 */
export function startIetfServer(options: IetfServerOptions = {}): Promise<LimitServer> {
  const { limit = 10, windowMs = 1_000, sharedPerWindow = 0, workMs = 30 } = options;
  const windows = new FixedWindows(limit, windowMs, sharedPerWindow);
  const rateHeaders = (now: number): OutgoingHttpHeaders => ({
    'ratelimit-policy': `"default";q=${limit};w=${windowMs / 1000}`,
    ratelimit: `"default";r=${windows.remaining(now)};t=${seconds(windows.endOf(now) - now)}`,
  });
  const policy: Policy = {
    arrive({ at, arrived }) {
      if (windows.offer(at)) return { accept: true };
      return { accept: false, headers: { 'retry-after': seconds(windows.endOf(arrived) - arrived) } };
    },
    done: rateHeaders,
    refusalHeaders: rateHeaders,
  };
  const documented = `${limit} per fixed ${windowMs} ms window, IETF RateLimit fields`;
  return serve(policy, { ...options, workMs }, documented, (n, startedAt) => windows.ideal(n, workMs, startedAt));
}

export interface BreakServerOptions extends SlidingWindowServerOptions {
  /** The break starts at the request after this many accepted ones. Default 30. */
  breakAfter?: number;
  /** At least this long; it ends on a whole second of the wall clock (an HTTP date has no finer unit). Default 1 000. */
  breakMs?: number;
  /** 429 (default) or 503. */
  status?: 429 | 503;
}

export interface BreakServer extends LimitServer {
  /** The wall-clock instant (Unix ms) the break ends, once it has begun. */
  breakUntil(): number | undefined;
}

/**
 * (d) The sliding-window server of (a) (here by default 10 per second, one at a time) that
 * once, after `breakAfter` accepted requests, answers `status` with `Retry-After: <HTTP date>` —
 * the first whole second at least `breakMs` ahead — and refuses every request before that date
 * (`stats.early` counts those sent before it). The refusal that opens the break is unavoidable:
 * nothing announced it.
 *
 * @example
 * ```ts
 * const server = await startBreakServer({ breakAfter: 30 });
 * ```
 */
export function startBreakServer(options: BreakServerOptions = {}): Promise<BreakServer> {
  const { limit = 10, windowMs = 1_000, concurrency = 1, breakAfter = 30, breakMs = 1_000, status = 429, workMs = 30 } = options;
  const window = new SlidingCount(limit, windowMs);
  const stats = newStats();
  let accepted = 0;
  let active = 0;
  /** The break: its end on the wall clock (what the date says) and on performance.now(). */
  let until: { wall: number; perf: number } | undefined;
  const httpDate = (wall: number): string => new Date(wall).toUTCString();
  const policy: Policy = {
    arrive({ at, arrived, slack }) {
      // The wall clock when the request counts (Date.now() is whole ms, and drifts from performance.now()).
      const wall = Date.now() - (arrived - at);
      // 2 ms for Date.now() (whole ms, and drifting from performance.now()): a request this close
      // to the end of the break is after it, as far as the wall clock can tell.
      if (until && wall < until.wall - 2 - slack) {
        stats.early++;
        return { accept: false, status, headers: { 'retry-after': httpDate(until.wall) } };
      }
      if (!until && accepted >= breakAfter) {
        const end = Math.ceil((Date.now() + breakMs) / 1000) * 1000;
        until = { wall: end, perf: arrived + (end - Date.now()) };
        return { accept: false, status, headers: { 'retry-after': httpDate(end) } };
      }
      if (active >= concurrency) return { accept: false, headers: { 'retry-after': '1' } };
      const wait = window.offer(at, slack);
      if (wait > 0) return { accept: false, headers: { 'retry-after': seconds(wait) } };
      accepted++;
      active++;
      return { accept: true };
    },
    done() {
      active--;
      return {};
    },
  };
  const documented = `${limit} per ${windowMs} ms (sliding window), ${concurrency} at once, one break (${status} + Retry-After: HTTP date) after ${breakAfter}`;
  // The perfect client loses the break (from the request that met it to the date) and nothing else.
  const ideal = (n: number, startedAt: number): number =>
    slidingIdeal(n, limit, windowMs, concurrency, workMs, (i) => (until && i >= breakAfter ? until.perf - startedAt : 0));
  return serve(policy, { ...options, workMs }, documented, ideal, stats).then((server) => Object.assign(server, { breakUntil: () => until?.wall }));
}
