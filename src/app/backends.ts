import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { FlywheelConfig } from '../config/config';
import type { EventLog } from '../event-log/event-log';
import { KafkaEventLog } from '../event-log/kafka/kafka-event-log';
import { LmdbEventLog } from '../event-log/lmdb-event-log';
import { MemoryGraph } from '../graph/embedded/memory-graph';
import type { GraphStore } from '../graph/graph-store';
import { Neo4jGraphStore } from '../graph/neo4j/neo4j-graph-store';
import { lockDataDir } from '../util/data-dir-lock';

/**
 * Backend selection, and nothing else: which event log and which graph store the configuration names,
 * opened. Everything past here sees the EventLog and GraphStore seams (and their optional capabilities)
 * only; this is the one file that names a concrete backend.
 */
export interface OpenedLog {
  log: EventLog;
  /** Releases what opening took besides the log (the data dir's lock); call after `log.close()`. */
  release(): void;
}

export async function openEventLog(
  config: FlywheelConfig,
  logger: Logger,
  purpose: 'flywheel gateway' | 'flywheel import' | 'flywheel evaluate-policy',
): Promise<OpenedLog> {
  if (config.FLYWHEEL_EVENTS === 'kafka') {
    const log = await KafkaEventLog.create({
      brokers: config.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      clientId: config.KAFKA_CLIENT_ID,
      topic: config.KAFKA_TOPIC_EVENTS,
      deadLetterTopic: config.KAFKA_TOPIC_DEADLETTER,
      itemModelTopic: config.KAFKA_TOPIC_ITEM_MODEL,
      partitions: config.KAFKA_PARTITIONS,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      logger,
    });
    logger.info({ brokers: config.KAFKA_BROKERS, topic: config.KAFKA_TOPIC_EVENTS, group: config.KAFKA_GROUP }, 'kafka event log connected');
    return { log, release: () => {} };
  }
  // One writer per data dir (src/util/data-dir-lock.ts): refused here, before anything is opened.
  const lock = lockDataDir(config.dataDir, purpose);
  try {
    const log = new LmdbEventLog(config.dataDir);
    log.maxDeadLetters = config.FLYWHEEL_DEAD_LETTER_MAX;
    logger.info({ dataDir: config.dataDir, logEnd: log.endOffset() }, 'embedded event log opened');
    return { log, release: () => lock.release() };
  } catch (err) {
    lock.release();
    throw err;
  }
}

export interface OpenedStore {
  store: GraphStore;
  /** The log position the embedded graph's snapshot restored (-1: none, or a store without snapshots). */
  restoredAt: number;
}

/** The idempotency window both graph stores keep applied event ids for; undefined = for ever. */
function idempotencyWindowMs(config: FlywheelConfig): number | undefined {
  return config.FLYWHEEL_IDEMPOTENCY_WINDOW_HOURS > 0 ? config.FLYWHEEL_IDEMPOTENCY_WINDOW_HOURS * 3_600_000 : undefined;
}

/** `readOnly`: for a command that only reads the store (Neo4j: no migration, no warm-up, no pruning). */
export async function openGraphStore(config: FlywheelConfig, log: EventLog, logger: Logger, options: { readOnly?: boolean } = {}): Promise<OpenedStore> {
  const windowMs = idempotencyWindowMs(config);
  if (config.FLYWHEEL_GRAPH === 'neo4j') {
    const store = await Neo4jGraphStore.open({
      ...(options.readOnly ? { readOnly: true } : {}),
      uri: config.NEO4J_URI,
      user: config.NEO4J_USER,
      password: config.NEO4J_PASSWORD,
      database: config.NEO4J_DATABASE,
      maxPoolSize: config.NEO4J_MAX_POOL_SIZE,
      itemCache: { entries: config.NEO4J_ITEM_CACHE_ENTRIES, ttlMs: config.NEO4J_ITEM_CACHE_MS },
      ...(windowMs ? { idempotency: { windowMs } } : {}),
      logger,
    });
    logger.info({ uri: config.NEO4J_URI, schemaVersion: store.schemaVersion }, 'neo4j graph store opened');
    return { store, restoredAt: -1 };
  }
  const graph = new MemoryGraph({
    // Snapshots refer to offsets of the embedded log; with Kafka the graph replays the topic instead.
    ...(log.backend === 'embedded' ? { snapshotPath: path.join(config.dataDir, 'graph.snapshot') } : {}),
    maxAnomalies: config.FLYWHEEL_ANOMALY_MAX_STORED,
    ...(windowMs ? { idempotencyWindowMs: windowMs } : {}),
  });
  const restoredAt = await graph.restore();
  logger.info({ snapshotPosition: restoredAt }, 'embedded graph opened');
  return { store: graph, restoredAt };
}

/** The consumer groups an instance joins: ingestion (graph writes) and, where the log broadcasts, fan-out. */
export function consumerGroups(config: FlywheelConfig, log: EventLog, store: GraphStore): { ingestion: string; fanOut: string | null } {
  if (config.FLYWHEEL_EVENTS !== 'kafka') return { ingestion: 'graph', fanOut: null };
  // Neo4j is shared: gateways split the partitions in one group, and each reads everything in a fan-out
  // group of its own. With the in-memory graph every gateway keeps a full copy: its own group, from the start.
  if (store.backend === 'neo4j') return { ingestion: config.KAFKA_GROUP, fanOut: log.broadcast ? `${config.KAFKA_GROUP}.fanout.${randomUUID()}` : null };
  return { ingestion: `${config.KAFKA_GROUP}.replica.${randomUUID()}`, fanOut: null };
}
