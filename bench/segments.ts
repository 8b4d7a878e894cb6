/**
 * Segment refit benchmark (issue 5): 1,000,000 synthetic customers in the embedded graph of a real
 * Flywheel app; a full refit through SegmentService (scan -> worker thread -> write-back), and the latency
 * of concurrent in-process recommendation calls (app.recommender.recommend) without a refit and during one.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/segments.js [--users 1000000] [--clients 4] [--k 0]
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { createFlywheel } from '../src/app/flywheel';
import { loadConfig } from '../src/config/config';
import type { MemoryGraph } from '../src/graph/embedded/memory-graph';
import { createLogger } from '../src/observability/logger';
import { syntheticPurchaseBatches } from '../src/segments/synthetic-graph';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function maxOf(xs: number[]): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > m) m = x;
  return m;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function load(clients: number, users: number, until: () => boolean, minMs: number): Promise<number[]> {
  const lat: number[] = [];
  const started = performance.now();
  let n = 0;
  const client = async (c: number) => {
    while (!until() || performance.now() - started < minMs) {
      const userId = `su${(n++ * 7919 + c * 104729) % users}`;
      const t0 = performance.now();
      await app!.recommender.recommend({ userId, first: 10 });
      lat.push(performance.now() - t0);
      await new Promise<void>((r) => setImmediate(r));
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  return lat;
}

let app: Awaited<ReturnType<typeof createFlywheel>> | null = null;

async function main(): Promise<void> {
  const users = arg('users', 1_000_000);
  const clients = arg('clients', 4);
  const k = arg('k', 0);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'flywheel-bench-segments-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0', FLYWHEEL_SEGMENTS_K: String(k), FLYWHEEL_ANOMALIES: 'off' }, { FLYWHEEL_DATA_DIR: dataDir });
  app = await createFlywheel(config, createLogger('silent'));
  try {
    const graph = app.store as MemoryGraph;
    let t0 = performance.now();
    let events = 0;
    for (const batch of syntheticPurchaseBatches(users, { seed: 1 })) {
      graph.applySync(batch);
      app.recommender.applyEvents(batch);
      events += batch.length;
    }
    await app.recommender.whenFresh();
    console.log(`loaded ${users} users, ${events} purchase events into the embedded graph in ${((performance.now() - t0) / 1000).toFixed(1)} s; heap ${(process.memoryUsage().heapUsed / 2 ** 30).toFixed(2)} GB`);

    // Warm-up of the recommendation path.
    await load(clients, users, () => true, 2000);
    const baseline = await load(clients, users, () => true, 10_000);
    console.log(`recommend without refit: ${baseline.length} calls, p50 ${pct(baseline, 50).toFixed(2)} ms, p99 ${pct(baseline, 99).toFixed(2)} ms, max ${maxOf(baseline).toFixed(1)} ms`);

    for (let run = 1; run <= 2; run++) {
      let done = false;
      t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const load0 = os.loadavg()[0]!;
      const refit = app.segments.refit().finally(() => (done = true));
      const during = await load(clients, users, () => done, 0);
      const r = await refit;
      const cpu = process.cpuUsage(cpu0);
      console.log(`refit ${run}: process CPU time during the refit (all threads, incl. the load clients) ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; load average (1 min) ${load0.toFixed(2)} at start, ${os.loadavg()[0]!.toFixed(2)} at end`);
      console.log(
        `refit ${run}: ${r.customers} customers, k=${r.k} (silhouette ${r.silhouette.toFixed(3)}; ${r.kScores.map((s) => `k=${s.k}:${s.silhouette.toFixed(3)}`).join(' ')}), ` +
          `${(r.durationMs / 1000).toFixed(1)} s wall (fit in worker ${(r.fitMs / 1000).toFixed(1)} s, worker CPU ${r.workerCpuMs === null ? 'n/a' : `${(r.workerCpuMs / 1000).toFixed(1)} s`}; ` +
          `scan ${(r.scanMs / 1000).toFixed(1)} s, then waiting for the worker ${(r.waitMs / 1000).toFixed(1)} s, write-back ${(r.writeMs / 1000).toFixed(1)} s)`,
      );
      console.log(`recommend during refit ${run}: ${during.length} calls, p50 ${pct(during, 50).toFixed(2)} ms, p99 ${pct(during, 99).toFixed(2)} ms, max ${maxOf(during).toFixed(1)} ms`);
      const segs = await app.segments.segments();
      for (const s of segs) console.log(`   ${s.id} ${s.name.padEnd(20)} size=${s.size} R=${s.centroid.recency.toFixed(1)}d F=${s.centroid.frequency} M=${s.centroid.monetary.toFixed(0)}`);
    }
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
