import { replayAnomaliesAsync, type AnomalyConfigInput, type AnomalyInput, type ReplayResult } from '../anomaly';
import { ANOMALY_KINDS, SEVERITIES } from '../anomaly/types';
import { anomalyConfigFromEnv } from '../config/anomaly-settings';
import { parseAnomalyConfigJson } from '../anomaly/config';
import { InputError } from '../import/input-error';
import { loadConfig } from '../config/config';
import { OnlineRetailMapper, type OnlineRetailRow } from '../import/online-retail';
import { readEventBatches, type ImportFormat } from '../import/importer';
import { readRecords } from '../import/read-records';
import { resolveInput, type InputFlags, type InputSpec } from './input-options';

/**
 * `flywheel anomalies --input FILE --format online-retail [--json]`: replays the streaming detectors over a
 * file (no data dir, no gateway) and prints what they flag: counts by kind and severity, the top findings
 * per kind, and (with --json) every finding.
 *
 * Online Retail: cancellations (`C` invoices) are kept as REMOVE_FROM_CART with quantity |Quantity| and the
 * invoice as order id, so a huge order and its cancellation are both judged; fee pseudo-items (POST, M,
 * AMAZONFEE, ...) are kept too (their prices are where the grossest price oddities are) unless --no-fees.
 */
export interface AnomaliesFlags extends InputFlags {
  json?: boolean;
  fees: boolean;
  top: string;
  maxFindings: string;
  config?: string;
}

export interface AnomaliesReport extends Omit<ReplayResult, 'byKind'> {
  file: string;
  format: ImportFormat;
  lines: number;
  dropped: Record<string, number>;
  bySeverity: Record<string, number>;
  byKind: ReplayResult['byKind'];
}

export async function replayFile(file: string, flags: Omit<AnomaliesFlags, 'input' | 'json'>): Promise<AnomaliesReport> {
  const input = resolveInput(flags, file);
  const top = intFlag('--top', flags.top, 0, 1000);
  const maxFindings = intFlag('--max-findings', flags.maxFindings, 0, 10_000_000);
  // The gateway's own detector settings (defaults of src/anomaly/config.ts, FLYWHEEL_ANOMALY_* variables): the same file is judged the same way here
  // and after `flywheel import` (an invoice's lines, sharing one instant, count as one checkout in both).
  let config: AnomalyConfigInput = anomalyConfigFromEnv(loadConfig(process.env));
  if (flags.config) {
    let extra: AnomalyConfigInput;
    try {
      extra = parseAnomalyConfigJson(flags.config);
    } catch (err) {
      throw new InputError(`--config: ${(err as Error).message}`);
    }
    config = mergeConfig(config, extra);
  }
  const dropped: Record<string, number> = {};
  const counters = { lines: 0 };
  const events = input.format === 'online-retail' ? onlineRetailEvents(file, flags.fees, dropped, counters) : tabularEvents(input, dropped, counters);
  const result = await replayAnomaliesAsync(events, { config, topN: top, maxFindings });
  const bySeverity: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const k of ANOMALY_KINDS) for (const s of SEVERITIES) bySeverity[s]! += result.byKind[k].bySeverity[s];
  return { file, format: flags.format, lines: counters.lines, dropped, ...result, bySeverity };
}

async function* onlineRetailEvents(file: string, fees: boolean, dropped: Record<string, number>, counters: { lines: number }): AsyncGenerator<AnomalyInput> {
  const mapper = new OnlineRetailMapper({ keepCancellations: true, keepFeeItems: fees });
  for await (const { record } of readRecords(file, { format: 'csv', header: true })) {
    counters.lines++;
    if ('__error' in record) {
      dropped.malformed = (dropped.malformed ?? 0) + 1;
      continue;
    }
    const outcome = mapper.map(record as unknown as OnlineRetailRow);
    if (outcome.kind === 'dropped') {
      dropped[outcome.reason] = (dropped[outcome.reason] ?? 0) + 1;
      continue;
    }
    for (const e of outcome.events) if (e.kind === 'interaction') yield outcome.orderId !== undefined ? { ...e, orderId: outcome.orderId } : e;
  }
}

async function* tabularEvents(input: InputSpec, dropped: Record<string, number>, counters: { lines: number }): AsyncGenerator<AnomalyInput> {
  for await (const batch of readEventBatches(input.file, input, dropped, counters)) {
    for (const e of batch) if (e.kind === 'interaction') yield e;
  }
}

export async function runAnomalies(flags: AnomaliesFlags, file?: string): Promise<void> {
  const report = await replayFile(resolveInput(flags, file).file, flags);
  if (flags.json) {
    console.log(JSON.stringify(report));
    return;
  }
  const fmtDate = (t: number | null) => (t === null ? '-' : new Date(t).toISOString().slice(0, 16).replace('T', ' '));
  console.log(
    `replayed ${report.file} (${report.format}): ${report.lines} lines, ${report.events} events, ${fmtDate(report.firstEventAt)} .. ${fmtDate(report.lastEventAt)}`,
  );
  console.log(
    `  ${report.totalFindings} findings (${report.findingsPer10k.toFixed(2)} per 10,000 events)  ${SEVERITIES.map((s) => `${s} ${report.bySeverity[s]}`).join('  ')}`,
  );
  const dropped = Object.entries(report.dropped).sort((a, b) => b[1] - a[1]);
  if (dropped.length > 0) console.log(`  lines dropped: ${dropped.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  for (const kind of ANOMALY_KINDS) {
    const s = report.byKind[kind];
    console.log(`\n${kind.padEnd(20)} ${String(s.count).padStart(6)}   ${SEVERITIES.map((v) => `${v} ${s.bySeverity[v]}`).join('  ')}`);
    for (const f of s.top) console.log(`  ${f.severity.padEnd(8)} ${fmtDate(f.detectedAt)}  ${f.message}`);
  }
  if (report.flaggedBots.length > 0)
    console.log(`\nflagged bots: ${report.flaggedBots.slice(0, 50).join(', ')}${report.flaggedBots.length > 50 ? ', ...' : ''}`);
  console.log(`\n${Math.round(report.eventsPerSecond)} events/s`);
}

function intFlag(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got ${raw}`);
  return n;
}

function mergeConfig(a: AnomalyConfigInput, b: AnomalyConfigInput): AnomalyConfigInput {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' ? { ...prev, ...v } : v;
  }
  return out as AnomalyConfigInput;
}
