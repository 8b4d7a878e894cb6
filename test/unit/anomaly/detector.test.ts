import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnomalyDetector, defaultAnomalyConfig, replayAnomalies, syntheticEvents, type AnomalyFinding, type AnomalyInput } from '../../../src/anomaly/index.js';
import type { InteractionType } from '../../../src/events/event.js';

const T0 = Date.UTC(2024, 0, 1);
let seq = 0;

function ev(type: InteractionType, t: number, fields: Partial<AnomalyInput> & { itemId?: string } = {}): AnomalyInput {
  return { kind: 'interaction', v: 1, id: `t${seq++}`, type, itemId: 'i1', timestamp: t, userId: 'u1', ...fields };
}

function kinds(fs: AnomalyFinding[]): string[] {
  return fs.map((f) => f.kind);
}

/** Normal purchase history for item `itemId` from distinct customers: `n` lines around price / quantity. */
function history(d: AnomalyDetector, itemId: string, n: number, price: number, qty: number, start = T0): AnomalyFinding[] {
  const out: AnomalyFinding[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      ...d.observe(
        ev('PURCHASE', start + i * 60_000, {
          itemId,
          userId: `c${itemId}-${i}`,
          price: price * (1 + 0.02 * ((i % 5) - 2)),
          quantity: qty + (i % 3),
        }),
      ),
    );
  }
  return out;
}

describe('BOT_ACTIVITY', () => {
  it('a burst of clicks from one user yields exactly one finding and flags the actor', () => {
    const d = new AnomalyDetector();
    const found: AnomalyFinding[] = [];
    // 200 clicks, one every 250 ms (50 s in all), from u-bot; a normal user clicks every 20 s meanwhile.
    for (let i = 0; i < 200; i++) {
      found.push(...d.observe(ev('CLICK', T0 + i * 250, { userId: 'u-bot', itemId: `i${i % 37}` })));
      if (i % 80 === 0) found.push(...d.observe(ev('VIEW', T0 + i * 250, { userId: 'u-human', itemId: 'i2' })));
    }
    const bots = found.filter((f) => f.kind === 'BOT_ACTIVITY');
    assert.equal(bots.length, 1, JSON.stringify(bots));
    assert.equal(bots[0]!.entityType, 'user');
    assert.equal(bots[0]!.entityId, 'u-bot');
    assert.match(bots[0]!.message, /41 VIEW\/CLICK events in 10\.0 s/);
    assert.equal(d.isFlaggedBot('u-bot'), true);
    assert.equal(d.isFlaggedBot('u-human'), false);
    // Still flagged an hour later (TTL 24 h), not after the TTL.
    assert.equal(d.isFlaggedBot('u-bot', T0 + 3_600_000), true);
    assert.equal(d.isFlaggedBot('u-bot', T0 + 25 * 3_600_000), false);
  });

  it('a second burst after a quiet spell is a new episode; anonymous sessions are tracked too', () => {
    const d = new AnomalyDetector();
    const found: AnomalyFinding[] = [];
    for (const start of [T0, T0 + 3_600_000]) {
      for (let i = 0; i < 100; i++) found.push(...d.observe(ev('VIEW', start + i * 500, { userId: undefined, sessionId: 'anon-7' })));
    }
    const bots = found.filter((f) => f.kind === 'BOT_ACTIVITY');
    assert.equal(bots.length, 2);
    assert.equal(bots[0]!.entityType, 'session');
    assert.notEqual(bots[0]!.id, bots[1]!.id);
    assert.equal(d.isFlaggedBot('session:anon-7'), true);
  });

  it('a human pace (one view every 2 s for 10 minutes) is not a bot', () => {
    const d = new AnomalyDetector();
    const found: AnomalyFinding[] = [];
    for (let i = 0; i < 300; i++) found.push(...d.observe(ev('VIEW', T0 + i * 2_000, { itemId: `i${i}` })));
    assert.deepEqual(kinds(found), []);
    assert.equal(d.isFlaggedBot('u1'), false);
  });
});

