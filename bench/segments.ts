/**
 * Segment refit benchmark (issue 5): 1,000,000 synthetic customers in the embedded graph of a real
 * Flywheel app; a full refit through SegmentService (scan -> worker thread -> write-back), and the latency
 * of concurrent in-process recommendation calls (app.recommender.recommend) without a refit and during one.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/segments.js [--users 1000000] [--clients 4] [--k 0] [--batch 5000]
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { createFlywheel } from '../src/app/flywheel';
import { loadConfig } from '../src/config/config';
import type { MemoryGraph } from '../src/graph/embedded/memory-graph';
import { createLogger } from '../src/observability/logger';
import { SegmentService } from '../src/segments/service';
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
  const batchSize = arg('batch', 5000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'flywheel-bench-segments-'));
  const config = loadConfig(
    { LOG_LEVEL: 'silent', FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0', FLYWHEEL_SEGMENTS_K: String(k), FLYWHEEL_ANOMALIES: 'off' },
    { FLYWHEEL_DATA_DIR: dataDir },
  );
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
    console.log(
      `loaded ${users} users, ${events} purchase events into the embedded graph in ${((performance.now() - t0) / 1000).toFixed(1)} s; heap ${(process.memoryUsage().heapUsed / 2 ** 30).toFixed(2)} GB`,
    );

    // The bench's own segment service (batch size from --batch), serving the recommender's segment lookups.
    await app.segments.stop();
    const segments = new SegmentService(app.store, { ...(k ? { k } : {}), batchSize, refitMinutes: 0, bootstrap: false });
    await segments.start();
    app.recommender.setSegmentSource((userId) => segments.topItemsForUser(userId));

    // Latency of each in-process call, and the event-loop delay (what a request arriving over HTTP would
    // wait before it even starts: the main thread's refit steps show up there, not in the call latency).
    const measure = async (label: string, until: () => boolean, minMs: number) => {
      const eld = monitorEventLoopDelay({ resolution: 2 });
      eld.enable();
      const lat = await load(clients, users, until, minMs);
      eld.disable();
      // The histogram's samples include its 2 ms timer interval: subtract it to get the delay itself.
      const ms = (ns: number) => Math.max(0, ns / 1e6 - 2).toFixed(1);
      console.log(
        `${label}: ${lat.length} calls, p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${maxOf(lat).toFixed(1)} ms; ` +
          `event-loop delay p50 ${ms(eld.percentile(50))} ms, p99 ${ms(eld.percentile(99))} ms, max ${ms(eld.max)} ms; load average ${os.loadavg()[0]!.toFixed(2)}`,
      );
    };

    // Warm-up of the recommendation path.
    await load(clients, users, () => true, 2000);
    await measure('recommend without refit, no segments yet', () => true, 10_000);

    for (let run = 1; run <= 2; run++) {
      if (run === 2) await measure('recommend without refit, segments in use (lookup + segment fallback)', () => true, 10_000);
      let done = false;
      t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const load0 = os.loadavg()[0]!;
      const refit = segments.refit().finally(() => (done = true));
      await measure(`recommend during refit ${run}`, () => done, 0);
      const r = await refit;
      const cpu = process.cpuUsage(cpu0);
      console.log(
        `refit ${run}: process CPU time during the refit (all threads, incl. the load clients) ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; load average (1 min) ${load0.toFixed(2)} at start, ${os.loadavg()[0]!.toFixed(2)} at end`,
      );
      console.log(
        `refit ${run}: ${r.customers} customers, k=${r.k} (silhouette ${r.silhouette.toFixed(3)}; ${r.kScores.map((s) => `k=${s.k}:${s.silhouette.toFixed(3)}`).join(' ')}), ` +
          `${(r.durationMs / 1000).toFixed(1)} s wall (fit in worker ${(r.fitMs / 1000).toFixed(1)} s, worker CPU ${r.workerCpuMs === null ? 'n/a' : `${(r.workerCpuMs / 1000).toFixed(1)} s`}; ` +
          `scan ${(r.scanMs / 1000).toFixed(1)} s, then waiting for the worker ${(r.waitMs / 1000).toFixed(1)} s, write-back ${(r.writeMs / 1000).toFixed(1)} s)`,
      );
      for (const s of await segments.segments())
        console.log(
          `   ${s.id} ${s.name.padEnd(20)} size=${s.size} R=${s.centroid.recency.toFixed(1)}d F=${s.centroid.frequency} M=${s.centroid.monetary.toFixed(0)}`,
        );
    }
    await segments.stop();
    console.log(
      `machine: ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
