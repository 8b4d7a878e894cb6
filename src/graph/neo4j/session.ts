import neo4j, { type Driver, type ManagedTransaction, type QueryResult, type Session } from 'neo4j-driver';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../stores/store-unavailable';

/** What writing code needs of a transaction: running statements (a managed one, or an explicit one that is rolled back). */
export type Statements = Pick<ManagedTransaction, 'run'>;

/** How to reach Neo4j and how long to wait for it. */
export interface Neo4jConnectionOptions {
  uri: string;
  user?: string;
  password?: string;
  /** Empty or undefined: the server's default database. */
  database?: string;
  maxPoolSize?: number;
  logger?: Logger;
  /**
   * Fail-fast settings: a new connection gives up after `connectionTimeoutMs`, waiting for a
   * pooled one after `acquisitionTimeoutMs`; request reads run without the driver's 30 s retry loop (one
   * retry on a stale pooled connection) and give up after `readTimeoutMs`. Failures surface as
   * StoreUnavailableError (GraphQL code UNAVAILABLE) instead of hanging.
   */
  connectionTimeoutMs?: number;
  acquisitionTimeoutMs?: number;
  readTimeoutMs?: number;
}

/**
 * The driver and the transaction helpers every concern of the Neo4j graph store shares (writes.ts,
 * reads.ts, anomalies.ts, segments.ts, erasure.ts): one driver, one database, one write gate.
 */
export class Neo4jSession {
  readonly driver: Driver;
  readonly database: string | undefined;
  private gate: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: Neo4jConnectionOptions) {
    const auth = options.password ? neo4j.auth.basic(options.user ?? 'neo4j', options.password) : undefined;
    this.driver = neo4j.driver(options.uri, auth, {
      disableLosslessIntegers: true,
      maxConnectionPoolSize: options.maxPoolSize ?? 50,
      maxTransactionRetryTime: 30_000,
      connectionTimeout: options.connectionTimeoutMs ?? 2000,
      connectionAcquisitionTimeout: options.acquisitionTimeoutMs ?? 5000,
      logging: {
        level: 'warn',
        logger: (level, message) => (level === 'error' ? options.logger?.error(message) : options.logger?.warn(message)),
      },
    });
    this.database = options.database || undefined;
  }

  db(): { database?: string } {
    return this.database ? { database: this.database } : {};
  }

  /**
   * Reads serve requests, so they fail fast: an explicit transaction (no driver retry loop, which keeps
   * trying for maxTransactionRetryTime while the server is down), one retry when a pooled connection
   * turned out dead (a restarted server), and a client-side deadline.
   */
  read<T>(work: (tx: Statements) => Promise<T>): Promise<T> {
    return this.failFast(async (session) => {
      const tx = session.beginTransaction();
      try {
        const out = await work(tx);
        await tx.commit();
        return out;
      } catch (err) {
        await tx.rollback().catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * One read statement as an auto-commit transaction, with the same fail-fast rules as `read`: one round trip
   * (RUN and PULL together) instead of an explicit transaction's two (the COMMIT), for the reads on the
   * request path. A read of several statements that must see one state uses `read`.
   */
  readQuery(query: string, params: Record<string, unknown>): Promise<QueryResult> {
    return this.failFast((session) => session.run(query, params));
  }

  private async failFast<T>(attemptOn: (session: Session) => Promise<T>): Promise<T> {
    const timeoutMs = this.options.readTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const session = this.driver.session({ ...this.db(), defaultAccessMode: neo4j.session.READ });
      let timer: NodeJS.Timeout | undefined;
      try {
        const attemptRun = attemptOn(session);
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new StoreUnavailableError(`graph database (Neo4j) did not answer within ${timeoutMs} ms; retry later`)),
            Math.max(1, deadline - Date.now()),
          );
        });
        attemptRun.catch(() => undefined);
        return await Promise.race([attemptRun, timeout]);
      } catch (err) {
        if (attempt === 0 && isConnectivityError(err) && Date.now() + 100 < deadline) continue;
        throw toUnavailable(err);
      } finally {
        clearTimeout(timer);
        void session.close().catch(() => undefined);
      }
    }
  }

  /** One write transaction (the driver retries it on transient errors: `work` must start from scratch). */
  async write<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const session = this.driver.session({ ...this.db(), defaultAccessMode: neo4j.session.WRITE });
    try {
      return await session.executeWrite(work);
    } catch (err) {
      throw toUnavailable(err);
    } finally {
      await session.close();
    }
  }

  /**
   * `work` in a write transaction that is always rolled back: what it runs is planned and executed by
   * Neo4j, and nothing of it is kept (`Neo4jGraphWrites.warmUp`).
   */
  async rolledBack(work: (tx: Statements) => Promise<unknown>): Promise<void> {
    const session = this.driver.session({ ...this.db(), defaultAccessMode: neo4j.session.WRITE });
    try {
      const tx = session.beginTransaction();
      try {
        await work(tx);
      } finally {
        await tx.rollback();
      }
    } catch (err) {
      throw toUnavailable(err);
    } finally {
      await session.close();
    }
  }

  /**
   * The write transactions of this instance that change item counts (batches, exclusions, erasures) run
   * one at a time, in turn (FIFO): they lock the same item nodes, and overlapping would make one wait on
   * the other's locks or deadlock (and be retried). Between instances the driver's retry on deadlocks
   * still applies.
   */
  serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.gate.then(work, work);
    this.gate = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

const CONNECTIVITY =
  /ServiceUnavailable|SessionExpired|ECONNREFUSED|ECONNRESET|EPIPE|Connection acquisition timed out|Failed to connect|connection (was )?closed|Pool is closed|socket hang up/i;

function isConnectivityError(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return false;
  const e = err as { code?: unknown; message?: unknown } | null;
  return CONNECTIVITY.test(`${String(e?.code ?? '')} ${String(e?.message ?? '')}`);
}

/** Connectivity failures become StoreUnavailableError (code UNAVAILABLE); anything else is rethrown as is. */
function toUnavailable(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  if (isConnectivityError(err)) return new StoreUnavailableError('graph database (Neo4j) is unavailable; retry later', { cause: err });
  return err;
}
