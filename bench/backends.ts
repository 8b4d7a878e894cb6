import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Histogram } from 'prom-client';
import { createFlywheel } from '../src/app/flywheel';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/observability/logger';
import { prng } from '../src/demo/demo-data';
import { gatewayNodeFlags, median, skewedEvents } from './shared';
import { deleteTopics, ensureServers, wipeNeo4j, type Servers } from './servers';

/**
 * `npm run bench:backends` (issue 3): the embedded default (LMDB log + in-memory graph) and the production
 * backends (Kafka 3.9 + Neo4j 5.26 from scripts/backends/) side by side, in one run, on the same data.
 *
 * Each round, for each configuration (order alternates between rounds):
 *  1. Ingest: a fresh store (new data dir / wiped Neo4j database and a new Kafka topic and group), the full
 *     gateway app in this process (`createFlywheel`: ingestion, anomaly detectors, live recommender,
 *     segments), the same synthetic events appended to the log in chunks of 1,000 (LMDB commit + fsync /
 *     Kafka acks=all); the clock stops when ingestion has applied every event to the graph.
 *  2. Serving: that app is closed and a gateway process (`flywheel serve`) is started on the same data;
 *     autocannon sends `recommendations(first: 10)` for random users of the data set at fixed concurrency.
 *     The exact-result cache is off (FLYWHEEL_RECOMMENDATION_CACHE=0, override with BENCH_CACHE), so every
 *     request runs the strategy and reads its items from the graph store.
 *     Then `{ __typename }` on the same gateway, for the ratio of the two (what the strategy and the graph reads cost).
 * Medians over rounds, and how many times slower Neo4j + Kafka is (throughput ratio; latency ratio). The last
 * line is one JSON object: {"embedded":{ingestPerSec,reqPerSec,p50Ms,p99Ms},"production":{...,settledPerSec,writeP99Ms,
 * writesOver1s,writes},"typenameRatio"}; writeP99Ms is the p99 of the production gateway's batch writes to the graph, read
 * from its own flywheel_graph_write_duration_seconds histogram (the bound of the bucket that reaches it).
 *
 * Before the rounds, BENCH_WARMUP_ROUNDS (default 1) untimed rounds of Neo4j + Kafka alone: servers started
 * for the bench run with the C2 JIT, as in production, and without a warm-up the first rounds measured its
 * compilation (635, 944, 1,692 req/s in rounds 1-3 of one cold run).
 *
 * Servers: FLYWHEEL_TEST_NEO4J_URI and FLYWHEEL_TEST_KAFKA_BROKERS reuse running ones; otherwise this
 * starts them with scripts/backends/{neo4j,kafka}.sh (reusing them if already up) and stops the ones it
 * started. The Neo4j database is WIPED each round: point it only at a disposable server.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const USERS = Number(process.env.BENCH_USERS ?? 2_000);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 500);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CACHE = process.env.BENCH_CACHE ?? '0';
/** BENCH_PROFILE_DIR=DIR: each serving gateway writes a V8 CPU profile there (`--cpu-prof`; NODE_OPTIONS cannot carry it). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** Untimed rounds of the production configuration first: the JVM servers' JIT warms up (see main). */
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 1);
const INGEST_LOG = process.env.BENCH_INGEST_LOG ?? 'silent';
const CHUNK = 1000;
const ROOT = path.resolve(__dirname, '../..');
const RUN_ID = `${Date.now().toString(36)}-${process.pid}`;
const EVENT_SHAPE = { users: USERS, items: ITEMS, idPrefix: 'bb', stepMs: 1000 };

type Backend = 'embedded' | 'neo4j+kafka';

