import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AnomalyTable } from '../../../src/graph/anomaly-table';
import { AnomalyService, toRecord } from '../../../src/anomaly/service';
import { anomalyConfigFromEnv } from '../../../src/config/anomaly-settings';
import type { FlywheelEvent, InteractionEvent } from '../../../src/events/event';
import type { AnomalyRecord } from '../../../src/graph/graph-store';
import { MemoryGraph } from '../../../src/graph/embedded/memory-graph';
import { OnlineRetailMapper } from '../../../src/import/online-retail';

const T0 = Date.UTC(2024, 0, 1);

function click(id: string, userId: string, itemId: string, t: number, type: InteractionEvent['type'] = 'CLICK'): InteractionEvent {
  return { kind: 'interaction', v: 1, id, type, userId, itemId, timestamp: t, ...(type === 'PURCHASE' ? { quantity: 1, price: 10 } : {}) };
}

function rec(id: string, over: Partial<AnomalyRecord> = {}): AnomalyRecord {
  return {
    id,
    kind: 'PRICE_ANOMALY',
    severity: 'WARNING',
    entityType: 'item',
    entityId: 'i1',
    score: 5,
    detectedAt: T0,
    message: id,
    evidence: null,
    acknowledged: false,
    userId: null,
    itemId: 'i1',
    ...over,
  };
}

/** u1..u5 engage with X and Y; then a bot clicks X and 59 items of its own within seconds. */
function scenario(): { shoppers: FlywheelEvent[]; bot: FlywheelEvent[] } {
  const shoppers: FlywheelEvent[] = [];
  for (let u = 1; u <= 5; u++) {
    shoppers.push(click(`x${u}`, `u${u}`, 'X', T0 + u));
    shoppers.push(click(`y${u}`, `u${u}`, 'Y', T0 + u, 'PURCHASE'));
  }
  const bot = Array.from({ length: 60 }, (_, i) => click(`b${i}`, 'bot', i === 0 ? 'X' : `Z${i}`, T0 + 10_000 + i * 100));
  return { shoppers, bot };
}

/** The positive edges the recommendation models rebuild from (`scanInteractions`), as "user:item". */
async function positiveEdges(g: MemoryGraph): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of g.scanInteractions(1000)) for (const e of batch) out.push(`${e.userId}:${e.itemId}`);
  return out.sort();
}

function ingest(g: MemoryGraph, svc: AnomalyService, events: FlywheelEvent[]): readonly FlywheelEvent[] {
  g.applySync(events);
  svc.onApplied(events);
  return svc.forRecommender(events);
}

describe('AnomalyTable', () => {
  it('lists newest first with filters, pages with cursors, caps its size and keeps links', () => {
    const t = new AnomalyTable(5);
    t.put([
      rec('a', { severity: 'INFO' }),
      rec('b', { kind: 'BOT_ACTIVITY', userId: 'bot', itemId: null, entityType: 'user', entityId: 'bot' }),
      rec('c', { severity: 'CRITICAL', itemId: 'i2', entityId: 'i2' }),
    ]);
    assert.deepEqual(t.put([rec('a')]), [], 'same id twice is stored once');
    assert.deepEqual(
      t.list({ first: 10 }).anomalies.map((r) => r.id),
      ['c', 'b', 'a'],
    );
    assert.deepEqual(
      t.list({ first: 10, minSeverity: 'WARNING' }).anomalies.map((r) => r.id),
      ['c', 'b'],
    );
    assert.deepEqual(
      t.list({ first: 10, kinds: ['BOT_ACTIVITY'] }).anomalies.map((r) => r.id),
      ['b'],
    );
    assert.deepEqual(
      t.list({ first: 10, entityIds: ['i1'] }).anomalies.map((r) => r.id),
      ['a'],
      'entity or linked item',
    );
    assert.deepEqual(
      t.list({ first: 10, entityIds: ['bot'] }).anomalies.map((r) => r.id),
      ['b'],
    );
    const p1 = t.list({ first: 2 });
    assert.equal(p1.hasNextPage, true);
    assert.equal(p1.totalCount, 3);
    const p2 = t.list({ first: 2, after: p1.endCursor! });
    assert.deepEqual(
      p2.anomalies.map((r) => r.id),
      ['a'],
    );
    assert.equal(p2.hasNextPage, false);
    assert.throws(() => t.list({ first: 2, after: 'garbage!' }), RangeError);

    assert.equal(t.acknowledge('b', true)!.acknowledged, true);
    assert.equal(t.acknowledge('nope', true), null);
    assert.deepEqual(
      t.list({ first: 10, acknowledged: false }).anomalies.map((r) => r.id),
      ['c', 'a'],
    );

    t.put(['d', 'e', 'f', 'g'].map((id) => rec(id)));
    assert.equal(t.size, 5);
    assert.equal(t.get('a'), null, 'oldest dropped first');
    assert.equal(t.get('b'), null);
    assert.deepEqual(t.list({ first: 10, entityIds: ['bot'] }).anomalies, [], 'links of dropped records are gone');
  });
});

