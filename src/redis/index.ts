export { fromIoredis, fromNodeRedis } from './adapters.js';
export type { RedisScriptClient, IoredisLike, IoredisSubscriberLike, NodeRedisLike, NodeRedisSubscriberLike } from './adapters.js';
export { RedisLimiterError, LeaseLostError } from './errors.js';
export { RedisPermit } from './redis-permit.js';
export { RedisGate } from './redis-gate.js';
export type { AsyncLimiter, AsyncLimiterStats, RunContext } from './async-limiter.js';
export type { RedisLimiterOptions, RedisBudget } from './redis-options.js';
export { RedisSemaphore, type RedisSemaphoreOptions } from './redis-semaphore.js';
export { RedisTokenBucket, type RedisTokenBucketOptions } from './redis-token-bucket.js';
export { RedisLeakyBucket, type RedisLeakyBucketOptions } from './redis-leaky-bucket.js';
export { RedisSlidingWindow, type RedisSlidingWindowOptions } from './redis-sliding-window.js';
export { RedisCreditSemaphore, type RedisCreditSemaphoreOptions } from './redis-credit-semaphore.js';
export { RedisThrottle, type RedisThrottleOptions, type RedisRateLimit } from './redis-throttle.js';
// Re-exported so callers of this entry need no other import; the build shares one chunk between
// the entries, so these are the very classes `tollgate` exports (`instanceof` works across both).
export { MaxWaitExceededError, LimiterClosedError } from '../core/errors.js';
export type { AcquireOptions, Permit } from '../core/types.js';
