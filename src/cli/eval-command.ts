import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFlywheel } from '../app/flywheel';
import { loadConfig } from '../config/config';
import type { FlywheelEvent } from '../events/event';
import type { Flywheel } from '../app/flywheel';
import type { FlywheelConfig } from '../config/config';
import { TabularMapper } from '../import/tabular';
import type { FileFormat } from '../import/read-records';
import type { Recommender } from '../recommend/recommender';
import { BLEND_PARTS } from '../recommend/strategies';
import { blendGrid, tuneBlend, weightsString, type Candidate, type EvalUser, type TuneResult } from '../recommend/tune';
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
  /** Ratings files: only rows rated at least this count (as positives); unrated rows are dropped too. */
  minRating?: string;
  /** Choose the served configuration on a validation period carved from the end of train (see tuneOnPast). */
  tune?: boolean;
  /** With --tune: the validation period starts here (default: one calendar month before --split-date). */
  validationDate?: string;
  /**
   * Evaluate the item model a serving gateway holds after the train part streamed in, not one solved whole:
   * the train part is tracked in batches of this many events (true: 500), and after each only what the batch
   * marked is re-solved (bench/model-drift.ts says why the two differ).
   */
  liveModel?: boolean | string;
}

export interface TunedChoice {
  validation: { from: string; to: string; users: number; trainEvents: number };
  picked: { name: string; defaultStrategy: string; blend: string; validationNdcg: number };
  /** Best candidates on validation, best first (NDCG@k). */
  top: { name: string; ndcg: number }[];
}

export interface EvalReport {
  k: number;
  users: number;
  default: string;
  strategies: Record<string, Metrics>;
  train: { events: number; users: number; items: number; seconds: number; alsFitSeconds: number | null };
  /** Lines of the input that gave no event, by reason (malformed rows, an unparseable timestamp, below --min-rating, ...). */
  linesDropped: Record<string, number>;
  tuned?: TunedChoice;
  seconds: number;
}

type Pairs = Map<string, Set<string>>;

/** Which part of the file is train and which is scored: train < trainEnd, scored in [testStart, testEnd). */
interface Window {
  trainEnd: number;
  testStart: number;
  testEnd: number;
}

export async function runEval(flags: EvalFlags): Promise<EvalReport> {
  const started = performance.now();
  const k = checkFlags(flags);
  let tuned: TunedChoice | undefined;
  let choice: { blend: Record<string, number>; defaultStrategy: string } | undefined;
  if (flags.tune) {
    const split = parseDay(flags.splitDate!, '--split-date');
    const from = flags.validationDate ? parseDay(flags.validationDate, '--validation-date') : monthBefore(split);
    if (!(from < split)) throw new InputError('--validation-date must be before --split-date');
    // Validation: train before `from`, validate on [from, split). Nothing at or after the split is read
    // into this stage (the reader stops handing events over at `split`).
    const result = await tuneOnPast(flags, { trainEnd: from, testStart: from, testEnd: split }, k);
    choice = { blend: result.picked.weights, defaultStrategy: result.picked.defaultStrategy };
    tuned = {
      validation: { from: day(from), to: day(split), users: result.users, trainEvents: result.trainEvents },
      picked: {
        name: result.picked.name,
        defaultStrategy: result.picked.defaultStrategy,
        blend: weightsString(result.picked.weights),
        validationNdcg: result.picked.metrics.ndcg,
      },
      top: result.ranking.slice(0, 5).map((r) => ({ name: r.name, ndcg: r.metrics.ndcg })),
    };
    progress(`tuned on ${tuned.validation.from}..${tuned.validation.to}: ${tuned.picked.name} (validation NDCG ${tuned.picked.validationNdcg})`);
  }
  const report = await withEvalApp(async (app, cfg) => {
    const rec = app.recommender;
    if (choice) rec.configure(choice.defaultStrategy === 'blend' ? choice : { defaultStrategy: choice.defaultStrategy });
    const split = flags.input ? parseDay(flags.splitDate!, '--split-date') : Infinity;
    const end = flags.testEnd ? parseDay(flags.testEnd, '--test-end') : Infinity;
    const data = await ingest(app, flags, { trainEnd: split, testStart: split, testEnd: end });
    const fitted = await fitModels(app, cfg);
    const users = evalUsers(data.trainSeen, data.testPairs);
    const names = flags.strategies ? flags.strategies.split(',').map((s) => s.trim()) : rec.strategies().map((s) => s.name);
    const strategies = await evaluate(rec, users, names, k, data.trainItems);
    return {
      k,
      users: users.length,
      default: rec.defaultStrategy,
      strategies,
      train: {
        events: data.trainEvents,
        users: data.trainSeen.size,
        items: data.trainItems,
        seconds: Math.round(fitted.trainSeconds(data.startedAt) * 10) / 10,
        alsFitSeconds: fitted.alsFitMs === null ? null : Math.round(fitted.alsFitMs / 100) / 10,
      },
      linesDropped: Object.fromEntries(data.dropped),
      seconds: 0,
    } satisfies EvalReport;
  });
  return { ...report, ...(tuned ? { tuned } : {}), seconds: Math.round((performance.now() - started) / 100) / 10 };
}

