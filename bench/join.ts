import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import neo4j from 'neo4j-driver';
import { recommenderFactory } from '../src/app/recommender-factory';
import { loadConfig } from '../src/config/config';
import type { InteractionEvent } from '../src/events/event';
import { MemoryGraph } from '../src/graph/embedded/memory-graph';
import { isPositive, itemPriceAfter, nextEdgeState, type EdgeState } from '../src/graph/edge-rule';
import { edgeToProps } from '../src/graph/neo4j/props';
import { recordOrder } from '../src/graph/order-times';
import { DEFAULT_TYPE_WEIGHTS } from '../src/graph/stores/graph-reads';
import { Neo4jGraphStore } from '../src/graph/neo4j/neo4j-graph-store';
import { deleteTopics, ensureServers, wipeNeo4j, type Servers } from './servers';
import { gatewayNodeFlags, skewedEvents } from './shared';

/**
 * `node dist/bench/join.js [interactions ...]` (issue 16): what a new gateway on the production path (Neo4j +
 * Kafka) costs to join a shop that is already there, and what it then holds in memory. Default sizes 1M and 5M.
 *
 * For each size:
 *  1. The synthetic events (bench/shared `skewedEvents`, 20 interactions per user, items skewed) are applied
 *     in this process to an embedded graph, and a recommender built by the gateway's own factory with the
 *     gateway's default configuration starts on it (`bootstrap`, as every gateway does): the reference answers.
 *  2. The same events are folded into users, items and INTERACTED edges by the rules the Neo4j writer applies
 *     (src/graph/edge-rule.ts, order-times), and bulk-loaded into a wiped Neo4j (`UNWIND`, 10,000 rows per
 *     transaction). Ingesting 5M events through a gateway would take about an hour at today's Neo4j write rate
 *     (BENCHMARKS.md, issue 16); what is measured here is the join, not the ingest.
 *  3. A gateway process (`flywheel serve`, Neo4j + a fresh Kafka topic, result cache off) is started with the whole
 *     index (the default item model, publishing what it solves: FLYWHEEL_ITEM_MODEL=publish). The clock runs from
 *     the spawn until /readyz answers 200, and until its `recommendations(first: 10)` for 200 sampled users equal
 *     the reference's, item for item. Its memory then, after it answered BENCH_JOIN_ASKED_USERS (20,000) distinct
 *     users: VmRSS and VmHWM from /proc, and the V8 heap from /metrics. BENCH_JOIN_ITEMS fixes the number of
 *     items (default: interactions / 100), so that two sizes differ in users only.
 *  4. Once it has published its solved model, a replica (FLYWHEEL_ITEM_MODEL=replica: the shipped item model,
 *     histories read from Neo4j when asked for) joins, measured the same way.
 * The last line is one JSON object: {"runs":[{"interactions","users","items","edges","loadSeconds","readySeconds",
 * "correctSeconds","matching","firstPassMatching","rssMb","peakRssMb","heapMb","replica":{the same from
 * "readySeconds" on}}]}.
 *
 * The Neo4j database is WIPED: run it under `flock /tmp/flywheel-integration.lock` on a shared machine, against
 * a disposable server (see bench/servers.ts).
 */
const SIZES = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const SAMPLE = 200;
/** How long after ready the answers may take to become the reference's before the run gives up. */
const CORRECT_WAIT_MS = Number(process.env.BENCH_CORRECT_WAIT_MS ?? 120_000);
const ROOT = path.resolve(__dirname, '../..');
const RUN_ID = `${Date.now().toString(36)}-${process.pid}`;

interface JoinMeasure {
  readySeconds: number;
  correctSeconds: number | null;
  matching: number;
  /** Users whose answer was the reference's in the first pass after /readyz said ready. */
  firstPassMatching: number;
  rssMb: number;
  peakRssMb: number;
  heapMb: number;
}

/** The gateway that holds the whole index (and publishes the item model), and a replica that joins after it. */
interface JoinRun extends JoinMeasure {
  interactions: number;
  users: number;
  items: number;
  edges: number;
  loadSeconds: number;
  replica: JoinMeasure;
}

interface UserRow {
  id: string;
  first: number;
  last: number;
  events: number;
  orders: number[];
}

