import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Neo4jGraphStore } from '../../src/graph/neo4j/neo4j-graph-store';
import { MIGRATIONS } from '../../src/graph/neo4j/migrations';
import { graphStoreContract } from '../contract/graph-store.contract';
import { cleanNeo4j, NEO4J_SKIP, neo4jOptions } from './servers';

// The shared graph store contract on a real Neo4j (FLYWHEEL_TEST_NEO4J_URI): each test starts from an
// empty database (MATCH (n) DETACH DELETE n) and re-runs the schema migrations.
let probe: Neo4jGraphStore | null = null;
before(async () => {
  if (NEO4J_SKIP) return;
  probe = await Neo4jGraphStore.open(neo4jOptions());
  console.log(`::: Neo4j under test: ${await probe.serverVersion()} at ${process.env.FLYWHEEL_TEST_NEO4J_URI}`);
});
after(async () => {
  await probe?.close();
});

// With the gateway's item cache on and a TTL longer than any test: a read the store's own writes failed to
// refresh (applyEvents, exclusion, erasure) would show as a stale item in the contract's assertions.
graphStoreContract(
  'Neo4j',
  async () => {
    await cleanNeo4j();
    const store = await Neo4jGraphStore.open({ ...neo4jOptions(), itemCache: { entries: 10_000, ttlMs: 600_000 } });
    return { store, close: () => store.close() };
  },
  NEO4J_SKIP ? { skip: NEO4J_SKIP } : {},
);

test('schema migrations are versioned and idempotent', NEO4J_SKIP ? { skip: NEO4J_SKIP } : {}, async () => {
  await cleanNeo4j();
  const a = await Neo4jGraphStore.open(neo4jOptions());
  const b = await Neo4jGraphStore.open(neo4jOptions());
  try {
    const latest = MIGRATIONS.at(-1)!.version;
    assert.equal(a.schemaVersion, latest);
    assert.equal(b.schemaVersion, latest, 'a second start finds everything in place');
    const res = await a.driver.executeQuery('MATCH (m:Migration) RETURN count(m) AS n');
    assert.equal(Number(res.records[0]!.get('n')), MIGRATIONS.length, 'one record per version, none repeated');
    const constraints = await a.driver.executeQuery('SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names');
    const names = constraints.records[0]!.get('names') as string[];
    for (const c of ['user_id', 'item_id', 'category_name', 'segment_id', 'anomaly_id', 'event_id', 'erased_id'])
      assert.ok(names.includes(c), `constraint ${c}`);
  } finally {
    await a.close();
    await b.close();
  }
});

test('migration 4 drops the SIMILAR edges, simDirty flags and index that earlier versions kept', NEO4J_SKIP ? { skip: NEO4J_SKIP } : {}, async () => {
  await cleanNeo4j();
  const first = await Neo4jGraphStore.open(neo4jOptions());
  try {
    // A database as version 3 left it: SIMILAR edges, flagged items, the flag's index, no migration 4 or later yet.
    await first.driver.executeQuery('CREATE INDEX item_sim_dirty IF NOT EXISTS FOR (n:Item) ON (n.simDirty)');
    await first.driver.executeQuery(
      `CREATE (a:Item {id: 'm4-a', userCount: 1, simDirty: true})-[:SIMILAR {score: 0.5, support: 1}]->(b:Item {id: 'm4-b', userCount: 1})
       CREATE (b)-[:SIMILAR {score: 0.5, support: 1}]->(a)`,
    );
    await first.driver.executeQuery('MATCH (m:Migration) WHERE m.version >= 4 DELETE m');
  } finally {
    await first.close();
  }
  const store = await Neo4jGraphStore.open(neo4jOptions());
  try {
    assert.equal(store.schemaVersion, MIGRATIONS.at(-1)!.version, '4 and every later one');
    const count = async (query: string) => Number((await store.driver.executeQuery(query)).records[0]!.get('n'));
    assert.equal(await count('MATCH ()-[s:SIMILAR]->() RETURN count(s) AS n'), 0, 'no SIMILAR edge left');
    assert.equal(await count('MATCH (i:Item) WHERE i.simDirty IS NOT NULL RETURN count(i) AS n'), 0, 'no simDirty flag left');
    assert.equal(await count("SHOW INDEXES YIELD name WHERE name = 'item_sim_dirty' RETURN count(*) AS n"), 0, 'index dropped');
    assert.equal(await count("MATCH (i:Item) WHERE i.id IN ['m4-a', 'm4-b'] RETURN count(i) AS n"), 2, 'the items stay');
  } finally {
    await store.close();
  }
});
