import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFlywheel, type Flywheel } from '../app/flywheel';
import { loadConfig } from '../config/config';
import { EVENT_SCHEMA_VERSION } from '../events/event';
import { createLogger } from '../observability/logger';

/**
 * A gateway for one simulated run: the real code on an embedded data dir (a temporary one unless `keep`
 * names a dir to leave behind for `flywheel evaluate-policy`), closed and removed after `fn`.
 */
export async function withSimulatedGateway<T>(keep: string | undefined, fn: (app: Flywheel) => Promise<T>): Promise<T> {
  const dir = keep ?? mkdtempSync(path.join(tmpdir(), 'flywheel-simulate-'));
  mkdirSync(dir, { recursive: true });
  const config = loadConfig(
    { ...process.env, LOG_LEVEL: 'silent', FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0', FLYWHEEL_ANOMALIES: 'on' },
    { FLYWHEEL_DATA_DIR: dir, PORT: 0 },
  );
  const app = await createFlywheel(config, createLogger('silent'));
  try {
    return await fn(app);
  } finally {
    await app.close();
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The catalog and history every `flywheel simulate` scenario starts from: 50 items, and 200 earlier shoppers
 * who each clicked three related items (so that item-knn and popular have something to rank). `rand` is the
 * scenario's seeded generator (200 draws); `start` is the instant of this history.
 */
export async function seedSimulatedShop(app: Pick<Flywheel, 'tracker' | 'recommender'>, rand: () => number, start: number): Promise<void> {
  const seedEvents: Record<string, unknown>[] = [];
  for (let i = 0; i < 50; i++)
    seedEvents.push({ kind: 'item', v: EVENT_SCHEMA_VERSION, id: `sim-item-${i}`, itemId: `i${i}`, title: `Item ${i}`, price: 10, timestamp: start });
  for (let s = 0; s < 200; s++) {
    const a = Math.floor(rand() * 50);
    for (const it of [a, (a + 1) % 50, (a + 7) % 50])
      seedEvents.push({
        kind: 'interaction',
        v: EVENT_SCHEMA_VERSION,
        id: `sim-seed-${s}-${it}`,
        type: 'CLICK',
        userId: `seed-${s}`,
        itemId: `i${it}`,
        timestamp: start,
      });
  }
  await app.tracker.track(seedEvents, 'simulate');
  await app.recommender.whenFresh();
}
