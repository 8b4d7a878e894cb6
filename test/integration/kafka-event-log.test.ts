import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaEventLog } from '../../src/event-log/kafka/kafka-event-log';
import type { FlywheelEvent } from '../../src/events/event';
import { event, eventLogContract, waitUntil } from '../contract/event-log.contract';
import { brokers, describeKafka, KAFKA_SKIP, leakedSockets, RUN_ID } from './servers';

// The shared event log contract on a real Kafka broker (FLYWHEEL_TEST_KAFKA_BROKERS): every test gets
// its own topics (events + dead letters, 3 partitions) and groups, named after this run.
before(async () => {
  if (!KAFKA_SKIP) console.log(`::: Kafka under test: ${await describeKafka()}`);
});

let topics = 0;
let groups = 0;
const created: KafkaEventLog[] = [];
async function openLog(partitions = 3): Promise<KafkaEventLog> {
  const t = `flywheel-test-${RUN_ID}-${++topics}`;
  const log = await KafkaEventLog.create({
    brokers: brokers(),
    clientId: `flywheel-test-${RUN_ID}`,
    topic: t,
    deadLetterTopic: `${t}.dlq`,
    partitions,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1000,
    lagRefreshMs: 500,
  });
  created.push(log);
  return log;
}
after(async () => {
  // Drop this run's topics so repeated runs do not pile them up.
  if (KAFKA_SKIP || created.length === 0) return;
  const admin = new Kafka({ clientId: 'flywheel-test-cleanup', brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: created.flatMap((l) => [l.options.topic, l.options.deadLetterTopic]) });
  } catch {
    // best effort
  } finally {
    await admin.disconnect();
  }
});

eventLogContract(
  'Kafka',
  async () => {
    const log = await openLog();
    return { log, close: () => log.close() };
  },
  () => `flywheel-test-${RUN_ID}-g${++groups}`,
  KAFKA_SKIP ? { skip: KAFKA_SKIP } : { timeoutMs: 30_000 },
);

const opts = KAFKA_SKIP ? { skip: KAFKA_SKIP } : { timeout: 120_000 };

test('Kafka: topics are created with the configured partitions; the producer keys by user', opts, async () => {
  const log = await openLog(4);
  try {
    assert.equal(await log.partitionCount(), 4);
    assert.equal(log.readYourWrites, false);
    const events = [event('same-user'), event('same-user'), event('same-user')];
    const receipt = await log.append(events);
    assert.deepEqual(receipt.duplicates, []);
    // One user -> one partition -> consecutive offsets.
    assert.deepEqual(receipt.positions.map((p) => p - receipt.positions[0]!), [0, 1, 2]);
  } finally {
    await log.close();
  }
});

test('Kafka: a poison message goes to the dead-letter topic with the reason in a header, and the partition moves on', opts, async () => {
  const log = await openLog(1);
  const kafka = new Kafka({ clientId: 'flywheel-test-raw', brokers: brokers(), logLevel: logLevel.NOTHING });
  const raw = kafka.producer();
  await raw.connect();
  const seen: unknown[] = [];
  try {
    const good1 = event('p');
    const good2 = event('p');
    await log.append([good1]);
    await raw.send({ topic: log.options.topic, messages: [{ key: 'p', value: '{not json' }] });
    await log.append([good2]);
    const c = await log.consume(`flywheel-test-${RUN_ID}-poison`, async (records) => void seen.push(...records.map((r) => r.event)), { fromBeginning: true });
    try {
      await waitUntil(() => seen.length >= 2, 30_000, 'both good events');
      assert.deepEqual(seen.map((e) => (e as FlywheelEvent).id), [good1.id, good2.id]);
      const dead = await log.listDeadLetters(10);
      assert.equal(dead.length, 1);
      assert.match(dead[0]!.reason, /not JSON/);
      assert.match(dead[0]!.source, /^kafka:.*\/0@1$/);
      // The dead-letter topic itself carries the raw bytes and the reason header.
      const reader = kafka.consumer({ groupId: `flywheel-test-${RUN_ID}-dlq-reader` });
      await reader.connect();
      await reader.subscribe({ topic: log.options.deadLetterTopic, fromBeginning: true });
      const got: { value: string; reason: string }[] = [];
      await reader.run({ eachMessage: async ({ message }) => void got.push({ value: message.value!.toString(), reason: String(message.headers!.reason) }) });
      await waitUntil(() => got.length >= 1, 30_000, 'the dead-letter record');
      await reader.disconnect();
      assert.equal(got[0]!.value, '{not json');
      assert.match(got[0]!.reason, /not JSON/);
      const lagNow = (c as unknown as { lagNow(): Promise<number> }).lagNow.bind(c);
      let lag = -1;
      for (let i = 0; i < 100 && lag !== 0; i++) {
        lag = await lagNow();
        if (lag !== 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(lag, 0, 'the poison record was committed with its chunk');
    } finally {
      await c.stop();
    }
  } finally {
    await raw.disconnect();
    await log.close();
  }
});

test('Kafka: closing the log while a consumer is still joining its group leaves no socket or reconnect behind', opts, async () => {
  // kafkajs's disconnect does not cancel a join under way, and its broker pool reconnects lazily: a
  // consumer stopped mid-join (at start, or rejoining after a crash) used to stay in the group with an
  // open socket after close, which kept the process alive.
  for (const delayMs of [0, 30, 150, 600]) {
    const log = await openLog(2);
    const starting = log.consume(`flywheel-test-${RUN_ID}-g${++groups}`, async () => undefined);
    starting.catch(() => undefined);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    await log.close();
    await starting.catch(() => undefined);
    assert.deepEqual(await leakedSockets(), [], `sockets left open after close (close ${delayMs} ms into the join)`);
  }
});
