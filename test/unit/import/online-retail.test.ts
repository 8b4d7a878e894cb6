import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnlineRetailMapper, normaliseCustomerId, parseInvoiceDate } from '../../../src/import/online-retail';

const row = {
  InvoiceNo: '536365',
  StockCode: '85123A',
  Description: 'WHITE HANGING HEART T-LIGHT HOLDER',
  Quantity: '6',
  InvoiceDate: '2010-12-01 08:26:00',
  UnitPrice: '2.55',
  CustomerID: '17850.0',
  Country: 'United Kingdom',
};

test('customer ids are normalised and dates parsed in both export formats', () => {
  assert.equal(normaliseCustomerId('17850.0'), '17850');
  assert.equal(normaliseCustomerId(' '), null);
  assert.equal(parseInvoiceDate('2010-12-01 08:26:00'), Date.UTC(2010, 11, 1, 8, 26));
  assert.equal(parseInvoiceDate('12/1/2010 8:26'), Date.UTC(2010, 11, 1, 8, 26));
  assert.equal(parseInvoiceDate('yesterday'), null);
});

test('a sale line becomes a catalog upsert (first time) and a purchase', () => {
  const m = new OnlineRetailMapper();
  const out = m.map(row);
  assert.equal(out.kind, 'events');
  if (out.kind !== 'events') return;
  assert.deepEqual(
    out.events.map((e) => e.kind),
    ['item', 'interaction'],
  );
  const p = out.events[1]!;
  assert.equal(p.kind === 'interaction' && p.userId, '17850');
  assert.equal(p.kind === 'interaction' && p.quantity, 6);
  const second = m.map({ ...row, InvoiceNo: '536366' });
  assert.equal(second.kind === 'events' && second.events.length, 1, 'the item is introduced once');
});

test('dirty lines are dropped with a named reason', () => {
  const m = new OnlineRetailMapper();
  m.map(row);
  const reasons = [
    m.map({ ...row, InvoiceNo: 'C536379', Quantity: '-1' }),
    m.map({ ...row, InvoiceNo: 'A563185' }),
    m.map({ ...row, Quantity: '0' }),
    m.map({ ...row, CustomerID: '' }),
    m.map(row),
    m.map({ ...row, StockCode: 'POST' }),
    m.map({ ...row, InvoiceNo: '536999', InvoiceDate: 'soon' }),
  ].map((o) => (o.kind === 'dropped' ? o.reason : 'kept'));
  assert.deepEqual(reasons, [
    'cancellation',
    'bad-debt adjustment',
    'non-positive quantity',
    'missing customer',
    'duplicate line',
    'fee pseudo-item',
    'malformed',
  ]);
});
