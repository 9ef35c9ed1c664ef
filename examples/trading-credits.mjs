// trading-credits: a credit-metered trading API (the seed scenario): CreditSemaphore, transact, refunds, maxWaitMs
//
// The broker gives the account 40 credits. Each call costs credits when it starts (portfolio 30,
// quote 5, order 20), and they come back 10 s after the call ends, failed calls included.
// A trading bot reads its portfolio, quotes four symbols and places two orders, as fast as the
// credits allow, without ever being refused by the broker.
import { CreditSemaphore, MaxWaitExceededError, VirtualClock } from 'tollgate';

// A virtual clock runs the minute below in milliseconds. In production, leave `clock` out.
const clock = new VirtualClock();
const log = (line) => console.log(`${(clock.now() / 1000).toFixed(1).padStart(5)} s  ${line}`);

// The broker, faked in process (no network): calls take time, and an order can be refused.
const broker = {
  async portfolio() {
    await clock.sleep(2_000);
    return { cash: 2_000, shares: { ACME: 10 } };
  },
  async quote(symbol) {
    await clock.sleep(500);
    return { symbol, price: { ACME: 101, GLOBEX: 57, INITECH: 230, UMBRELLA: 12 }[symbol] };
  },
  async order(symbol, quantity, price) {
    await clock.sleep(1_500);
    if (quantity * price > 2_000) throw new Error(`order refused: ${quantity} ${symbol} at ${price} exceeds the cash`);
    return { symbol, quantity };
  },
};
const CREDITS = { portfolio: 30, quote: 5, order: 20 };

const credits = new CreditSemaphore({
  capacity: 40,
  refundMs: 10_000,
  clock,
  onEvent: (e) => {
    if (e.type === 'queued') log(`${e.id}: waits for ${e.cost} credits (${credits.available} free)`);
    if (e.type === 'admitted') log(`${e.id}: starts, ${e.cost} credits${e.waitedMs > 0 ? ` after waiting ${e.waitedMs / 1000} s` : ''} (${credits.available} left)`);
    if (e.type === 'timeout') log(`${e.id}: gives up after ${e.waitedMs / 1000} s`);
  },
});

/** Every broker call goes through here: it waits for its credits, then calls. */
function call(method, args, options = {}) {
  const id = `${method}(${args.join(', ')})`;
  return credits.transact(() => broker[method](...args), { credits: CREDITS[method], id, ...options });
}

async function bot() {
  const { cash } = await call('portfolio', []);
  log(`portfolio: cash ${cash}`);

  const symbols = ['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA'];
  const prices = {};
  await Promise.all(
    symbols.map(async (symbol) => {
      prices[symbol] = (await call('quote', [symbol])).price;
      log(`quote(${symbol}) = ${prices[symbol]}`);
    }),
  );

  const orders = [
    ['GLOBEX', 20],
    ['INITECH', 10], // 2 300 is more than the cash: refused, and its credits are spent anyway
  ];
  const results = await Promise.allSettled(orders.map(([symbol, qty]) => call('order', [symbol, qty, prices[symbol]])));
  for (const r of results) log(r.status === 'fulfilled' ? `order done: ${r.value.quantity} ${r.value.symbol}` : r.reason.message);

  // Last look before the close: eight quotes, each only useful within 2 s. Those that do not get
  // credits in time give up with MaxWaitExceededError, having spent nothing.
  const lastLook = await Promise.allSettled(symbols.flatMap((s) => [s, s]).map((s) => call('quote', [s], { maxWaitMs: 2_000 })));
  const gaveUp = lastLook.filter((r) => r.status === 'rejected' && r.reason instanceof MaxWaitExceededError);
  log(`last look: ${lastLook.length - gaveUp.length} quotes done, ${gaveUp.length} gave up after ${gaveUp[0]?.reason.waitedMs / 1000} s (maxWaitMs 2 000)`);

  log(`stats: ${JSON.stringify(credits.stats())}`);
  log(`all 40 credits are back in ${credits.retryAfterMs(40) / 1000} s`);
}

const done = bot();
await clock.runAll();
await done;
