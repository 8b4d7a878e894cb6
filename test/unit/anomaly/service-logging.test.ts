import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnomalyService } from '../../../src/anomaly/service';
import type { InteractionEvent } from '../../../src/events/event';
import type { AnomalyRecord } from '../../../src/graph/graph-store';
import { MemoryGraph } from '../../../src/graph/embedded/memory-graph';
import { formatLogLine } from '../../../src/observability/pretty';
import { captureLogs } from '../../helpers/log-capture';

const T0 = Date.UTC(2024, 0, 1);

/** Bursts of clicks by `bots` distinct actors: one BOT_ACTIVITY finding each. */
function bursts(bots: number, tag: string): InteractionEvent[] {
  const out: InteractionEvent[] = [];
  for (let b = 0; b < bots; b++)
    for (let i = 0; i < 60; i++)
      out.push({
        kind: 'interaction',
        v: 1,
        id: `${tag}-${b}-${i}`,
        type: 'CLICK',
        userId: `${tag}-bot${b}`,
        itemId: `i${i}`,
        timestamp: T0 + b * 1000 + i * 100,
      });
  return out;
}

test('new anomalies are logged as one summary line per period with counts (details at debug), not one line per batch', async () => {
  const { logger, lines } = captureLogs();
  const g = new MemoryGraph();
  const published: AnomalyRecord[] = [];
  const svc = new AnomalyService(g, { logger, publish: (r) => published.push(r), logSummaryEveryMs: 60_000 });
  await svc.start();
  // Twelve batches, each with a new bot: twelve findings within one period.
  for (let b = 0; b < 12; b++) {
    const events = bursts(1, `batch${b}`);
    g.applySync(events);
    svc.onApplied(events);
  }
  await svc.idle();
  assert.equal(published.length, 12, 'every finding still reaches subscribers');
  const info = lines().filter((l) => l.level === 30);
  assert.equal(info.length, 1, `one info line at once, the rest wait for the period: ${JSON.stringify(info)}`);
  assert.match(info[0]!.msg, /^1 new anomaly: 1 BOT_ACTIVITY/);
  svc.close();
  const after = lines().filter((l) => l.level === 30);
  assert.equal(after.length, 2, 'closing writes the pending summary');
  assert.match(after[1]!.msg, /^11 new anomalies in the last \d+ s: 11 BOT_ACTIVITY/);
  assert.equal(lines().filter((l) => l.level === 20 && l.msg === 'anomalies detected').length, 12, 'details at debug');
  assert.equal(
    Object.values(svc.stats().newByKind).reduce((a, b) => a + b, 0),
    12,
  );
});

test('findings re-detected while ingestion replays the log after a restart are stored, not announced again', async () => {
  const { logger, lines } = captureLogs();
  const g = new MemoryGraph();
  const published: AnomalyRecord[] = [];
  let replaying = true;
  const svc = new AnomalyService(g, { logger, publish: (r) => published.push(r), replaying: () => replaying });
  await svc.start();
  const old = bursts(2, 'old');
  g.applySync(old);
  svc.onApplied(old);
  await svc.idle();
  assert.equal((await g.listAnomalies({ first: 10 })).totalCount, 2, 'stored');
  assert.equal(published.length, 0, 'not published');
  assert.equal(lines().filter((l) => l.level === 30).length, 0, 'not logged as new');
  replaying = false;
  const fresh = bursts(1, 'new');
  g.applySync(fresh);
  svc.onApplied(fresh);
  await svc.idle();
  assert.equal(published.length, 1);
  svc.close();
});

test('the terminal log format: time, level, message, then fields', () => {
  const line = formatLogLine(
    JSON.stringify({
      level: 30,
      time: '2026-12-03T07:12:03.412Z',
      pid: 1,
      name: 'flywheel',
      msg: 'gateway listening',
      url: 'http://127.0.0.1:4000/graphql',
      n: 3,
    }),
  );
  assert.match(line, /^\d\d:\d\d:\d\d\.412 INFO {2}gateway listening {2}url=http:\/\/127\.0\.0\.1:4000\/graphql n=3\n$/);
  assert.match(
    formatLogLine(JSON.stringify({ level: 50, msg: 'failed', err: { message: 'boom', stack: 'Error: boom\n    at x' } })),
    /ERROR failed\n {4}Error: boom\n/,
  );
  assert.equal(formatLogLine('not json'), 'not json');
});