/** Validates k and the input flags before any data dir is made; returns k. */
function checkFlags(flags: EvalFlags): number {
  const k = Number(flags.k ?? 10);
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new InputError('--k must be an integer from 1 to 100');
  resolveColumns(flags);
  if (flags.minRating !== undefined) {
    if (flags.format === 'online-retail') throw new InputError('--min-rating applies to rating files (--format csv, tsv or jsonl with a rating column)');
    if (!Number.isFinite(Number(flags.minRating))) throw new InputError('--min-rating must be a number');
  }
  if (flags.input) {
    checkFile(flags.input);
    if (!flags.splitDate) throw new InputError('--input needs --split-date YYYY-MM-DD');
    parseDay(flags.splitDate, '--split-date');
  } else {
    if (!flags.train || !flags.test) throw new InputError('give --input FILE --split-date DATE, or --train FILE --test FILE');
    checkFile(flags.train, '--train');
    checkFile(flags.test, '--test');
    if (flags.tune) throw new InputError('--tune needs --input FILE --split-date DATE (the validation month is carved from before the split)');
  }
  if (flags.validationDate && !flags.tune) throw new InputError('--validation-date goes with --tune');
  return k;
}

/**
 * The tuning stage: a throwaway gateway trained on `w.trainEnd`'s past, every blend candidate (and single
 * strategy) scored on the users of [testStart, testEnd), the best by NDCG@k picked. `flywheel eval --tune`
 * and `flywheel tune` share it.
 */
export async function tuneOnPast(
  flags: EvalFlags,
  w: Window,
  k: number,
  candidates?: Candidate[],
  extra?: (rec: Recommender) => Candidate[],
): Promise<TuneResult & { trainEvents: number }> {
  return withEvalApp(async (app, cfg) => {
    const data = await ingest(app, flags, w);
    await fitModels(app, cfg);
    const rec = app.recommender;
    const users = evalUsers(data.trainSeen, data.testPairs);
    if (users.length === 0)
      throw new InputError(`no validation users between ${day(w.testStart)} and ${day(w.testEnd)} (users with train history and a new item there)`);
    progress(`validation: ${users.length} users, ${data.trainEvents} train events`);
    const all = [...(candidates ?? blendGrid(BLEND_PARTS.filter((p) => p !== 'rp3beta'))), ...(extra ? extra(rec) : [])];
    const result = await tuneBlend(rec, users, k, data.trainItems, all, progress);
    return { ...result, trainEvents: data.trainEvents };
  });
}

/**
 * A throwaway embedded gateway (no snapshots, no anomaly detection: its bot filter would silently drop
 * heavy buyers from the data being scored, no scheduled segment refits competing for the CPU).
 */
