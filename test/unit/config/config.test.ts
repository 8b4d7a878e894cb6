import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/config';
import { defaultAnomalyConfig } from '../../../src/anomaly/config';
import { createFlywheel } from '../../../src/app/flywheel';
import { createLogger } from '../../../src/observability/logger';

test('FLYWHEEL_ANOMALY_CONFIG is checked by loadConfig: bad JSON, unknown keys (typos) and wrong types are refused by name', () => {
  const cases: [string, RegExp][] = [
    ['{"traffic": {"spikeZ": 8}', /FLYWHEEL_ANOMALY_CONFIG: not valid JSON/],
    ['{"trafic": {"spikeZ": 8}}', /FLYWHEEL_ANOMALY_CONFIG: unknown key "trafic"/],
    ['{"traffic": {"spikeZz": 8}}', /FLYWHEEL_ANOMALY_CONFIG.*traffic: unknown key "spikeZz"/],
    ['{"traffic": {"spikeZ": "8"}}', /traffic\.spikeZ: must be a number/],
    ['{"bot": {"types": ["VIEW", "HOVER"]}}', /bot\.types\.1/],
    ['[1, 2]', /FLYWHEEL_ANOMALY_CONFIG/],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => loadConfig({ FLYWHEEL_ANOMALY_CONFIG: json }),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      json,
    );
  }
  // Every real setting is known (the schema covers the whole AnomalyConfig).
  loadConfig({ FLYWHEEL_ANOMALY_CONFIG: JSON.stringify(defaultAnomalyConfig) });
  loadConfig({ FLYWHEEL_ANOMALY_CONFIG: '{"price": {"minRatio": 10}, "traffic": {"countSameInstantOnce": false}}' });
});

test('FLYWHEEL_RECOMMENDATION_CACHE reaches the recommender through the validated configuration, not process.env', async () => {
  assert.throws(() => loadConfig({ FLYWHEEL_RECOMMENDATION_CACHE: 'lots' }), /FLYWHEEL_RECOMMENDATION_CACHE: must be a number/);
  const saved = process.env.FLYWHEEL_RECOMMENDATION_CACHE;
  delete process.env.FLYWHEEL_RECOMMENDATION_CACHE;
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-config-'));
  try {
    for (const [entries, expectedHits] of [
      ['0', 0],
      ['100', 1],
    ] as const) {
      const cfg = loadConfig(
        { LOG_LEVEL: 'silent' },
        { FLYWHEEL_DATA_DIR: path.join(dir, entries), FLYWHEEL_RECOMMENDATION_CACHE: entries, FLYWHEEL_SEGMENTS_REFIT_MINUTES: 0 },
      );
      const app = await createFlywheel(cfg, createLogger('silent'));
      try {
        const t = Date.now() - 60_000;
        const events = [];
        for (let u = 0; u < 6; u++)
          for (let i = 0; i < 4; i++)
            events.push({
              kind: 'interaction',
              v: 1,
              id: `e${u}-${i}`,
              type: 'PURCHASE',
              userId: `u${u}`,
              itemId: `i${(u + i) % 6}`,
              quantity: 1,
              timestamp: t + u * 10 + i,
            });
        await app.tracker.track(events, 'test');
        app.recommender.refreshNow();
        await app.recommender.recommend({ userId: 'u1', first: 3 });
        await app.recommender.recommend({ userId: 'u1', first: 3 });
        assert.equal(app.recommender.cacheStats().hits, expectedHits, `FLYWHEEL_RECOMMENDATION_CACHE=${entries}`);
      } finally {
        await app.close();
      }
    }
  } finally {
    if (saved !== undefined) process.env.FLYWHEEL_RECOMMENDATION_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('attribution windows: hours, 24 (clicks) and 168 (carts, purchases) by default; bad values refused by name', () => {
  const d = loadConfig({});
  assert.equal(d.FLYWHEEL_ATTRIBUTION_CLICK_HOURS, 24);
  assert.equal(d.FLYWHEEL_ATTRIBUTION_CONVERSION_HOURS, 168);
  assert.equal(loadConfig({ FLYWHEEL_ATTRIBUTION_CLICK_HOURS: '0.5' }).FLYWHEEL_ATTRIBUTION_CLICK_HOURS, 0.5);
  assert.throws(() => loadConfig({ FLYWHEEL_ATTRIBUTION_CLICK_HOURS: '0' }), /FLYWHEEL_ATTRIBUTION_CLICK_HOURS: must be positive/);
  assert.throws(() => loadConfig({ FLYWHEEL_ATTRIBUTION_CONVERSION_HOURS: 'week' }), /FLYWHEEL_ATTRIBUTION_CONVERSION_HOURS: must be a number/);
  assert.throws(() => loadConfig({ FLYWHEEL_ATTRIBUTION_CONVERSION_HOURS: '9000' }), /must be at most 8760/);
});

test('FLYWHEEL_ITEM_MODEL: publish and replica need Kafka, a replica Neo4j and strategies it can serve; refused by name', () => {
  const kafkaNeo4j = { FLYWHEEL_EVENTS: 'kafka', FLYWHEEL_GRAPH: 'neo4j' };
  assert.equal(loadConfig({}).FLYWHEEL_ITEM_MODEL, 'solve');
  assert.equal(loadConfig({ ...kafkaNeo4j, FLYWHEEL_ITEM_MODEL: 'replica' }).FLYWHEEL_RESIDENT_USERS, 100_000);
  assert.equal(loadConfig({ FLYWHEEL_EVENTS: 'kafka', FLYWHEEL_ITEM_MODEL: 'publish' }).FLYWHEEL_ITEM_MODEL, 'publish');
  const refused: [Record<string, string>, RegExp][] = [
    [{ FLYWHEEL_ITEM_MODEL: 'publish' }, /FLYWHEEL_ITEM_MODEL=publish needs FLYWHEEL_EVENTS=kafka/],
    [{ FLYWHEEL_EVENTS: 'kafka', FLYWHEEL_ITEM_MODEL: 'replica' }, /FLYWHEEL_ITEM_MODEL=replica needs FLYWHEEL_GRAPH=neo4j/],
    [{ ...kafkaNeo4j, FLYWHEEL_ITEM_MODEL: 'replica', FLYWHEEL_RECOMMENDER: 'user-knn' }, /cannot serve FLYWHEEL_RECOMMENDER=user-knn/],
    [{ ...kafkaNeo4j, FLYWHEEL_ITEM_MODEL: 'replica', FLYWHEEL_BLEND: 'local-ease=1,als=0.5' }, /cannot serve blend part als/],
    [{ FLYWHEEL_ITEM_MODEL: 'mirror' }, /FLYWHEEL_ITEM_MODEL: must be solve, publish or replica/],
    [{ ...kafkaNeo4j, FLYWHEEL_ITEM_MODEL: 'replica', FLYWHEEL_RESIDENT_USERS: '0' }, /FLYWHEEL_RESIDENT_USERS: must be at least 1/],
  ];
  for (const [env, message] of refused)
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      JSON.stringify(env),
    );
  assert.equal(loadConfig({ ...kafkaNeo4j, FLYWHEEL_ITEM_MODEL: 'replica', FLYWHEEL_BLEND: 'local-ease=1,als=0' }).FLYWHEEL_BLEND, 'local-ease=1,als=0');
});