describe('PRICE_ANOMALY', () => {
  it('a price 50x the item usual price is flagged; usual prices are not', () => {
    const d = new AnomalyDetector();
    assert.deepEqual(kinds(history(d, 'sku-1', 20, 4.99, 2)), []);
    const f = d.observe(ev('PURCHASE', T0 + 3_600_000, { itemId: 'sku-1', userId: 'x', price: 249.5, quantity: 1 }));
    assert.deepEqual(kinds(f), ['PRICE_ANOMALY']);
    assert.equal(f[0]!.entityType, 'item');
    assert.equal(f[0]!.entityId, 'sku-1');
    assert.equal(f[0]!.severity, 'WARNING');
    assert.match(f[0]!.message, /x50/);
    const low = d.observe(ev('PURCHASE', T0 + 3_700_000, { itemId: 'sku-1', userId: 'y', price: 0.01, quantity: 1 }));
    assert.deepEqual(kinds(low), ['PRICE_ANOMALY']);
    assert.equal(low[0]!.severity, 'CRITICAL'); // 1/499
    assert.deepEqual(kinds(d.observe(ev('PURCHASE', T0 + 3_800_000, { itemId: 'sku-1', userId: 'z', price: 5.05, quantity: 2 }))), []);
  });

  it('a flagged price does not enter the item baseline', () => {
    const d = new AnomalyDetector();
    history(d, 'sku-2', 10, 10, 1);
    const a = d.observe(ev('PURCHASE', T0 + 1e7, { itemId: 'sku-2', userId: 'a', price: 500, quantity: 1 }));
    assert.deepEqual(kinds(a), ['PRICE_ANOMALY']);
    const n0 = (a[0]!.evidence.baselines as Array<{ n: number }>)[0]!.n;
    assert.equal(n0, 10);
    // Same wrong price again straight away: same episode, no new finding, still not learned.
    assert.deepEqual(kinds(d.observe(ev('PURCHASE', T0 + 1e7 + 1, { itemId: 'sku-2', userId: 'b', price: 500, quantity: 1 }))), []);
    assert.deepEqual(kinds(d.observe(ev('PURCHASE', T0 + 1e7 + 2, { itemId: 'sku-2', userId: 'c', price: 10, quantity: 1 }))), []);
    const b = d.observe(ev('PURCHASE', T0 + 1e7 + 3, { itemId: 'sku-2', userId: 'd', price: 500, quantity: 1 }));
    assert.deepEqual(kinds(b), ['PRICE_ANOMALY']);
    // Only the normal price was added: 10 + 1.
    assert.equal((b[0]!.evidence.baselines as Array<{ n: number }>)[0]!.n, 11);
  });

  it('a zero price on an item with a price history is flagged', () => {
    const d = new AnomalyDetector();
    history(d, 'sku-3', 10, 3, 1);
    const f = d.observe(ev('PURCHASE', T0 + 1e7, { itemId: 'sku-3', price: 0, quantity: 1 }));
    assert.deepEqual(kinds(f), ['PRICE_ANOMALY']);
    assert.equal(f[0]!.evidence.reason, 'non-positive price');
  });
});