/** Users, items and edges as the Neo4j writer would leave them after applying `events` in order. */
function foldGraph(events: readonly InteractionEvent[]) {
  const users = new Map<string, UserRow>();
  const items = new Map<string, { price: number | null; userCount: number }>();
  const edges = new Map<string, EdgeState>();
  for (const e of events) {
    const userId = e.userId!;
    let u = users.get(userId);
    if (!u) users.set(userId, (u = { id: userId, first: e.timestamp, last: e.timestamp, events: 0, orders: [] }));
    u.events++;
    u.first = Math.min(u.first, e.timestamp);
    u.last = Math.max(u.last, e.timestamp);
    if (e.type === 'PURCHASE') u.orders = recordOrder(u.orders, e.timestamp);
    let item = items.get(e.itemId);
    if (!item) items.set(e.itemId, (item = { price: null, userCount: 0 }));
    const key = `${userId}\u0000${e.itemId}`;
    const prev = edges.get(key);
    const next = nextEdgeState(prev, e, DEFAULT_TYPE_WEIGHTS, item.price);
    edges.set(key, next);
    item.price = itemPriceAfter(item.price, e);
    if (isPositive(prev) !== isPositive(next)) item.userCount += isPositive(next) ? 1 : -1;
  }
  return { users, items, edges };
}

async function bulkLoad(uri: string, graph: ReturnType<typeof foldGraph>, eventCount: number): Promise<void> {
  const driver = neo4j.driver(uri);
  const session = driver.session();
  const inChunks = async <T>(rows: Iterable<T>, cypher: string) => {
    let chunk: T[] = [];
    const flush = async () => {
      if (chunk.length > 0) await session.executeWrite((tx) => tx.run(cypher, { rows: chunk }));
      chunk = [];
    };
    for (const r of rows) {
      chunk.push(r);
      if (chunk.length >= 10_000) await flush();
    }
    await flush();
  };
  try {
    await inChunks(
      [...graph.users.values()].map((u) => ({ ...u })),
      `UNWIND $rows AS row CREATE (:User {id: row.id, anonymous: false, excluded: false, firstSeenAt: row.first, lastSeenAt: row.last,
         eventCount: row.events, orders: row.orders})`,
    );
    await inChunks(
      [...graph.items].map(([id, s]) => ({ id, price: s.price, userCount: s.userCount })),
      `UNWIND $rows AS row CREATE (:Item {id: row.id, price: row.price, userCount: row.userCount, attributes: '{}'})`,
    );
    const edgeRows = function* () {
      for (const [key, state] of graph.edges) {
        const [u, i] = key.split('\u0000') as [string, string];
        yield { u, i, props: edgeToProps(state) };
      }
    };
    await inChunks(edgeRows(), 'UNWIND $rows AS row MATCH (u:User {id: row.u}) MATCH (i:Item {id: row.i}) CREATE (u)-[r:INTERACTED]->(i) SET r = row.props');
    await session.executeWrite((tx) => tx.run("MATCH (m:Meta {id: 'graph'}) SET m.eventsApplied = $n", { n: eventCount }));
  } finally {
    await session.close();
    await driver.close();
  }
}

function procStatus(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
}

async function answersOf(url: string, users: string[]): Promise<string[][]> {
  const query = 'query($u: ID!) { recommendations(userId: $u, first: 10) { item { id } } }';
  const out: string[][] = [];
  for (const u of users) {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { u } }),
    });
    const body = (await res.json()) as { data?: { recommendations: { item: { id: string } }[] } };
    out.push(body.data?.recommendations.map((r) => r.item.id) ?? []);
  }
  return out;
}

