import { MemoryGraph } from '../src/graph/embedded/memory-graph';
import { Recommender } from '../src/recommend/recommender';
import { AlsStrategy } from '../src/recommend/als-online';
import type { PrimingReport } from '../src/recommend/als-prime';
import { BLEND_PARTS } from '../src/recommend/strategies';
import type { Strategy } from '../src/recommend/strategy';
import { rng } from '../src/recommend/synthetic';
import { defineComparedBlends, heapUsed, loadOrFitAls, loadSyntheticShop } from './shared';
import { EVENT_SCHEMA_VERSION, type InteractionType } from '../src/events/event';

/**
 * In-process recommendation benchmark on the synthetic shop:
 *   node --expose-gc --max-old-space-size=12000 dist/bench/recommend.js [interactions=5000000] [users=100000] [items=50000]
 * Loads events through MemoryGraph.applyEvents (big batches) and the recommender's feed (what the
 * ingestor's onApplied hook does), solves the model, then measures request latency (default strategy)
 * and event-to-changed-recommendation latency. Prints one JSON object.
 *
 * BENCH_COMPARE=name:part=w,part=w;... also defines those blends, fits the ALS factors when a blend uses
 * `als`, and measures every blend against the default on the same users, requests interleaved
 * (default, blend 1, ...; the order rotates with each user), so the serving cost of a candidate default is read
 * side by side.
 * A part named `als-exact` is `als` over the same factors with the exact (Cholesky) fold-in, so both
 * fold-in solvers can be compared in one run. BENCH_FRESH_EVENT=1: before a user's requests, one new event of
 * theirs (a view of a random item, not timed), as when a shopper looks at something and the next list is asked
 * for: no kept ALS vector is current then, so every fold-in solves. BENCH_PREVIOUS_PAGE=1: every sampled user
 * is asked once before (untimed, the shopper's previous page), so a fold-in finds that user's kept vector
 * (unless another user took its slot since): as it is without a fresh event, warm-started with one. FLYWHEEL_ALS_USER_VECTORS: how many vectors are kept (0 = none).
 * BENCH_EVENT_TURN=1 (with BENCH_FRESH_EVENT): the event loop turns once between the event and the lists, as
 * between two HTTP requests, so a kept vector is solved again there (`OnlineAls.refreshSoon`), untimed.
 * BENCH_PRIME=1: the kept vectors are primed for the factors before any list (`OnlineAls.prime`, as after a
 * gateway's start or refit), so a user's first list can find one; the output's `priming` says how many and how long.
 * BENCH_REQUESTS (default 2000): how many users are asked. BENCH_ALS_MODEL=FILE: load the factors from FILE when it exists
 * (an earlier run's export of the same deterministic shop) instead of fitting, else fit and export them there.
 */
const [interactions = 5_000_000, users = 100_000, items = 50_000] = process.argv.slice(2).map(Number);

