import type { Driver } from 'neo4j-driver';
import type { Logger } from 'pino';

/**
 * Versioned schema migrations for the Neo4j graph store. Each migration is a list of schema statements
 * (every one `IF NOT EXISTS` / `IF EXISTS`, so a migration interrupted half-way or run by two gateways at once is
 * harmless to repeat); once all its statements ran, a `(:Migration {version})` node records it, and a
 * start-up only runs the versions above the highest recorded one. Schema statements cannot share a
 * transaction with data writes, so each runs in its own auto-commit transaction. A data statement in a
 * migration must be as harmless to repeat (migration 4's batched deletes are).
 *
 * Append new versions; never edit a released one.
 */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'uniqueness constraints for users, items, categories, segments, anomalies, events; lookup indexes',
    statements: [
      'CREATE CONSTRAINT migration_version IF NOT EXISTS FOR (n:Migration) REQUIRE n.version IS UNIQUE',
      'CREATE CONSTRAINT user_id IF NOT EXISTS FOR (n:User) REQUIRE n.id IS UNIQUE',
      'CREATE CONSTRAINT item_id IF NOT EXISTS FOR (n:Item) REQUIRE n.id IS UNIQUE',
      'CREATE CONSTRAINT category_name IF NOT EXISTS FOR (n:Category) REQUIRE n.name IS UNIQUE',
      'CREATE CONSTRAINT segment_id IF NOT EXISTS FOR (n:Segment) REQUIRE n.id IS UNIQUE',
      'CREATE CONSTRAINT anomaly_id IF NOT EXISTS FOR (n:Anomaly) REQUIRE n.id IS UNIQUE',
      'CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE',
      'CREATE CONSTRAINT meta_id IF NOT EXISTS FOR (n:Meta) REQUIRE n.id IS UNIQUE',
      'CREATE INDEX item_category IF NOT EXISTS FOR (n:Item) ON (n.category)',
      'CREATE INDEX item_user_count IF NOT EXISTS FOR (n:Item) ON (n.userCount)',
      'CREATE INDEX user_excluded IF NOT EXISTS FOR (n:User) ON (n.excluded)',
      'CREATE INDEX anomaly_seq IF NOT EXISTS FOR (n:Anomaly) ON (n.seq)',
      'CREATE INDEX anomaly_entity IF NOT EXISTS FOR (n:Anomaly) ON (n.entityId)',
      'CREATE INDEX anomaly_user IF NOT EXISTS FOR (n:Anomaly) ON (n.userId)',
      'CREATE INDEX anomaly_item IF NOT EXISTS FOR (n:Anomaly) ON (n.itemId)',
      'CREATE INDEX event_applied_at IF NOT EXISTS FOR (n:Event) ON (n.appliedAt)',
    ],
  },
  {
    version: 2,
    description: 'erasure list: one (:Erased {id}) per erased actor, looked up on every batch apply',
    statements: ['CREATE CONSTRAINT erased_id IF NOT EXISTS FOR (n:Erased) REQUIRE n.id IS UNIQUE'],
  },
  {
    version: 3,
    description: 'items whose SIMILAR edges wait for the background refresh (simDirty), swept at start',
    statements: ['CREATE INDEX item_sim_dirty IF NOT EXISTS FOR (n:Item) ON (n.simDirty)'],
  },
  {
    version: 4,
    description:
      'SIMILAR edges are no longer kept (nothing read them; the recommender learns similarity in memory): drop them, the simDirty flags and their index',
    statements: [
      'DROP INDEX item_sim_dirty IF EXISTS',
      'MATCH ()-[s:SIMILAR]->() CALL (s) { DELETE s } IN TRANSACTIONS OF 10000 ROWS',
      'MATCH (i:Item) WHERE i.simDirty IS NOT NULL CALL (i) { REMOVE i.simDirty } IN TRANSACTIONS OF 10000 ROWS',
    ],
  },
  {
    version: 5,
    description:
      "ALS item factors on the items (alsFactors, tagged alsFit with the fit they came from): an index on the tag, which a starting gateway's read of the stored factors filters on (item-factors.ts)",
    // No vector index on alsFactors: nothing would query it (item-factors.ts says why).
    statements: ['CREATE INDEX item_als_fit IF NOT EXISTS FOR (n:Item) ON (n.alsFit)'],
  },
  {
    version: 6,
    description:
      "the anomaly sequence counter on a node of its own, (:Meta {id: 'anomalies', seq}), continuing from the highest stored seq: every batch write counts on (:Meta {id: 'graph'}) and waited on the anomaly writes' lock there",
    statements: [
      "OPTIONAL MATCH (a:Anomaly) WITH max(a.seq) AS top MERGE (m:Meta {id: 'anomalies'}) ON CREATE SET m.seq = coalesce(top, 0)",
      "MATCH (g:Meta {id: 'graph'}) REMOVE g.anomalySeq",
    ],
  },
];

