import { readdirSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { createFlywheel, type Flywheel } from '../app/flywheel';
import type { FlywheelConfig } from '../config/config';
import { emptyImportReport, importFile, importVerdict, type ImportReport } from '../import/importer';
import { readRecords, type FileFormat } from '../import/read-records';
import { InputError } from '../import/input-error';
import { DataDirLockedError } from '../util/data-dir-lock';
import { createLogger } from '../observability/logger';
import { CliFailure } from './cli-error';
import { resolveInput, type InputFlags, type InputSpec } from './input-options';

export interface ImportFlags extends InputFlags {
  json?: boolean;
}

/**
 * `flywheel import FILE`: the file's events through the normal tracking path into the data dir.
 *
 * Fails (non-zero exit, top reasons printed) when the file cannot be read or most of its lines were
 * refused; a failed import that stored nothing removes what it created in the data dir (the dir itself,
 * the log files), never anything that was there before.
 */
export async function runImport(cfg: FlywheelConfig, file: string | undefined, flags: ImportFlags): Promise<void> {
  const input = resolveInput(flags, file);
  // Read the first record before anything is opened: a corrupt or binary file fails here, touching nothing.
  await firstRecord(input);
  const embedded = cfg.FLYWHEEL_EVENTS === 'embedded';
  const before = embedded ? entriesOf(cfg.dataDir) : null;
  const report = emptyImportReport();
  let app: Flywheel | null = null;
  let failed = true;
  try {
    app = await createFlywheel(cfg, createLogger(cfg.LOG_LEVEL, 'flywheel', cfg.FLYWHEEL_LOG_FORMAT), { mode: 'import' });
    const bar = process.stderr.isTTY
      ? new SingleBar({ format: 'importing [{bar}] {percentage}% | {value}/{total} MB | eta {eta}s', stream: process.stderr }, Presets.shades_classic)
      : null;
    let started = false;
    try {
      await importFile(
        app.tracker,
        input.file,
        {
          format: input.format,
          columns: input.columns,
          header: input.header,
          onProgress: (read, total) => {
            if (!bar) return;
            if (!started) {
              bar.start(Math.max(1, Math.round(total / 1e5) / 10), 0);
              started = true;
            }
            bar.update(Math.round(read / 1e5) / 10);
          },
        },
        report,
      );
    } finally {
      bar?.stop();
    }
    // Orders still open at the end of the file are judged now, as `flywheel anomalies` does at its end.
    app.anomalies.flushOpen();
    await app.anomalies.idle();
    const stats = await app.store.stats();
    printReport(input.file, report, stats, flags.json === true);
    const verdict = importVerdict(report);
    if (!verdict.ok) {
      const reasons = verdict.top.map(([r, n]) => `${n} x ${r}`).join('; ');
      throw new CliFailure(
        `import of ${input.file} refused ${verdict.refused} of ${report.lines} lines (${report.accepted - report.duplicates} events stored); top reasons: ${reasons || 'empty file'}. Check --format, --columns and --no-header`,
        1,
      );
    }
    failed = false;
  } catch (err) {
    // Another process holds the data dir: whatever changes in it is theirs, never clean up.
    if (err instanceof DataDirLockedError) failed = false;
    const stored = report.accepted - report.duplicates;
    if (err instanceof InputError && stored > 0)
      throw new InputError(`${err.message} (after ${stored} events of its first ${report.lines} lines were stored; importing the file again skips them)`);
    throw err;
  } finally {
    await app?.close();
    if (failed && embedded && report.accepted - report.duplicates === 0) removeCreated(cfg.dataDir, before);
  }
}

async function firstRecord(input: InputSpec): Promise<void> {
  const retail = input.format === 'online-retail';
  const it = readRecords(input.file, { format: retail ? 'csv' : (input.format as FileFormat), header: retail || input.header, columns: input.columns })[
    Symbol.asyncIterator
  ]();
  try {
    await it.next();
  } finally {
    await it.return?.(undefined);
  }
}

/** The data dir's entries, or null when the dir does not exist yet. */
function entriesOf(dir: string): Set<string> | null {
  return existsSync(dir) ? new Set(readdirSync(dir)) : null;
}

/** Removes what appeared in `dir` since `before` (the whole dir if it did not exist). */
function removeCreated(dir: string, before: Set<string> | null): void {
  if (!existsSync(dir)) return;
  if (before === null) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  for (const name of readdirSync(dir)) if (!before.has(name)) rmSync(path.join(dir, name), { recursive: true, force: true });
}

function printReport(file: string, report: ImportReport, stats: { users: number; items: number; edges: number }, json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ ...report, graph: stats }));
    return;
  }
  const dropped = Object.entries(report.dropped).sort((a, b) => b[1] - a[1]);
  const rejected = Object.entries(report.rejectedReasons).sort((a, b) => b[1] - a[1]);
  console.log(`imported ${file} in ${report.seconds.toFixed(1)} s`);
  console.log(`  lines read        ${report.lines}`);
  console.log(`  events stored     ${report.accepted - report.duplicates}  (${report.duplicates} already present)`);
  console.log(`  events rejected   ${report.rejected}  (see the deadLetters query)`);
  for (const [reason, n] of rejected.slice(0, 5)) console.log(`    ${String(n).padStart(8)}  ${reason}`);
  console.log(
    `  lines dropped     ${dropped.reduce((s, [, n]) => s + n, 0)}  (dead letters too, within the importer's quota: FLYWHEEL_DEAD_LETTER_QUOTA an hour)`,
  );
  for (const [reason, n] of dropped) console.log(`    ${String(n).padStart(8)}  ${reason}`);
  console.log(`  graph now         ${stats.users} users, ${stats.items} items, ${stats.edges} edges`);
}
