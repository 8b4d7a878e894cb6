import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFlywheel } from '../app/flywheel';
import { loadConfig } from '../config/config';
import type { FlywheelEvent } from '../events/event';
import { readEventBatches } from '../import/importer';
import { OnlineRetailMapper, type OnlineRetailRow } from '../import/online-retail';
import { readRecords } from '../import/read-records';
import { InputError } from '../import/input-error';
import { checkFile, resolveColumns, type InputFlags } from './input-options';
import { createLogger } from '../observability/logger';
import { MetricsAccumulator, type Metrics } from '../recommend/metrics';
import { NoCustomersError, SegmentService } from '../segments/service';

/**
 * `flywheel eval`: offline top-k evaluation through the serving path. The train part goes through the
 * normal tracking path (validate -> event log -> ingestion -> graph + recommender) of a throwaway
 * data dir, and every list comes from the same `Recommender.recommend` the GraphQL resolver calls.
 *
 * Protocol (shared/notes/recsys.md): test users have >= 1 train interaction and >= 1 relevant item;
 * relevant = the user's test items not interacted with in train; lists never contain train-bought
 * items; binary NDCG; MAP normalised by min(|relevant|, k).
 *
 * Online-retail cleaning for eval: "only purchases count: no cancellations, quantity > 0, known
 * customer". Postage and fee lines (POST, M, ...) are purchases by that rule, so eval keeps them (the
 * importer drops them for the live graph); this reproduces the reference's 894 September users.
 * Exact duplicate lines are still dropped: X is binary, so they cannot change any figure.
 */
export interface EvalFlags extends InputFlags {
  train?: string;
  test?: string;
  splitDate?: string;
  testEnd?: string;
  k: string;
  strategies?: string;
  json?: boolean;
}

export interface EvalReport {
  k: number;
  users: number;
  default: string;
  strategies: Record<string, Metrics>;
  train: { events: number; users: number; items: number; seconds: number };
  seconds: number;
}

type Pairs = Map<string, Set<string>>;

