import { ConcurrencySemaphore } from 'tollgate';
let reads = 0;
const clock = { now: () => { reads++; return performance.now(); }, setTimeout, clearTimeout };
const a = new ConcurrencySemaphore({ capacity: 8, clock });
for (let i = 0; i < 1000; i++) a.tryAcquire().release();
console.log('reads', reads);