async function withEvalApp<T>(fn: (app: Flywheel, cfg: FlywheelConfig) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'flywheel-eval-'));
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
  // it stops, and one fit on the train part is made by fitModels, once, for `segment-popular` and the fallback.
  await app.segments.stop();
  const segments: { service: SegmentService | null } = { service: null };
  segmentsOf.set(app, segments);
  try {
    return await fn(app, cfg);
  } finally {
    await segments.service?.stop();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const segmentsOf = new WeakMap<Flywheel, { service: SegmentService | null }>();

interface Ingested {
  trainSeen: Pairs;
  testPairs: Pairs;
  trainEvents: number;
  trainItems: number;
  startedAt: number;
  /** Input lines that gave no event, by reason. */
  dropped: Drops;
}

/** Lines of an input file that gave no event, by reason: counted while reading, reported with the figures. */
type Drops = Map<string, number>;

function drop(drops: Drops, reason: string): void {
  drops.set(reason, (drops.get(reason) ?? 0) + 1);
}

/** Replays train through the normal tracking path; test events are only read. */
async function ingest(app: Flywheel, flags: EvalFlags, w: Window): Promise<Ingested> {
  const rec = app.recommender;
  // Training is replayed in bulk: re-solving dirty items between batches would be wasted work, so
  // the background refresh waits and the models are fitted once, fully, before the first list.
  rec.setBackgroundRefresh(false);
  const liveBatch = flags.liveModel === undefined || flags.liveModel === false ? undefined : flags.liveModel === true ? 500 : Number(flags.liveModel);
  if (liveBatch !== undefined && !(Number.isInteger(liveBatch) && liveBatch > 0))
    throw new InputError(`--live-model takes a batch size (a positive integer), got ${flags.liveModel}`);
  const trainSeen: Pairs = new Map();
  const testPairs: Pairs = new Map();
  let trainEvents = 0;
  const startedAt = performance.now();
  const dropped: Drops = new Map();
  for await (const { batch, test } of readSplit(flags, w, dropped)) {
    if (test) {
      for (const e of test) if (e.kind === 'interaction' && e.userId) addPair(testPairs, e.userId, e.itemId);
      continue;
    }
    if (batch.length === 0) continue;
    for (const e of batch) if (e.kind === 'interaction' && e.userId) addPair(trainSeen, e.userId, e.itemId);
    trainEvents += batch.length;
    // --live-model: smaller batches, and after each the items it marked are re-solved, as a gateway's background
    // refresh does when it keeps up with the stream.
    const step = liveBatch ?? batch.length;
    for (let i = 0; i < batch.length; i += step) {
      const part = batch.slice(i, i + step);
      const r = await app.tracker.track(part, 'eval');
      if (r.rejected.length > 0) throw new Error(`eval: ${r.rejected.length} train events rejected: ${JSON.stringify(r.rejected[0])}`);
      if (liveBatch !== undefined) rec.model.refreshSome(Infinity);
    }
    if (trainEvents % 50_000 < batch.length) progress(`${trainEvents} train events ingested`);
  }
  progress(`ingested ${trainEvents} train events`);
  const items = new Set<string>();
  for (const s of trainSeen.values()) for (const i of s) items.add(i);
  return { trainSeen, testPairs, trainEvents, trainItems: items.size, startedAt, dropped };
}

/**
 * Fits what the gateway learns in the background, once: the ALS item factors in their worker thread
 * (the path a serving gateway takes) while this thread solves the item-item model, then customer segments
 * of the train part (as of its latest purchase), as the gateway would have them.
 */
async function fitModels(app: Flywheel, cfg: FlywheelConfig): Promise<{ alsFitMs: number | null; trainSeconds: (since: number) => number }> {
  const rec = app.recommender;
  const alsStarted = performance.now();
  const als = rec.als.refit();
  rec.model.refreshSome(Infinity);
  progress(`model solved (${rec.model.solved} items)`);
  const snap = await als;
  const alsFitMs = snap ? snap.fitMs : null;
  if (snap)
    progress(
      `ALS factors fitted in a worker (${snap.items} items, ${Math.round(snap.fitMs)} ms in the worker, ${Math.round(performance.now() - alsStarted)} ms since the start of the fit)`,
    );
  rec.refreshNow(); // nothing left to do unless events arrived meanwhile (none do here)
  const [kMin, kMax] = cfg.FLYWHEEL_SEGMENTS_K_RANGE.split('-').map(Number) as [number, number];
  const service = new SegmentService(app.store, { k: cfg.FLYWHEEL_SEGMENTS_K || undefined, kRange: [kMin, kMax], refitMinutes: 0, bootstrap: false });
  segmentsOf.get(app)!.service = service;
  await service.start();
  try {
    const seg = await service.refit();
    rec.setSegmentSource((userId) => service.topItemsForUser(userId));
    progress(`segments fitted (k=${seg.k}, ${seg.customers} customers, ${Math.round(seg.durationMs)} ms)`);
  } catch (err) {
    // Train data without purchases (e.g. only views or ratings): no segments, segment-popular stays empty.
    if (!(err instanceof NoCustomersError)) throw err;
    progress('no purchases in train: no segments');
  }
  const fittedAt = performance.now();
  return { alsFitMs, trainSeconds: (since) => (fittedAt - since) / 1000 };
}

/** recsys.md: users with >= 1 train interaction and >= 1 test item not interacted with in train. */
function evalUsers(trainSeen: Pairs, testPairs: Pairs): EvalUser[] {
  const users: EvalUser[] = [];
  for (const [user, items] of testPairs) {
    const seen = trainSeen.get(user);
    if (!seen) continue;
    const relevant = new Set([...items].filter((i) => !seen.has(i)));
    if (relevant.size > 0) users.push({ id: user, relevant });
  }
  return users;
}

async function evaluate(
  rec: Recommender,
  users: readonly EvalUser[],
  names: readonly string[],
  k: number,
  trainItems: number,
): Promise<Record<string, Metrics>> {
  const strategies: Record<string, Metrics> = {};
  for (const name of names) {
    const acc = new MetricsAccumulator(k);
    for (const u of users) {
      const list = await rec.recommend({ userId: u.id, first: k, strategy: name });
      acc.add(
        list.map((r) => r.itemId),
        u.relevant,
      );
    }
    strategies[name] = acc.result(trainItems);
    progress(`evaluated ${name}`);
  }
  return strategies;
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

/**
 * Yields train batches (to ingest: events before `w.trainEnd`) and test batches (only read: events in
 * [testStart, testEnd)), from one file split by date or two files. Events outside both are never yielded.
 */
async function* readSplit(flags: EvalFlags, w: Window, drops: Drops): AsyncGenerator<{ batch: FlywheelEvent[]; test?: FlywheelEvent[] }> {
  if (flags.input) {
    const source = flags.format === 'online-retail' ? onlineRetailPurchases(flags.input, drops) : tabularEvents(flags.input, flags, drops);
    let train: FlywheelEvent[] = [];
    let test: FlywheelEvent[] = [];
    for await (const events of source) {
      for (const e of events) {
        if (e.timestamp < w.trainEnd) train.push(e);
        else if (e.kind === 'interaction' && e.timestamp >= w.testStart && e.timestamp < w.testEnd) test.push(e);
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
  for await (const batch of tabularEvents(flags.train!, flags, drops)) yield { batch };
  for await (const batch of tabularEvents(flags.test!, flags, drops)) yield { batch: [], test: batch };
}

/**
 * CSV / TSV / JSON lines through the importer's mapping (src/import/tabular.ts), in batches. With
 * --min-rating, a row is kept only when its rating column is at least that (explicit ratings become
 * implicit positives; rows without a rating are dropped).
 */
async function* tabularEvents(file: string, flags: EvalFlags, drops: Drops): AsyncGenerator<FlywheelEvent[]> {
  const min = flags.minRating === undefined ? null : Number(flags.minRating);
  const columns = columnsOf(flags);
  if (min !== null && columns && !columns.includes('rating')) throw new InputError('--min-rating needs a rating column (--columns ...,rating,...)');
  const mapper = new TabularMapper();
  let out: FlywheelEvent[] = [];
  for await (const { record, lineNo } of readRecords(file, { format: flags.format as FileFormat, header: flags.header, ...(columns ? { columns } : {}) })) {
    if ('__error' in record) {
      drop(drops, 'malformed');
      continue;
    }
    if (min !== null) {
      const r = Number(record.rating);
      if (record.rating === undefined || record.rating.trim() === '' || !(r >= min)) {
        drop(drops, 'below --min-rating');
        continue;
      }
    }
    const outcome = mapper.map(record, lineNo);
    if (outcome.kind === 'events') out.push(...outcome.events);
    else drop(drops, outcome.reason);
    if (out.length >= 5000) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

function columnsOf(flags: EvalFlags): string[] | undefined {
  return resolveColumns(flags);
}

function day(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** The same day of the previous calendar month (2011-09-01 -> 2011-08-01). */
function monthBefore(t: number): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, d.getUTCDate());
}

export function parseDay(s: string, flag: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new InputError(`${flag} must be YYYY-MM-DD`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
}

/** The importer's online-retail cleaning, except that fee pseudo-item purchases are kept (see above). */
async function* onlineRetailPurchases(file: string, drops: Drops): AsyncGenerator<FlywheelEvent[]> {
  const mapper = new OnlineRetailMapper({ keepFeeItems: true });
  let out: FlywheelEvent[] = [];
  for await (const { record } of readRecords(file, { format: 'csv', header: true })) {
    const outcome = mapper.map(record as unknown as OnlineRetailRow);
    if (outcome.kind === 'events') out.push(...outcome.events);
    else if (outcome.kind === 'dropped') drop(drops, outcome.reason);
    if (out.length >= 5000) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

export function printEval(report: EvalReport, json: boolean): void {
  if (json) {
    const { k, users, strategies, tuned, train, linesDropped } = report;
    console.log(
      JSON.stringify({ k, users, default: report.default, ...(tuned ? { tuned } : {}), strategies, alsFitSeconds: train.alsFitSeconds, linesDropped }),
    );
    return;
  }
  if (report.tuned) {
    const t = report.tuned;
    console.log(
      `tuned on ${t.validation.from}..${t.validation.to} (${t.validation.users} validation users, train before ${t.validation.from}): picked ${t.picked.name} (validation NDCG ${t.picked.validationNdcg.toFixed(4)}); served as ${t.picked.defaultStrategy === 'blend' ? `blend = ${t.picked.blend}` : t.picked.defaultStrategy}`,
    );
  }
  console.log(
    `k=${report.k}, ${report.users} test users; train ${report.train.events} events, ${report.train.users} users, ${report.train.items} items (ingested and fitted in ${report.train.seconds} s; ALS fit ${report.train.alsFitSeconds ?? '-'} s); total ${report.seconds} s`,
  );
  const dropped = Object.entries(report.linesDropped);
  if (dropped.length > 0) {
    const total = dropped.reduce((n, [, c]) => n + c, 0);
    console.log(`lines not used: ${total} (${dropped.map(([reason, c]) => `${reason} ${c}`).join(', ')})`);
  }
  console.log('strategy        precision  recall   ndcg     map      coverage');
  for (const [name, m] of Object.entries(report.strategies)) {
    const mark = name === report.default ? '*' : ' ';
    console.log(
      `${mark}${name.padEnd(15)} ${m.precision.toFixed(4)}     ${m.recall.toFixed(4)}   ${m.ndcg.toFixed(4)}   ${m.map.toFixed(4)}   ${m.coverage.toFixed(3)}`,
    );
  }
  console.log('* = served by default');
}
