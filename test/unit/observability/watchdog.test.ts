import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Watchdog } from '../../../src/observability/watchdog';

function fakeIngest() {
  return { pos: 0, lagNow: 0, position() { return this.pos; }, lag() { return this.lagNow; } };
}

test('ingestion behind the log end without progress for stallAfterMs is stalled; progress or catching up clears it', () => {
  let now = 1_000_000;
  const ingest = fakeIngest();
  const dog = new Watchdog(ingest, { stallAfterMs: 30_000, now: () => now });
  dog.sample();
  assert.equal(dog.status().stalled, false);

  ingest.lagNow = 500; // events arrive, the consumer does not move
  now += 29_000;
  assert.equal(dog.status().stalled, false, 'not yet: below the threshold');
  now += 1_000;
  assert.deepEqual([dog.status().stalled, dog.status().secondsWithoutProgress], [true, 30]);

  ingest.pos = 200; // one committed batch is progress
  assert.equal(dog.status().stalled, false);
  now += 31_000;
  assert.equal(dog.status().stalled, true, 'stuck again at the new position');

  ingest.lagNow = 0; // nothing to do is not a stall, however long it lasts
  now += 3_600_000;
  assert.deepEqual([dog.status().stalled, dog.status().secondsWithoutProgress], [false, 0]);
});
