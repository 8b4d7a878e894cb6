import 'reflect-metadata';
import type { ManagedTransaction } from 'neo4j-driver';
import neo4j from 'neo4j-driver';
import { Neo4jEventIds } from '../src/graph/neo4j/event-ids';
import { Neo4jGraphStore } from '../src/graph/neo4j/neo4j-graph-store';
import { Neo4jSession } from '../src/graph/neo4j/session';
import { Neo4jGraphWrites } from '../src/graph/neo4j/writes';
import { edgeToProps } from '../src/graph/neo4j/props';
import type { EdgeState } from '../src/graph/edge-rule';
import type { FlywheelEvent } from '../src/events/event';
import { median, skewedEvents } from './shared';

/**
 * Where a Neo4j batch write spends its time (issue 16): `node dist/bench/neo4j-writes.js` against a running,
 * DISPOSABLE Neo4j (`bash scripts/backends/neo4j.sh start`; FLYWHEEL_TEST_NEO4J_URI, default
 * bolt://127.0.0.1:7687). The database is wiped before each configuration.
 *
 * 1. Events/s of `applyEvents` by batch size (BENCH_BATCHES, default 500,2000,5000), one writer.
 * 2. The same with 1, 2 and 4 concurrent writers on disjoint users (each its own transaction, as several
 *    partitions' consumers would be), which is what parallel ingestion would buy.
 * 3. Milliseconds per statement of the batch transaction, summed over a run of 1,000-event batches.
 * 4. Neo4j's own ceiling here: the least a batch could write per event, one relationship created (then updated)
 *    by its ends' element ids with an edge's properties, 5,000 rows per transaction, nothing read, no idempotency;
 *    with the store's 11 properties, with the same state in 3, and with none (what the property count costs).
 * Rounds alternate the configurations (BENCH_ROUNDS, default 2); medians are printed, and one JSON line last.
 */
const URI = process.env.FLYWHEEL_TEST_NEO4J_URI ?? 'bolt://127.0.0.1:7687';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BATCHES = (process.env.BENCH_BATCHES ?? '500,2000,5000').split(',').map(Number);
const SHAPE = { users: 2000, items: 500, idPrefix: 'nw', stepMs: 1000 };

async function freshStore(): Promise<void> {
  const driver = neo4j.driver(URI);
  const session = driver.session(); // CALL { } IN TRANSACTIONS needs an implicit (auto-commit) transaction
  try {
    await session.run('MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS');
  } finally {
    await session.close();
    await driver.close();
  }
  await (await Neo4jGraphStore.open({ uri: URI })).close(); // migrations and the Meta node
}

/** Applies `events` in batches of `batch` on `writers` concurrent transactions (users split by id); events/s. */
async function apply(events: FlywheelEvent[], batch: number, writers: number, perStatement?: Map<string, number>): Promise<number> {
  await freshStore();
  const session = new Neo4jSession({ uri: URI });
  const writes = new Neo4jGraphWrites(session, new Neo4jEventIds(session));
  const lanes: FlywheelEvent[][] = Array.from({ length: writers }, () => []);
  for (const e of events) lanes[e.kind === 'interaction' ? Number((e.userId ?? '0').replace(/\D/g, '')) % writers : 0]!.push(e);
  const timed = (tx: ManagedTransaction): ManagedTransaction =>
    perStatement
      ? ({
          run: async (query: string, params?: Record<string, unknown>) => {
            const t = performance.now();
            const result = await tx.run(query, params);
            const key = query.replace(/\s+/g, ' ').slice(0, 70);
            perStatement.set(key, (perStatement.get(key) ?? 0) + performance.now() - t);
            return result;
          },
        } as unknown as ManagedTransaction)
      : tx;
  const started = performance.now();
  try {
    await Promise.all(
      lanes.map(async (lane) => {
        for (let i = 0; i < lane.length; i += batch) {
          const chunk = lane.slice(i, i + batch);
          // The transaction body the store runs per batch, without the store's one-writer gate.
          await session.write((tx) =>
            (writes as unknown as { applyInTx(tx: ManagedTransaction, e: FlywheelEvent[]): Promise<unknown> }).applyInTx(timed(tx), chunk),
          );
        }
      }),
    );
    return events.length / ((performance.now() - started) / 1000);
  } finally {
    await session.close();
  }
}

/**
 * Rows/s of the cheapest write a batch could be (part 4): `rows` relationships between existing users and items,
 * created by element id with an edge's property map, then each updated by its own element id.
 */
/**
 * Part 4's property maps: the store's edge (11 properties), the same state packed into 3 (what a compact edge could
 * be: weight and lastSeenAt, which queries filter and sort on, and the rest in one list), and none.
 */
const EDGE = edgeToProps({
  counts: { VIEW: 2, CLICK: 1, ADD_TO_CART: 0, REMOVE_FROM_CART: 0, PURCHASE: 1 },
  weight: 6,
  quantity: 1,
  revenue: 9.5,
  firstSeenAt: 1,
  lastSeenAt: 2,
  lastType: 'PURCHASE',
} as EdgeState);
const CEILING_PROPS: Record<string, Record<string, unknown>> = {
  'edge (11 properties)': EDGE,
  '3 properties': { weight: 6, lastSeenAt: 2, tally: [2, 1, 0, 0, 1, 1, 9.5, 1, 4] },
  'no properties': {},
};

