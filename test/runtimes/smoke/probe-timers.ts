// Fake timers around the package's loading, so probe-after.ts can count the timers it started.
// Not in the workerd bundle: loading @sinonjs/fake-timers arms a timer, which Workers refuse in
// global scope — and there workerd itself refuses any timer the package would start at load.
import FakeTimers from '@sinonjs/fake-timers';
import { probe, snapshot } from './probe-before.js';

probe.clock = FakeTimers.install();
// Again, so only the package's own loading runs between this snapshot and probe-after's.
snapshot();
probe.before = snapshot();