describe('QUANTITY_OUTLIER and ORDER_VALUE_OUTLIER', () => {
  function warmGlobal(d: AnomalyDetector): void {
    // 300 ordinary purchase lines over 100 items / 150 customers: global history only.
    for (let i = 0; i < 300; i++) {
      d.observe(ev('PURCHASE', T0 + i * 60_000, { itemId: `w${i % 100}`, userId: `wc${i % 150}`, price: 2 + (i % 7), quantity: 1 + (i % 12) }));
    }
  }

  it('a huge first order of a new customer on a new item is flagged, and its cancellation linked (REMOVE_FROM_CART)', () => {
    const d = new AnomalyDetector();
    warmGlobal(d);
    const t = T0 + 1e8;
    const big = d.observe(ev('PURCHASE', t, { id: '541431:1', itemId: '23166', userId: '12346', price: 1.04, quantity: 74215, orderId: '541431' }));
    assert.deepEqual(kinds(big), ['QUANTITY_OUTLIER']);
    assert.equal(big[0]!.severity, 'CRITICAL');
    assert.equal(big[0]!.id, 'QUANTITY_OUTLIER:item:23166:541431:1');
    // The order closes when the same customer moves on to another order: the cancellation.
    const cancel = d.observe(
      ev('REMOVE_FROM_CART', t + 16 * 60_000, { id: 'C541433:1', itemId: '23166', userId: '12346', price: 1.04, quantity: 74215, orderId: 'C541433' }),
    );
    const byKind = new Map(cancel.map((f) => [f.kind + ':' + f.severity, f]));
    const order = byKind.get('ORDER_VALUE_OUTLIER:CRITICAL');
    assert.ok(order, JSON.stringify(cancel));
    assert.equal(order.entityId, '12346');
    assert.equal(order.evidence.orderId, '541431');
    const qCancel = byKind.get('QUANTITY_OUTLIER:INFO');
    assert.ok(qCancel);
    assert.equal(qCancel.evidence.cancels, '541431:1');
    const rest = d.flush();
    assert.deepEqual(
      rest.map((f) => `${f.kind}:${f.severity}`),
      ['ORDER_VALUE_OUTLIER:INFO'],
    );
    assert.equal(rest[0]!.evidence.cancels, '541431');
  });

  it('accepts cancellations as PURCHASE with negative quantity; an unmatched huge cancellation is a WARNING/CRITICAL', () => {
    const d = new AnomalyDetector();
    warmGlobal(d);
    const t = T0 + 1e8;
    d.observe(ev('PURCHASE', t, { itemId: 'big', userId: 'cx', price: 1, quantity: 50_000 }));
    // Without order ids, cx's lines at one instant are one order: it is judged (flagged) when the return starts.
    const c = d.observe(ev('PURCHASE', t + 1, { itemId: 'big', userId: 'cx', price: 1, quantity: -50_000 }));
    assert.deepEqual(c.map((f) => `${f.kind}:${f.severity}`).sort(), ['ORDER_VALUE_OUTLIER:CRITICAL', 'QUANTITY_OUTLIER:INFO']);
    // The return itself is judged when it closes: it reverses the flagged order.
    const closed = d.flush().filter((f) => f.kind === 'ORDER_VALUE_OUTLIER' && f.entityId === 'cx');
    assert.deepEqual(
      closed.map((f) => f.severity),
      ['INFO'],
    );
    assert.equal(closed[0]!.evidence.cancels, `order@${t}`);
    const lone = d.observe(ev('PURCHASE', t + 2, { itemId: 'other', userId: 'cy', price: 1, quantity: -40_000 }));
    assert.ok(lone.some((f) => f.kind === 'QUANTITY_OUTLIER' && f.severity !== 'INFO' && f.evidence.cancellation === true));
  });

  it('judges the item and customer history: 25x the usual quantity is flagged, 3x is not', () => {
    const d = new AnomalyDetector();
    assert.deepEqual(kinds(history(d, 'sku-q', 30, 2, 2)), []);
    assert.deepEqual(kinds(d.observe(ev('PURCHASE', T0 + 1e7, { itemId: 'sku-q', userId: 'n1', price: 2, quantity: 9 }))), []);
    const f = d.observe(ev('PURCHASE', T0 + 1e7 + 1, { itemId: 'sku-q', userId: 'n2', price: 2, quantity: 120 }));
    assert.ok(
      f.some((x) => x.kind === 'QUANTITY_OUTLIER' && x.entityId === 'sku-q'),
      JSON.stringify(f),
    );
  });

  it('groups order value by orderId and judges the order when it goes idle', () => {
    const d = new AnomalyDetector();
    // Customer history: 10 orders of ~3 lines worth ~30.
    let t = T0;
    for (let o = 0; o < 10; o++) {
      for (let l = 0; l < 3; l++) d.observe(ev('PURCHASE', t + l, { userId: 'buyer', itemId: `it${l}`, price: 5, quantity: 2, orderId: `o${o}` }));
      t += 86_400_000;
    }
    // A big order: 40 lines x 3 units x 30 = 3600, each line individually unremarkable for the customer? (quantity 3)
    for (let l = 0; l < 40; l++) d.observe(ev('PURCHASE', t + l, { userId: 'buyer', itemId: `big${l}`, price: 30, quantity: 3, orderId: 'o-big' }));
    const f = d.observe(ev('VIEW', t + 3_600_000, { userId: 'someone-else', itemId: 'x' }));
    const ov = f.filter((x) => x.kind === 'ORDER_VALUE_OUTLIER');
    assert.equal(ov.length, 1, JSON.stringify(f));
    assert.equal(ov[0]!.evidence.orderId, 'o-big');
    assert.equal(ov[0]!.evidence.lines, 40);
    assert.equal(ov[0]!.evidence.value, 3600);
  });

  it("without order ids, one customer's lines at one instant are one order (what the gateway sees of an invoice)", () => {
    const d = new AnomalyDetector();
    let t = T0;
    for (let o = 0; o < 10; o++) {
      for (let l = 0; l < 3; l++) d.observe(ev('PURCHASE', t, { id: `h${o}-${l}`, userId: 'buyer', itemId: `it${l}`, price: 5, quantity: 2 }));
      t += 86_400_000;
    }
    for (let l = 0; l < 40; l++) d.observe(ev('PURCHASE', t, { id: `big-${l}`, userId: 'buyer', itemId: `big${l}`, price: 30, quantity: 3 }));
    const f = d.observe(ev('VIEW', t + 3_600_000, { userId: 'someone-else', itemId: 'x' }));
    const ov = f.filter((x) => x.kind === 'ORDER_VALUE_OUTLIER');
    assert.equal(ov.length, 1, JSON.stringify(f));
    assert.equal(ov[0]!.evidence.lines, 40);
    assert.equal(ov[0]!.evidence.value, 3600);
  });
});

