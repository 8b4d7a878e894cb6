import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composePipelines, type StageParts } from '../../../src/app/stages';
import type { FlywheelEvent } from '../../../src/events/event';

/** Records which part each stage called, in order, to hold the composition to the documented order. */
function recordingParts() {
  const calls: string[] = [];
  const parts = {
    anomalies: {
      onApplied: () => calls.push('anomalies.onApplied'),
      forRecommender: (events: readonly FlywheelEvent[]) => (calls.push('anomalies.forRecommender'), events),
    },
    privacy: {
      filter: (events: readonly FlywheelEvent[]) => events,
      noteFed: () => calls.push('privacy.noteFed'),
    },
    recommender: () => ({ applyEvents: () => calls.push('recommender.applyEvents') }),
    segments: { noteApplied: () => calls.push('segments.noteApplied') },
    outcomes: { observe: () => calls.push('outcomes.observe') },
    live: { userUpdated: (u: string) => calls.push(`publish ${u}`) },
    eventTypes: { add: () => calls.push('eventTypes.add') },
  } as unknown as StageParts;
  return { parts, calls };
}

const batch = {
  events: [{ kind: 'interaction', v: 1, id: 'e1', type: 'VIEW', userId: 'u1', itemId: 'i1', timestamp: 1 } as FlywheelEvent],
  touchedUsers: ['u1'],
};

test('one machine, serving: ingestion runs every stage, detectors first and segments last; no fan-out', () => {
  const { parts, calls } = recordingParts();
  const p = composePipelines(parts, { serving: true, fanOut: false });
  assert.deepEqual(p.ingestion.names(), [
    'detect-anomalies',
    'feed-recommender',
    'attribute-outcomes',
    'publish-user-updates',
    'count-event-types',
    'assign-segments',
  ]);
  assert.equal(p.fanOut, null);
  p.ingestion.run(batch);
  assert.deepEqual(calls, [
    'anomalies.onApplied',
    'anomalies.forRecommender',
    'recommender.applyEvents',
    'privacy.noteFed',
    'outcomes.observe',
    'publish u1',
    'eventTypes.add',
    'segments.noteApplied',
  ]);
});

test('Kafka + Neo4j, serving: every-event stages on the fan-out consumer, segment assignment with the partition owner', () => {
  const { parts } = recordingParts();
  const p = composePipelines(parts, { serving: true, fanOut: true });
  assert.deepEqual(p.ingestion.names(), ['assign-segments']);
  assert.deepEqual(p.fanOut?.names(), ['detect-anomalies', 'feed-recommender', 'attribute-outcomes', 'publish-user-updates', 'count-event-types']);
});

test('import: detectors only, on either backend', () => {
  const { parts } = recordingParts();
  for (const fanOut of [false, true]) {
    const p = composePipelines(parts, { serving: false, fanOut });
    assert.deepEqual(p.ingestion.names(), ['detect-anomalies']);
    assert.equal(p.fanOut, null);
  }
});
