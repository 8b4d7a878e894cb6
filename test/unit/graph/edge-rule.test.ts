import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InteractionEvent, InteractionType } from '../../../src/events/event';
import { applyToEdge, isPositive, itemPriceAfter, newEdgeState, nextEdgeState } from '../../../src/graph/edge-rule';
import { DEFAULT_TYPE_WEIGHTS } from '../../../src/graph/stores/graph-reads';

// The rule itself; test/contract/graph-store.contract.ts holds both backends to it.
const ev = (type: InteractionType, t: number, extra: Partial<InteractionEvent> = {}): InteractionEvent => ({
  kind: 'interaction',
  v: 1,
  id: `e${t}`,
  type,
  userId: 'u',
  itemId: 'i',
  timestamp: t,
  ...extra,
});

test('a first event makes an edge of its own type and time', () => {
  assert.deepEqual(nextEdgeState(undefined, ev('CLICK', 100), DEFAULT_TYPE_WEIGHTS, null), {
    counts: { VIEW: 0, CLICK: 1, ADD_TO_CART: 0, REMOVE_FROM_CART: 0, PURCHASE: 0 },
    weight: 2,
    quantity: 0,
    revenue: 0,
    firstSeenAt: 100,
    lastSeenAt: 100,
    lastType: 'CLICK',
  });
});

test('the weight is floored at 0 after every event, not only at the end', () => {
  let edge = nextEdgeState(undefined, ev('VIEW', 1), DEFAULT_TYPE_WEIGHTS, null);
  edge = nextEdgeState(edge, ev('REMOVE_FROM_CART', 2), DEFAULT_TYPE_WEIGHTS, null);
  assert.equal(edge.weight, 0);
  assert.equal(isPositive(edge), false);
  edge = nextEdgeState(edge, ev('CLICK', 3), DEFAULT_TYPE_WEIGHTS, null);
  assert.equal(edge.weight, 2, '1 - 3 floored to 0, then + 2 (not 1 - 3 + 2 = 0)');
  assert.equal(isPositive(edge), true);
  assert.equal(isPositive(undefined), false);
});

test('purchases add units and revenue at the event price, else the item price, else 0', () => {
  let edge = nextEdgeState(undefined, ev('PURCHASE', 1, { quantity: 2, price: 3 }), DEFAULT_TYPE_WEIGHTS, 10);
  assert.deepEqual([edge.quantity, edge.revenue], [2, 6]);
  edge = nextEdgeState(edge, ev('PURCHASE', 2), DEFAULT_TYPE_WEIGHTS, 10);
  assert.deepEqual([edge.quantity, edge.revenue], [3, 16], 'one unit at the item price');
  edge = nextEdgeState(edge, ev('PURCHASE', 3), DEFAULT_TYPE_WEIGHTS, null);
  assert.deepEqual([edge.quantity, edge.revenue], [4, 16], 'no price known: units only');
  edge = nextEdgeState(edge, ev('ADD_TO_CART', 4, { quantity: 5, price: 99 }), DEFAULT_TYPE_WEIGHTS, null);
  assert.deepEqual([edge.quantity, edge.revenue], [4, 16], 'carts move neither');
});

test('first/last seen follow event time, not arrival order; a tie goes to the later event', () => {
  let edge = nextEdgeState(undefined, ev('CLICK', 50), DEFAULT_TYPE_WEIGHTS, null);
  edge = nextEdgeState(edge, ev('VIEW', 20), DEFAULT_TYPE_WEIGHTS, null);
  assert.deepEqual([edge.firstSeenAt, edge.lastSeenAt, edge.lastType], [20, 50, 'CLICK']);
  edge = nextEdgeState(edge, ev('PURCHASE', 50), DEFAULT_TYPE_WEIGHTS, null);
  assert.deepEqual([edge.firstSeenAt, edge.lastSeenAt, edge.lastType], [20, 50, 'PURCHASE']);
});

test('pure: the previous state is not changed', () => {
  const before = nextEdgeState(undefined, ev('VIEW', 1), DEFAULT_TYPE_WEIGHTS, null);
  const copy = structuredClone(before);
  nextEdgeState(before, ev('PURCHASE', 2, { quantity: 1, price: 4 }), DEFAULT_TYPE_WEIGHTS, null);
  assert.deepEqual(before, copy);
});

test('an item without a price takes the first purchase price; a known price stays', () => {
  assert.equal(itemPriceAfter(null, ev('PURCHASE', 1, { price: 7 })), 7);
  assert.equal(itemPriceAfter(null, ev('PURCHASE', 1)), null);
  assert.equal(itemPriceAfter(null, ev('ADD_TO_CART', 1, { price: 7 })), null);
  assert.equal(itemPriceAfter(5, ev('PURCHASE', 1, { price: 7 })), 5);
});

test('the in-place form and the pure form are one rule', () => {
  const events = [ev('VIEW', 5), ev('PURCHASE', 3, { quantity: 2 }), ev('REMOVE_FROM_CART', 9), ev('REMOVE_FROM_CART', 9), ev('PURCHASE', 7, { price: 2 })];
  let pure = nextEdgeState(undefined, events[0]!, DEFAULT_TYPE_WEIGHTS, 4);
  const inPlace = newEdgeState(events[0]!, DEFAULT_TYPE_WEIGHTS, 4);
  assert.deepEqual(inPlace, pure);
  for (const e of events.slice(1)) {
    pure = nextEdgeState(pure, e, DEFAULT_TYPE_WEIGHTS, 4);
    applyToEdge(inPlace, e, DEFAULT_TYPE_WEIGHTS, 4);
    assert.deepEqual(inPlace, pure);
  }
});
