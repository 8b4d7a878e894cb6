import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import pino from 'pino';
import { createFlywheel } from '../src/app/flywheel';
import { LmdbEventLog } from '../src/event-log/lmdb-event-log';
import { MemoryGraph } from '../src/graph/embedded/memory-graph';
import { Ingestor } from '../src/ingest/ingestor';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/observability/logger';
import { prng } from '../src/demo/demo-data';
import { gatewayNodeFlags, median, skewedEvents } from './shared';

/**
 * `npm run bench`: the foundation's figures in one run, so that ratios compare like with like on a
 * noisy machine.
 *  1. Ingest: events/s from `append` on the embedded log until the graph has applied them
 *     (validation, LMDB commit + fsync, consumer, graph apply, offset commit), median of rounds.
 *  2. HTTP: a gateway in a child process (demo shop), loaded by autocannon at fixed concurrency with
 *     `{ __typename }` and with `recommendations`, rounds interleaved; medians of per-round figures.
 *     Three gateways in turn: the default, the exact result cache off, graphql-js as the executor.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const INGEST_EVENTS = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const EVENT_SHAPE = { users: 20_000, items: 5_000, idPrefix: 'bench', stepMs: 10 };

/** The seam path alone: LMDB log -> ingestor -> in-memory graph, without the hooks the app adds. */
async function benchCoreIngest(seed: number): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-bench-core-'));
  const log = new LmdbEventLog(dir);
  const graph = new MemoryGraph();
  const ingestor = new Ingestor(log, graph, { group: 'graph', logger: pino({ level: 'silent' }), checkpointEvery: Number.MAX_SAFE_INTEGER, revalidate: false });
  await ingestor.start();
  const events = skewedEvents(INGEST_EVENTS, seed, EVENT_SHAPE);
  const started = performance.now();
  let last = -1;
  for (let i = 0; i < events.length; i += 5000) last = (await log.append(events.slice(i, i + 5000))).lastPosition;
  await ingestor.waitFor(last, 600_000);
  const seconds = (performance.now() - started) / 1000;
  await ingestor.stop();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
  return events.length / seconds;
}

