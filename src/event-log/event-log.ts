import type { FlywheelEvent } from '../events/event';

/**
 * The event log seam. Everything that changes the graph goes through here first: producers append,
 * ingestion consumes in order and commits its offset only after the graph write succeeded. Two
 * implementations: the embedded LMDB log (one machine, durable on local disk) and Kafka (production).
 */
export interface EventLog {
  /** Human-readable backend name for logs and /metrics. */
  readonly backend: 'embedded' | 'kafka';
  /**
   * True when `append` returns positions that a consumer on this process will reach, so callers may
   * wait for their own writes (read-your-writes). The embedded log offers it; Kafka splits partitions
   * across instances and does not.
   */
  readonly readYourWrites: boolean;

  /**
   * Appends validated events durably. When the promise resolves every event is either stored (and
   * survives a crash) or was already stored under the same id (a duplicate, reported as such).
   * Concurrent appends take their place in the log in call order: an append issued before another is
   * stored before it (attribution relies on it: a list's impression precedes the clicks on it).
   */
  append(events: readonly FlywheelEvent[]): Promise<AppendReceipt>;

  /** Starts a consumer in a group; the handler's batch is committed only after it resolves. */
  consume(group: string, handler: BatchHandler, options?: ConsumeOptions): Promise<LogConsumer>;

  /**
   * Records input that could not be accepted, with the reason, so nothing is silently lost. Each entry
   * is stored in the one bounded shape of `boundDeadLetter` (raw input capped); `pruned` counts older
   * entries removed by the store's retention to make room.
   */
  deadLetter(entries: readonly DeadLetter[]): Promise<DeadLetterReceipt>;

  /** Most recent dead letters first. */
  listDeadLetters(limit: number): Promise<StoredDeadLetter[]>;

  /**
   * Present when the log can be read whole and rewritten in place (the embedded log): erasure then deletes
   * a user's events from it. Absent on Kafka, whose topics are append-only (erasure keeps a skip list).
   */
  readonly rewritable?: RewritableLog;

  /**
   * Present when several gateways share the stream's partitions and each also needs to see every event
   * (Kafka): the fan-out that keeps every instance's detectors, recommender and subscribers whole. Absent
   * on the embedded log, whose one ingestion consumer already sees everything.
   */
  readonly broadcast?: BroadcastLog;

  /**
   * Present when the log can carry the item model one gateway solves to the gateways that only serve it
   * (Kafka: a compacted topic keyed by item; ARCHITECTURE.md, "Past one machine"). Absent on the embedded
   * log, where one process solves and serves.
   */
  readonly itemModelFeed?: ItemModelFeed;

  /** Flushes and releases resources; appends after close reject. */
  close(): Promise<void>;
}

export interface AppendReceipt {
  /** Per input event, its log position (offset), in input order. */
  positions: number[];
  /** Indexes (into the input) of events whose id was already in the log. */
  duplicates: number[];
  /** The highest position written by this call, or -1 if everything was a duplicate. */
  lastPosition: number;
}

export interface LogRecord {
  offset: number;
  /** Decoded payload; a consumer must still validate it (Kafka carries bytes from anyone). */
  event: unknown;
  /** Where the record is, for dead letters: `kafka:<topic>/<partition>@<offset>` (Kafka only). */
  source?: string;
  /** The Kafka record's coordinates (Kafka only). */
  origin?: { topic: string; partition: number; offset: string };
  /**
   * Set when the bytes could not be decoded (not JSON, empty): `event` is then the text (a prefix of it
   * for large messages) and the handler decides what to do (ingestion dead-letters it, once).
   */
  undecodable?: { reason: string; bytes: number };
  /**
   * Kafka: the record sits on another partition than the gateway's partitioner (murmur2 of the user
   * key) would choose, so it may be applied out of order with that user's other events (a producer
   * using librdkafka's default CRC32 partitioner, or another key).
   */
  misrouted?: boolean;
}

export type BatchHandler = (records: readonly LogRecord[]) => Promise<void>;

export interface ConsumeOptions {
  /** Largest batch handed to the handler. */
  maxBatch?: number;
  /** Where a group with no committed offset starts. */
  fromBeginning?: boolean;
  /**
   * Start after this offset instead of the committed one: a store that restores its own durable state
   * (the embedded graph's snapshot) resumes exactly where that state ends.
   */
  startAfter?: number;
  /**
   * Bounded retries for records the handler keeps failing on (Kafka honours it; the embedded log, whose
   * records were validated before they were stored, retries until the handler succeeds). Without it a
   * failing chunk is retried until it succeeds or the consumer stops.
   */
  poison?: PoisonPolicy;
}

export interface PoisonPolicy {
  /** Attempts on a chunk, then on each of its records alone, before a record counts as poison. */
  maxAttempts: number;
  /** False for errors that say nothing about the records (the graph store is down): retried until they pass. */
  isPoison(err: unknown): boolean;
  /** Takes a poison record out of the way (dead-letters it); the consumer then commits past it. */
  onPoison(record: LogRecord, err: unknown): Promise<void>;
}