async function main(): Promise<void> {
  const graph = new MemoryGraph();
  // comparing strategies: no result cache, so repeated users do not flatter any of them
  const rec = new Recommender(graph, {
    backgroundRefresh: false,
    ...(process.env.BENCH_COMPARE ? { cacheEntries: 0 } : {}),
    ...(process.env.FLYWHEEL_ALS_USER_VECTORS !== undefined ? { als: { userVectors: Number(process.env.FLYWHEEL_ALS_USER_VECTORS) } } : {}),
  });
  const heap0 = heapUsed();
  const loadSeconds = await loadSyntheticShop(graph, rec, { users, items, interactions });
  const heapLoaded = heapUsed();
  const t = performance.now();
  rec.model.refreshSome(Infinity); // the item model only: the ALS factors are fitted where a compared blend uses them
  const solveSeconds = (performance.now() - t) / 1000;
  const heapModel = heapUsed();

  const r = rng(7);
  // BENCH_REQUESTS: users asked (each strategy once per user); a p99 of 2,000 is the 20th slowest, and at 5M
  // interactions whether a scavenge pause lands among those moves it more than the code does
  const requests = Number(process.env.BENCH_REQUESTS ?? 2000);
  const sample = Array.from({ length: requests }, () => `u${Math.floor(Math.pow(r(), 1.5) * users)}`);
  for (const u of sample.slice(0, 200)) rec.recommendSync({ userId: u, first: 10 }); // warm-up
  const lat: number[] = [];
  for (const u of sample) {
    const s = performance.now();
    rec.recommendSync({ userId: u, first: 10 });
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  const q = (p: number) => quantile(lat, p);
  const compare = await compareBlends(graph, rec, sample);

  // event -> changed recommendation: apply one purchase of the user's current top item, re-ask
  const e2r: number[] = [];
  let changed = 0;
  for (let k = 0; k < 200; k++) {
    const u = sample[k]!;
    const before = rec.recommendSync({ userId: u, first: 10 }).map((x) => x.itemId);
    const s = performance.now();
    applyOne(graph, rec, { id: `bench${k}`, type: 'PURCHASE', userId: u, itemId: before[0]!, timestamp: Date.UTC(2025, 0, 1) + k });
    const after = rec.recommendSync({ userId: u, first: 10 }).map((x) => x.itemId);
    e2r.push(performance.now() - s);
    if (after.join() !== before.join()) changed++;
  }
  e2r.sort((a, b) => a - b);
  const stats = await graph.stats();
  console.log(
    JSON.stringify({
      users: stats.users,
      items: stats.items,
      interactions,
      edges: stats.edges,
      strategy: rec.defaultStrategy,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      modelSolveSeconds: Math.round(solveSeconds * 10) / 10,
      bytesPerInteraction: {
        graphAndIndex: Math.round((heapLoaded - heap0) / interactions),
        model: Math.round((heapModel - heapLoaded) / interactions),
        total: Math.round((heapModel - heap0) / interactions),
      },
      recommendMs: { p50: q(0.5), p99: q(0.99), max: q(1) },
      eventToChangedRecommendationMs: { p50: Math.round(e2r[100]! * 1000) / 1000, p99: Math.round(e2r[197]! * 1000) / 1000, changed: `${changed}/200` },
      easeWeights: rec.model.weightCount(),
      ...(compare ? { compare } : {}),
    }),
  );
}

/** One interaction applied the way ingestion applies it: to the graph, then to the recommender's feed. */
function applyOne(graph: MemoryGraph, rec: Recommender, e: { id: string; type: InteractionType; userId: string; itemId: string; timestamp: number }): void {
  const ev = [{ kind: 'interaction' as const, v: EVENT_SCHEMA_VERSION, ...e }];
  graph.applySync(ev);
  rec.applyEvents(ev);
}

function quantiles(xs: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: quantile(sorted, 1) };
}

function quantile(sorted: readonly number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 1000) / 1000;
}

/** Primes the kept ALS vectors for the served factors; what it did (users, rows, kept; main-thread, worker and wall ms). */
async function timedPriming(rec: Recommender): Promise<PrimingReport | null> {
  await rec.als.prime();
  return rec.als.lastPriming;
}