async function benchIngest(): Promise<{ core: number[]; eventsPerSecond: number[]; viaTracker: number[] }> {
  const core: number[] = [];
  const eventsPerSecond: number[] = [];
  const viaTracker: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    core.push(await benchCoreIngest(100 + round));
    for (const path_ of ['log', 'tracker'] as const) {
      const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-bench-'));
      const app = await createFlywheel(
        loadConfig({ LOG_LEVEL: 'silent' }, { FLYWHEEL_DATA_DIR: dir, FLYWHEEL_SNAPSHOT_EVERY: 100_000_000 }),
        createLogger('silent'),
      );
      const events = skewedEvents(INGEST_EVENTS, round * 2 + (path_ === 'log' ? 0 : 1), EVENT_SHAPE);
      const started = performance.now();
      let last = -1;
      for (let i = 0; i < events.length; i += 5000) {
        const batch = events.slice(i, i + 5000);
        if (path_ === 'log') last = (await app.log.append(batch)).lastPosition;
        else await app.tracker.track(batch, 'bench');
      }
      if (path_ === 'log') await app.ingestor.waitFor(last, 600_000);
      const seconds = (performance.now() - started) / 1000;
      (path_ === 'log' ? eventsPerSecond : viaTracker).push(events.length / seconds);
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { core, eventsPerSecond, viaTracker };
}

async function startServer(extraEnv: Record<string, string> = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-bench-http-'));
  const port = 4300 + Math.floor(Math.random() * 500);
  const child = spawn(
    process.execPath,
    [...gatewayNodeFlags(), path.resolve(__dirname, '../../bin/flywheel.js'), 'demo', '--no-simulator', '--data-dir', dir, '--port', String(port)],
    {
      // The load generator is one client on loopback: lift the per-identity rate limit for the run.
      env: { ...process.env, LOG_LEVEL: 'warn', FLYWHEEL_RATE_LIMIT_PER_MINUTE: '10000000', ...extraEnv },
      stdio: 'inherit',
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates and starts an A/B test of the default strategy against popular, half the traffic each. */
async function startAbTest(url: string): Promise<void> {
  const call = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: Record<string, { id: string }>; errors?: unknown };
    if (body.errors) throw new Error(`bench setup failed: ${JSON.stringify(body.errors)}`);
    return body.data!;
  };
  const created = await call(
    'mutation { createExperiment(input: { name: "bench", variants: [{ name: "control", share: 0.5, strategy: "blend" }, { name: "treatment", share: 0.5, strategy: "popular" }], primaryMetric: CTR, minimumDetectableEffect: 0.05 }) { id } }',
  );
  await call('mutation($id: ID!) { startExperiment(id: $id) { id } }', { id: created.createExperiment!.id });
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, bodyFor: () => string): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/graphql`,
    connections: CONNECTIONS,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodyFor() }) }],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function main(): Promise<void> {
  console.log(`# flywheel bench: ${ROUNDS} rounds, ${INGEST_EVENTS} ingest events, ${CONNECTIONS} connections x ${SECONDS} s, node ${process.version}`);
  const ingest = await benchIngest();

  const rand = prng(7);
  const trivial = () => JSON.stringify({ query: '{ __typename }' });
  const recsQuery = 'query($u: ID!) { recommendations(userId: $u, first: 10) { score reason item { id title category } } }';
  const recs = () => JSON.stringify({ query: recsQuery, variables: { u: `demo-user-${1 + Math.floor(rand() * 300)}` } });

  /** One gateway process, both queries in interleaved rounds: the ratio compares like with like. */
  const measure = async (env: Record<string, string> = {}, setup?: (url: string) => Promise<void>) => {
    const server = await startServer(env);
    await setup?.(server.url);
    await load(server.url, trivial); // warm-up: JIT, connections
    await load(server.url, recs);
    const typename: LoadResult[] = [];
    const recommendations: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      typename.push(await load(server.url, trivial));
      recommendations.push(await load(server.url, recs));
    }
    await server.stop();
    const m = (rs: LoadResult[], k: keyof LoadResult) => median(rs.map((r) => r[k]));
    const summarize = (rs: LoadResult[]) => ({
      rps: Math.round(m(rs, 'rps')),
      p50: m(rs, 'p50'),
      p99: m(rs, 'p99'),
      errors: rs.reduce((sum, r) => sum + r.errors, 0),
      rounds: rs.map((r) => Math.round(r.rps)),
    });
    const t = summarize(typename);
    const r = summarize(recommendations);
    return { typename: t, recommendations: r, ratio: r.rps / t.rps };
  };
  // The default gateway; the same with the exact result cache off (every request runs the strategy); and
  // with graphql-js executing instead of graphql-jit (FLYWHEEL_EXECUTOR), to show what the executor buys.
  // Issue 13's cost: the same cache-off gateway with an A/B test running (every request is assigned, served
  // the variant's strategy and its impression carries the experiment) against none.
  const configs: { label: string; env: Record<string, string>; setup?: (url: string) => Promise<void> }[] = [
    { label: 'default', env: {} },
    { label: 'cache off', env: { FLYWHEEL_RECOMMENDATION_CACHE: '0' } },
    { label: 'cache off, A/B test running', env: { FLYWHEEL_RECOMMENDATION_CACHE: '0' }, setup: startAbTest },
    { label: 'graphql-js executor', env: { FLYWHEEL_EXECUTOR: 'graphql-js' } },
  ];
  const http: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const c of configs) http[c.label] = await measure(c.env, c.setup);

  const summary = {
    ingestCoreEventsPerSecond: Math.round(median(ingest.core)),
    ingestEventsPerSecond: Math.round(median(ingest.eventsPerSecond)),
    ingestViaTrackerEventsPerSecond: Math.round(median(ingest.viaTracker)),
    http,
  };
  console.log('');
  console.log('| measure | median | rounds |');
  console.log('|---|---|---|');
  console.log(
    `| ingest, core seam path: LMDB log -> ingestor -> memory graph (events/s) | ${summary.ingestCoreEventsPerSecond} | ${ingest.core.map((x) => Math.round(x)).join(', ')} |`,
  );
  console.log(
    `| ingest, full default app: + anomaly detectors, online model, segments (events/s) | ${summary.ingestEventsPerSecond} | ${ingest.eventsPerSecond.map((x) => Math.round(x)).join(', ')} |`,
  );
  console.log(
    `| ingest, tracker (validate + append + wait applied) (events/s) | ${summary.ingestViaTrackerEventsPerSecond} | ${ingest.viaTracker.map((x) => Math.round(x)).join(', ')} |`,
  );
  for (const { label } of configs) {
    const h = http[label]!;
    const prefix = label === 'default' ? '' : `${label}: `;
    console.log(
      `| ${prefix}\`{ __typename }\` req/s (p50 / p99 ms) | ${h.typename.rps} (${h.typename.p50} / ${h.typename.p99}) | ${h.typename.rounds.join(', ')} |`,
    );
    console.log(
      `| ${prefix}\`recommendations(first: 10)\` req/s (p50 / p99 ms) | ${h.recommendations.rps} (${h.recommendations.p50} / ${h.recommendations.p99}) | ${h.recommendations.rounds.join(', ')} |`,
    );
    console.log(`| ${prefix}recommendations / typename throughput | ${h.ratio.toFixed(2)} | |`);
  }
  console.log(
    `| errors (all HTTP runs) | ${configs.reduce((sum, { label }) => sum + http[label]!.typename.errors + http[label]!.recommendations.errors, 0)} | |`,
  );
  console.log('');
  console.log(JSON.stringify(summary));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