export interface LogConsumer {
  /** Offset of the next record this consumer will read (i.e. committed + 1). */
  position(): number;
  /** Records appended but not yet committed by this group. */
  lag(): number;
  /** Lag on the records this member is responsible for (Kafka: its partitions); defaults to `lag()`. */
  ownLag?(): number;
  /** Recomputes the lag from the log now (Kafka: committed offsets against end offsets). */
  refreshLag?(): Promise<number>;
  /** Kafka: the partitions this member owns now (its group's latest assignment). */
  assignedPartitions?(): readonly number[];
  /** Resolves once everything up to and including `offset` has been handled and committed. */
  waitFor(offset: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface DeadLetter {
  /** Where the input came from: 'graphql', 'import:<file>', 'kafka:<topic>/<partition>@<offset>', ... */
  source: string;
  reason: string;
  raw: unknown;
  /** The Kafka record it came from, when it came from the events topic. */
  origin?: { topic: string; partition: number; offset: string };
  /** Size in bytes of the whole input when `raw` holds only a prefix of it (large undecodable messages). */
  rawBytes?: number;
}

export interface StoredDeadLetter extends DeadLetter {
  seq: number;
  at: number;
  /** Set when `raw` is a prefix of the input's JSON text (see dead-letter-format.ts). */
  truncated?: boolean;
  /** Size of the whole input in bytes, when truncated. */
  rawBytes?: number;
  /** The Kafka record the dead letter is about (undecodable or invalid messages of the events topic). */
  origin?: { topic: string; partition: number; offset: string };
}

export interface DeadLetterReceipt {
  /** Older dead letters removed by retention to make room (0 where the store's own retention applies). */
  pruned: number;
}

/** Where a broadcast reader starts: an offset per partition. */
export type PartitionOffsets = ReadonlyMap<number, string>;

/** The optional capability of a log that every instance can read whole (see EventLog.broadcast). */
export interface BroadcastLog {
  /** The stream's end now: a reader started from it later misses nothing appended after this call. */
  pinEnd(): Promise<PartitionOffsets>;
  /**
   * Where consumer group `group` has committed (each partition's earliest retained offset where it has not):
   * everything before it is in the store that group feeds. A reader started here misses nothing that store
   * lacks, where one started at `pinEnd` would miss what was appended but not yet applied.
   */
  pinCommitted(group: string): Promise<PartitionOffsets>;
  /**
   * Reads every partition from `startAt` and commits nothing, so a group per instance leaves nothing
   * behind when the instance goes.
   */
  consumeFrom(startAt: PartitionOffsets, group: string, handler: BatchHandler, options?: ConsumeOptions): Promise<LogConsumer>;
  /**
   * Reads everything stored before `end` (each partition from its earliest retained record), once, and
   * resolves when every partition has been handed over up to there; commits nothing. Where state derived
   * from the whole stream (attribution) is rebuilt before the fan-out consumer takes over at `end`.
   */
  readUntil(end: PartitionOffsets, group: string, handler: BatchHandler): Promise<void>;
}

/** The optional capability of a log that carries the shipped item model (see EventLog.itemModelFeed). */
export interface ItemModelFeed {
  /** Stores rows, each keyed by its item: the feed keeps at least the newest row of every item. */
  publish(rows: readonly { key: string; value: unknown }[]): Promise<void>;
  /**
   * Reads the feed from its beginning and keeps following it, committing nothing (a group per instance that
   * leaves nothing behind). `caughtUp` resolves once every row the feed held at the call was handed over.
   * Values are decoded JSON; a record that is not JSON is handed over as `undefined`.
   */
  follow(group: string, handler: (values: unknown[]) => void): Promise<{ consumer: LogConsumer; caughtUp: Promise<void> }>;
  /**
   * Joins the election of the publisher among the gateways that could publish (`group`, one for all of them):
   * at most one leads at a time, apart from a handover of a few seconds, and another leads once it is gone.
   */
  elect(group: string): Promise<PublisherElection>;
}

/** One gateway's place in the publisher election (ItemModelFeed.elect). */
export interface PublisherElection {
  /** Whether this gateway leads now. */
  leads(): boolean;
  /** Leaves the election (another gateway takes over). */
  stop(): Promise<void>;
}

/** The optional capability of a log that erasure can rewrite (see EventLog.rewritable). */
export interface RewritableLog {
  /** Every stored event in log order; with `through`, only those at offsets up to and including it. */
  scanEvents(through?: number): Iterable<FlywheelEvent>;
  /** Turns every matching event into a hole (other offsets are kept); returns how many. */
  eraseWhere(predicate: (event: FlywheelEvent) => boolean): Promise<number>;
  /** Removes matching dead letters; returns how many. */
  eraseDeadLettersWhere(predicate: (entry: StoredDeadLetter) => boolean): Promise<number>;
}