async function join(servers: Servers, interactions: number, topics: string[]): Promise<JoinRun> {
  const users = Math.max(1, Math.round(interactions / 20));
  // BENCH_JOIN_ITEMS fixes the catalogue, so that sizes differ in users only (a replica's memory should not)
  const items = Number(process.env.BENCH_JOIN_ITEMS ?? 0) || Math.max(1, Math.round(interactions / 100));
  const events = skewedEvents(interactions, 1, { users, items, idPrefix: 'join', stepMs: 1000 }) as InteractionEvent[];

  // 1. the reference: the gateway's own recommender over the embedded graph, same events, same configuration
  const graph = new MemoryGraph();
  const config = loadConfig({}, { FLYWHEEL_RECOMMENDATION_CACHE: 0 });
  for (let i = 0; i < events.length; i += 10_000) await graph.applyEvents(events.slice(i, i + 10_000));
  const reference = recommenderFactory(config, graph, () => null)();
  await reference.bootstrap(); // what any gateway that starts on this graph builds, on either backend
  reference.model.refreshSome(Infinity);
  const sampleUsers = Array.from({ length: SAMPLE }, (_, k) => `u${Math.floor((k * 7919) % users)}`);
  const expected = sampleUsers.map((u) => reference.recommendSync({ userId: u, first: 10 }).map((r) => r.itemId));

  // 2. the same graph in Neo4j, with the gateway's schema (its migrations) in place first
  await wipeNeo4j(servers.neo4jUri);
  const neo4jEnv = { FLYWHEEL_GRAPH: 'neo4j', NEO4J_URI: servers.neo4jUri };
  await (await Neo4jGraphStore.open({ uri: servers.neo4jUri })).close(); // migrations and the Meta node
  const folded = foldGraph(events);
  const t0 = performance.now();
  await bulkLoad(servers.neo4jUri, folded, events.length);
  const loadSeconds = (performance.now() - t0) / 1000;
  console.log(
    `# ${interactions} interactions: ${folded.users.size} users, ${folded.items.size} items, ${folded.edges.size} edges loaded in ${loadSeconds.toFixed(1)} s`,
  );
  // The same recommender in this process, started on Neo4j: tells a difference in the data from one in the gateway.
  const neo4jStore = await Neo4jGraphStore.open({ uri: servers.neo4jUri });
  try {
    const viaNeo4j = recommenderFactory(config, neo4jStore, () => null)();
    await viaNeo4j.bootstrap();
    viaNeo4j.model.refreshSome(Infinity);
    const same = sampleUsers.filter(
      (u, k) =>
        viaNeo4j
          .recommendSync({ userId: u, first: 10 })
          .map((r) => r.itemId)
          .join() === expected[k]!.join(),
    ).length;
    console.log(`# a recommender in this process started on Neo4j gives the reference's answers for ${same}/${SAMPLE} users`);
    viaNeo4j.close();
  } finally {
    await neo4jStore.close();
  }

  // 3. a gateway joins, with the whole index (the default), publishing the item model it solves
  const name = `flywheel-join-${RUN_ID}-${interactions}`;
  topics.push(name, `${name}.dlq`, `${name}.item-model`);
  const kafkaEnv = {
    ...neo4jEnv,
    FLYWHEEL_EVENTS: 'kafka',
    KAFKA_BROKERS: servers.kafkaBrokers,
    KAFKA_CLIENT_ID: 'flywheel-join',
    KAFKA_TOPIC_EVENTS: name,
    KAFKA_TOPIC_DEADLETTER: `${name}.dlq`,
    KAFKA_TOPIC_ITEM_MODEL: `${name}.item-model`,
    KAFKA_GROUP: name,
  };
  const full = spawnGateway({ ...kafkaEnv, FLYWHEEL_ITEM_MODEL: 'publish', FLYWHEEL_ITEM_MODEL_PUBLISH_MS: String(PUBLISH_MS) });
  try {
    const fullRun = await measureJoin(full, sampleUsers, expected, users);
    // 4. a replica joins once the publisher has shipped its solved model (one publish round after it answered right)
    await new Promise((r) => setTimeout(r, 2 * PUBLISH_MS));
    const replica = spawnGateway({ ...kafkaEnv, FLYWHEEL_ITEM_MODEL: 'replica' });
    let replicaRun: JoinMeasure;
    try {
      replicaRun = await measureJoin(replica, sampleUsers, expected, users);
    } finally {
      await replica.stop();
    }
    return {
      interactions,
      users: folded.users.size,
      items: folded.items.size,
      edges: folded.edges.size,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      ...fullRun,
      replica: replicaRun,
    };
  } finally {
    await full.stop();
  }
}

/** Distinct users asked for recommendations before a gateway's memory is read (BENCH_JOIN_ASKED_USERS). */
const ASKED_USERS = Number(process.env.BENCH_JOIN_ASKED_USERS ?? 20_000);

/** Asks `count` distinct users' recommendations (u0, u1, ...; at most `users`), 8 at a time. */
async function askUsers(url: string, count: number, users: number): Promise<void> {
  const ids = Array.from({ length: Math.min(count, users) }, (_, k) => `u${k}`);
  const query = 'query($u: ID!) { recommendations(userId: $u, first: 10) { item { id } } }';
  const worker = async () => {
    for (let u = ids.pop(); u !== undefined; u = ids.pop()) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables: { u } }),
      });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** How often the joining gateway publishes its item model in this bench. */