function envFor(backend: Backend, servers: Servers, round: number): Record<string, string> {
  const common = { LOG_LEVEL: 'silent', FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0', FLYWHEEL_SNAPSHOT_EVERY: '100000000' };
  if (backend === 'embedded') return common;
  const name = `flywheel-bench-${RUN_ID}-${round}`;
  return {
    ...common,
    FLYWHEEL_GRAPH: 'neo4j',
    FLYWHEEL_EVENTS: 'kafka',
    NEO4J_URI: servers.neo4jUri,
    KAFKA_BROKERS: servers.kafkaBrokers,
    KAFKA_CLIENT_ID: 'flywheel-bench',
    KAFKA_TOPIC_EVENTS: name,
    KAFKA_TOPIC_DEADLETTER: `${name}.dlq`,
    KAFKA_GROUP: name,
    KAFKA_SESSION_TIMEOUT_MS: '10000',
  };
}

/**
 * Events/s from the first append until ingestion has applied the last event to the graph. (Until issue 12
 * Neo4j also maintained derived SIMILAR edges after the batches, measured as a second "settled" figure;
 * nothing read them, and they are gone.)
 */
interface IngestResult {
  eps: number;
  /** From the gateway's own `flywheel_graph_write_duration_seconds`: p99 of the batch writes (its bucket's bound, ms), and how many took over 1 s. */
  writeP99Ms: number;
  writes: number;
  writesOver1s: number;
}

/** The q-quantile of a prom-client histogram as the upper bound of the bucket that reaches it, with the count and how many exceeded `over` (a bucket bound). */
async function histogramSummary(h: Histogram, q: number, over: number): Promise<{ quantile: number; count: number; above: number }> {
  const buckets = (await h.get()).values
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), n: v.value }))
    .sort((a, b) => a.le - b.le);
  const count = buckets.at(-1)?.n ?? 0;
  const quantile = buckets.find((b) => b.n >= q * count)?.le ?? Number.NaN;
  const atMost = buckets.find((b) => b.le === over)?.n ?? count;
  return { quantile, count, above: count - atMost };
}

async function ingest(backend: Backend, env: Record<string, string>, dataDir: string, round: number): Promise<IngestResult> {
  // BENCH_INGEST_LOG=warn shows the ingesting app's warnings, e.g. each graph write over a second with its size
  const app = await createFlywheel(loadConfig(env, { FLYWHEEL_DATA_DIR: dataDir }), createLogger(INGEST_LOG));
  try {
    const events = skewedEvents(EVENTS, round, EVENT_SHAPE);
    const applied = async () => (await app.metrics.eventsApplied.get()).values[0]?.value ?? 0;
    const base = await applied();
    const started = performance.now();
    let last = -1;
    for (let i = 0; i < events.length; i += CHUNK) last = (await app.log.append(events.slice(i, i + CHUNK))).lastPosition;
    if (app.log.readYourWrites) await app.ingestor.waitFor(last, 600_000);
    else {
      const deadline = Date.now() + 600_000;
      while ((await applied()) - base < events.length) {
        if (Date.now() > deadline) throw new Error(`${backend}: only ${(await applied()) - base} of ${events.length} events applied`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const seconds = (performance.now() - started) / 1000;
    if ((await app.store.stats()).eventsApplied < events.length) throw new Error(`${backend}: the graph holds fewer events than were sent`);
    const writes = await histogramSummary(app.metrics.graphWriteDuration, 0.99, 1);
    return { eps: events.length / seconds, writeP99Ms: writes.quantile * 1000, writes: writes.count, writesOver1s: writes.above };
  } finally {
    await app.close();
  }
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** `{ __typename }` req/s on the same gateway right after (what the GraphQL server alone can do). */
  typenameRps: number;
  /** The gateway's own view of the `recommendations` run (its /metrics): what a slow request waited on. */
  during: GatewayStalls;
}

/** Event-loop delay and garbage collection in the serving gateway over one load run, from its /metrics. */
interface GatewayStalls {
  loopP99Ms: number;
  loopMaxMs: number;
  /** Milliseconds of GC pauses per second of the run, and the longest pause bucket reached, by kind. */
  gc: Record<string, { msPerSec: number; count: number }>;
}

/** The gateway's GC totals by kind (prom-client's default nodejs_gc_duration_seconds). */
async function gcTotals(url: string): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const totals = new Map<string, { sum: number; count: number }>();
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} ([\d.e+-]+)$/gm)) {
    const t = totals.get(m[2]!) ?? { sum: 0, count: 0 };
    t[m[1] as 'sum' | 'count'] = Number(m[3]);
    totals.set(m[2]!, t);
  }
  return totals;
}

