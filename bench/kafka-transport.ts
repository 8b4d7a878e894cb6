import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { EVENT_SCHEMA_VERSION, type FlywheelEvent } from '../src/events/event';
import { validateEvent, validEventsOf } from '../src/events/validate';
import { KafkaEventLog } from '../src/event-log/kafka/kafka-event-log';
import type { LogConsumer } from '../src/event-log/event-log';
import { median } from './shared';
import { deleteTopics, ensureServers } from './servers';

/**
 * `node dist/bench/kafka-transport.js`: what the Kafka transport of served lists costs a production gateway's
 * CPU, by how long impressions linger before they are appended (FLYWHEEL_IMPRESSION_LINGER_MS).
 *
 * Why: on Neo4j + Kafka every served list is an impression record that the serving gateway produces and then
 * consumes twice, in its ingestion group (commits offsets) and in its fan-out (attribution). With the
 * impressions turned off by a hand edit, `bench:backends` served 3,090 req/s on the production gateway
 * against 1,482-1,902 with them (BENCHMARKS.md, issue 16). This bench isolates that transport: one process
 * produces impression records at BENCH_RATE per second (default 1,500, the production gateway's serving rate)
 * in appends of rate x linger, through the gateway's own KafkaEventLog, and consumes them with a committing
 * group that validates each record (as ingestion does) and an uncommitted one that validates them
 * (as the fan-out does). Measured: this process's CPU (user + system, all threads) from the first append
 * until both consumers have every record, as a share of one core and per record.
 *
 * Rounds alternate the lingers (BENCH_LINGERS, default "10,50"); medians of BENCH_ROUNDS (default 3) rounds.
 * Servers: FLYWHEEL_TEST_KAFKA_BROKERS reuses a running broker, else scripts/backends/kafka.sh starts one.
 * The last line is one JSON object: {"rate":..,"seconds":..,"byLingerMs":{"10":{"batch":..,"coreShare":..,"usPerRecord":..},..}}.
 */
const RATE = Number(process.env.BENCH_RATE ?? 1500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LINGERS = (process.env.BENCH_LINGERS ?? '10,50').split(',').map(Number);

interface RoundResult {
  coreShare: number;
  usPerRecord: number;
}

function impression(n: number, items: { itemId: string; position: number; propensity: number }[]): FlywheelEvent {
  const e = {
    kind: 'impression',
    v: EVENT_SCHEMA_VERSION,
    id: randomUUID(),
    userId: `u${n % 2000}`,
    surface: 'recommendations',
    strategy: 'default',
    items,
    timestamp: Date.now(),
  };
  const v = validateEvent(e);
  if (!v.ok) throw new Error(`bench impression is invalid: ${v.reason}`);
  return v.event;
}

async function round(brokers: string, lingerMs: number, topics: string[]): Promise<RoundResult> {
  const topic = `flywheel-bench-transport-${Date.now()}-${lingerMs}`;
  topics.push(topic, `${topic}.dead-letters`);
  const log = await KafkaEventLog.create({
    brokers: brokers.split(','),
    clientId: 'flywheel-bench-transport',
    topic,
    deadLetterTopic: `${topic}.dead-letters`,
    partitions: 4,
  });
  const consumers: LogConsumer[] = [];
  try {
    let ingested = 0;
    let fannedOut = 0;
    consumers.push(
      await log.consume(
        `${topic}.ingestion`,
        async (records) => {
          for (const r of records) if (validateEvent(r.event).ok) ingested++;
        },
        { maxBatch: 5000, fromBeginning: true },
      ),
    );
    const start = await log.broadcast.pinEnd();
    consumers.push(
      await log.broadcast.consumeFrom(start, `${topic}.fanout`, async (records) => void (fannedOut += validEventsOf(records).length), { maxBatch: 5000 }),
    );
    await new Promise((r) => setTimeout(r, 2000)); // both groups joined and fetching
    const items = Array.from({ length: 10 }, (_, i) => ({ itemId: `item-${i * 37}`, position: i + 1, propensity: 1 }));
    const batch = Math.max(1, Math.round((RATE * lingerMs) / 1000));
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    let sent = 0;
    const appends: Promise<unknown>[] = [];
    // Appends at the rate, one every `batch / RATE` seconds, as a gateway's impression buffer flushes.
    await new Promise<void>((done) => {
      const timer = setInterval(
        () => {
          appends.push(log.append(Array.from({ length: batch }, () => impression(sent++, items))));
          if (performance.now() - wall0 >= SECONDS * 1000) {
            clearInterval(timer);
            done();
          }
        },
        (1000 * batch) / RATE,
      );
    });
    await Promise.all(appends);
    const deadline = Date.now() + 30_000;
    while ((ingested < sent || fannedOut < sent) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (ingested < sent || fannedOut < sent) throw new Error(`consumers fell behind: ${ingested} and ${fannedOut} of ${sent}`);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    const cpuUs = cpu.user + cpu.system;
    return { coreShare: cpuUs / 1000 / wallMs, usPerRecord: cpuUs / sent };
  } finally {
    for (const c of consumers) await c.stop();
    await log.close();
  }
}

async function main(): Promise<void> {
  const servers = ensureServers(['kafka']);
  const topics: string[] = [];
  const results = new Map<number, RoundResult[]>(LINGERS.map((l) => [l, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? LINGERS : [...LINGERS].reverse();
      for (const linger of order) {
        const res = await round(servers.kafkaBrokers, linger, topics);
        results.get(linger)!.push(res);
        console.log(`round ${r + 1}, linger ${linger} ms: ${(res.coreShare * 100).toFixed(1)} % of a core, ${res.usPerRecord.toFixed(0)} us per record`);
      }
    }
  } finally {
    await deleteTopics(servers.kafkaBrokers, topics);
    servers.stop();
  }
  console.log(`\n| linger (ms) | records per append | CPU, share of one core (median) | CPU per record, us (median) | rounds |`);
  console.log('|---|---|---|---|---|');
  const byLingerMs: Record<string, { batch: number; coreShare: number; usPerRecord: number }> = {};
  for (const linger of LINGERS) {
    const rs = results.get(linger)!;
    const row = {
      batch: Math.max(1, Math.round((RATE * linger) / 1000)),
      coreShare: +median(rs.map((x) => x.coreShare)).toFixed(3),
      usPerRecord: Math.round(median(rs.map((x) => x.usPerRecord))),
    };
    byLingerMs[String(linger)] = row;
    console.log(`| ${linger} | ${row.batch} | ${row.coreShare} | ${row.usPerRecord} | ${rs.map((x) => x.coreShare.toFixed(3)).join(', ')} |`);
  }
  console.log(JSON.stringify({ rate: RATE, seconds: SECONDS, byLingerMs }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
