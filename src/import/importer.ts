import type { FlywheelEvent } from '../events/event';
import type { DeadLetter } from '../event-log/event-log';
import type { EventTracker } from '../ingest/tracker';
import { OnlineRetailMapper, type OnlineRetailRow } from './online-retail';
import { readRecords, type FileFormat } from './read-records';
import { TabularMapper } from './tabular';

/**
 * Imports a file through the normal tracking path (validate -> log -> ingestion -> graph), in batches,
 * and reports what it kept and what it dropped, per reason.
 */
export type ImportFormat = 'online-retail' | FileFormat;

export interface ImportOptions {
  format: ImportFormat;
  columns?: string[];
  header?: boolean;
  batchSize?: number;
  /** Only lines whose event time is before this (ms); for train/test splits. */
  until?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Each line the reader refuses (not the lines --until leaves out), with its number and what was read. */
  onRefused?: (refused: RefusedLine) => void;
}

/** A line the reader could not turn into events. */
export interface RefusedLine {
  lineNo: number;
  reason: string;
  detail?: string;
  record: unknown;
}

export interface ImportReport {
  lines: number;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Lines the mapping could not use, per reason (cleaning rules, missing columns, unparseable values). */
  dropped: Record<string, number>;
  /** Events the event contract refused (src/events/validate.ts), per reason; they are dead-lettered. */
  rejectedReasons: Record<string, number>;
  seconds: number;
}

/**
 * An import fails when most of its lines were refused (dropped by the mapping or rejected by validation)
 * or nothing at all was usable: exit non-zero with the top reasons, rather than "0 events stored", exit 0.
 */
export const MAX_REFUSED_SHARE = 0.5;

/** Refused lines held for the dead-letter store between two batches. */
const MAX_PENDING_REFUSED = 1000;

export function importVerdict(report: ImportReport): { ok: true } | { ok: false; refused: number; top: [string, number][] } {
  const reasons: Record<string, number> = { ...report.dropped };
  for (const [r, n] of Object.entries(report.rejectedReasons)) reasons[r] = (reasons[r] ?? 0) + n;
  const refused = Object.values(reasons).reduce((a, b) => a + b, 0);
  if (report.accepted > 0 && refused <= report.lines * MAX_REFUSED_SHARE) return { ok: true };
  return {
    ok: false,
    refused,
    top: Object.entries(reasons)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5),
  };
}

/** Streams a file's events (already mapped and cleaned) in batches; counts drops in `dropped`. */
export async function* readEventBatches(
  file: string,
  options: ImportOptions,
  dropped: Record<string, number>,
  counters: { lines: number } = { lines: 0 },
): AsyncGenerator<FlywheelEvent[]> {
  const batchSize = options.batchSize ?? 5000;
  const drop = (reason: string) => (dropped[reason] = (dropped[reason] ?? 0) + 1);
  let batch: FlywheelEvent[] = [];
  const isOnlineRetail = options.format === 'online-retail';
  const retail = new OnlineRetailMapper();
  const tabular = new TabularMapper();
  const records = readRecords(file, {
    format: isOnlineRetail ? 'csv' : (options.format as FileFormat),
    header: isOnlineRetail ? true : (options.header ?? true),
    columns: options.columns,
    onProgress: options.onProgress,
  });
  for await (const { record, lineNo } of records) {
    counters.lines++;
    if ('__error' in record) {
      drop('malformed');
      options.onRefused?.({ lineNo, reason: 'malformed', detail: String(record.__error), record });
      continue;
    }
    const outcome = isOnlineRetail ? retail.map(record as unknown as OnlineRetailRow) : tabular.map(record, lineNo);
    if (outcome.kind === 'dropped') {
      drop(outcome.reason);
      const detail = 'detail' in outcome ? (outcome.detail as string | undefined) : undefined;
      options.onRefused?.({ lineNo, reason: outcome.reason, ...(detail ? { detail } : {}), record });
      continue;
    }
    const interaction = outcome.events[outcome.events.length - 1]!;
    if (options.until !== undefined && interaction.timestamp >= options.until) {
      drop('after --until');
      continue;
    }
    batch.push(...outcome.events);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export function emptyImportReport(): ImportReport {
  return { lines: 0, events: 0, accepted: 0, duplicates: 0, rejected: 0, dropped: {}, rejectedReasons: {}, seconds: 0 };
}

/** Fills `report` as it goes, so a caller still knows what was stored when the file fails half-way. */
export async function importFile(
  tracker: EventTracker,
  file: string,
  options: ImportOptions,
  report: ImportReport = emptyImportReport(),
): Promise<ImportReport> {
  const started = performance.now();
  const counters = { lines: 0 };
  const source = `import:${file}`;
  // Lines the reader refuses become dead letters too (within the importer's quota), with their reason and
  // line number: the report counts them, the dead letters keep what the lines said.
  // Held until the next batch is sent, at most MAX_PENDING_REFUSED of them (a file of nothing but bad lines
  // must not pile up in memory; the importer's dead-letter quota would not keep more than that anyway).
  let refused: DeadLetter[] = [];
  const refuse = (r: RefusedLine) =>
    refused.length < MAX_PENDING_REFUSED &&
    // The reason is the drop's category (what the console counts by); what exactly was wrong stays beside the line.
    refused.push({ source: `${source}:${r.lineNo}`, reason: r.reason, raw: { line: r.lineNo, ...(r.detail ? { detail: r.detail } : {}), record: r.record } });
  const flushRefused = async () => {
    if (refused.length === 0) return;
    const entries = refused;
    refused = [];
    await tracker.refuse(entries, source);
  };
  try {
    for await (const batch of readEventBatches(file, { ...options, onRefused: refuse }, report.dropped, counters)) {
      await flushRefused();
      const result = await tracker.track(batch, source);
      report.events += batch.length;
      report.accepted += result.accepted;
      report.duplicates += result.duplicates;
      report.rejected += result.rejected.length;
      for (const r of result.rejected) report.rejectedReasons[r.reason] = (report.rejectedReasons[r.reason] ?? 0) + 1;
    }
    await flushRefused();
  } finally {
    report.lines = counters.lines;
    report.seconds = (performance.now() - started) / 1000;
  }
  return report;
}
