import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { createFlywheel } from '../src/app/flywheel';
import { startGateway } from '../src/api/server';
import { loadConfig } from '../src/config/config';
import type { MemoryGraph } from '../src/graph/embedded/memory-graph';
import { createLogger } from '../src/observability/logger';
import { rng } from '../src/recommend/synthetic';
import { defineComparedBlends, heapUsed, loadOrFitAls, loadSyntheticShop } from './shared';

/**
 * Recommendations over GraphQL on the synthetic shop (issue 4's bar: p99 < 20 ms at moderate concurrency
 * on 100k users, 50k items, 5M interactions):
 *
 *   node --expose-gc --max-old-space-size=14000 dist/bench/recommend-graphql.js [interactions=5000000] [users=100000] [items=50000]
 *
 * The gateway is the real one (createFlywheel + startGateway: Apollo, type-graphql resolvers, DataLoaders,
 * security plugins) in this process; the synthetic events are applied to its graph store and recommender
 * directly (what the ingestor's onApplied hook does, without the event log's per-event fsync cost), then
 * the model is solved. autocannon runs in a child process (so the load generator does not share this
 * event loop) and sends `recommendations(userId, first: 10) { score reason item { id title category } }`
 * with a fresh random user per request.
 *
 * The exact result cache is OFF for the measured runs (FLYWHEEL_RECOMMENDATION_CACHE=0 unless the
 * environment says otherwise): every request runs the strategy. Its hit/miss counts are printed anyway.
 *
 * Env: BENCH_CONNECTIONS (default "8,16"), BENCH_SECONDS (default 15), BENCH_MIXES (default "uniform,active"),
 * BENCH_RATES (default "0": closed loop; e.g. "0,500" adds runs at a fixed offered 500 req/s), BENCH_CPU_PROFILE.
 * BENCH_COMPARE=name:part=w,...;... (as in bench/recommend.ts) serves those blends beside the default: each run
 * then has one client per strategy at the same time, sharing the connections and the offered rate, and reports
 * each one's latencies and their p50/p99 ratios to the default's. BENCH_ALS_MODEL=FILE: the factors a blend with
 * `als` needs, loaded from FILE when it exists, else fitted and exported there.
 * Mixes: "uniform" = users drawn uniformly from all ids (many have short histories, some none);
 * "active" = drawn like the generator draws event authors (activity-weighted: long histories dominate).
 */
const CLIENT = process.argv[2] === '--client';

async function client(): Promise<void> {
  const [, , , url, connections, seconds, mix, users, seed, rate, strategy] = process.argv;
  const r = rng(Number(seed));
  const n = Number(users);
  const query = 'query($u: ID!, $s: String) { recommendations(userId: $u, first: 10, strategy: $s) { score reason item { id title category } } }';
  const s = strategy ? strategy : null; // null: the gateway's default
  const pick = mix === 'active' ? () => Math.floor(Math.pow(r(), 1.5) * n) : () => Math.floor(r() * n);
  let bad = 0;
  const result = await autocannon({
    url: `${url}/graphql`,
    connections: Number(connections),
    duration: Number(seconds),
    // a fixed offered rate (req/s over all connections; latencies corrected for coordinated omission), or as fast as answers come
    ...(Number(rate) > 0 ? { overallRate: Number(rate) } : {}),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ query, variables: { u: `u${pick()}`, s } }) }),
        onResponse: (status, body) => {
          // a 200 with `errors` or a short list would be a fake-fast answer
          if (status !== 200 || body.includes('"errors"') || (body.match(/"score"/g) ?? []).length !== 10) bad++;
        },
      },
    ],
  });
  const l = result.latency;
  process.stdout.write(
    JSON.stringify({
      ...(s ? { strategy: s } : {}),
      connections: Number(connections),
      offeredRate: Number(rate) > 0 ? Number(rate) : 'closed loop',
      mix,
      requests: result.requests.total,
      rps: Math.round(result.requests.average),
      latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max, mean: Math.round(l.average * 100) / 100 },
      errors: result.errors + result.non2xx + result.timeouts,
      badAnswers: bad,
    }) + '\n',
  );
}

