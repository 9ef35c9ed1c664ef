import { ConcurrencySemaphore } from 'tollgate';
import { Sema } from 'async-sema';
async function task() { await null; }
const which = process.argv[2];
for (let r = 0; r < 6; r++) {
  const t0 = performance.now();
  const N = 100000, p = new Array(N);
  if (which === 'tg') { const sem = new ConcurrencySemaphore({ capacity: 8 }); for (let i = 0; i < N; i++) p[i] = sem.run(task); }
  else { const s = new Sema(8); for (let i = 0; i < N; i++) p[i] = (async () => { await s.acquire(); try { await task(); } finally { s.release(); } })(); }
  await Promise.all(p);
  console.log(which, (performance.now() - t0).toFixed(1));
}