/** prom-client's event-loop lag gauges cover the time since the previous scrape of /metrics. */
async function loopLag(url: string): Promise<{ p99Ms: number; maxMs: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p99Ms: read('nodejs_eventloop_lag_p99_seconds'), maxMs: read('nodejs_eventloop_lag_max_seconds') };
}

async function serve(env: Record<string, string>, dataDir: string): Promise<LoadResult> {
  const port = 4800 + Math.floor(Math.random() * 500);
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  // a gateway that never becomes ready is asked for Node's diagnostic report (SIGUSR2) before it is stopped
  const reportDir = mkdtempSync(path.join(tmpdir(), 'flywheel-bench-report-'));
  const diagnostics = ['--report-on-signal', `--report-directory=${reportDir}`];
  const child = spawn(
    process.execPath,
    [...gatewayNodeFlags(), ...profile, ...diagnostics, path.join(ROOT, 'bin/flywheel.js'), 'serve', '--data-dir', dataDir, '--port', String(port)],
    {
      env: { ...process.env, ...env, LOG_LEVEL: 'warn', FLYWHEEL_RATE_LIMIT_PER_MINUTE: '10000000', FLYWHEEL_RECOMMENDATION_CACHE: CACHE },
      stdio: 'inherit',
    },
  );
  let exitCode: number | string | null | undefined;
  const exited = new Promise((r) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      r(undefined);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    let ready = false;
    let last = 'no answer';
    const deadline = Date.now() + 120_000;
    while (!ready && Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`gateway exited before it was ready (${exitCode}); last /readyz: ${last}`);
      try {
        // a bounded wait: a gateway that accepts but never answers shows as such, not as a hung bench
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
        ready = res.status === 200;
        last = await res.text();
      } catch (err) {
        last = `no answer (${(err as Error).name === 'TimeoutError' ? 'no response within 2 s' : ((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message)})`;
      }
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    // what it was waiting for (catching up, stalled, solving the model) is the first thing to know
    if (!ready) throw new Error(`gateway did not become ready within 120 s; last /readyz: ${last}\n${await whyNotReady(child.pid!, reportDir)}`);
    const rand = prng(7);
    const query = 'query($u: ID!) { recommendations(userId: $u, first: 10) { score reason item { id title category } } }';
    const recommendations = () => JSON.stringify({ query, variables: { u: `u${Math.floor(rand() * USERS)}` } });
    const typename = () => JSON.stringify({ query: '{ __typename }' });
    const run = (duration: number, body: () => string) =>
      autocannon({
        url: `${url}/graphql`,
        connections: CONNECTIONS,
        duration,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
      });
    await run(2, recommendations); // warm-up (JIT, connection pools)
    const gcBefore = await gcTotals(url);
    await loopLag(url); // starts the lag window
    const r = await run(SECONDS, recommendations);
    const lag = await loopLag(url);
    const gcAfter = await gcTotals(url);
    const gc = Object.fromEntries(
      [...gcAfter].map(([kind, a]) => {
        const b = gcBefore.get(kind) ?? { sum: 0, count: 0 };
        return [kind, { msPerSec: Math.round(((a.sum - b.sum) * 1000 * 10) / SECONDS) / 10, count: a.count - b.count }];
      }),
    );
    const t = await run(SECONDS, typename);
    return {
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.non2xx + t.errors + t.non2xx,
      typenameRps: t.requests.average,
      during: { loopP99Ms: Math.round(lag.p99Ms * 10) / 10, loopMaxMs: Math.round(lag.maxMs * 10) / 10, gc },
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(reportDir, { recursive: true, force: true });
  }
}

/**
 * What a gateway that never became ready was doing (it happened 4 times in about 30 runs on 4 December, with
 * nothing in its log): the CPU it used (a busy loop or a wait), and from Node's diagnostic report, asked for
 * with SIGUSR2, the main thread's JavaScript stack and its libuv handles (what it was waiting on).
 */
async function whyNotReady(pid: number, reportDir: string): Promise<string> {
  const lines: string[] = [];
  try {
    // utime + stime in clock ticks (fields 14 and 15; the command name in field 2 may hold spaces)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    lines.push(`gateway CPU so far: ${((Number(fields[11]) + Number(fields[12])) / 100).toFixed(1)} s`);
  } catch (err) {
    lines.push(`gateway CPU: unknown (${(err as Error).message})`);
  }
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 5000;
  let file: string | undefined;
  while (!file && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    file = readdirSync(reportDir).find((f) => f.endsWith('.json'));
  }
  if (!file) return [...lines, 'no diagnostic report within 5 s: the main thread did not return to its event loop (busy or blocked)'].join('\n');
  try {
    const report = JSON.parse(readFileSync(path.join(reportDir, file), 'utf8')) as {
      javascriptStack?: { message?: string; stack?: string[] };
      libuv?: { type: string; is_active?: boolean; is_referenced?: boolean }[];
    };
    const handles = new Map<string, number>();
    for (const h of report.libuv ?? []) if (h.is_active) handles.set(h.type, (handles.get(h.type) ?? 0) + 1);
    lines.push(`active libuv handles: ${[...handles].map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}`);
    lines.push(`JavaScript stack at the report: ${report.javascriptStack?.message ?? ''}`);
    lines.push(...(report.javascriptStack?.stack ?? []).slice(0, 20).map((l) => `  ${l.trim()}`));
  } catch (err) {
    lines.push(`diagnostic report unreadable: ${(err as Error).message}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const servers = ensureServers();
  const topics: string[] = [];
  const load0 = loadavg();
  console.log(
    `# flywheel bench:backends: ${ROUNDS} rounds, ${EVENTS} events (${USERS} users, ${ITEMS} items), ` +
      `${CONNECTIONS} connections x ${SECONDS} s, ${WARMUP_ROUNDS} untimed warm-up round(s), recommendation cache ${CACHE === '0' ? 'off' : CACHE}, node ${process.version}, ` +
      `load average ${load0.map((x) => x.toFixed(2)).join(' ')}`,
  );
  const ingestEps: Record<Backend, number[]> = { embedded: [], 'neo4j+kafka': [] };
  const ingests: Record<Backend, IngestResult[]> = { embedded: [], 'neo4j+kafka': [] };
  const loads: Record<Backend, LoadResult[]> = { embedded: [], 'neo4j+kafka': [] };
  try {
    for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
      const warmup = round < 0;
      const order: Backend[] = warmup ? ['neo4j+kafka'] : round % 2 === 0 ? ['embedded', 'neo4j+kafka'] : ['neo4j+kafka', 'embedded'];
      for (const backend of order) {
        const env = envFor(backend, servers, round);
        if (env.KAFKA_TOPIC_EVENTS) topics.push(env.KAFKA_TOPIC_EVENTS, env.KAFKA_TOPIC_DEADLETTER!);
        if (backend !== 'embedded') await wipeNeo4j(servers.neo4jUri);
        const dataDir = mkdtempSync(path.join(tmpdir(), 'flywheel-bench-backends-'));
        try {
          const ing = await ingest(backend, env, dataDir, round);
          const eps = ing.eps;
          const l = await serve(env, dataDir);
          if (warmup) {
            console.log(`warm-up ${backend} (not counted): ingest ${Math.round(eps)} events/s; recommendations ${Math.round(l.rps)} req/s, p99 ${l.p99} ms`);
            continue;
          }
          ingestEps[backend].push(eps);
          ingests[backend].push(ing);
          loads[backend].push(l);
          console.log(
            `round ${round + 1} ${backend}: ingest ${Math.round(eps)} events/s (${ing.writes} batch writes, p99 <= ${ing.writeP99Ms} ms, ${ing.writesOver1s} over 1 s); recommendations ${Math.round(l.rps)} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms, errors ${l.errors}; in the gateway: event-loop delay p99 ${l.during.loopP99Ms} ms, max ${l.during.loopMaxMs} ms, GC ${JSON.stringify(l.during.gc)}`,
          );
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await deleteTopics(servers.kafkaBrokers, topics).catch(() => undefined);
    servers.stop();
  }
  const load1 = loadavg();
  const m = (b: Backend, k: Exclude<keyof LoadResult, 'during'>) => median(loads[b].map((r) => r[k]));
  // The factor reads "Neo4j + Kafka is N x slower": embedded / production for throughput, the inverse for latency.
  const row = (label: string, f: (b: Backend) => number, digits = 0, perRound?: (b: Backend) => number[], latency = false) => {
    const e = f('embedded');
    const p = f('neo4j+kafka');
    const factor = latency ? p / e : e / p;
    const rounds = perRound
      ? ` | ${perRound('embedded')
          .map((x) => x.toFixed(digits))
          .join(', ')} | ${perRound('neo4j+kafka')
          .map((x) => x.toFixed(digits))
          .join(', ')}`
      : ' | | ';
    console.log(`| ${label} | ${e.toFixed(digits)} | ${p.toFixed(digits)} | ${factor.toFixed(1)}x${rounds} |`);
  };
  console.log('');
  console.log('| measure (median of rounds) | embedded | Neo4j + Kafka | Neo4j + Kafka slower by | rounds, embedded | rounds, Neo4j + Kafka |');
  console.log('|---|---|---|---|---|---|');
  row(
    'ingest, append until applied to the graph (events/s)',
    (b) => median(ingestEps[b]),
    0,
    (b) => ingestEps[b],
  );
  row(
    'batch write to the graph, p99 (ms, bucket bound of `flywheel_graph_write_duration_seconds`)',
    (b) => median(ingests[b].map((r) => r.writeP99Ms)),
    0,
    (b) => ingests[b].map((r) => r.writeP99Ms),
    true,
  );
  row(
    '`recommendations(first: 10)` req/s',
    (b) => m(b, 'rps'),
    0,
    (b) => loads[b].map((r) => r.rps),
  );
  row(
    '`recommendations` p50 latency (ms)',
    (b) => m(b, 'p50'),
    1,
    (b) => loads[b].map((r) => r.p50),
    true,
  );
  row(
    '`recommendations` p99 latency (ms)',
    (b) => m(b, 'p99'),
    1,
    (b) => loads[b].map((r) => r.p99),
    true,
  );
  row(
    '`{ __typename }` req/s, same gateway',
    (b) => m(b, 'typenameRps'),
    0,
    (b) => loads[b].map((r) => r.typenameRps),
  );
  console.log(
    `| errors (non-2xx + socket) | ${loads.embedded.reduce((s, r) => s + r.errors, 0)} | ${loads['neo4j+kafka'].reduce((s, r) => s + r.errors, 0)} | | | |`,
  );
  console.log('');
  console.log(`load average at start ${load0.map((x) => x.toFixed(2)).join(' ')}, at end ${load1.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(JSON.stringify({ rounds: ROUNDS, events: EVENTS, ingestEps, ingests, loads, loadavg: { start: load0, end: load1 } }));
  // The summary line (issue 16's shape), last: medians of rounds. Neo4j keeps no derived structure of its own
  // since SIMILAR was removed, so "settled" is "applied" there.
  const side = (b: Backend) => ({ ingestPerSec: Math.round(median(ingestEps[b])), reqPerSec: Math.round(m(b, 'rps')), p50Ms: m(b, 'p50'), p99Ms: m(b, 'p99') });
  const production = side('neo4j+kafka');
  const writes = ingests['neo4j+kafka'];
  console.log(
    JSON.stringify({
      embedded: side('embedded'),
      production: {
        ...production,
        settledPerSec: production.ingestPerSec,
        // issue 16: "no batch transaction over 1 s at p99"
        writeP99Ms: median(writes.map((r) => r.writeP99Ms)),
        writesOver1s: writes.reduce((n, r) => n + r.writesOver1s, 0),
        writes: writes.reduce((n, r) => n + r.writes, 0),
      },
      typenameRatio: Math.round((m('embedded', 'rps') / m('embedded', 'typenameRps')) * 100) / 100,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