/** BENCH_COMPARE: every named blend and the default, requests interleaved over the same users. */
async function compareBlends(graph: MemoryGraph, rec: Recommender, sample: readonly string[]): Promise<Record<string, unknown> | null> {
  const spec = process.env.BENCH_COMPARE;
  if (!spec) return null;
  const names = [rec.defaultStrategy];
  const parts = new Map<string, Strategy>(BLEND_PARTS.map((n) => [n, rec.strategyByName(n)!]));
  parts.set('als-exact', new AlsStrategy(rec.als, rec.index, 'als-exact', { ...rec.als.options, foldInCgSteps: 0 }));
  names.push(...defineComparedBlends(rec, spec, parts));
  const als =
    spec.includes('als=') || spec.includes('als-exact=') ? await loadOrFitAls(rec, process.env.BENCH_ALS_MODEL) : { alsFitSeconds: null, alsLoadSeconds: null };
  // BENCH_PRIME=1: the kept vectors primed for the loaded factors (what a gateway does after a start or a
  // refit, in a worker thread), before anything is asked; untimed, reported
  const priming = process.env.BENCH_PRIME === '1' ? await timedPriming(rec) : null;
  const lat = new Map(names.map((n) => [n, [] as number[]]));
  // CPU time of each request too (the process's, in µs): the wall clock also counts the time the OS gave other
  // processes, which on a shared machine sets the p99 more than the code does. process.cpuUsage counts every
  // thread of the process, V8's concurrent marking and sweeping threads included, so a request that overlaps
  // a concurrent GC shows more CPU than wall time: read its p99 with that in mind.
  const cpu = new Map(names.map((n) => [n, [] as number[]]));
  for (const u of sample.slice(0, 200)) for (const n of names) rec.recommendSync({ userId: u, first: 10, strategy: n }); // warm-up
  // The order rotates with each user: the first strategy asked for a user finds that user's history and
  // neighbour lists out of the CPU caches and the later ones find them in, so a fixed order flatters the
  // later strategies (in one scratch run at 5M a cheaper `als`, asked second, came out below the default).
  const fresh = process.env.BENCH_FRESH_EVENT === '1';
  // BENCH_PREVIOUS_PAGE=1: the shopper's previous page, every sampled user asked once before (untimed)
  if (process.env.BENCH_PREVIOUS_PAGE === '1') for (const u of sample) for (const n of names) rec.recommendSync({ userId: u, first: 10, strategy: n });
  const pick = rng(11);
  const before = { ...rec.alsFoldIns() };
  const alsPart = rec.strategyByName('als') as AlsStrategy;
  // the compared blends with an `als` part (its fold-in is the one `lastFoldInMs` reports)
  const withAls = new Set(
    spec
      .split(';')
      .filter((b) => /[:,]als=/.test(b))
      .map((b) => b.split(':')[0]!),
  );
  const foldMs: number[] = [];
  const foldSteps: number[] = [];
  // BENCH_EVENT_TURN=1: the event loop turns between the fresh event and the user's lists, as between two HTTP
  // requests (a shopper's event, then their next page): what the gateway does once a turn is over (a kept
  // `als` vector solved again) happens there, untimed, as it would between the requests
  const turn = process.env.BENCH_EVENT_TURN === '1';
  const refreshedBefore = rec.alsVectorRefreshes();
  for (const [r, u] of sample.entries()) {
    if (fresh) {
      const itemId = rec.index.items[Math.floor(pick() * rec.index.itemCount)]!.id;
      applyOne(graph, rec, { id: `fresh${r}`, type: 'VIEW', userId: u, itemId, timestamp: rec.index.now + 1 });
      if (turn) await new Promise((resolve) => setImmediate(resolve));
    }
    for (let t = 0; t < names.length; t++) {
      const n = names[(r + t) % names.length]!;
      const c = process.cpuUsage();
      const s = performance.now();
      rec.recommendSync({ userId: u, first: 10, strategy: n });
      lat.get(n)!.push(performance.now() - s);
      if (withAls.has(n)) {
        foldMs.push(alsPart.lastFoldInMs);
        foldSteps.push(alsPart.lastFoldInSteps);
      }
      const used = process.cpuUsage(c);
      cpu.get(n)!.push((used.user + used.system) / 1000);
    }
  }
  const after = rec.alsFoldIns();
  const out: Record<string, unknown> = {
    ...als,
    priming,
    alsFactors: rec.als.options.factors,
    freshEvent: fresh,
    // how the measured requests' ALS vectors were obtained (UserVectorCache)
    alsFoldIns: { cached: after.cached - before.cached, warm: after.warm - before.warm, cold: after.cold - before.cold },
    // kept vectors solved again between an event and the next list (BENCH_EVENT_TURN=1), not timed
    alsVectorRefreshes: rec.alsVectorRefreshes() - refreshedBefore,
    // the `als` part's own fold-in in the compared blends (wall ms, CG steps)
    foldIn: foldMs.length > 0 ? { ms: quantiles(foldMs), steps: quantiles(foldSteps) } : null,
  };
  for (const [n, l] of lat) {
    l.sort((a, b) => a - b);
    const c = cpu.get(n)!.sort((a, b) => a - b);
    out[n] = {
      p50: quantile(l, 0.5),
      p99: quantile(l, 0.99),
      max: quantile(l, 1),
      cpu: { p50: quantile(c, 0.5), p99: quantile(c, 0.99), mean: Math.round((c.reduce((a, b) => a + b, 0) / c.length) * 1000) / 1000 },
    };
  }
  return out;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
