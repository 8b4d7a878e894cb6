#!/usr/bin/env node
'use strict';
// Smoke checks against the real servers started by scripts/backends/{neo4j,kafka}.sh, with the
// project's own clients (neo4j-driver, kafkajs). Run from the repo root:
//
//   node scripts/backends/smoke.js [all|neo4j|kafka|neo4j-version|kafka-version]
//
// Ports: FLYWHEEL_TEST_NEO4J_PORT (7687), FLYWHEEL_TEST_KAFKA_PORT (9092).
// Every check is bounded in time; exits non-zero on the first failure.

const NEO4J_PORT = Number(process.env.FLYWHEEL_TEST_NEO4J_PORT || 7687);
const KAFKA_PORT = Number(process.env.FLYWHEEL_TEST_KAFKA_PORT || 9092);
const NEO4J_URI = `bolt://127.0.0.1:${NEO4J_PORT}`;
const KAFKA_BROKER = `127.0.0.1:${KAFKA_PORT}`;

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

async function withNeo4j(fn) {
  const neo4j = require('neo4j-driver');
  const driver = neo4j.driver(NEO4J_URI, neo4j.auth.none(), { connectionTimeout: 10000 });
  try {
    return await fn(driver, neo4j);
  } finally {
    await driver.close();
  }
}

async function neo4jVersion() {
  return withNeo4j(async (driver) => {
    const { records } = await driver.executeQuery('CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition');
    const c = records[0];
    return `${c.get('name')} ${c.get('versions').join(',')} ${c.get('edition')}`;
  });
}

async function smokeNeo4j() {
  const t0 = Date.now();
  const version = await neo4jVersion();
  console.log(`neo4j: CALL dbms.components() -> ${version}`);
  await withNeo4j(async (driver, neo4j) => {
    const id = `smoke-${process.pid}-${Date.now()}`;
    await driver.executeQuery('CREATE (n:FlywheelSmoke {id: $id, at: datetime()})', { id });
    const { records } = await driver.executeQuery(
      'MATCH (n:FlywheelSmoke {id: $id}) RETURN n.id AS id, count(*) AS c',
      { id },
      { routing: neo4j.routing.READ },
    );
    assert(records.length === 1 && records[0].get('id') === id, 'node read back');
    assert(neo4j.integer.toNumber(records[0].get('c')) === 1, 'exactly one node');
    const del = await driver.executeQuery('MATCH (n:FlywheelSmoke {id: $id}) DELETE n RETURN count(*) AS c', { id });
    assert(neo4j.integer.toNumber(del.records[0].get('c')) === 1, 'node deleted');
    console.log(`neo4j: created, read back and deleted (:FlywheelSmoke {id: '${id}'})`);
  });
  console.log(`neo4j: OK in ${Date.now() - t0} ms`);
}

function kafkaClient(clientId) {
  const { Kafka, logLevel } = require('kafkajs');
  return new Kafka({
    clientId,
    brokers: [KAFKA_BROKER],
    // kafkajs logs retriable errors (e.g. "group coordinator not available" while the broker
    // creates __consumer_offsets on first use) at ERROR; they are noise here, failures still
    // throw. FLYWHEEL_SMOKE_KAFKAJS_LOG=DEBUG|INFO|WARN|ERROR shows them.
    logLevel: logLevel[process.env.FLYWHEEL_SMOKE_KAFKAJS_LOG || 'NOTHING'] ?? logLevel.NOTHING,
    connectionTimeout: 5000,
    retry: { retries: 5 },
  });
}

async function kafkaVersion() {
  const admin = kafkaClient('flywheel-smoke-version').admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), controller ${cluster.controller}`;
  } finally {
    await admin.disconnect();
  }
}

async function smokeKafka() {
  const t0 = Date.now();
  const { Partitioners } = require('kafkajs');
  const kafka = kafkaClient('flywheel-smoke');
  const topic = `flywheel-smoke-${process.pid}-${Date.now()}`;
  const groupId = `${topic}-group`;
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000 });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    console.log(`kafka: describeCluster -> ${cluster.clusterId}, brokers ${cluster.brokers.map((b) => `${b.host}:${b.port}`).join(',')}`);
    const created = await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    assert(created === true, 'topic created');
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    assert(md.topics[0].partitions.length === 3, '3 partitions');
    console.log(`kafka: created topic ${topic} with ${md.topics[0].partitions.length} partitions`);

    const n = 30;
    await producer.connect();
    // auto.create.topics.enable=true: producing to an unknown topic creates it (1 partition).
    const autoTopic = `${topic}-auto`;
    await producer.send({ topic: autoTopic, messages: [{ value: 'x' }] });
    const autoMd = await admin.fetchTopicMetadata({ topics: [autoTopic] });
    assert(autoMd.topics[0].partitions.length === 1, 'auto-created topic has 1 partition');
    console.log(`kafka: auto-created topic ${autoTopic} by producing to it`);
    const messages = Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }), partition: i % 3 }));
    await producer.send({ topic, messages, acks: -1 });
    console.log(`kafka: produced ${n} messages across 3 partitions`);

    const seen = new Map();
    const partitions = new Set();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let resolveDone;
    const done = new Promise((r) => {
      resolveDone = r;
    });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.set(message.key.toString(), JSON.parse(message.value.toString()).i);
        partitions.add(partition);
        if (seen.size === n) resolveDone();
      },
    });
    await withTimeout(done, 60000, `consume ${n} messages with group ${groupId}`);
    assert(
      [...seen.values()].sort((a, b) => a - b).every((v, i) => v === i),
      'all messages consumed',
    );
    console.log(`kafka: consumer group ${groupId} consumed ${seen.size}/${n} from partitions ${[...partitions].sort().join(',')}`);
    await consumer.stop();

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0].partitions.reduce((s, p) => s + Number(p.offset), 0);
    console.log(`kafka: committed offsets sum to ${committed}`);
    assert(committed === n, 'offsets committed for all messages');
    const groups = await admin.describeGroups([groupId]);
    console.log(`kafka: group state after stop: ${groups.groups[0].state}`);
    await admin.deleteTopics({ topics: [topic, autoTopic] });
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
  console.log(`kafka: OK in ${Date.now() - t0} ms`);
}

async function main() {
  const what = process.argv[2] || 'all';
  switch (what) {
    case 'neo4j-version':
      console.log(await withTimeout(neo4jVersion(), 30000, 'neo4j version'));
      return;
    case 'kafka-version':
      console.log(await withTimeout(kafkaVersion(), 30000, 'kafka version'));
      return;
    case 'neo4j':
      await withTimeout(smokeNeo4j(), 90000, 'neo4j smoke');
      return;
    case 'kafka':
      await withTimeout(smokeKafka(), 120000, 'kafka smoke');
      return;
    case 'all':
      await withTimeout(smokeNeo4j(), 90000, 'neo4j smoke');
      await withTimeout(smokeKafka(), 120000, 'kafka smoke');
      return;
    default:
      throw new Error(`unknown check '${what}' (all|neo4j|kafka|neo4j-version|kafka-version)`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`smoke: FAILED: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
