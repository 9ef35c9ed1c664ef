// Reading HTTP responses as any client hands them over: a status, and headers in whatever
// container (a \`Headers\`, a \`Map\`, a plain object, a \`get\` method), never throwing.

/**
 * A response of any client: headers and a status (`status`, or Node's `statusCode`).
 *
 * @example
 * ```ts
 * isResponseLike({ status: 429, headers: {} }); // true
 * ```
 */
export function isResponseLike(input: object): boolean {
  return 'headers' in input && ('status' in input || 'statusCode' in input);
}

/**
 * A response's status as a number (`NaN` when it has none that reads as one).
 *
 * @example
 * ```ts
 * statusOf({ statusCode: '503' }); // 503
 * ```
 */
export function statusOf(input: object): number {
  const status = safeGet(input, 'status') ?? safeGet(input, 'statusCode');
  // Only numbers and strings: Number() of an object runs its valueOf, which may throw.
  return typeof status === 'number' || typeof status === 'string' ? Number(status) : NaN;
}

/**
 * A property read that cannot throw (a hostile getter or a revoked proxy reads as missing).
 *
 * @example
 * ```ts
 * safeGet({ get status(): number { throw new Error('no'); } }, 'status'); // undefined
 * ```
 */
export function safeGet(target: object, key: string): unknown {
  try {
    return (target as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Looks a header up by its lower-case name: its value as text, or `undefined`. */
export type Reader = (lowerCaseName: string) => string | undefined;

/**
 * A lookup over whatever a client hands back as headers (a `Headers`, a `Map`, a plain object, a
 * `get` method): one function per container kind; object and Map keys are indexed once, in lower case.
 *
 * @example
 * ```ts
 * headerReader({ 'RateLimit-Remaining': ['3'] })('ratelimit-remaining'); // '3'
 * ```
 */
export function headerReader(headers: unknown): Reader {
  // Anything else (undefined, null, a number, a string) reads as no headers: `.get` of
  // undefined or null throws into the catch, other primitives have no entries.
  try {
    if (headers instanceof Map) return indexed(headers.entries());
    const get = (headers as { get?: unknown }).get;
    if (typeof get === 'function') {
      return (name) => {
        try {
          return firstValue(get.call(headers, name));
        } catch {
          return undefined;
        }
      };
    }
    return indexed(Object.entries(headers as object));
  } catch {
    return () => undefined;
  }
}

function indexed(entries: Iterable<[unknown, unknown]>): Reader {
  const byName = new Map<string, unknown>();
  for (const [key, value] of entries) {
    if (typeof key !== 'string') continue;
    const name = key.toLowerCase();
    if (!byName.has(name)) byName.set(name, value);
  }
  return (name) => firstValue(byName.get(name));
}

/** A header value as text: a string, the first element of an array, or a number (`NaN` and the like then fail to parse). */
function firstValue(value: unknown): string | undefined {
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * The first member of a comma-separated value (a field repeated and joined by a proxy).
 *
 * @example
 * ```ts
 * firstMember('5, 7'); // '5'
 * ```
 */
export function firstMember(value: string): string {
  const comma = value.indexOf(',');
  return (comma === -1 ? value : value.slice(0, comma)).trim();
}
