import type { FlywheelEvent, InteractionType } from '../src/events/event';
import { prng } from '../src/demo/demo-data';
import type { MemoryGraph } from '../src/graph/embedded/memory-graph';
import type { Recommender } from '../src/recommend/recommender';
import { readAlsModelFile, writeAlsModelFile } from '../src/recommend/als-model';
import type { Strategy } from '../src/recommend/strategy';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { syntheticEvents, type SyntheticOptions } from '../src/recommend/synthetic';

/** Helpers the benchmark scripts share. */

/**
 * The V8 flags bin/flywheel.js's shebang gives every gateway it starts (a larger young generation, see there).
 * `node bin/flywheel.js`, which is how a bench spawns it, skips the shebang: a bench passes these to measure the
 * gateway as it is shipped.
 */
export function gatewayNodeFlags(): string[] {
  const shebang = readFileSync(path.resolve(__dirname, '../../bin/flywheel.js'), 'utf8').split('\n', 1)[0]!;
  const flags = /^#!\/usr\/bin\/env -S node(.*)$/.exec(shebang)?.[1] ?? '';
  return flags.trim().split(/\s+/).filter(Boolean);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface SkewedEventsOptions {
  users: number;
  items: number;
  /** Event ids are `${idPrefix}-${seed}-${i}`. */
  idPrefix: string;
  /** Event time between consecutive events. */
  stepMs: number;
}

/**
 * Deterministic interaction events with skewed users and items (a few heavy users, a long tail of items):
 * mostly views and clicks, some carts and purchases (quantity 1, price 4.5).
 */
export function skewedEvents(n: number, seed: number, o: SkewedEventsOptions): FlywheelEvent[] {
  const rand = prng(seed);
  const types: InteractionType[] = ['VIEW', 'VIEW', 'VIEW', 'CLICK', 'CLICK', 'ADD_TO_CART', 'PURCHASE'];
  const t0 = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => {
    const type = types[Math.floor(rand() * types.length)]!;
    return {
      kind: 'interaction',
      v: 1,
      id: `${o.idPrefix}-${seed}-${i}`,
      type,
      userId: `u${Math.floor(Math.pow(rand(), 1.5) * o.users)}`,
      itemId: `i${Math.floor(Math.pow(rand(), 2) * o.items)}`,
      timestamp: t0 + i * o.stepMs,
      ...(type === 'PURCHASE' || type === 'ADD_TO_CART' ? { quantity: 1, price: 4.5 } : {}),
    } as FlywheelEvent;
  });
}

/** Heap in use after a full GC when the process runs with --expose-gc (otherwise as it is). */
export function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * Loads the synthetic shop the way ingestion does (graph store, then the recommender's feed, in big
 * batches) and returns the seconds it took. The model is not solved here.
 */
export async function loadSyntheticShop(graph: MemoryGraph, rec: Recommender, shop: Partial<SyntheticOptions>): Promise<number> {
  const t = performance.now();
  for (const batch of syntheticEvents(shop)) {
    await graph.applyEvents(batch);
    rec.applyEvents(batch);
  }
  return (performance.now() - t) / 1000;
}

/**
 * BENCH_COMPARE's blends ("name:part=w,part=w;..."), defined on `rec` over `parts` (the served blend parts by
 * default); returns their names in the order given.
 */
export function defineComparedBlends(rec: Recommender, spec: string, parts?: ReadonlyMap<string, Strategy>): string[] {
  const names: string[] = [];
  for (const part of spec.split(';').filter(Boolean)) {
    const [name, weights] = part.split(':') as [string, string];
    rec.defineBlend(name, Object.fromEntries(weights.split(',').map((kv) => [kv.split('=')[0]!, Number(kv.split('=')[1])])), parts);
    names.push(name);
  }
  return names;
}

/**
 * The ALS factors a compared blend needs: loaded from `modelFile` when it exists (an earlier run's export of
 * the same deterministic shop, the gateway's FLYWHEEL_ALS_MODEL_FILE path), else fitted the gateway's way (a
 * worker thread) and exported there. Returns the seconds it took, as a fit or a load.
 */
export async function loadOrFitAls(rec: Recommender, modelFile: string | undefined): Promise<{ alsFitSeconds: number | null; alsLoadSeconds: number | null }> {
  const t = performance.now();
  const seconds = () => Math.round((performance.now() - t) / 100) / 10;
  if (modelFile && existsSync(modelFile)) {
    rec.als.loadModel(readAlsModelFile(modelFile), modelFile);
    return { alsFitSeconds: null, alsLoadSeconds: seconds() };
  }
  await rec.als.refit();
  const alsFitSeconds = seconds();
  if (modelFile) writeAlsModelFile(modelFile, rec.als.exportModel()!);
  return { alsFitSeconds, alsLoadSeconds: null };
}
