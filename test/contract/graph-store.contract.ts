import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { actorId, type FlywheelEvent, type InteractionType } from '../../src/events/event';
import { isPositive, itemPriceAfter, nextEdgeState, type EdgeState } from '../../src/graph/edge-rule';
import { DEFAULT_TYPE_WEIGHTS, type AnomalyRecord, type GraphStore } from '../../src/graph/graph-store';

/**
 * The graph store contract: behaviour every GraphStore must show, whatever keeps the graph. Run by
 * test/unit/contract (embedded in-memory graph) and test/integration (Neo4j) with the same expectations.
 * `open()` must return an empty store; `close()` releases it.
 */
export interface GraphStoreHandle {
  store: GraphStore;
  close(): Promise<void>;
}

export interface GraphStoreContractOptions {
  /** When set, every test is skipped with this message (e.g. no server configured). */
  skip?: string;
}

const T0 = Date.UTC(2026, 0, 1);
let seq = 0;

export function ev(type: InteractionType, userId: string, itemId: string, minute: number, extra: Partial<FlywheelEvent> = {}): FlywheelEvent {
  return {
    kind: 'interaction',
    v: 1,
    id: `c-${++seq}-${type}-${userId}-${itemId}`,
    type,
    userId,
    itemId,
    timestamp: T0 + minute * 60_000,
    ...extra,
  } as FlywheelEvent;
}

/** A finding about item i1 with the given id (the anomaly cases that only count, order and page). */
export function trafficFinding(id: string, detectedAt: number): AnomalyRecord {
  return {
    id,
    kind: 'TRAFFIC_SPIKE',
    severity: 'WARNING',
    entityType: 'ITEM',
    entityId: 'i1',
    score: 1,
    detectedAt,
    message: id,
    evidence: null,
    acknowledged: false,
    userId: null,
    itemId: 'i1',
  };
}

export function item(itemId: string, title: string, category?: string, price?: number): FlywheelEvent {
  return {
    kind: 'item',
    v: 1,
    id: `c-${++seq}-item-${itemId}`,
    itemId,
    title,
    timestamp: T0,
    ...(category ? { category } : {}),
    ...(price !== undefined ? { price } : {}),
  };
}