export async function runEval(flags: EvalFlags): Promise<EvalReport> {
  const started = performance.now();
  const k = Number(flags.k ?? 10);
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new InputError('--k must be an integer from 1 to 100');
  // Flags and files are checked before the throwaway data dir is made.
  resolveColumns(flags);
  if (flags.input) {
    checkFile(flags.input);
    if (!flags.splitDate) throw new InputError('--input needs --split-date YYYY-MM-DD');
  } else {
    if (!flags.train || !flags.test) throw new InputError('give --input FILE --split-date DATE, or --train FILE --test FILE');
    checkFile(flags.train, '--train');
    checkFile(flags.test, '--test');
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'flywheel-eval-'));
  // A throwaway embedded gateway: no snapshots, and no anomaly detection (its bot filter would silently
  // drop heavy buyers from the data being scored) nor scheduled segment refits competing for the CPU.
  const cfg = loadConfig(process.env, {
    FLYWHEEL_DATA_DIR: dataDir,
    FLYWHEEL_GRAPH: 'embedded',
    FLYWHEEL_EVENTS: 'embedded',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    FLYWHEEL_SNAPSHOT_EVERY: 100_000_000,
    FLYWHEEL_ANOMALIES: 'off',
    FLYWHEEL_SEGMENTS_REFIT_MINUTES: 0,
  });
  const app = await createFlywheel(cfg, createLogger(cfg.LOG_LEVEL, 'flywheel', cfg.FLYWHEEL_LOG_FORMAT));
  // The app's own segment service would refit in the background while training replays (stealing CPU):
  // it stops, and one fit on the train part is made below, once, for `segment-popular` and the fallback.
  await app.segments.stop();
  let segmentService: SegmentService | null = null;
  try {
    const rec = app.recommender;
    // Training is replayed in bulk: re-solving dirty items between batches would be wasted work, so
    // the background refresh waits and the model is solved once, fully, before the first list.
    rec.setBackgroundRefresh(false);
    const trainSeen: Pairs = new Map();
    const testPairs: Pairs = new Map();
    const track = async (batch: FlywheelEvent[]) => {
      const r = await app.tracker.track(batch, 'eval');
      if (r.rejected.length > 0) throw new Error(`eval: ${r.rejected.length} train events rejected: ${JSON.stringify(r.rejected[0])}`);
    };
    let trainEvents = 0;
    const trainStarted = performance.now();
    for await (const { batch, test } of readSplit(flags)) {
      if (test) {
        for (const e of test) if (e.kind === 'interaction' && e.userId) addPair(testPairs, e.userId, e.itemId);
        continue;
      }
      for (const e of batch) if (e.kind === 'interaction' && e.userId) addPair(trainSeen, e.userId, e.itemId);
      trainEvents += batch.length;
      await track(batch);
      if (trainEvents % 50_000 < batch.length) progress(`${trainEvents} train events ingested`);
    }
    progress(`ingested ${trainEvents} train events`);
    rec.refreshNow();
    progress(`model solved (${rec.model.solved} items)`);
    // Customer segments of the train part (as of its latest purchase), as the gateway would have them.
    const [kMin, kMax] = cfg.FLYWHEEL_SEGMENTS_K_RANGE.split('-').map(Number) as [number, number];
    segmentService = new SegmentService(app.store, { k: cfg.FLYWHEEL_SEGMENTS_K || undefined, kRange: [kMin, kMax], refitMinutes: 0, bootstrap: false });
    await segmentService.start();
    try {
      const seg = await segmentService.refit();
      const service = segmentService;
      rec.setSegmentSource((userId) => service.topItemsForUser(userId));
      progress(`segments fitted (k=${seg.k}, ${seg.customers} customers, ${Math.round(seg.durationMs)} ms)`);
    } catch (err) {
      // Train data without purchases (e.g. only views or ratings): no segments, segment-popular stays empty.
      if (!(err instanceof NoCustomersError)) throw err;
      progress('no purchases in train: no segments');
    }
    const trainSeconds = (performance.now() - trainStarted) / 1000;

    const users: { id: string; relevant: Set<string> }[] = [];
    for (const [user, items] of testPairs) {
      const seen = trainSeen.get(user);
      if (!seen) continue;
      const relevant = new Set([...items].filter((i) => !seen.has(i)));
      if (relevant.size > 0) users.push({ id: user, relevant });
    }
    const names = flags.strategies ? flags.strategies.split(',').map((s) => s.trim()) : rec.strategies().map((s) => s.name);
    const trainItems = new Set<string>();
    for (const items of trainSeen.values()) for (const i of items) trainItems.add(i);
    const strategies: Record<string, Metrics> = {};
    for (const name of names) {
      const acc = new MetricsAccumulator(k);
      for (const u of users) {
        const list = await rec.recommend({ userId: u.id, first: k, strategy: name });
        acc.add(list.map((r) => r.itemId), u.relevant);
      }
      strategies[name] = acc.result(trainItems.size);
      progress(`evaluated ${name}`);
    }
    return {
      k,
      users: users.length,
      default: rec.defaultStrategy,
      strategies,
      train: { events: trainEvents, users: trainSeen.size, items: trainItems.size, seconds: Math.round(trainSeconds * 10) / 10 },
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await segmentService?.stop();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Stage timings on stderr when FLYWHEEL_EVAL_VERBOSE is set (stdout stays one JSON object). */
const t0 = performance.now();
function progress(msg: string): void {
  if (process.env.FLYWHEEL_EVAL_VERBOSE) process.stderr.write(`[eval ${((performance.now() - t0) / 1000).toFixed(1)} s] ${msg}\n`);
}

function addPair(m: Pairs, user: string, item: string): void {
  let s = m.get(user);
  if (!s) m.set(user, (s = new Set()));
  s.add(item);
}

/** Yields train batches (to ingest) and test batches (only read), from one file split by date or two files. */
async function* readSplit(flags: EvalFlags): AsyncGenerator<{ batch: FlywheelEvent[]; test?: FlywheelEvent[] }> {
  if (flags.input) {
    if (!flags.splitDate) throw new InputError('--input needs --split-date YYYY-MM-DD');
    const split = parseDay(flags.splitDate, '--split-date');
    const end = flags.testEnd ? parseDay(flags.testEnd, '--test-end') : Infinity;
    if (flags.format !== 'online-retail') {
      const dropped: Record<string, number> = {};
      for await (const batch of readEventBatches(flags.input, { format: flags.format, columns: columnsOf(flags), header: flags.header }, dropped)) {
        yield { batch: batch.filter((e) => e.timestamp < split) };
        yield { batch: [], test: batch.filter((e) => e.timestamp >= split && e.timestamp < end) };
      }
      return;
    }
    let train: FlywheelEvent[] = [];
    let test: FlywheelEvent[] = [];
    for await (const events of onlineRetailPurchases(flags.input)) {
      for (const e of events) {
        if (e.timestamp < split) train.push(e);
        else if (e.timestamp < end) test.push(e);
      }
      if (train.length >= 5000) {
        yield { batch: train };
        train = [];
      }
      if (test.length >= 5000) {
        yield { batch: [], test };
        test = [];
      }
    }
    if (train.length > 0) yield { batch: train };
    if (test.length > 0) yield { batch: [], test };
    return;
  }
  if (!flags.train || !flags.test) throw new InputError('give --input FILE --split-date DATE, or --train FILE --test FILE');
  const options = { format: flags.format, columns: columnsOf(flags), header: flags.header };
  for await (const batch of readEventBatches(flags.train, options, {})) yield { batch };
  for await (const batch of readEventBatches(flags.test, options, {})) yield { batch: [], test: batch };
}

function columnsOf(flags: EvalFlags): string[] | undefined {
  return resolveColumns(flags);
}

function parseDay(s: string, flag: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new InputError(`${flag} must be YYYY-MM-DD`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
}

/** The importer's online-retail cleaning, except that fee pseudo-item purchases are kept (see above). */
async function* onlineRetailPurchases(file: string): AsyncGenerator<FlywheelEvent[]> {
  const mapper = new OnlineRetailMapper({ keepFeeItems: true });
  let out: FlywheelEvent[] = [];
  for await (const { record } of readRecords(file, { format: 'csv', header: true })) {
    const outcome = mapper.map(record as unknown as OnlineRetailRow);
    if (outcome.kind === 'events') out.push(...outcome.events);
    if (out.length >= 5000) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

export function printEval(report: EvalReport, json: boolean): void {
  if (json) {
    const { k, users, strategies } = report;
    console.log(JSON.stringify({ k, users, default: report.default, strategies }));
    return;
  }
  console.log(`k=${report.k}, ${report.users} test users; train ${report.train.events} events, ${report.train.users} users, ${report.train.items} items (ingested in ${report.train.seconds} s); total ${report.seconds} s`);
  console.log('strategy        precision  recall   ndcg     map      coverage');
  for (const [name, m] of Object.entries(report.strategies)) {
    const mark = name === report.default ? '*' : ' ';
    console.log(`${mark}${name.padEnd(15)} ${m.precision.toFixed(4)}     ${m.recall.toFixed(4)}   ${m.ndcg.toFixed(4)}   ${m.map.toFixed(4)}   ${m.coverage.toFixed(3)}`);
  }
  console.log('* = served by default');
}
