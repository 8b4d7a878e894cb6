import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateEvent } from '../../../src/events/validate';

const now = Date.now();
const view = { kind: 'interaction', v: 1, id: 'e1', type: 'VIEW', userId: 'u1', itemId: 'i1', timestamp: now };

test('accepts a well-formed view and purchase', () => {
  assert.equal(validateEvent(view).ok, true);
  assert.equal(validateEvent({ ...view, id: 'e2', type: 'PURCHASE', quantity: 2, price: 3.5 }).ok, true);
  assert.equal(validateEvent({ ...view, userId: undefined, sessionId: 's1' }).ok, true);
});

test('names the field and the rule for each problem', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...view, userId: undefined }, /userId: either userId or sessionId is required/],
    [{ ...view, type: 'PURCHASE' }, /quantity: is required for PURCHASE/],
    [{ ...view, type: 'BUY' }, /type: must be one of VIEW, CLICK/],
    [{ ...view, timestamp: 0 }, /timestamp: must be after 1970-01-01/],
    [{ ...view, timestamp: -874_965_758 }, /timestamp: must be after 1970-01-01/],
    [{ ...view, timestamp: Math.floor(now / 1000) + 3 * 86_400 }, /timestamp: must not be more than 24 hours in the future/],
    [{ ...view, timestamp: now + 3 * 86_400_000 }, /timestamp: must not be more than 24 hours in the future/],
    [{ ...view, itemId: '' }, /itemId: must not be empty/],
    [{ ...view, type: 'PURCHASE', quantity: -1 }, /quantity: must be positive/],
    [{ ...view, type: 'PURCHASE', quantity: 1, price: -2 }, /price: must not be negative/],
    [{ ...view, type: 'VIEW', quantity: 1 }, /quantity: is not allowed for VIEW/],
    [{ ...view, v: 99 }, /v: unsupported schema version/],
    [{ kind: 'nope' }, /kind: must be 'interaction', 'item', 'impression' or 'experiment'/],
    [null, /.+/],
  ];
  for (const [input, reason] of cases) {
    const r = validateEvent(input);
    assert.equal(r.ok, false, `expected rejection of ${JSON.stringify(input)}`);
    if (!r.ok) assert.match(r.reason, reason);
  }
});

test('historical times are accepted, and epoch seconds are told from milliseconds by magnitude', () => {
  // MovieLens 100k's first rating (1997-12-04, in seconds), the same instant in ms, and a fractional second.
  const accepted: [number, number][] = [
    [874_965_758, 874_965_758_000],
    [874_965_758_000, 874_965_758_000],
    [874_965_758.25, 874_965_758_250],
    [Math.floor(now / 1000), Math.floor(now / 1000) * 1000],
    [1, 1000],
  ];
  for (const [input, ms] of accepted) {
    const r = validateEvent({ ...view, timestamp: input });
    assert.ok(r.ok, `accepts ${input}: ${r.ok ? '' : r.reason}`);
    if (r.ok) assert.equal(r.event.timestamp, ms, `${input} -> ${ms}`);
  }
  const item = { kind: 'item', v: 1, id: 'it1', itemId: 'i1', title: 'Toy Story (1995)', timestamp: 874_965_758 };
  const r = validateEvent(item);
  assert.ok(r.ok && r.event.timestamp === 874_965_758_000, 'the same rule for catalog upserts');
  // Re-validation (ingestion, Kafka consumers) of an already normalised event leaves it unchanged.
  const again = validateEvent(r.ok ? r.event : null);
  assert.ok(again.ok && again.event.timestamp === 874_965_758_000);
});

test('property: any input is either accepted or rejected with a reason, never thrown', () => {
  const field = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(undefined), fc.constant(null), fc.boolean());
  const candidate = fc.record(
    {
      kind: fc.oneof(fc.constant('interaction'), fc.constant('item'), fc.string()),
      v: fc.oneof(fc.constant(1), fc.integer()),
      id: field,
      type: fc.oneof(fc.constantFrom('VIEW', 'CLICK', 'ADD_TO_CART', 'REMOVE_FROM_CART', 'PURCHASE'), fc.string()),
      userId: field,
      sessionId: field,
      itemId: field,
      title: field,
      timestamp: fc.oneof(fc.integer({ min: 0, max: 2 * now }), fc.double()),
      quantity: field,
      price: field,
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(candidate, fc.anything()), (input) => {
      const r = validateEvent(input);
      if (!r.ok) assert.ok(r.reason.length > 0);
      return true;
    }),
    { numRuns: 5000 },
  );
});
