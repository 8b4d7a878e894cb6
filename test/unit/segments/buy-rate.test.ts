import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PurchaseActivityBuilder } from '../../../src/graph/stores/segments';
import { nextPeriodBuyRate, type FittedCentroids } from '../../../src/segments/buy-rate';
import { ActivityColumnsBuilder, columnsFromProfiles } from '../../../src/segments/columns';
import { DAY_MS, scaleFeatures, type CustomerFeatures, type Scaler } from '../../../src/segments/features';

const AS_OF = Date.UTC(2011, 8, 1);
const day = (d: number) => AS_OF + d * DAY_MS;

/** Columns at AS_OF of customers given as [id, order days relative to AS_OF, spend]. */
function columns(customers: [string, number[], number][]) {
  const b = new PurchaseActivityBuilder(customers.length);
  customers.forEach(([id, days, spend], r) => {
    b.user(r, id, days.map(day), 0);
    b.purchase(`item-${r}`, null, 1, spend);
  });
  const cols = new ActivityColumnsBuilder();
  cols.add(b.finish());
  return cols.build(AS_OF);
}

const scaler: Scaler = { features: ['recency', 'frequency', 'monetary'], mean: [0, 0, 0], std: [1, 1, 1] };
const at = (recency: number, frequency: number, monetary: number): CustomerFeatures => ({
  userId: '',
  recency,
  frequency,
  monetary,
  tenure: 0,
  breadth: 1,
  categories: 0,
  conversion: null,
  averageOrderValue: monetary / frequency,
});
/** Two segments: recent frequent buyers, and customers who have lapsed. */
const model: FittedCentroids = {
  scaler,
  segments: [
    { id: 'seg-recent', vector: [...scaleFeatures(scaler, at(3, 6, 600))] },
    { id: 'seg-lapsed', vector: [...scaleFeatures(scaler, at(120, 1, 50))] },
  ],
};

describe('next-period buy rate (backtest)', () => {
  it('places customers as they were at the cutoff and counts orders in (cutoff, asOf] as buying', () => {
    const cols = columns([
      // Lapsed at the cutoff (one order 130 days before the fit), ordered again 10 days before the fit.
      ['came-back', [-130, -10], 100],
      // Lapsed and stayed away.
      ['gone', [-140], 50],
      // Recent and frequent at the cutoff, bought again inside the period.
      ['loyal', [-60, -50, -45, -40, -35, -31, -5], 700],
      // Recent and frequent at the cutoff, no order since.
      ['paused', [-70, -60, -50, -40, -35, -32], 600],
      // First order inside the period: not a customer at the cutoff, so not counted.
      ['new', [-3], 40],
    ]);
    const r = nextPeriodBuyRate(model, cols, AS_OF, 30);
    assert.ok(r);
    assert.equal(r.cutoff, day(-30));
    assert.equal(r.until, AS_OF);
    assert.equal(r.customers, 4);
    assert.equal(r.buyers, 2);
    assert.deepEqual(r.bySegment, { 'seg-recent': { customers: 2, buyers: 1 }, 'seg-lapsed': { customers: 2, buyers: 1 } });
  });

  it('uses the features at the cutoff, not at the fit: a customer recent at the fit but lapsed at the cutoff is placed as lapsed', () => {
    // At the fit: 2 orders, the last 1 day ago (recent). At the cutoff: 1 order, 100 days old (lapsed).
    const cols = columns([['returning', [-130, -1], 80]]);
    const r = nextPeriodBuyRate(model, cols, AS_OF, 30);
    assert.deepEqual(r?.bySegment, { 'seg-lapsed': { customers: 1, buyers: 1 } });
  });

  it('an order exactly at the cutoff is before it; orders after asOf are not counted', () => {
    const cols = columns([['edge', [-30, 5], 50]]);
    const r = nextPeriodBuyRate(model, cols, AS_OF, 30);
    assert.equal(r?.customers, 1);
    assert.equal(r?.buyers, 0, 'the order after the fit is outside the period');
  });

  it('columns without order instants (profiles) have no backtest', () => {
    assert.equal(nextPeriodBuyRate(model, columnsFromProfiles([]), AS_OF, 30), null);
  });
});
