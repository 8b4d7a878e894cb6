import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eventJsonSchema, EVENT_SCHEMA_FILE } from '../../../src/events/json-schema';
import { validateEvent } from '../../../src/events/validate';
import { READABLE_SCHEMA_VERSION } from '../../../src/events/event';

const root = path.join(__dirname, '..', '..', '..', '..');

test('schema/event.schema.json is the JSON Schema generated from the zod validator (rewrite: node dist/src/events/json-schema.js --write)', () => {
  const committed = JSON.parse(readFileSync(path.join(root, EVENT_SCHEMA_FILE), 'utf8')) as unknown;
  assert.deepEqual(committed, eventJsonSchema());
});

test('the contract tolerates unknown optional fields (ignored, not dead-lettered) and accepts only known versions', () => {
  const base = { kind: 'interaction', v: 1, id: 'e1', type: 'PURCHASE', userId: 'u1', itemId: 'i1', quantity: 1, timestamp: Date.now() };
  const withExtra = validateEvent({ ...base, currency: 'EUR', channel: { app: 'ios' } });
  assert.equal(withExtra.ok, true);
  assert.deepEqual(withExtra.ok && withExtra.event, base, 'unknown fields are dropped');
  const item = validateEvent({ kind: 'item', v: 1, id: 'c1', itemId: 'i1', title: 'Mug', timestamp: Date.now(), brand: 'x' });
  assert.equal(item.ok, true);
  // Versions 2 and 3 only added blend weights to experiment variants and a bandit by segment: a later interaction reads
  // like a version-1 one.
  assert.equal(validateEvent({ ...base, v: READABLE_SCHEMA_VERSION }).ok, true);
  const later = validateEvent({ ...base, v: READABLE_SCHEMA_VERSION + 1 });
  assert.equal(later.ok, false);
  assert.match(!later.ok ? later.reason : '', /v: unsupported schema version \(this gateway reads 1\.\.3\)/);
});
