import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseColumns, TabularMapper } from '../../../src/import/tabular';
import { InputError } from '../../../src/import/input-error';

test('a category column is kept when there is no title column (the id stands in as the title)', () => {
  const m = new TabularMapper();
  const first = m.map({ user: 'u1', item: 'milk-1l', category: 'dairy', timestamp: '1/15/2001', price: '1.2' }, 2);
  assert.equal(first.kind, 'events');
  if (first.kind !== 'events') return;
  assert.deepEqual(first.events[0], {
    kind: 'item',
    v: 1,
    id: 'tab:item:milk-1l',
    itemId: 'milk-1l',
    title: 'milk-1l',
    category: 'dairy',
    price: 1.2,
    timestamp: Date.parse('1/15/2001'),
  });
  assert.equal(first.events[1]!.kind, 'interaction');
  // The item is described once, by its first line.
  const again = m.map({ user: 'u2', item: 'milk-1l', category: 'dairy', timestamp: '1/16/2001' }, 3);
  assert.ok(again.kind === 'events' && again.events.length === 1);
  // With a title column, the title is used.
  const titled = new TabularMapper().map({ user: 'u1', item: 'i9', title: 'Oat milk', category: 'dairy', timestamp: '1000000000' }, 2);
  assert.ok(titled.kind === 'events' && titled.events[0]!.kind === 'item' && titled.events[0].title === 'Oat milk');
});

test('--columns: unknown roles and repeated roles are refused; - skips a column', () => {
  assert.deepEqual(parseColumns('timestamp,user,-,-,category,item,quantity,-,price'), [
    'timestamp',
    'user',
    '-',
    '-',
    'category',
    'item',
    'quantity',
    '-',
    'price',
  ]);
  assert.throws(
    () => parseColumns('user,item,ratng'),
    (e: unknown) =>
      e instanceof InputError &&
      /unknown column role "ratng" \(allowed: id, user, session, item, type, timestamp, quantity, price, rating, title, category, or - to skip a column\)/.test(
        e.message,
      ),
  );
  assert.throws(() => parseColumns('user,item,age,pin'), /unknown column roles "age", "pin"/);
  assert.throws(() => parseColumns('user,item,item'), /column role "item" given twice/);
  assert.throws(() => parseColumns('user,rating'), /must include an "item" column/);
});