describe('AnomalyService on the memory graph', () => {
  it('stores and publishes a bot burst once, links it, and excludes the bot from item counts and the edges models learn from', async () => {
    const g = new MemoryGraph();
    const published: AnomalyRecord[] = [];
    const svc = new AnomalyService(g, { publish: (r) => published.push(r) });
    await svc.start();
    const { shoppers, bot } = scenario();
    ingest(g, svc, shoppers);
    const beforeEdges = await positiveEdges(g);
    const fed = ingest(g, svc, bot);
    await svc.idle();

    assert.equal(published.length, 1);
    const a = published[0]!;
    assert.equal(a.kind, 'BOT_ACTIVITY');
    assert.equal(a.userId, 'bot');
    assert.equal(svc.isFlaggedBot('bot'), true);
    assert.equal(svc.isFlaggedBot('u1'), false);
    assert.deepEqual(fed, [], 'the whole flagged burst is kept from the recommender feed');
    assert.deepEqual(await g.excludedActors(), ['bot']);
    assert.deepEqual(
      (await g.listAnomalies({ first: 10, entityIds: ['bot'] })).anomalies.map((r) => r.id),
      [a.id],
    );

    // Whatever reads the graph sees the shop without the bot.
    assert.deepEqual(await positiveEdges(g), beforeEdges);
    assert.equal((await g.getItems(['X']))[0]!.userCount, 5);
    assert.equal((await g.getItems(['Z1']))[0]!.userCount, 0);
    // Re-delivery (log replay) neither duplicates nor re-publishes.
    svc.onApplied(bot);
    await svc.idle();
    assert.equal(published.length, 1);
    // The bot's own later events stay out of the item counts too.
    ingest(g, svc, [click('late', 'bot', 'Y', T0 + 20_000, 'PURCHASE')]);
    assert.equal((await g.getItems(['Y']))[0]!.userCount, 5);

    // Re-including restores the bot's edges (and a control: with them the edges include X's Z items).
    assert.equal(await g.setActorExcluded('bot', false), true);
    assert.equal((await g.getItems(['X']))[0]!.userCount, 6);
    assert.ok((await positiveEdges(g)).some((e) => e.startsWith('bot:Z')));
  });

  it('with ignoreBots off the bot is flagged but not excluded', async () => {
    const g = new MemoryGraph();
    const svc = new AnomalyService(g, { ignoreBots: false });
    await svc.start();
    const { shoppers, bot } = scenario();
    ingest(g, svc, shoppers);
    const fed = ingest(g, svc, bot);
    assert.equal(fed, bot);
    assert.equal(svc.isFlaggedBot('bot'), true);
    assert.deepEqual(await g.excludedActors(), []);
    assert.equal((await g.getItems(['X']))[0]!.userCount, 6);
  });

  it('lifts the exclusion when the flag expires (event time)', async () => {
    const g = new MemoryGraph();
    const svc = new AnomalyService(g, { config: { bot: { flagTtlMs: 60_000 } } });
    await svc.start();
    const { shoppers, bot } = scenario();
    ingest(g, svc, shoppers);
    ingest(g, svc, bot);
    assert.deepEqual(await g.excludedActors(), ['bot']);
    ingest(g, svc, [click('later', 'u1', 'Y', T0 + 10 * 60_000)]);
    assert.deepEqual(await g.excludedActors(), []);
    assert.equal(svc.isFlaggedBot('bot'), false);
  });

  it('anomalies, acknowledgements and exclusions survive a snapshot', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-anomaly-'));
    try {
      const file = path.join(dir, 'graph.snapshot');
      const g = new MemoryGraph({ snapshotPath: file });
      const svc = new AnomalyService(g);
      const { shoppers, bot } = scenario();
      g.applySync(shoppers, 0);
      svc.onApplied(shoppers);
      g.applySync(bot, 1);
      svc.onApplied(bot);
      await svc.idle();
      await g.checkpoint();
      const [a] = (await g.listAnomalies({ first: 1 })).anomalies;
      await g.acknowledgeAnomaly(a!.id);
      await g.checkpoint(); // an acknowledgement alone (no new events) is persisted too

      const g2 = new MemoryGraph({ snapshotPath: file });
      await g2.restore();
      const [b] = (await g2.listAnomalies({ first: 1 })).anomalies;
      assert.equal(b!.id, a!.id);
      assert.equal(b!.acknowledged, true);
      assert.deepEqual(await g2.excludedActors(), ['bot']);
      assert.equal((await g2.getItems(['X']))[0]!.userCount, 5);
      const edges: string[] = [];
      for await (const batch of g2.scanInteractions!(100)) for (const e of batch) edges.push(e.userId);
      assert.ok(!edges.includes('bot'), 'derived models rebuilt from the graph do not see the bot');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('links quantity / price findings to the buyer and the item, traffic to the item', () => {
    const e = click('e1', 'u9', 'i9', T0, 'PURCHASE');
    const q = toRecord(
      { id: 'q', kind: 'QUANTITY_OUTLIER', severity: 'WARNING', entityType: 'item', entityId: 'i9', score: 9, detectedAt: T0, message: 'm', evidence: {} },
      e,
    );
    assert.equal(q.userId, 'u9');
    assert.equal(q.itemId, 'i9');
    const t = toRecord(
      { id: 't', kind: 'TRAFFIC_SPIKE', severity: 'WARNING', entityType: 'item', entityId: 'i9', score: 9, detectedAt: T0, message: 'm', evidence: {} },
      e,
    );
    assert.equal(t.userId, null, 'a traffic spike is not about the user whose event closed the bucket');
    assert.equal(t.itemId, 'i9');
    const o = toRecord(
      {
        id: 'o',
        kind: 'ORDER_VALUE_OUTLIER',
        severity: 'WARNING',
        entityType: 'session',
        entityId: 's1',
        score: 9,
        detectedAt: T0,
        message: 'm',
        evidence: {},
      },
      null,
    );
    assert.equal(o.userId, 'session:s1');
  });
});

describe('AnomalyService: several instances on one store (Kafka fan-out)', () => {
  it("with publishScope 'detected' each instance publishes the finding once while the store keeps it once", async () => {
    for (const scope of ['detected', 'stored'] as const) {
      const g = new MemoryGraph();
      const published: AnomalyRecord[][] = [[], []];
      const svcs = [0, 1].map((i) => new AnomalyService(g, { publishScope: scope, publish: (r) => published[i]!.push(r) }));
      for (const svc of svcs) await svc.start();
      const { shoppers, bot } = scenario();
      g.applySync([...shoppers, ...bot]);
      // Both instances see every event (their own fan-out consumers), in different batch boundaries.
      for (const svc of svcs) svc.onApplied(shoppers);
      svcs[0]!.onApplied(bot);
      svcs[1]!.onApplied(bot.slice(0, 30));
      svcs[1]!.onApplied(bot.slice(30));
      await Promise.all(svcs.map((s) => s.idle()));
      // A redelivered batch is not published again.
      for (const svc of svcs) svc.onApplied(bot);
      await Promise.all(svcs.map((s) => s.idle()));
      const stored = (await g.listAnomalies({ first: 10, entityIds: ['bot'] })).anomalies;
      assert.equal(stored.length, 1, `${scope}: stored once`);
      if (scope === 'detected') {
        assert.deepEqual(
          published.map((p) => p.map((r) => r.id)),
          [[stored[0]!.id], [stored[0]!.id]],
          'each instance publishes the same finding once',
        );
      } else {
        // Control: publishing only what this instance stored first leaves the second instance's subscribers without it.
        assert.deepEqual(
          published.map((p) => p.length),
          [1, 0],
        );
      }
    }
  });
});

describe('configuration and the Online Retail mapper', () => {
  it('FLYWHEEL_ANOMALY_* keys override the JSON config; invalid values are refused', () => {
    const c = anomalyConfigFromEnv({
      FLYWHEEL_ANOMALY_CONFIG: '{"bot":{"maxEvents":10,"windowMs":5000},"price":{"minRatio":8}}',
      FLYWHEEL_ANOMALY_BOT_MAX_EVENTS: 20,
    });
    assert.equal(c.bot?.maxEvents, 20);
    assert.equal(c.bot?.windowMs, 5000);
    assert.equal(c.price?.minRatio, 8);
    assert.throws(() => anomalyConfigFromEnv({ FLYWHEEL_ANOMALY_CONFIG: '{not json' }), /FLYWHEEL_ANOMALY_CONFIG/);
    assert.throws(() => anomalyConfigFromEnv({ FLYWHEEL_ANOMALY_CONFIG: '{"traffic":{"alpha":2}}' }), /alpha/);
  });

  it('keepCancellations maps C invoices to REMOVE_FROM_CART with |quantity| and the invoice as order id; default still drops them', () => {
    const row = {
      InvoiceNo: 'C541433',
      StockCode: '23166',
      Description: 'MEDIUM CERAMIC TOP STORAGE JAR',
      Quantity: '-74215',
      InvoiceDate: '2011-01-18 10:17:00',
      UnitPrice: '1.04',
      CustomerID: '12346.0',
      Country: 'United Kingdom',
    };
    assert.deepEqual(new OnlineRetailMapper().map(row), { kind: 'dropped', reason: 'cancellation' });
    const out = new OnlineRetailMapper({ keepCancellations: true }).map(row);
    assert.equal(out.kind, 'events');
    if (out.kind !== 'events') return;
    assert.equal(out.orderId, 'C541433');
    const e = out.events[out.events.length - 1]!;
    assert.equal(e.kind, 'interaction');
    if (e.kind !== 'interaction') return;
    assert.equal(e.type, 'REMOVE_FROM_CART');
    assert.equal(e.quantity, 74215);
    assert.equal(e.userId, '12346');
    const fee = { ...row, InvoiceNo: '541431', StockCode: 'POST', Quantity: '1' };
    assert.equal(new OnlineRetailMapper({ keepCancellations: true }).map(fee).kind, 'dropped');
    assert.equal(new OnlineRetailMapper({ keepFeeItems: true }).map(fee).kind, 'events');
  });
});
