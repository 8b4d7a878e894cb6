import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CustomerFeatureAccumulator,
  DAY_MS,
  computeFeatures,
  fitScaler,
  scaleFeatures,
  scaleMatrix,
  type CustomerActivity,
} from '../../../src/segments/index.js';

const T0 = Date.UTC(2024, 0, 1);

const activity: CustomerActivity = {
  userId: 'a',
  views: 10,
  purchases: [
    { timestamp: T0 - 30 * DAY_MS, itemId: 'x', quantity: 2, unitPrice: 5, orderId: 'o1', category: 'home' },
    { timestamp: T0 - 30 * DAY_MS, itemId: 'y', quantity: 1, unitPrice: 10, orderId: 'o1', category: 'garden' },
    { timestamp: T0 - 10 * DAY_MS, itemId: 'x', quantity: 1, unitPrice: 5, orderId: 'o2', category: 'home' },
    { timestamp: T0 - 5 * DAY_MS, itemId: 'z', quantity: -1, unitPrice: 5, orderId: 'o3' }, // return: ignored
    { timestamp: T0 + 5 * DAY_MS, itemId: 'z', quantity: 1, unitPrice: 99, orderId: 'o4' }, // after asOf: ignored
  ],
};

describe('features', () => {
  it('computes RFM and behavioural features at asOf', () => {
    const f = computeFeatures(activity, T0)!;
    assert.equal(f.recency, 10);
    assert.equal(f.frequency, 2);
    assert.equal(f.monetary, 25);
    assert.equal(f.tenure, 30);
    assert.equal(f.breadth, 2);
    assert.equal(f.categories, 2);
    assert.equal(f.conversion, 0.2);
    assert.equal(f.averageOrderValue, 12.5);
  });

  it('counts distinct purchase days when there is no orderId', () => {
    const f = computeFeatures(
      {
        userId: 'b',
        purchases: [
          { timestamp: T0 - 2 * DAY_MS + 1000, itemId: 'x', quantity: 1, unitPrice: 1 },
          { timestamp: T0 - 2 * DAY_MS + 5000, itemId: 'y', quantity: 1, unitPrice: 1 },
          { timestamp: T0 - 1 * DAY_MS, itemId: 'x', quantity: 1, unitPrice: 1 },
        ],
      },
      T0,
    )!;
    assert.equal(f.frequency, 2);
    assert.equal(f.conversion, null);
  });

  it('returns null for a customer without purchases', () => {
    assert.equal(computeFeatures({ userId: 'c', purchases: [], views: 3 }, T0), null);
  });

  it('streaming accumulator yields the same features as the batch computation', () => {
    const acc = new CustomerFeatureAccumulator('a');
    acc.addViews(4);
    for (const p of activity.purchases.slice(0, 4)) acc.addPurchase(p);
    acc.addViews(6);
    assert.deepEqual(acc.features(T0), computeFeatures(activity, T0));
    const prof = acc.profile(T0)!;
    assert.deepEqual(prof.items.get('x'), { quantity: 3, revenue: 15 });
    assert.equal(prof.categories.get('garden'), 10);
  });

  it('standardises with stored means/stds that new users reuse', () => {
    const rows = [1, 2, 3, 4, 5, 6].map((i) =>
      computeFeatures({ userId: `u${i}`, purchases: [{ timestamp: T0 - i * 7 * DAY_MS, itemId: 'x', quantity: i, unitPrice: 3 * i }] }, T0)!,
    );
    const scaler = fitScaler(rows, ['recency', 'frequency', 'monetary']);
    const m = scaleMatrix(scaler, rows);
    for (const j of [0, 2]) {
      const col = rows.map((_, i) => m[i * 3 + j]!);
      const mean = col.reduce((s, v) => s + v, 0) / col.length;
      const sd = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length);
      assert.ok(Math.abs(mean) < 1e-12);
      assert.ok(Math.abs(sd - 1) < 1e-12);
    }
    // Constant feature (frequency = 1 for all): std falls back to 1, z = 0.
    assert.equal(scaler.std[1], 1);
    assert.equal(m[1], 0);
    // A new user is transformed with the stored parameters.
    const z = scaleFeatures(scaler, rows[2]!);
    assert.deepEqual(Array.from(z), Array.from(m.subarray(6, 9)));
    assert.equal(z[0], (Math.log1p(21) - scaler.mean[0]!) / scaler.std[0]!);
  });

  it('imputes unknown conversion with the mean (z = 0)', () => {
    const rows = [computeFeatures(activity, T0)!, computeFeatures({ ...activity, userId: 'x', views: undefined }, T0)!];
    const scaler = fitScaler(rows, ['conversion']);
    assert.equal(scaler.mean[0], 0.2);
    assert.equal(scaleFeatures(scaler, rows[1]!)[0], 0);
  });
});
