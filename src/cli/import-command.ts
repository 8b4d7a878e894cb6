import { existsSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { createFlywheel } from '../app/flywheel';
import type { FlywheelConfig } from '../config/config';
import { importFile, type ImportFormat } from '../import/importer';
import { parseColumns } from '../import/tabular';
import { createLogger } from '../observability/logger';

export async function runImport(cfg: FlywheelConfig, file: string, flags: { format: ImportFormat; columns?: string; header: boolean; json?: boolean }): Promise<void> {
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const columns = flags.columns ? parseColumns(flags.columns) : undefined;
  if (!flags.header && !columns && flags.format !== 'jsonl') throw new Error('--no-header needs --columns');
  const app = await createFlywheel(cfg, createLogger(cfg.LOG_LEVEL), { mode: 'import' });
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'importing [{bar}] {percentage}% | {value}/{total} MB | eta {eta}s', stream: process.stderr }, Presets.shades_classic) : null;
  let started = false;
  try {
    const report = await importFile(app.tracker, file, {
      format: flags.format,
      columns,
      header: flags.header,
      onProgress: (read, total) => {
        if (!bar) return;
        if (!started) {
          bar.start(Math.max(1, Math.round(total / 1e5) / 10), 0);
          started = true;
        }
        bar.update(Math.round(read / 1e5) / 10);
      },
    });
    bar?.stop();
    const stats = await app.store.stats();
    if (flags.json) {
      console.log(JSON.stringify({ ...report, graph: stats }));
    } else {
      const dropped = Object.entries(report.dropped).sort((a, b) => b[1] - a[1]);
      console.log(`imported ${file} in ${report.seconds.toFixed(1)} s`);
      console.log(`  lines read        ${report.lines}`);
      console.log(`  events stored     ${report.accepted - report.duplicates}  (${report.duplicates} already present)`);
      console.log(`  events rejected   ${report.rejected}  (see the deadLetters query)`);
      console.log(`  lines dropped     ${dropped.reduce((s, [, n]) => s + n, 0)}`);
      for (const [reason, n] of dropped) console.log(`    ${reason.padEnd(24)} ${n}`);
      console.log(`  graph now         ${stats.users} users, ${stats.items} items, ${stats.edges} edges`);
    }
  } finally {
    bar?.stop();
    await app.close();
  }
}