async function ceiling(rows: number, batch: number, props: Record<string, unknown>): Promise<{ createPerSec: number; updatePerSec: number }> {
  await freshStore();
  const driver = neo4j.driver(URI);
  const session = driver.session();
  try {
    const ids = async (q: string) => (await session.run(q)).records.map((r) => r.get(0) as string);
    const users = await ids(`UNWIND range(1, ${SHAPE.users}) AS n CREATE (u:User {id: 'c' + n}) RETURN elementId(u)`);
    const items = await ids(`UNWIND range(1, ${SHAPE.items}) AS n CREATE (i:Item {id: 'c' + n}) RETURN elementId(i)`);
    // distinct pairs, as many as asked (users x items is 1M)
    const pairs = Array.from({ length: rows }, (_, n) => ({ u: users[n % users.length]!, i: items[Math.floor(n / users.length) % items.length]!, props }));
    const rels: string[] = [];
    let started = performance.now();
    for (let k = 0; k < pairs.length; k += batch) {
      const res = await session.executeWrite((tx) =>
        tx.run(
          `UNWIND $rows AS row
           MATCH (u:User) WHERE elementId(u) = row.u
           MATCH (i:Item) WHERE elementId(i) = row.i
           CREATE (u)-[r:INTERACTED]->(i) SET r = row.props RETURN elementId(r)`,
          { rows: pairs.slice(k, k + batch) },
        ),
      );
      for (const r of res.records) rels.push(r.get(0) as string);
    }
    const createPerSec = rows / ((performance.now() - started) / 1000);
    started = performance.now();
    for (let k = 0; k < rels.length; k += batch) {
      const chunk = rels.slice(k, k + batch).map((rid) => ({ rid, props }));
      await session.executeWrite((tx) =>
        tx.run('UNWIND $rows AS row MATCH ()-[r:INTERACTED]->() WHERE elementId(r) = row.rid SET r = row.props', { rows: chunk }),
      );
    }
    return { createPerSec, updatePerSec: rows / ((performance.now() - started) / 1000) };
  } finally {
    await session.close();
    await driver.close();
  }
}

async function main(): Promise<void> {
  const events = skewedEvents(EVENTS, 1, SHAPE);
  console.log(`# neo4j-writes: ${EVENTS} events (${SHAPE.users} users, ${SHAPE.items} items), ${ROUNDS} rounds, ${URI}`);
  const byBatch = new Map<number, number[]>();
  const byWriters = new Map<number, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? BATCHES : [...BATCHES].reverse();
    for (const b of order) byBatch.set(b, [...(byBatch.get(b) ?? []), await apply(events, b, 1)]);
    for (const w of round % 2 === 0 ? [1, 2, 4] : [4, 2, 1]) byWriters.set(w, [...(byWriters.get(w) ?? []), await apply(events, 1000, w)]);
  }
  for (const [b, xs] of byBatch) console.log(`batch ${b}, one writer: ${Math.round(median(xs))} events/s (rounds ${xs.map(Math.round).join(', ')})`);
  for (const [w, xs] of byWriters) console.log(`batch 1000, ${w} writer(s): ${Math.round(median(xs))} events/s (rounds ${xs.map(Math.round).join(', ')})`);
  const perStatement = new Map<string, number>();
  await apply(events, 1000, 1, perStatement);
  const total = [...perStatement.values()].reduce((a, b) => a + b, 0);
  console.log(`statements of one run of 1,000-event batches (${Math.round(total)} ms in all):`);
  for (const [q, ms] of [...perStatement].sort((a, b) => b[1] - a[1])) console.log(`  ${Math.round(ms)} ms (${Math.round((100 * ms) / total)} %)  ${q}`);
  const ceilings: Record<string, { createPerSec: number; updatePerSec: number }> = {};
  for (const [label, props] of Object.entries(CEILING_PROPS)) {
    const runs: { createPerSec: number; updatePerSec: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) runs.push(await ceiling(EVENTS * 2, 5000, props));
    ceilings[label] = {
      createPerSec: Math.round(median(runs.map((c) => c.createPerSec))),
      updatePerSec: Math.round(median(runs.map((c) => c.updatePerSec))),
    };
    console.log(
      `ceiling, ${label} (${EVENTS * 2} relationships by element id, 5,000 per transaction): created ${ceilings[label].createPerSec}/s, updated ${ceilings[label].updatePerSec}/s (rounds ${runs.map((c) => `${Math.round(c.createPerSec)}/${Math.round(c.updatePerSec)}`).join(', ')})`,
    );
  }
  console.log(
    JSON.stringify({
      events: EVENTS,
      ceiling: ceilings,
      byBatch: Object.fromEntries([...byBatch].map(([b, xs]) => [b, Math.round(median(xs))])),
      byWriters: Object.fromEntries([...byWriters].map(([w, xs]) => [w, Math.round(median(xs))])),
      statementsMs: Object.fromEntries([...perStatement].map(([q, ms]) => [q, Math.round(ms)])),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
