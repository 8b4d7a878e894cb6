import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnomalyService } from '../src/anomaly/service';
import { syntheticEvents, type AnomalyInput } from '../src/anomaly';
import type { FlywheelEvent, InteractionEvent } from '../src/events/event';
import { LmdbEventLog } from '../src/event-log/lmdb-event-log';
import { MemoryGraph } from '../src/graph/embedded/memory-graph';
import { Ingestor } from '../src/ingest/ingestor';
import { createLogger } from '../src/observability/logger';
import { median } from './shared';

/**
 * `node dist/bench/anomalies.js`: what the anomaly detectors cost on the ingestion path, and how often they
 * cry wolf on clean traffic. Same run, same events, rounds interleaved (A B A B ...) so the ratio is fair on
 * a noisy machine.
 *
 *  1. graph:   MemoryGraph.applySync in batches of BATCH, with and without AnomalyService.onApplied (+ the
 *              recommender feed filter) on each batch. The detectors' share of the in-memory apply path.
 *  2. ingest:  the real path: LmdbEventLog.append (LMDB commit) -> Ingestor (validation, graph apply,
 *              onApplied hooks) until applied, in a temp dir, with and without the anomaly hook.
 *  3. false alarms: findings per 10,000 events of the clean synthetic stream (src/anomaly/synthetic.ts),
 *              through the service (what would be stored and published), for each seed.
 *
 * Env: BENCH_ANOMALY_EVENTS (default 200,000), BENCH_ANOMALY_INGEST_EVENTS (50,000), BENCH_ROUNDS (3),
 * BENCH_ANOMALY_SEEDS (42,7).
 */
const EVENTS = Number(process.env.BENCH_ANOMALY_EVENTS ?? 200_000);
const INGEST_EVENTS = Number(process.env.BENCH_ANOMALY_INGEST_EVENTS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEEDS = (process.env.BENCH_ANOMALY_SEEDS ?? '42,7').split(',').map(Number);
const BATCH = 1000;

/** The synthetic stream as valid event-contract events (orderId is detector-side only). */
function contract(e: AnomalyInput): InteractionEvent {
  const { orderId: _o, ...rest } = e;
  return rest;
}

function graphRound(events: readonly AnomalyInput[], detectors: boolean): { eps: number; findings: number } {
  const g = new MemoryGraph({ maxAnomalies: 1_000_000 });
  const svc = detectors ? new AnomalyService(g, {}) : null;
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH) as FlywheelEvent[];
    g.applySync(batch, i);
    if (svc) {
      svc.onApplied(batch);
      svc.forRecommender(batch);
    }
  }
  const ms = performance.now() - t0;
  return { eps: (events.length * 1000) / ms, findings: svc?.stats().findings ?? 0 };
}

async function ingestRound(events: readonly InteractionEvent[], detectors: boolean): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-bench-anomaly-'));
  const log = new LmdbEventLog(dir);
  const g = new MemoryGraph();
  const ingestor = new Ingestor(log, g, { group: 'graph', logger: createLogger('silent'), checkpointEvery: Number.MAX_SAFE_INTEGER });
  if (detectors) {
    const svc = new AnomalyService(g, {});
    ingestor.onApplied((evs) => {
      svc.onApplied(evs);
      svc.forRecommender(evs);
    });
  }
  await ingestor.start();
  try {
    const t0 = performance.now();
    let last = -1;
    for (let i = 0; i < events.length; i += BATCH) last = (await log.append(events.slice(i, i + BATCH))).lastPosition;
    await ingestor.waitFor(last, 600_000);
    return (events.length * 1000) / (performance.now() - t0);
  } finally {
    await ingestor.stop();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `node ${process.version}, ${EVENTS.toLocaleString('en-US')} synthetic events (seed ${SEEDS[0]}), ${ROUNDS} rounds interleaved, batches of ${BATCH}`,
  );
  const events = [...syntheticEvents({ seed: SEEDS[0]!, events: EVENTS })];

  // 1. in-memory apply path
  const plain: number[] = [];
  const withDet: number[] = [];
  let findings = 0;
  graphRound(events.slice(0, 50_000), true); // warm-up (JIT)
  for (let r = 0; r < ROUNDS; r++) {
    plain.push(graphRound(events, false).eps);
    const w = graphRound(events, true);
    withDet.push(w.eps);
    findings = w.findings;
  }
  const p = median(plain);
  const w = median(withDet);
  console.log(`\n1. MemoryGraph.applySync, batches of ${BATCH}`);
  console.log(`   without detectors   ${fmt(p)} events/s   (rounds: ${plain.map(fmt).join(', ')})`);
  console.log(`   with detectors      ${fmt(w)} events/s   (rounds: ${withDet.map(fmt).join(', ')})`);
  console.log(`   detector overhead   ${((p / w - 1) * 100).toFixed(0)}% more time per event (${(1e6 / w - 1e6 / p).toFixed(1)} us/event)`);

  // 2. the real ingest path
  const ingestEvents = events.slice(0, INGEST_EVENTS).map(contract);
  const ip: number[] = [];
  const iw: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ip.push(await ingestRound(ingestEvents, false));
    iw.push(await ingestRound(ingestEvents, true));
  }
  const ipm = median(ip);
  const iwm = median(iw);
  console.log(`\n2. LmdbEventLog.append -> Ingestor -> MemoryGraph (temp dir), ${ingestEvents.length.toLocaleString('en-US')} events`);
  console.log(`   without detectors   ${fmt(ipm)} events/s   (rounds: ${ip.map(fmt).join(', ')})`);
  console.log(`   with detectors      ${fmt(iwm)} events/s   (rounds: ${iw.map(fmt).join(', ')})`);
  console.log(`   detector overhead   ${((ipm / iwm - 1) * 100).toFixed(0)}% more time per event`);

  // 3. false alarms on the clean stream
  console.log(`\n3. false alarms on the clean synthetic stream (AnomalyService, default thresholds)`);
  const perSeed: { seed: number; n: number; findings: number }[] = [{ seed: SEEDS[0]!, n: events.length, findings }];
  for (const seed of SEEDS.slice(1)) {
    const evs = [...syntheticEvents({ seed, events: EVENTS })];
    perSeed.push({ seed, n: evs.length, findings: graphRound(evs, true).findings });
  }
  let totalN = 0;
  let totalF = 0;
  for (const s of perSeed) {
    totalN += s.n;
    totalF += s.findings;
    console.log(
      `   seed ${String(s.seed).padEnd(4)} ${s.n.toLocaleString('en-US')} events: ${s.findings} findings = ${((s.findings * 10_000) / s.n).toFixed(3)} per 10,000`,
    );
  }
  console.log(`   all: ${totalF} in ${totalN.toLocaleString('en-US')} = ${((totalF * 10_000) / totalN).toFixed(3)} per 10,000 (bar: < 1)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
