import net from 'node:net';
import neo4j from 'neo4j-driver';
import { Kafka, logLevel } from 'kafkajs';
import type { Neo4jGraphStoreOptions } from '../../src/graph/neo4j/neo4j-graph-store';

/**
 * Where the integration suites find their servers: FLYWHEEL_TEST_NEO4J_URI (bolt://...) and
 * FLYWHEEL_TEST_KAFKA_BROKERS (host:port[,host:port]); scripts/integration.sh sets both after starting
 * the servers. Unset: the suites skip with this message. The Neo4j suites wipe the database they use
 * (FLYWHEEL_TEST_NEO4J_DATABASE, default: the server's default database): never point them at real data.
 */
export const NEO4J_URI = process.env.FLYWHEEL_TEST_NEO4J_URI ?? '';
export const KAFKA_BROKERS = process.env.FLYWHEEL_TEST_KAFKA_BROKERS ?? '';
export const NEO4J_SKIP = NEO4J_URI ? undefined : 'FLYWHEEL_TEST_NEO4J_URI is not set (run scripts/integration.sh, or point it at a disposable Neo4j)';
export const KAFKA_SKIP = KAFKA_BROKERS ? undefined : 'FLYWHEEL_TEST_KAFKA_BROKERS is not set (run scripts/integration.sh, or point it at a Kafka broker)';
export const RUN_ID = `${Date.now().toString(36)}-${process.pid}`;

export function neo4jOptions(): Neo4jGraphStoreOptions {
  return {
    uri: NEO4J_URI,
    user: process.env.FLYWHEEL_TEST_NEO4J_USER ?? 'neo4j',
    password: process.env.FLYWHEEL_TEST_NEO4J_PASSWORD ?? '',
    database: process.env.FLYWHEEL_TEST_NEO4J_DATABASE ?? '',
  };
}

/** Empties the test database (data only; constraints and indexes stay, migrations re-record themselves). */
export async function cleanNeo4j(): Promise<void> {
  const o = neo4jOptions();
  const driver = neo4j.driver(o.uri, o.password ? neo4j.auth.basic(o.user!, o.password) : undefined);
  try {
    await driver.executeQuery('MATCH (n) DETACH DELETE n', {}, o.database ? { database: o.database } : {});
  } finally {
    await driver.close();
  }
}

export function brokers(): string[] {
  return KAFKA_BROKERS.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

/** Kafka version line for the test output: describeCluster plus the broker's ApiVersions range. */
export async function describeKafka(): Promise<string> {
  const kafka = new Kafka({ clientId: 'flywheel-test-probe', brokers: brokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const c = await admin.describeCluster();
    return `cluster ${c.clusterId}, ${c.brokers.length} broker(s) (${c.brokers.map((b) => `${b.host}:${b.port}`).join(', ')}), controller ${c.controller}`;
  } finally {
    await admin.disconnect();
  }
}

/** Gateway environment for FLYWHEEL_GRAPH=neo4j + FLYWHEEL_EVENTS=kafka with this run's own topics and group. */
export function productionEnv(suffix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    FLYWHEEL_GRAPH: 'neo4j',
    FLYWHEEL_EVENTS: 'kafka',
    NEO4J_URI,
    NEO4J_DATABASE: process.env.FLYWHEEL_TEST_NEO4J_DATABASE ?? '',
    KAFKA_BROKERS,
    KAFKA_CLIENT_ID: `flywheel-e2e-${RUN_ID}`,
    KAFKA_TOPIC_EVENTS: `flywheel-e2e-${RUN_ID}-${suffix}`,
    KAFKA_TOPIC_DEADLETTER: `flywheel-e2e-${RUN_ID}-${suffix}.dlq`,
    KAFKA_GROUP: `flywheel-e2e-${RUN_ID}-${suffix}`,
    KAFKA_PARTITIONS: '3',
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0',
    ...extra,
  };
}

/**
 * Open client sockets of this process to the given ports (Kafka brokers, Neo4j Bolt), from Node's active
 * handles: what would keep a test process alive after everything was closed.
 */
// Where each client socket was opened (async stack), so a leaked one names its owner in the failure.
const connectStacks = new WeakMap<object, string>();
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  connectStacks.set(this, (new Error('socket opened at').stack ?? '').split('\n').slice(2).join('\n'));
  Error.stackTraceLimit = limit;
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

export function openSocketsTo(ports: readonly number[]): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const out: string[] = [];
  for (const h of handles) {
    const s = h as { remotePort?: number; remoteAddress?: string; localPort?: number; destroyed?: boolean; constructor?: { name?: string } };
    if (s.constructor?.name !== 'Socket' || s.destroyed || s.remotePort === undefined || !ports.includes(s.remotePort)) continue;
    out.push(
      `${s.localPort} -> ${s.remoteAddress}:${s.remotePort}${process.env.FLYWHEEL_TEST_SOCKET_STACKS ? `\n${connectStacks.get(s) ?? '(no stack)'}` : ''}`,
    );
  }
  return out;
}

export function serverPorts(): number[] {
  const kafka = brokers().map((b) => Number(b.split(':').pop()));
  const neo = NEO4J_URI ? [Number(new URL(NEO4J_URI.replace(/^bolt/, 'http')).port || 7687)] : [];
  return [...kafka, ...neo];
}

/**
 * Waits until no socket to the test servers is open (a closed client may take a moment to see its FIN),
 * then checks that none comes back for `settleMs` (a reconnect scheduled by a timer). Returns what is
 * still open (empty when clean).
 */
export async function leakedSockets(settleMs = 3000, waitMs = 5000): Promise<string[]> {
  const ports = serverPorts();
  const until = Date.now() + waitMs;
  while (openSocketsTo(ports).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const end = Date.now() + settleMs;
  for (;;) {
    const open = openSocketsTo(ports);
    if (open.length > 0 || Date.now() >= end) return open;
    await new Promise((r) => setTimeout(r, 100));
  }
}
