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
   */
  append(events: readonly FlywheelEvent[]): Promise<AppendReceipt>;

  /** Starts a consumer in a group; the handler's batch is committed only after it resolves. */
  consume(group: string, handler: BatchHandler, options?: ConsumeOptions): Promise<LogConsumer>;

  /** Records input that could not be accepted, with the reason, so nothing is silently lost. */
  deadLetter(entries: readonly DeadLetter[]): Promise<void>;

  /** Most recent dead letters first. */
  listDeadLetters(limit: number): Promise<StoredDeadLetter[]>;

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
}

export interface LogConsumer {
  /** Offset of the next record this consumer will read (i.e. committed + 1). */
  position(): number;
  /** Records appended but not yet committed by this group. */
  lag(): number;
  /** Resolves once everything up to and including `offset` has been handled and committed. */
  waitFor(offset: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface DeadLetter {
  /** Where the input came from: 'graphql', 'import', 'kafka:<topic>', ... */
  source: string;
  reason: string;
  raw: unknown;
}

export interface StoredDeadLetter extends DeadLetter {
  seq: number;
  at: number;
}