/** What Neo4j answers a schema statement that lost a race with the same creation by another session. */
const CONCURRENT_SCHEMA_CREATION = new Set([
  'Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists',
  'Neo.ClientError.Schema.IndexAlreadyExists',
  'Neo.ClientError.Schema.ConstraintAlreadyExists',
]);

/** How often a migration statement aborted by a transient error (a deadlock with another gateway's) is run. */
const MIGRATION_ATTEMPTS = 5;

/** The schema version recorded in the database (0 when none was ever applied). */
export async function schemaVersionOf(driver: Driver, database: string | undefined): Promise<number> {
  const current = await driver.executeQuery('OPTIONAL MATCH (m:Migration) RETURN max(m.version) AS v', {}, database ? { database } : {});
  return Number(current.records[0]?.get('v') ?? 0) || 0;
}

/** Runs the migrations above the recorded version; returns the schema version now in place. */
export async function migrate(driver: Driver, database: string | undefined, logger?: Logger): Promise<number> {
  const db = database ? { database } : {};
  let version = await schemaVersionOf(driver, database);
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    // Auto-commit transactions: schema statements cannot share a transaction with data writes, and
    // `CALL { ... } IN TRANSACTIONS` (the batched deletes of migration 4) runs only in one.
    const session = driver.session(db);
    try {
      for (const statement of m.statements) {
        for (let attempt = 1; ; attempt++) {
          try {
            await session.run(statement);
            break;
          } catch (err) {
            const code = (err as { code?: string }).code ?? '';
            // Another gateway opening this database at the same moment created the index or constraint first:
            // `IF NOT EXISTS` does not cover a creation still in flight. The schema is what this statement wants.
            if (CONCURRENT_SCHEMA_CREATION.has(code)) {
              logger?.info({ version: m.version, statement }, 'neo4j schema: created at the same moment by another gateway');
              break;
            }
            // Or the two sessions' schema locks deadlocked (Neo.TransientError.Transaction.DeadlockDetected, seen
            // in CI with three gateways opening at once): Neo4j aborted this one. Every statement here may run
            // again (IF NOT EXISTS, MERGE, deletes of what is left), so it does, after a short random pause.
            if (!code.startsWith('Neo.TransientError.') || attempt >= MIGRATION_ATTEMPTS) throw err;
            logger?.info({ version: m.version, statement, code, attempt }, 'neo4j schema: statement aborted by a concurrent migration; trying again');
            await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
          }
        }
      }
    } finally {
      await session.close();
    }
    await driver.executeQuery(
      'MERGE (m:Migration {version: $version}) ON CREATE SET m.description = $description, m.appliedAt = $now',
      { version: m.version, description: m.description, now: Date.now() },
      db,
    );
    version = m.version;
    logger?.info({ version, description: m.description }, 'neo4j schema migrated');
  }
  await driver.executeQuery('CALL db.awaitIndexes(60)', {}, db);
  return version;
}