function runClient(
  url: string,
  connections: number,
  seconds: number,
  mix: string,
  users: number,
  seed: number,
  rate = 0,
  strategy = '',
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [__filename, '--client', url, String(connections), String(seconds), mix, String(users), String(seed), String(rate), strategy],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`client exited ${code}`))));
  });
}

/** One latency percentile of a compared client's run over the default's (2 decimals). */
function ratio(x: Record<string, unknown>, base: Record<string, unknown>, p: 'p50' | 'p99'): number {
  const of = (r: Record<string, unknown>) => (r.latencyMs as Record<string, number>)[p]!;
  return Math.round((of(x) / of(base)) * 100) / 100;
}

const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

async function main(): Promise<void> {
  const [interactions = 5_000_000, users = 100_000, items = 50_000] = process.argv.slice(2).map(Number);
  const connectionsList = (process.env.BENCH_CONNECTIONS ?? '8,16').split(',').map(Number);
  const seconds = Number(process.env.BENCH_SECONDS ?? 15);
  const mixes = (process.env.BENCH_MIXES ?? 'uniform,active').split(',');
  // 0 = closed loop (each connection sends its next request when the answer arrives: the server saturates)
  const rates = (process.env.BENCH_RATES ?? '0').split(',').map(Number);
  process.env.FLYWHEEL_RECOMMENDATION_CACHE ??= '0';
  const log = (msg: string) => process.stderr.write(`[recommend-graphql ${new Date().toISOString()}] ${msg} (load ${load().join(' ')})\n`);

  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-bench-recgql-'));
  // The environment passed is only what this bench reads from it: until 4 December the cache setting was
  // left out here, so the gateway ran with the default cache (10,000 entries, about 10 % hits) while the
  // output said "entries: 0".
  const config = loadConfig(
    {
      LOG_LEVEL: 'warn',
      FLYWHEEL_RECOMMENDATION_CACHE: process.env.FLYWHEEL_RECOMMENDATION_CACHE,
      FLYWHEEL_ATTRIBUTION_MAX_LISTS: process.env.FLYWHEEL_ATTRIBUTION_MAX_LISTS,
    },
    {
      FLYWHEEL_DATA_DIR: dir,
      FLYWHEEL_SNAPSHOT_EVERY: 100_000_000,
      FLYWHEEL_ANOMALIES: 'off',
      FLYWHEEL_SEGMENTS_REFIT_MINUTES: 0,
      // one load generator on loopback: lift the per-identity rate limit
      FLYWHEEL_RATE_LIMIT_PER_MINUTE: 10_000_000,
    },
  );
  const app = await createFlywheel(config, createLogger('warn'));
  await app.segments.stop();
  const graph = app.store as MemoryGraph;
  const rec = app.recommender;
  rec.setBackgroundRefresh(false);

  const heap0 = heapUsed();
  const rss0 = process.memoryUsage().rss;
  log(`loading ${interactions} interactions, ${users} users, ${items} items`);
  const loadSeconds = await loadSyntheticShop(graph, rec, { users, items, interactions });
  const heapLoaded = heapUsed();
  log(`loaded in ${loadSeconds.toFixed(1)} s; solving`);
  const t = performance.now();
  rec.model.refreshSome(Infinity); // the item model only: the served default does not use the ALS factors
  const solveSeconds = (performance.now() - t) / 1000;
  const heapModel = heapUsed();
  const rss = process.memoryUsage().rss;
  log(`solved in ${solveSeconds.toFixed(1)} s`);
  // BENCH_COMPARE: blends served beside the default, each by its own client at the same time (below)
  const compared = process.env.BENCH_COMPARE ? defineComparedBlends(rec, process.env.BENCH_COMPARE) : [];
  const als = compared.length > 0 && process.env.BENCH_COMPARE!.includes('als=') ? await loadOrFitAls(rec, process.env.BENCH_ALS_MODEL) : null;
  if (als) log(`ALS factors ${JSON.stringify(als)}`);

  const gateway = await startGateway(app, { port: 0, host: '127.0.0.1' });
  // BENCH_CPU_PROFILE=file.cpuprofile: a CPU profile of the serving phase only (load and solve left out)
  const profiler = process.env.BENCH_CPU_PROFILE ? new Session() : null;
  const post = (method: string) => new Promise<unknown>((resolve, reject) => profiler!.post(method, (err, res) => (err ? reject(err) : resolve(res))));
  if (profiler) {
    profiler.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const runs: Record<string, unknown>[] = [];
  let seed = 1;
  await runClient(gateway.url, 8, 3, 'uniform', users, 999); // warm-up (JIT, connections)
  // GC pauses in the server process during each run (a 2-3 GB heap of small objects makes major GCs costly)
  let gcs: { kind: number; ms: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  for (const mix of mixes) {
    for (const rate of rates)
      for (const c of connectionsList) {
        const before = load();
        gcs = [];
        const cpu0 = process.cpuUsage();
        // Compared strategies run side by side: one client each, the connections and the offered rate split
        // between them, other seeds (so no strategy finds a user the other just warmed), the same server
        // and its collections shared, so the p99 ratio is read from one run.
        const strategies = ['', ...compared];
        const share = (x: number) => (x > 0 ? Math.max(1, Math.round(x / strategies.length)) : 0); // 0 rate: closed loop
        const results = await Promise.all(strategies.map((name) => runClient(gateway.url, share(c), seconds, mix, users, seed++, share(rate), name)));
        const run = results[0]!;
        const requests = results.reduce((a, x) => a + (x.requests as number), 0);
        const cpu = process.cpuUsage(cpu0);
        const major = gcs.filter((g) => g.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR);
        const round = (x: number) => Math.round(x * 10) / 10;
        runs.push({
          ...run,
          ...(compared.length > 0
            ? {
                compared: results.slice(1),
                p99Ratio: Object.fromEntries(compared.map((n, t) => [n, ratio(results[t + 1]!, run, 'p99')])),
                p50Ratio: Object.fromEntries(compared.map((n, t) => [n, ratio(results[t + 1]!, run, 'p50')])),
              }
            : {}),
          serverCpuMsPerRequest: Math.round(((cpu.user + cpu.system) / 1000 / requests) * 1000) / 1000,
          gc: {
            count: gcs.length,
            totalMs: round(gcs.reduce((a, g) => a + g.ms, 0)),
            maxMs: round(Math.max(0, ...gcs.map((g) => g.ms))),
            major: major.length,
            majorMaxMs: round(Math.max(0, ...major.map((g) => g.ms))),
          },
          loadAverageBefore: before,
          loadAverageAfter: load(),
        });
        log(JSON.stringify(runs[runs.length - 1]));
      }
  }
  observer.disconnect();
  if (profiler) writeFileSync(process.env.BENCH_CPU_PROFILE!, JSON.stringify(((await post('Profiler.stop')) as { profile: unknown }).profile));
  const cache = rec.cacheStats();
  console.log(
    JSON.stringify({
      graph: await graph.stats(),
      interactions,
      strategy: rec.defaultStrategy,
      ...(als ? { compare: process.env.BENCH_COMPARE, ...als, alsFactors: rec.als.options.factors } : {}),
      resultCache: { entries: config.FLYWHEEL_RECOMMENDATION_CACHE, ...cache },
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      modelSolveSeconds: Math.round(solveSeconds * 10) / 10,
      bytesPerInteraction: {
        heapGraphAndIndex: Math.round((heapLoaded - heap0) / interactions),
        heapModel: Math.round((heapModel - heapLoaded) / interactions),
        heapTotal: Math.round((heapModel - heap0) / interactions),
        rssTotal: Math.round((rss - rss0) / interactions),
      },
      runs,
      node: process.version,
    }),
  );
  await gateway.close();
  // No orderly app.close(): it would write a 5M-interaction snapshot nobody needs.
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

(CLIENT ? client() : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
