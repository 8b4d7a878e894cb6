import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import neo4j from 'neo4j-driver';

/**
 * Real Neo4j and Kafka for the benches that need them (bench:backends, bench/join): reuse the servers named by
 * FLYWHEEL_TEST_NEO4J_URI and FLYWHEEL_TEST_KAFKA_BROKERS, else start them with scripts/backends/ (reusing
 * running ones) and stop what was started. Run such benches under `flock /tmp/flywheel-integration.lock`
 * when other work on the machine may use the same servers: the Neo4j database is wiped. Servers started here run
 * with the C2 JIT, as in production (the test scripts' default is C1 only, for start-up time).
 */
const ROOT = path.resolve(__dirname, '../..');

export interface Servers {
  neo4jUri: string;
  kafkaBrokers: string;
  stop(): void;
}

function script(name: 'neo4j' | 'kafka', cmd: string, inherit = true): boolean {
  // A bench measures the servers as production runs them: with the C2 JIT. The scripts' default (C1 only)
  // halves a short-lived test server's start-up CPU and costs its steady-state speed. Set
  // FLYWHEEL_BACKENDS_C1=1 to bench the test configuration.
  const env = { ...process.env, FLYWHEEL_BACKENDS_C1: process.env.FLYWHEEL_BACKENDS_C1 ?? '0' };
  try {
    execFileSync('bash', [path.join(ROOT, 'scripts/backends', `${name}.sh`), cmd], { cwd: ROOT, env, stdio: inherit ? 'inherit' : 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `which`: the servers this bench needs (a Kafka-only bench does not start Neo4j). */
export function ensureServers(which: readonly ('neo4j' | 'kafka')[] = ['neo4j', 'kafka']): Servers {
  const given = { neo4j: process.env.FLYWHEEL_TEST_NEO4J_URI ?? '', kafka: process.env.FLYWHEEL_TEST_KAFKA_BROKERS ?? '' };
  const started: ('neo4j' | 'kafka')[] = [];
  for (const name of which) {
    if (given[name] !== '') continue; // named by the environment: used as it is
    if (script(name, 'status', false)) continue; // already running: reuse, leave it running
    if (!script(name, 'start')) throw new Error(`scripts/backends/${name}.sh start failed`);
    started.push(name);
  }
  return {
    neo4jUri: given.neo4j || `bolt://127.0.0.1:${process.env.FLYWHEEL_TEST_NEO4J_PORT ?? 7687}`,
    kafkaBrokers: given.kafka || `127.0.0.1:${process.env.FLYWHEEL_TEST_KAFKA_PORT ?? 9092}`,
    stop: () => {
      for (const name of started.reverse()) script(name, 'stop');
    },
  };
}

export async function wipeNeo4j(uri: string): Promise<void> {
  const driver = neo4j.driver(uri);
  const session = driver.session();
  try {
    // Relationships first, in small transactions: a DETACH DELETE of nodes with many edges in one go exceeds
    // the transaction memory pool of a small server (seen at 100k interactions with a 512 MB heap).
    await session.run('MATCH ()-[r]->() CALL { WITH r DELETE r } IN TRANSACTIONS OF 10000 ROWS');
    await session.run('MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS');
  } finally {
    await session.close();
    await driver.close();
  }
}

export async function deleteTopics(brokers: string, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = new Kafka({ clientId: 'flywheel-bench-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } catch {
    /* best effort */
  } finally {
    await admin.disconnect();
  }
}
