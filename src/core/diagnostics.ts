import type { LimiterEvent } from './types.js';

/**
 * The `diagnostics_channel` every limiter publishes its events on, where the runtime has one
 * (Node, Bun, Deno). Subscribe with the runtime's own module; nothing is published, and nothing
 * is built, while nobody is subscribed.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { EVENT_CHANNEL, type LimiterDiagnosticsMessage } from 'tollgate';
 * subscribe(EVENT_CHANNEL, (message) => {
 *   const { name, kind, event } = message as LimiterDiagnosticsMessage;
 *   console.log(kind, name, event.type, event.waitedMs);
 * });
 * ```
 */
export const EVENT_CHANNEL = 'tollgate:event';

/**
 * What is published on {@link EVENT_CHANNEL}: the limiter, its `name` option (if any), its kind
 * (the class name: `'TokenBucket'`, `'Throttle'`, …) and the event `onEvent` would receive.
 *
 * @example
 * ```ts
 * const byKind = new Map<string, number>();
 * subscribeToEvents((m) => {
 *   const { kind } = m;
 *   byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
 * });
 * ```
 */
export interface LimiterDiagnosticsMessage {
  readonly limiter: object;
  readonly name: string | undefined;
  readonly kind: string;
  readonly event: LimiterEvent;
}

/**
 * The part of a runtime's diagnostics channel a limiter uses: check `hasSubscribers` (a plain
 * property read) before building a message, so an unobserved limiter pays one read per event.
 *
 * @example
 * ```ts
 * const limiter = new ConcurrencySemaphore({ capacity: 1, name: 'api' });
 * const event: LimiterEvent = { type: 'admitted', cost: 1, at: 0, waitedMs: 0 };
 * const channel = eventChannel();
 * if (channel?.hasSubscribers) channel.publish({ limiter, name: limiter.name, kind: 'ConcurrencySemaphore', event });
 * ```
 */
export interface EventChannel {
  readonly hasSubscribers: boolean;
  publish(message: LimiterDiagnosticsMessage): void;
}

/** The subset of `node:diagnostics_channel` read here (the same in Node, Bun and Deno). */
interface DiagnosticsChannelModule {
  channel(name: string): EventChannel;
  subscribe(name: string, onMessage: (message: unknown, name: string | symbol) => void): void;
  unsubscribe(name: string, onMessage: (message: unknown, name: string | symbol) => void): boolean;
}

type BuiltinLoader = (id: string) => unknown;

interface Found {
  module: DiagnosticsChannelModule;
  channel: EventChannel;
}

/** `undefined`: not looked up yet; `null`: looked up, the runtime has none. */
let cached: Found | null | undefined;

function found(): Found | null {
  if (cached === undefined) cached = lookUp();
  return cached;
}

/**
 * The channel named {@link EVENT_CHANNEL}, or `undefined` where the runtime has no
 * `diagnostics_channel` (browsers, workers without Node compatibility, Node before 20.16).
 *
 * Looked up at the first call, never at import, and without a static import of any Node module,
 * so the package still loads in a browser and bundlers pull nothing in. The lookup goes through
 * `process.getBuiltinModule`, which Node (since 20.16 and 22.3), Bun and Deno 2 provide. The
 * result is cached, and holding the channel keeps Node from collecting it: later calls are one
 * variable read, and every caller shares one channel object.
 *
 * @example
 * ```ts
 * class MyLimiter {
 *   readonly #channel = eventChannel(); // at construction, not at import
 *   #emit(event: LimiterEvent) {
 *     if (this.#channel?.hasSubscribers) this.#channel.publish({ limiter: this, name: undefined, kind: 'MyLimiter', event });
 *   }
 * }
 * ```
 */
export function eventChannel(): EventChannel | undefined {
  return found()?.channel;
}

/**
 * Calls `onMessage` with every message published on {@link EVENT_CHANNEL} from now on; returns
 * the function that stops it, or `undefined` where the runtime has no `diagnostics_channel`.
 *
 * @example
 * ```ts
 * const stop = subscribeToEvents(({ kind, event }) => console.log(kind, event.type));
 * // ...
 * stop?.();
 * ```
 */
export function subscribeToEvents(onMessage: (message: LimiterDiagnosticsMessage) => void): (() => void) | undefined {
  const dc = found()?.module;
  if (dc === undefined) return undefined;
  // One wrapper per subscription, so subscribing the same function twice needs two stops.
  const listener = (message: unknown) => onMessage(message as LimiterDiagnosticsMessage);
  dc.subscribe(EVENT_CHANNEL, listener);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    dc.unsubscribe(EVENT_CHANNEL, listener);
  };
}

function lookUp(): Found | null {
  try {
    const runtime = (globalThis as { process?: { getBuiltinModule?: BuiltinLoader } }).process;
    const load = runtime?.getBuiltinModule;
    if (typeof load !== 'function') return null;
    const module = load.call(runtime, 'node:diagnostics_channel') as DiagnosticsChannelModule | undefined;
    // A polyfilled `process` (some bundlers) may answer with nothing usable.
    if (typeof module?.channel !== 'function' || typeof module.subscribe !== 'function') return null;
    return { module, channel: module.channel(EVENT_CHANNEL) };
  } catch {
    // A runtime that refuses (a permission model, a sandbox) simply has no channel.
    return null;
  }
}

/**
 * Forgets the cached lookup so the next {@link eventChannel} looks again. For tests that swap
 * `globalThis.process`; limiters constructed earlier keep the channel they already hold.
 *
 * @example
 * ```ts
 * resetEventChannelForTests();
 * eventChannel(); // looked up again
 * ```
 */
export function resetEventChannelForTests(): void {
  cached = undefined;
}