describe('TRAFFIC_SPIKE and TRAFFIC_DROP', () => {
  const cfg = { traffic: { warmupBuckets: 10, perItem: false } };

  function bucket(d: AnomalyDetector, b: number, count: number): AnomalyFinding[] {
    const out: AnomalyFinding[] = [];
    for (let i = 0; i < count; i++) {
      out.push(...d.observe(ev('VIEW', T0 + b * 60_000 + Math.floor((i * 60_000) / count), { userId: `v${b}-${i}`, itemId: `i${i % 50}` })));
    }
    return out;
  }

  it('a spike is reported once per episode and does not move the baseline', () => {
    const d = new AnomalyDetector(cfg);
    const found: AnomalyFinding[] = [];
    for (let b = 0; b < 40; b++) found.push(...bucket(d, b, 50 + ((b * 7) % 11) - 5));
    assert.deepEqual(kinds(found), []);
    const s1 = [...bucket(d, 40, 400), ...bucket(d, 41, 400)];
    assert.deepEqual(kinds(s1), ['TRAFFIC_SPIKE']); // two spiking buckets, one episode
    const mean1 = s1[0]!.evidence.baselineMean as number;
    assert.ok(Math.abs(mean1 - 50) < 3, `baseline ${mean1}`);
    assert.deepEqual(kinds(bucket(d, 42, 50)), []);
    const s2 = bucket(d, 43, 400);
    assert.deepEqual(kinds(s2), ['TRAFFIC_SPIKE']);
    const mean2 = s2[0]!.evidence.baselineMean as number;
    // Had the 400-event buckets entered the EW mean (alpha 0.05), it would have moved by ~35.
    assert.ok(Math.abs(mean2 - mean1) < 1, `baseline moved from ${mean1} to ${mean2}`);
  });

  it('a drop is reported when the low bucket closes', () => {
    const d = new AnomalyDetector(cfg);
    for (let b = 0; b < 40; b++) bucket(d, b, 100);
    assert.deepEqual(kinds(bucket(d, 40, 3)), []); // still open
    const f = bucket(d, 41, 3); // closes bucket 40
    assert.deepEqual(kinds(f), ['TRAFFIC_DROP']);
    assert.equal(f[0]!.entityType, 'global');
    assert.equal(f[0]!.evidence.count, 3);
    assert.deepEqual(kinds(bucket(d, 42, 3)), []); // same episode
  });

  it('per-item spikes need a warmed-up item', () => {
    const d = new AnomalyDetector({ traffic: { itemBucketMs: 60_000, warmupBuckets: 10, itemSpikeMinCount: 30 } });
    const found: AnomalyFinding[] = [];
    for (let b = 0; b < 30; b++) {
      for (let i = 0; i < 5; i++) found.push(...d.observe(ev('VIEW', T0 + b * 60_000 + i * 1000, { userId: `p${b}-${i}`, itemId: 'hot' })));
    }
    for (let i = 0; i < 60; i++) found.push(...d.observe(ev('VIEW', T0 + 30 * 60_000 + i * 900, { userId: `q${i}`, itemId: 'hot' })));
    const item = found.filter((f) => f.kind === 'TRAFFIC_SPIKE' && f.entityType === 'item');
    assert.equal(item.length, 1);
    assert.equal(item[0]!.entityId, 'hot');
  });
});

describe('clean synthetic stream', () => {
  it('produces fewer than 1 finding per 10,000 events', () => {
    const r = replayAnomalies(syntheticEvents({ events: 100_000, seed: 1 }));
    assert.equal(r.events, 100_000);
    assert.ok(r.totalFindings < 10, `${r.totalFindings} findings: ${JSON.stringify(r.findings.map((f) => f.message))}`);
  });
});

