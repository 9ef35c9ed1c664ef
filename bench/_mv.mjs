import { ConcurrencySemaphore, TokenBucket } from '/tmp/tg/v/index.js';
import { Sema } from 'async-sema';
import { TokenBucket as LB } from 'limiter';
const b = new ConcurrencySemaphore({ capacity: 8 });
const s = new Sema(8);
const tb = new TokenBucket({ capacity: 1e15, refillAmount: 1e15, refillIntervalMs: 1000 });
const lb = new LB({ bucketSize: 1e15, tokensPerInterval: 1e15, interval: 'second' }); lb.content = 1e15;
const fns = {
  tollgate: (n) => { for (let i = 0; i < n; i++) b.tryAcquire().release(); },
  sema: (n) => { for (let i = 0; i < n; i++) { s.tryAcquire(); s.release(); } },
  tgTB: (n) => { let x = 0; for (let i = 0; i < n; i++) x += tb.tryAcquire().cost; return x; },
  limTB: (n) => { let x = 0; for (let i = 0; i < n; i++) x += lb.tryRemoveTokens(1); return x; },
  now: (n) => { let x = 0; for (let i = 0; i < n; i++) x += performance.now(); return x; },
};
const best = {};
for (let r = 0; r < 40; r++) for (const [k, f] of Object.entries(fns)) {
  const n = 2e5; const t0 = performance.now(); f(n); const ns = (performance.now() - t0) * 1e6 / n;
  best[k] = Math.min(best[k] ?? Infinity, ns);
}
console.log(Object.entries(best).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('  '));
