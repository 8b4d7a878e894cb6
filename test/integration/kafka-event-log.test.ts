import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaEventLog } from '../../src/event-log/kafka/kafka-event-log';
import type { FlywheelEvent } from '../../src/events/event';
import type { LogRecord } from '../../src/event-log/event-log';
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
    assert.deepEqual(
      receipt.positions.map((p) => p - receipt.positions[0]!),
      [0, 1, 2],
    );
  } finally {
    await log.close();
  }
});

test('Kafka: a non-JSON message reaches the handler marked undecodable, with topic/partition/offset, and the partition moves on', opts, async () => {
  const log = await openLog(1);
  const kafka = new Kafka({ clientId: 'flywheel-test-raw', brokers: brokers(), logLevel: logLevel.NOTHING });
  const raw = kafka.producer();
  await raw.connect();
  const seen: LogRecord[] = [];
  try {
    const good1 = event('p');
    const good2 = event('p');
    await log.append([good1]);
    await raw.send({ topic: log.options.topic, messages: [{ key: 'p', value: '{not json' }] });
    await log.append([good2]);
    const c = await log.consume(`flywheel-test-${RUN_ID}-poison`, async (records) => void seen.push(...records), { fromBeginning: true });
    try {
      await waitUntil(() => seen.length >= 3, 30_000, 'all three records');
      assert.deepEqual(
        seen.map((r) => (r.undecodable ? 'undecodable' : (r.event as FlywheelEvent).id)),
        [good1.id, 'undecodable', good2.id],
      );
      assert.equal(seen[1]!.event, '{not json');
      assert.match(seen[1]!.undecodable!.reason, /not JSON/);
      assert.equal(seen[1]!.source, `kafka:${log.options.topic}/0@1`);
      assert.deepEqual(seen[1]!.origin, { topic: log.options.topic, partition: 0, offset: '1' });
      // The consumer itself writes no dead letter (only ingestion does, once).
      assert.deepEqual(await log.listDeadLetters(10), []);
      let lag = -1;
      for (let i = 0; i < 100 && lag !== 0; i++) {
        lag = await (c as unknown as { lagNow(): Promise<number> }).lagNow();
        if (lag !== 0) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(lag, 0, 'the undecodable record was committed with its chunk');
    } finally {
      await c.stop();
    }
  } finally {
    await raw.disconnect();
    await log.close();
  }
});

test(
  'Kafka: a record the handler always fails on is retried a bounded number of times, handed to onPoison, and the records after it are delivered',
  opts,
  async () => {
    const log = await openLog(1);
    try {
      const events = [event('q'), event('q'), event('q'), event('q')];
      await log.append(events);
      const poisonId = events[1]!.id;
      const applied: string[] = [];
      const poisoned: { id: string; err: string }[] = [];
      let attemptsOnPoison = 0;
      const c = await log.consume(
        `flywheel-test-${RUN_ID}-bounded`,
        async (records) => {
          const ids = records.map((r) => (r.event as FlywheelEvent).id);
          if (ids.includes(poisonId)) {
            attemptsOnPoison++;
            throw new Error('the graph refuses this record (test)');
          }
          applied.push(...ids);
        },
        {
          fromBeginning: true,
          poison: {
            maxAttempts: 3,
            isPoison: () => true,
            onPoison: async (r, err) => void poisoned.push({ id: (r.event as FlywheelEvent).id, err: (err as Error).message }),
          },
        },
      );
      try {
        await waitUntil(() => applied.length >= 3, 30_000, 'the records around the poison one');
        assert.deepEqual(applied, [events[0]!.id, events[2]!.id, events[3]!.id]);
        assert.deepEqual(poisoned, [{ id: poisonId, err: 'the graph refuses this record (test)' }]);
        assert.equal(attemptsOnPoison, 6, '3 attempts on the chunk, 3 on the record alone');
      } finally {
        await c.stop();
      }
    } finally {
      await log.close();
    }
  },
);

test('Kafka: transient handler errors are retried past maxAttempts (a store outage does not dead-letter good records)', opts, async () => {
  const log = await openLog(1);
  try {
    await log.append([event('t')]);
    let failures = 0;
    let delivered = 0;
    const poisoned: unknown[] = [];
    const c = await log.consume(
      `flywheel-test-${RUN_ID}-transient`,
      async () => {
        if (failures < 5) {
          failures++;
          throw Object.assign(new Error('connection refused (test)'), { code: 'ECONNREFUSED' });
        }
        delivered++;
      },
      {
        fromBeginning: true,
        poison: { maxAttempts: 2, isPoison: (err) => (err as { code?: string }).code !== 'ECONNREFUSED', onPoison: async (r) => void poisoned.push(r) },
      },
    );
    try {
      await waitUntil(() => delivered >= 1, 30_000, 'delivery after the outage');
      assert.equal(failures, 5);
      assert.deepEqual(poisoned, []);
    } finally {
      await c.stop();
    }
  } finally {
    await log.close();
  }
});

test('Kafka: a dead letter larger than the broker accepts is stored capped, in one format, and read back by a new log instance', opts, async () => {
  const log = await openLog(1);
  await log.deadLetter([
    { source: 'graphql', reason: 'itemId: must be at most 256 characters', raw: { itemId: 'z'.repeat(2_000_000) } },
    { source: `kafka:${log.options.topic}/0@7`, reason: 'not JSON: x', raw: '{oops', origin: { topic: log.options.topic, partition: 0, offset: '7' } },
  ]);
  await log.close();
  const again = await KafkaEventLog.create({ ...log.options });
  created.push(again);
  try {
    const dead = await again.listDeadLetters(10);
    assert.equal(dead.length, 2);
    assert.equal(dead[0]!.raw, '{oops');
    assert.deepEqual(dead[0]!.origin, { topic: log.options.topic, partition: 0, offset: '7' });
    assert.equal(dead[1]!.truncated, true);
    assert.ok(dead[1]!.rawBytes! > 2_000_000);
    assert.ok(String(dead[1]!.raw).length <= 4096);
  } finally {
    await again.close();
  }
});

const kcat = spawnSync('kcat', ['-V']).status === 0;

test(
  "Kafka: kcat with -X partitioner=murmur2_random puts each user on the gateway's partition; librdkafka's default partitioner does not, and those records are flagged misrouted",
  KAFKA_SKIP ? { skip: KAFKA_SKIP } : kcat ? { timeout: 120_000 } : { skip: 'kcat is not installed (apt-get install kcat)' },
  async () => {
    const log = await openLog(3);
    try {
      const users = Array.from({ length: 24 }, (_, i) => `kc-user-${i}`);
      const lines = (tag: string) => users.map((u) => `${u}\t${JSON.stringify({ ...event(u), id: `${tag}-${u}` })}`).join('\n') + '\n';
      const produce = (tag: string, extra: string[]) => {
        const r = spawnSync('kcat', ['-b', brokers()[0]!, '-t', log.options.topic, '-P', '-K', '\t', ...extra], { input: lines(tag) });
        assert.equal(r.status, 0, String(r.stderr));
      };
      produce('murmur2', ['-X', 'partitioner=murmur2_random']);
      produce('default', []);
      // The gateway's own producer, for reference.
      await log.append(users.map((u) => ({ ...event(u), id: `gateway-${u}` })));
      const seen: LogRecord[] = [];
      const c = await log.consume(`flywheel-test-${RUN_ID}-kcat`, async (records) => void seen.push(...records), { fromBeginning: true });
      try {
        await waitUntil(() => seen.length >= users.length * 3, 30_000, 'every record');
      } finally {
        await c.stop();
      }
      const partitionOf = (tag: string) =>
        new Map(
          seen
            .filter((r) => (r.event as FlywheelEvent).id.startsWith(`${tag}-`))
            .map((r) => [(r.event as FlywheelEvent).id.slice(tag.length + 1), r.origin!.partition]),
        );
      const gateway = partitionOf('gateway');
      assert.deepEqual(partitionOf('murmur2'), gateway, 'kcat with murmur2_random agrees with the gateway for every user');
      const byDefault = partitionOf('default');
      const differ = users.filter((u) => byDefault.get(u) !== gateway.get(u));
      assert.ok(differ.length > 0, "librdkafka's default (CRC32) puts some users elsewhere");
      const flagged = seen
        .filter((r) => r.misrouted)
        .map((r) => (r.event as FlywheelEvent).id)
        .sort();
      assert.deepEqual(flagged, differ.map((u) => `default-${u}`).sort(), 'exactly those records are flagged misrouted');
    } finally {
      await log.close();
    }
  },
);

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