describe('bounded memory and determinism', () => {
  it('respects maxTrackedKeys in every table', () => {
    const cap = 100;
    const d = new AnomalyDetector({ maxTrackedKeys: cap });
    for (let i = 0; i < 5_000; i++) {
      d.observe(
        ev(i % 2 ? 'VIEW' : 'PURCHASE', T0 + i * 1000, { userId: `u${i}`, itemId: `i${i}`, price: 1 + (i % 9), quantity: 1 + (i % 4), orderId: `o${i}` }),
      );
    }
    const s = d.stats();
    assert.ok(s.trackedActors <= cap);
    assert.ok(s.trackedItemSeries <= cap);
    assert.ok(s.trackedPriceItems <= cap);
    assert.ok(s.trackedQuantityKeys <= 2 * cap); // items + customers
    assert.ok(s.trackedOrderKeys <= cap + defaultAnomalyConfig.orderValue.maxOpenOrders);
    assert.equal(s.events, 5_000);
  });

  it('ignores re-delivered event ids and gives identical findings on identical input', () => {
    const events = [...syntheticEvents({ events: 3_000, seed: 3 })];
    const base = events.at(-1)!.timestamp + 1;
    for (let i = 0; i < 200; i++) events.push(ev('CLICK', base + i * 100, { userId: 'scraper', id: `s${i}` }));
    const a = new AnomalyDetector().observeBatch(events);
    const b = new AnomalyDetector().observeBatch([...events, ...events.slice(-50)]);
    assert.deepEqual(
      a.map((f) => f.id),
      b.map((f) => f.id),
    );
    assert.ok(a.some((f) => f.kind === 'BOT_ACTIVITY' && f.entityId === 'scraper'));
  });

  it('replay groups findings by kind with counts', () => {
    const events = [...syntheticEvents({ events: 2_000, seed: 5 })];
    const base = events.at(-1)!.timestamp + 1;
    for (let i = 0; i < 100; i++) events.push(ev('CLICK', base + i * 100, { userId: 'scraper', id: `x${i}` }));
    const r = replayAnomalies(events, { topN: 3 });
    assert.equal(r.byKind.BOT_ACTIVITY.count, 1);
    assert.equal(r.byKind.BOT_ACTIVITY.top.length, 1);
    assert.equal(
      r.totalFindings,
      Object.values(r.byKind).reduce((s, k) => s + k.count, 0),
    );
    assert.deepEqual(r.flaggedBots, ['scraper']);
  });

  it('rejects nonsense configuration', () => {
    assert.throws(() => new AnomalyDetector({ traffic: { alpha: 0 } }), RangeError);
    assert.throws(() => new AnomalyDetector({ maxTrackedKeys: 0 }), RangeError);
  });
});

describe('erasure', () => {
  it('forgetActors drops an actor’s bot flag and purchase histories, and leaves others alone', () => {
    const d = new AnomalyDetector();
    for (let i = 0; i < 60; i++) d.observe(ev('CLICK', T0 + i * 100, { userId: 'u-gone', itemId: `i${i % 7}` }));
    for (let i = 0; i < 5; i++) {
      d.observe(ev('PURCHASE', T0 + 10_000 + i * 3_600_000, { userId: 'u-gone', itemId: 'i1', price: 2, quantity: 3, orderId: `o-gone-${i}` }));
      d.observe(ev('PURCHASE', T0 + 10_000 + i * 3_600_000, { userId: 'u-kept', itemId: 'i1', price: 2, quantity: 3, orderId: `o-kept-${i}` }));
    }
    d.flush();
    assert.equal(d.isFlaggedBot('u-gone'), true);
    const before = d.stats();
    d.forgetActors(['u-gone']);
    const after = d.stats();
    assert.equal(d.isFlaggedBot('u-gone'), false);
    assert.equal(after.trackedActors, before.trackedActors - 1, 'bot activity ring dropped');
    assert.equal(after.trackedQuantityKeys, before.trackedQuantityKeys - 1, 'purchase-size history dropped');
    assert.equal(after.trackedOrderKeys, before.trackedOrderKeys - 1, 'order-value history dropped');
    d.forgetActors(['u-gone']);
    assert.deepEqual(d.stats(), after, 'forgetting twice changes nothing');
  });
});