const PUBLISH_MS = 2000;

interface SpawnedGateway {
  url: string;
  pid: number;
  started: number;
  stop(): Promise<void>;
}

/** `flywheel serve` on a port of its own with this environment (result cache off), started now. */
function spawnGateway(env: Record<string, string>): SpawnedGateway {
  const port = 4800 + Math.floor(Math.random() * 500);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'flywheel-join-'));
  const started = performance.now();
  const child = spawn(process.execPath, [...gatewayNodeFlags(), path.join(ROOT, 'bin/flywheel.js'), 'serve', '--data-dir', dataDir, '--port', String(port)], {
    env: {
      ...process.env,
      ...env,
      LOG_LEVEL: 'warn',
      FLYWHEEL_RECOMMENDATION_CACHE: '0',
      FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0',
      FLYWHEEL_RATE_LIMIT_PER_MINUTE: '10000000',
    },
    stdio: 'inherit',
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    started,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** From the spawn: until /readyz answers 200, until its answers are the reference's; then its memory. */
async function measureJoin(gw: SpawnedGateway, sampleUsers: string[], expected: string[][], users: number): Promise<JoinMeasure> {
  const { url, started } = gw;
  let readySeconds = NaN;
  while (Number.isNaN(readySeconds)) {
    if (performance.now() - started > 600_000) throw new Error('the gateway was not ready within 10 minutes');
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) readySeconds = (performance.now() - started) / 1000;
    } catch {
      /* starting */
    }
    if (Number.isNaN(readySeconds)) await new Promise((r) => setTimeout(r, 100));
  }
  let correctSeconds: number | null = null;
  let matching = 0;
  let got: string[][] = [];
  let firstPassMatching: number | undefined;
  while (correctSeconds === null && performance.now() - started < readySeconds * 1000 + CORRECT_WAIT_MS) {
    got = await answersOf(url, sampleUsers);
    matching = got.filter((list, k) => list.join() === expected[k]!.join()).length;
    firstPassMatching ??= matching;
    if (matching === SAMPLE) correctSeconds = (performance.now() - started) / 1000;
    else await new Promise((r) => setTimeout(r, 500));
  }
  for (const k of sampleUsers.keys()) {
    if (got[k]!.join() === expected[k]!.join()) continue;
    console.log(`# ${sampleUsers[k]}: the reference ${expected[k]!.join(' ')}\n#   the gateway   ${got[k]!.join(' ')}`);
    if (k > 20) break;
  }
  // Memory after serving many distinct users, not only the sample: a replica then holds up to its bound of histories.
  await askUsers(url, ASKED_USERS, users);
  const mem = procStatus(gw.pid);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const heap = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? NaN);
  return {
    readySeconds: Math.round(readySeconds * 10) / 10,
    correctSeconds: correctSeconds === null ? null : Math.round(correctSeconds * 10) / 10,
    matching,
    firstPassMatching: firstPassMatching ?? 0,
    ...mem,
    heapMb: Math.round(heap / 1048576),
  };
}

async function main(): Promise<void> {
  const sizes = SIZES.length > 0 ? SIZES : [1_000_000, 5_000_000];
  const servers = ensureServers();
  const topics: string[] = [];
  console.log(
    `# flywheel bench/join: sizes ${sizes.join(', ')}, node ${process.version}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const runs: JoinRun[] = [];
  try {
    for (const n of sizes) {
      const run = await join(servers, n, topics);
      for (const [who, m] of [
        ['whole index (publishing)', run],
        ['replica', run.replica],
      ] as const)
        console.log(
          `${n} interactions, ${who}: ready after ${m.readySeconds} s (first pass after it: ${m.firstPassMatching}/${SAMPLE} users answered as the reference), the reference's answers for ${m.matching}/${SAMPLE} users` +
            `${m.correctSeconds === null ? ' (never all)' : ` after ${m.correctSeconds} s`}; RSS ${m.rssMb} MB (peak ${m.peakRssMb}), heap ${m.heapMb} MB`,
        );
      runs.push(run);
    }
  } finally {
    await deleteTopics(servers.kafkaBrokers, topics).catch(() => undefined);
    servers.stop();
  }
  console.log(
    `# load average at end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(JSON.stringify({ runs }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
