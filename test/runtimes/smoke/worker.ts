// Entry of the smoke bundle for workerd (Cloudflare Workers' runtime). The same modules as
// smoke.ts, in the same order, but the checks run inside a request: Workers forbid timers and
// other asynchronous work in global scope (what broke bottleneck there), so running them at load
// would be refused, and loading the package at global scope is itself part of the test.
import './probe-before.js';
import './package-under-test.js';
import './probe-after.js';
import './checks.js';
import { runChecks } from './harness.js';

export default {
  async fetch(): Promise<Response> {
    return new Response(JSON.stringify(await runChecks()), { headers: { 'content-type': 'application/json' } });
  },
};