export function graphStoreContract(name: string, open: () => Promise<GraphStoreHandle>, options: GraphStoreContractOptions = {}): void {
  const it = (title: string, fn: (store: GraphStore) => Promise<void>) =>
    test(title, options.skip ? { skip: options.skip } : {}, async () => {
      const h = await open();
      try {
        await fn(h.store);
      } finally {
        await h.close();
      }
    });

  describe(`GraphStore contract: ${name}`, () => {
    it('applying a batch is idempotent per event id (across batches and within one)', async (store) => {
      const a = ev('VIEW', 'u1', 'i1', 1);
      const b = ev('CLICK', 'u1', 'i1', 2);
      const first = await store.applyEvents([a, b, a]);
      assert.equal(first.applied, 2);
      assert.equal(first.duplicates, 1);
      assert.deepEqual(first.touchedUsers, ['u1']);
      assert.deepEqual(first.touchedItems, ['i1']);
      const again = await store.applyEvents([a, b]);
      assert.equal(again.applied, 0);
      assert.equal(again.duplicates, 2);
      const [edges] = await store.getInteractions(['u1'], 10);
      assert.equal(edges!.length, 1);
      assert.equal(edges![0]!.counts.VIEW, 1, 'a redelivered view is not counted twice');
      assert.equal(edges![0]!.counts.CLICK, 1);
      const stats = await store.stats();
      assert.equal(stats.eventsApplied, 2);
      assert.equal(stats.edges, 1);
      assert.equal(stats.users, 1);
      assert.equal(stats.items, 1);
    });

    it('impressions (served lists) travel through the log but never shape the graph (isGraphEvent)', async (store) => {
      const shown: FlywheelEvent = {
        kind: 'impression',
        v: 1,
        id: `served-${++seq}`,
        userId: 'u1',
        surface: 'recommendations',
        strategy: 'popular',
        items: [
          { itemId: 'i1', position: 1, propensity: 1 },
          { itemId: 'i9', position: 2, propensity: 1 },
        ],
        timestamp: T0,
      };
      const only = await store.applyEvents([shown]);
      assert.deepEqual(only, { applied: 0, duplicates: 0, touchedUsers: [], touchedItems: [] }, 'an impression alone changes nothing');
      const mixed = await store.applyEvents([shown, ev('VIEW', 'u1', 'i1', 1), shown]);
      assert.equal(mixed.applied, 1, 'the view beside it is applied');
      assert.equal(mixed.duplicates, 0, 'impressions are not remembered as applied ids either');
      assert.deepEqual(mixed.touchedItems, ['i1'], 'no placeholder for the served item i9');
      const stats = await store.stats();
      assert.equal(stats.eventsApplied, 1);
      assert.equal(stats.items, 1);
      assert.equal(stats.users, 1);
      const [edges] = await store.getInteractions(['u1'], 10);
      assert.deepEqual(
        edges!.map((e) => e.itemId),
        ['i1'],
      );
    });

    it("idempotency is per actor: another actor's event with the same id is applied, not dropped", async (store) => {
      // Ids are producer-chosen: u16 sending an id u15 will use must not suppress u15's purchase.
      const mine = { ...ev('PURCHASE', 'u15', 'i1', 1, { quantity: 1 }), id: 'order-1' } as FlywheelEvent;
      const theirs = { ...ev('PURCHASE', 'u16', 'i2', 0, { quantity: 1 }), id: 'order-1' } as FlywheelEvent;
      const first = await store.applyEvents([theirs]);
      assert.equal(first.applied, 1);
      const second = await store.applyEvents([mine, theirs]);
      assert.equal(second.applied, 1, "u15's event is applied");
      assert.equal(second.duplicates, 1, "u16's own resend is the only duplicate");
      const [u15, u16] = await store.getInteractions(['u15', 'u16'], 10);
      assert.deepEqual(
        u15!.map((e) => [e.itemId, e.counts.PURCHASE]),
        [['i1', 1]],
      );
      assert.deepEqual(
        u16!.map((e) => [e.itemId, e.counts.PURCHASE]),
        [['i2', 1]],
      );
      // A session and a customer are different actors too.
      const anon = { kind: 'interaction', v: 1, id: 'order-1', type: 'VIEW', sessionId: 'u15', itemId: 'i3', timestamp: T0 } as FlywheelEvent;
      assert.equal((await store.applyEvents([anon])).applied, 1);
    });

    it('an interaction edge carries per-type counts, a floored weight, quantity, revenue and times', async (store) => {
      await store.applyEvents([item('i1', 'Mug', 'kitchen', 10)]);
      await store.applyEvents([
        ev('VIEW', 'u1', 'i1', 1),
        ev('ADD_TO_CART', 'u1', 'i1', 2, { quantity: 2 }),
        ev('PURCHASE', 'u1', 'i1', 3, { quantity: 2 }),
        ev('PURCHASE', 'u1', 'i1', 4, { quantity: 1, price: 12 }),
        ev('VIEW', 'u1', 'i2', 5),
        ev('REMOVE_FROM_CART', 'u1', 'i2', 6, { quantity: 1 }),
        ev('VIEW', 'u2', 'i1', 7),
      ]);
      const [edges, none] = await store.getInteractions(['u1', 'nobody'], 10);
      assert.deepEqual(none, []);
      assert.deepEqual(
        edges!.map((e) => e.itemId),
        ['i2', 'i1'],
        'most recent first',
      );
      const mug = edges!.find((e) => e.itemId === 'i1')!;
      assert.deepEqual(mug.counts, { VIEW: 1, CLICK: 0, ADD_TO_CART: 1, REMOVE_FROM_CART: 0, PURCHASE: 2 });
      assert.equal(mug.weight, 1 + 3 + 5 + 5);
      assert.equal(mug.quantity, 3);
      assert.equal(mug.revenue, 2 * 10 + 1 * 12);
      assert.equal(mug.firstSeenAt, T0 + 60_000);
      assert.equal(mug.lastSeenAt, T0 + 4 * 60_000);
      assert.equal(mug.lastType, 'PURCHASE');
      const removed = edges!.find((e) => e.itemId === 'i2')!;
      assert.equal(removed.weight, 0, 'the weight is floored at 0');
      const [limited] = await store.getInteractions(['u1'], 1);
      assert.deepEqual(
        limited!.map((e) => e.itemId),
        ['i2'],
      );

      const [u1, u2, ghost] = await store.getUsers(['u1', 'u2', 'ghost']);
      assert.equal(ghost, null);
      assert.equal(u1!.itemCount, 2);
      assert.equal(u1!.eventCount, 6);
      assert.equal(u1!.anonymous, false);
      assert.equal(u1!.firstSeenAt, T0 + 60_000);
      assert.equal(u1!.lastSeenAt, T0 + 6 * 60_000);
      assert.equal(u2!.eventCount, 1);
      const [mugNode, i2] = await store.getItems(['i1', 'i2']);
      assert.equal(mugNode!.userCount, 2, 'u1 and u2 engaged positively');
      assert.equal(i2!.userCount, 0, 'a removed-from-cart item has no positive user');
      const stats = await store.stats();
      assert.deepEqual(stats, { users: 2, items: 2, categories: 1, edges: 3, eventsApplied: 8 });
    });

    it('every edge is what the shared edge rule (src/graph/edge-rule.ts) makes of its events, in order', async (store) => {
      // Out-of-order and tied timestamps, removals below zero and back, purchases priced by the event, by
      // the catalog and by an earlier purchase, a catalog change in between, split over batches.
      const batches: FlywheelEvent[][] = [
        [item('r1', 'Lamp', 'home', 40), ev('VIEW', 'ra', 'r1', 5), ev('CLICK', 'ra', 'r1', 3), ev('PURCHASE', 'ra', 'r1', 5, { quantity: 2 })],
        [
          ev('REMOVE_FROM_CART', 'ra', 'r2', 2),
          ev('REMOVE_FROM_CART', 'ra', 'r2', 1),
          ev('ADD_TO_CART', 'ra', 'r2', 4, { quantity: 1 }),
          ev('VIEW', 'rb', 'r2', 9),
        ],
        [ev('PURCHASE', 'rb', 'r3', 7, { quantity: 3 }), ev('PURCHASE', 'rb', 'r3', 8, { quantity: 1, price: 9.5 }), ev('PURCHASE', 'rc', 'r3', 6)],
        [
          item('r1', 'Lamp', 'home', 45),
          ev('PURCHASE', 'rc', 'r1', 10),
          ev('REMOVE_FROM_CART', 'ra', 'r1', 11),
          ev('REMOVE_FROM_CART', 'ra', 'r1', 11),
          ev('ADD_TO_CART', 'rc', 'r3', 2),
        ],
      ];
      const expected = new Map<string, EdgeState>();
      const prices = new Map<string, number | null>();
      for (const batch of batches) {
        await store.applyEvents(batch);
        for (const e of batch) {
          if (e.kind === 'impression' || e.kind === 'experiment') continue;
          if (e.kind === 'item') {
            prices.set(e.itemId, e.price ?? null);
            continue;
          }
          const key = `${actorId(e)} ${e.itemId}`;
          const price = prices.get(e.itemId) ?? null;
          expected.set(key, nextEdgeState(expected.get(key), e, DEFAULT_TYPE_WEIGHTS, price));
          prices.set(e.itemId, itemPriceAfter(price, e));
        }
      }
      const users = ['ra', 'rb', 'rc'];
      const stored = (await store.getInteractions(users, 100)).flat();
      assert.equal(stored.length, expected.size);
      for (const edge of stored) {
        const { userId, itemId, ...state } = edge;
        assert.deepEqual(state, expected.get(`${userId} ${itemId}`), `edge ${userId} -> ${itemId}`);
      }
      const items = await store.getItems(['r1', 'r2', 'r3']);
      for (const node of items) {
        const positive = users.filter((u) => isPositive(expected.get(`${u} ${node!.id}`))).length;
        assert.equal(node!.userCount, positive, `userCount of ${node!.id}`);
        assert.equal(node!.price, prices.get(node!.id) ?? null, `price of ${node!.id}`);
      }
    });

    it('anonymous sessions are users of their own ("session:<id>")', async (store) => {
      await store.applyEvents([{ kind: 'interaction', v: 1, id: 'anon-1', type: 'VIEW', sessionId: 's9', itemId: 'i1', timestamp: T0 }]);
      const [u] = await store.getUsers(['session:s9']);
      assert.equal(u!.anonymous, true);
      assert.equal(u!.itemCount, 1);
    });

    it('an item named by events is a placeholder until the catalog describes it', async (store) => {
      await store.applyEvents([ev('VIEW', 'u1', 'sku-9', 1)]);
      let [node] = await store.getItems(['sku-9']);
      assert.equal(node!.title, 'sku-9');
      assert.equal(node!.inCatalog, false);
      assert.equal(node!.category, null);
      assert.equal(node!.price, null);
      await store.applyEvents([{ ...item('sku-9', 'Teapot', 'kitchen', 25), attributes: { colour: 'blue' } } as FlywheelEvent]);
      [node] = await store.getItems(['sku-9']);
      assert.equal(node!.title, 'Teapot');
      assert.equal(node!.inCatalog, true);
      assert.equal(node!.category, 'kitchen');
      assert.equal(node!.price, 25);
      assert.deepEqual(node!.attributes, { colour: 'blue' });
      assert.equal(node!.userCount, 1, 'the catalog update keeps the edges');
      let [kitchen, garden, unknown] = await store.getCategories(['kitchen', 'garden', 'unknown']);
      assert.deepEqual(kitchen, { name: 'kitchen', itemCount: 1 });
      assert.equal(garden, null);
      assert.equal(unknown, null);
      await store.applyEvents([item('sku-9', 'Teapot', 'garden', 25)]);
      [kitchen, garden] = await store.getCategories(['kitchen', 'garden']);
      assert.equal(kitchen, null, 'an item that moved leaves its old category');
      assert.deepEqual(garden, { name: 'garden', itemCount: 1 });
    });

    it('reads answer one entry per key, in key order, nulls for unknown keys', async (store) => {
      await store.applyEvents([item('a', 'A'), item('b', 'B'), ev('VIEW', 'u1', 'a', 1)]);
      const items = await store.getItems(['b', 'zz', 'a', 'b']);
      assert.deepEqual(
        items.map((i) => i?.id ?? null),
        ['b', null, 'a', 'b'],
      );
      assert.deepEqual(await store.getItems([]), []);
      const users = await store.getUsers(['zz', 'u1']);
      assert.deepEqual(
        users.map((u) => u?.id ?? null),
        [null, 'u1'],
      );
    });

    it('listItems pages by opaque cursor in id order, with category and search filters', async (store) => {
      await store.applyEvents([
        item('p1', 'Red Mug', 'kitchen'),
        item('p2', 'Blue Mug', 'kitchen'),
        item('p3', 'Rake', 'garden'),
        item('p4', 'Hose', 'garden'),
        ev('VIEW', 'u1', 'p5', 1),
      ]);
      const page1 = await store.listItems({ first: 2 });
      assert.deepEqual(
        page1.items.map((i) => i.id),
        ['p1', 'p2'],
      );
      assert.equal(page1.totalCount, 5);
      assert.equal(page1.hasNextPage, true);
      const page2 = await store.listItems({ first: 2, after: page1.endCursor! });
      assert.deepEqual(
        page2.items.map((i) => i.id),
        ['p3', 'p4'],
      );
      const page3 = await store.listItems({ first: 2, after: page2.endCursor! });
      assert.deepEqual(
        page3.items.map((i) => i.id),
        ['p5'],
      );
      assert.equal(page3.hasNextPage, false);
      const garden = await store.listItems({ first: 10, categories: ['garden'] });
      assert.deepEqual(
        garden.items.map((i) => i.id),
        ['p3', 'p4'],
      );
      assert.equal(garden.totalCount, 2);
      const mugs = await store.listItems({ first: 10, search: 'MUG' });
      assert.deepEqual(
        mugs.items.map((i) => i.id),
        ['p1', 'p2'],
      );
      const empty = await store.listItems({ first: 10, search: 'nothing-like-this' });
      assert.deepEqual(empty, { items: [], totalCount: 0, hasNextPage: false, endCursor: null });
    });

    it('getItemInteractions: the edges of each item with their users, most recent first, at most first', async (store) => {
      await store.applyEvents([ev('VIEW', 'u1', 'a', 1), ev('CLICK', 'u2', 'a', 3), ev('VIEW', 'u3', 'a', 2), ev('VIEW', 'u1', 'b', 4)]);
      const [a, b, none] = await store.getItemInteractions(['a', 'b', 'nope'], 2);
      assert.deepEqual(
        a!.map((e) => `${e.userId}:${e.itemId}:${e.lastType}`),
        ['u2:a:CLICK', 'u3:a:VIEW'],
      );
      assert.deepEqual(
        b!.map((e) => e.userId),
        ['u1'],
      );
      assert.deepEqual(none, []);
    });

    it('scanInteractions returns every positive edge', async (store) => {
      await store.applyEvents([ev('VIEW', 'u1', 'a', 1), ev('VIEW', 'u2', 'b', 2), ev('VIEW', 'u3', 'c', 3), ev('REMOVE_FROM_CART', 'u3', 'c', 4)]);
      const seen: string[] = [];
      for await (const batch of store.scanInteractions!(1)) for (const e of batch) seen.push(`${e.userId}:${e.itemId}`);
      assert.deepEqual(seen.sort(), ['u1:a', 'u2:b']);
    });

    it('anomalies: stored once per id, listed newest first with filters, acknowledged', async (store) => {
      const rec = (id: string, kind: string, severity: AnomalyRecord['severity'], userId: string | null): AnomalyRecord => ({
        id,
        kind,
        severity,
        entityType: 'USER',
        entityId: userId ?? 'x',
        score: 1,
        detectedAt: T0,
        message: id,
        evidence: null,
        acknowledged: false,
        userId,
        itemId: null,
      });
      const added = await store.putAnomalies([rec('a1', 'BOT_ACTIVITY', 'CRITICAL', 'u1'), rec('a2', 'PRICE', 'INFO', 'u2')]);
      assert.deepEqual(
        added.map((a) => a.id),
        ['a1', 'a2'],
      );
      assert.deepEqual(
        (await store.putAnomalies([rec('a1', 'BOT_ACTIVITY', 'CRITICAL', 'u1'), rec('a3', 'PRICE', 'WARNING', null)])).map((a) => a.id),
        ['a3'],
      );
      const all = await store.listAnomalies({ first: 2 });
      assert.deepEqual(
        all.anomalies.map((a) => a.id),
        ['a3', 'a2'],
      );
      assert.equal(all.totalCount, 3);
      assert.equal(all.hasNextPage, true);
      const rest = await store.listAnomalies({ first: 2, after: all.endCursor! });
      assert.deepEqual(
        rest.anomalies.map((a) => a.id),
        ['a1'],
      );
      assert.deepEqual(
        (await store.listAnomalies({ first: 10, minSeverity: 'WARNING' })).anomalies.map((a) => a.id),
        ['a3', 'a1'],
      );
      assert.deepEqual(
        (await store.listAnomalies({ first: 10, entityIds: ['u2'] })).anomalies.map((a) => a.id),
        ['a2'],
      );
      assert.equal((await store.acknowledgeAnomaly('a2'))!.acknowledged, true);
      assert.equal(await store.acknowledgeAnomaly('nope'), null);
      assert.deepEqual(
        (await store.listAnomalies({ first: 10, acknowledged: true })).anomalies.map((a) => a.id),
        ['a2'],
      );
      const [g1, g2] = await store.getAnomalies(['a1', 'zz']);
      assert.equal(g1!.kind, 'BOT_ACTIVITY');
      assert.equal(g2, null);
    });

    it('anomalies: calls not awaited in between each get their own new findings, numbered in call order', async (store) => {
      const rec = (id: string) => trafficFinding(id, T0);
      await store.putAnomalies([rec('old')]);
      // As the detector issues them, one per scanned batch (the Neo4j store merges such calls into one write).
      const calls = [['n1', 'n2'], ['n2', 'n3', 'old'], ['n4'], ['n3', 'n5']].map((ids) => store.putAnomalies(ids.map(rec)));
      const added = (await Promise.all(calls)).map((rows) => rows.map((a) => a.id));
      assert.deepEqual(added, [['n1', 'n2'], ['n3'], ['n4'], ['n5']], 'a finding two calls carry is new for the earlier one only');
      const page = await store.listAnomalies({ first: 10 });
      assert.deepEqual(
        page.anomalies.map((a) => a.id),
        ['n5', 'n4', 'n3', 'n2', 'n1', 'old'],
        'newest first: numbered in the order the calls were made',
      );
    });

    it('anomaly counts: by UTC day, kind and severity, with the listing filters and a start time', async (store) => {
      const DAY = 86_400_000;
      const day0 = Math.floor(T0 / DAY) * DAY;
      const rec = (id: string, kind: string, severity: AnomalyRecord['severity'], detectedAt: number): AnomalyRecord => ({
        id,
        kind,
        severity,
        entityType: 'USER',
        entityId: 'u1',
        score: 1,
        detectedAt,
        message: id,
        evidence: null,
        acknowledged: false,
        userId: 'u1',
        itemId: null,
      });
      await store.putAnomalies([
        rec('c1', 'BOT_ACTIVITY', 'CRITICAL', day0 + 1000),
        rec('c2', 'BOT_ACTIVITY', 'CRITICAL', day0 + 2000),
        rec('c3', 'PRICE', 'INFO', day0 + 3000),
        rec('c4', 'BOT_ACTIVITY', 'CRITICAL', day0 + DAY + 5),
      ]);
      const key = (rows: { day: number; kind: string; severity: string; count: number }[]) =>
        rows.map((r) => `${r.day - day0} ${r.kind} ${r.severity} ${r.count}`).sort();
      assert.deepEqual(key(await store.countAnomalies({})), [`0 BOT_ACTIVITY CRITICAL 2`, `0 PRICE INFO 1`, `${DAY} BOT_ACTIVITY CRITICAL 1`]);
      assert.deepEqual(key(await store.countAnomalies({ minSeverity: 'WARNING', since: day0 + DAY })), [`${DAY} BOT_ACTIVITY CRITICAL 1`]);
      await store.acknowledgeAnomaly('c3');
      assert.deepEqual(key(await store.countAnomalies({ acknowledged: true })), [`0 PRICE INFO 1`]);
      assert.deepEqual(key(await store.countAnomalies({ kinds: ['PRICE'], acknowledged: false })), []);
    });

    it('an excluded actor no longer counts in item userCount, and can be re-included', async (store) => {
      await store.applyEvents([ev('VIEW', 'bot', 'a', 1), ev('VIEW', 'bot', 'b', 2), ev('VIEW', 'u1', 'a', 3)]);
      assert.equal((await store.getItems(['a']))[0]!.userCount, 2);
      assert.equal(await store.setActorExcluded('bot', true), true);
      assert.equal(await store.setActorExcluded('bot', true), false);
      assert.deepEqual(await store.excludedActors(), ['bot']);
      assert.deepEqual(
        (await store.getItems(['a', 'b'])).map((i) => i!.userCount),
        [1, 0],
      );
      // the recommender's bootstrap scan leaves an excluded actor out as well, on every backend
      const scanned = async () => {
        const seen: string[] = [];
        for await (const batch of store.scanInteractions!(10)) for (const e of batch) seen.push(`${e.userId}:${e.itemId}`);
        return seen.sort();
      };
      assert.deepEqual(await scanned(), ['u1:a']);
      assert.equal(await store.setActorExcluded('bot', false), true);
      assert.deepEqual(await store.excludedActors(), []);
      assert.equal((await store.getItems(['a']))[0]!.userCount, 2);
      assert.deepEqual(await scanned(), ['bot:a', 'bot:b', 'u1:a']);
    });

    it('segments: model blob, memberships, sizes, member pages, purchase activity', async (store) => {
      await store.applyEvents([
        item('i1', 'I1', 'c1', 5),
        ev('PURCHASE', 'u1', 'i1', 1, { quantity: 2 }),
        ev('PURCHASE', 'u1', 'i1', 1, { quantity: 1 }),
        ev('PURCHASE', 'u1', 'i1', 9, { quantity: 1 }),
        ev('VIEW', 'u1', 'i2', 2),
        ev('VIEW', 'u2', 'i1', 3),
      ]);
      assert.equal(await store.getSegmentModel(), null);
      await store.setSegmentModel({ version: 1, k: 2 });
      assert.deepEqual(await store.getSegmentModel(), { version: 1, k: 2 });
      await store.setUserSegments(['u1', 'u2', 'ghost'], ['s1', 's1', 's2']);
      assert.deepEqual(await store.getUserSegments(['u2', 'u1', 'ghost']), ['s1', 's1', null]);
      assert.deepEqual([...(await store.segmentSizes())], [['s1', 2]]);
      const page = await store.listSegmentMembers('s1', 1);
      assert.equal(page.totalCount, 2);
      assert.equal(page.hasNextPage, true);
      const next = await store.listSegmentMembers('s1', 5, page.endCursor!);
      assert.equal(next.userIds.length, 1);
      assert.deepEqual([...page.userIds, ...next.userIds].sort(), ['u1', 'u2']);
      await store.setUserSegments(['u2'], [null]);
      assert.deepEqual([...(await store.segmentSizes())], [['s1', 1]]);

      const act = await store.getPurchaseActivity(['u1', 'u2', 'ghost']);
      assert.deepEqual(act.userIds, ['u1', 'u2', 'ghost']);
      assert.deepEqual([...act.orders], [2, 0, 0], 'purchases at one instant are one order');
      assert.equal(act.firstPurchaseAt[0], T0 + 60_000);
      assert.equal(act.lastPurchaseAt[0], T0 + 9 * 60_000);
      assert.deepEqual([...act.orderStart], [0, 2, 2, 2], 'the order instants of each row');
      assert.deepEqual([...act.orderTimes], [T0 + 60_000, T0 + 9 * 60_000]);
      assert.deepEqual([...act.views], [1, 1, 0]);
      assert.deepEqual([...act.edgeStart], [0, 1, 1, 1]);
      assert.deepEqual(act.edgeItem, ['i1']);
      assert.deepEqual(act.edgeCategory, ['c1']);
      assert.deepEqual([...act.edgeQuantity], [4]);
      assert.deepEqual([...act.edgeRevenue], [20]);
      let scanned = 0;
      for await (const b of store.scanPurchaseActivity(1)) scanned += b.userIds.length;
      assert.equal(scanned, 2);
    });
  });
}
