import { VirtualClock, type Clock } from '../../src/index.js';

/** A VirtualClock that counts how often it is read (limiters skip reads that cannot change an answer). */
export function countingClock(): { clock: Clock; virtual: VirtualClock; reads: () => number } {
  const virtual = new VirtualClock();
  let reads = 0;
  const clock: Clock = {
    now: () => {
      reads++;
      return virtual.now();
    },
    setTimeout: (fn, ms) => virtual.setTimeout(fn, ms),
    clearTimeout: (handle) => virtual.clearTimeout(handle),
  };
  return { clock, virtual, reads: () => reads };
}
