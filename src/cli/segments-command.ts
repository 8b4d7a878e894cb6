import { MemoryGraph } from '../graph/embedded/memory-graph';
import { readEventBatches } from '../import/importer';
import { InputError } from '../import/input-error';
import { resolveInput, type InputFlags } from './input-options';
import { ActivityColumnsBuilder } from '../segments/columns';
import { fitSegmentsFromColumns } from '../segments/model';

/**
 * `flywheel segments`: segments customers of a file without a gateway. The file's events (cleaned exactly
 * as `import` does, only those before --until) go into an in-memory graph, and the features come from that
 * graph through the same code the gateway's SegmentService uses (graph-features.ts), so the result is what
 * the gateway would compute on the same data.
 */
export interface SegmentsFlags extends InputFlags {
  until?: string;
  k?: string;
  kRange?: string;
  seed?: string;
  members?: boolean;
  json?: boolean;
}

export interface SegmentsReport {
  k: number;
  silhouette: number;
  segments: {
    id: string;
    name: string;
    size: number;
    recency: number;
    frequency: number;
    monetary: number;
    averageOrderValue: number;
    /** Next-period buy rate by backtest (buy-rate.ts): customers placed here one period before the fit who ordered again; null for none. */
    nextPeriodBuyRate: number | null;
  }[];
  members?: Record<string, string>;
}

export function parseDay(flag: string, v: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) : Number.NaN;
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== v) throw new Error(`${flag} must be a date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return t;
}

function parseIntFlag(flag: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new Error(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

export async function computeSegments(
  flags: SegmentsFlags,
  file?: string,
): Promise<SegmentsReport & { customers: number; asOf: number; dropped: Record<string, number> }> {
  const input = resolveInput(flags, file);
  const until = flags.until !== undefined ? parseDay('--until', flags.until) : undefined;
  const k = flags.k !== undefined ? parseIntFlag('--k', flags.k, 1, 50) : undefined;
  let kRange: [number, number] | undefined;
  if (flags.kRange !== undefined) {
    const m = /^(\d{1,2})-(\d{1,2})$/.exec(flags.kRange);
    if (!m || +m[1]! < 1 || +m[1]! > +m[2]!) throw new Error(`--k-range must be MIN-MAX, e.g. 3-6, got ${JSON.stringify(flags.kRange)}`);
    kRange = [+m[1]!, +m[2]!];
  }
  const seed = flags.seed !== undefined ? parseIntFlag('--seed', flags.seed, 0, 2 ** 31 - 1) : undefined;

  const graph = new MemoryGraph();
  const dropped: Record<string, number> = {};
  for await (const batch of readEventBatches(input.file, { ...input, until }, dropped)) graph.applySync(batch);

  // The same columnar path as the gateway's refit worker (columns.ts), in canonical (user id) order.
  const columns = new ActivityColumnsBuilder();
  for await (const b of graph.scanPurchaseActivity()) columns.add(b);
  if (columns.latest === 0) {
    const top = Object.entries(dropped)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([r, n]) => `${n} x ${r}`)
      .join('; ');
    throw new InputError(
      `no customer with a purchase in ${input.file}${until !== undefined ? ' before --until' : ''}: segments need user, item and timestamp columns (and quantity, price for spend)` +
        `${top ? `; lines dropped: ${top}` : ''}; check --format, --columns and --no-header`,
    );
  }
  const asOf = until ?? columns.latest;
  const cols = columns.build(asOf);
  const { model } = fitSegmentsFromColumns(
    cols,
    { asOf, ...(k !== undefined ? { k } : {}), ...(kRange ? { kRange } : {}), ...(seed !== undefined ? { seed } : {}) },
    columns.rowCount - cols.n,
  );
  const report: SegmentsReport & { customers: number; asOf: number; dropped: Record<string, number> } = {
    k: model.k,
    silhouette: round(model.silhouette, 4),
    segments: model.segments.map((s) => ({
      id: s.id,
      name: s.name,
      size: s.size,
      recency: round(s.centroid.recency, 2),
      frequency: round(s.centroid.frequency, 2),
      monetary: round(s.centroid.monetary, 2),
      averageOrderValue: round(s.averageOrderValue, 2),
      nextPeriodBuyRate: rateOf(model.nextPeriod?.bySegment[s.id]),
    })),
    customers: model.customers,
    asOf,
    dropped,
  };
  if (flags.members) report.members = Object.fromEntries(model.members);
  return report;
}

function rateOf(line: { customers: number; buyers: number } | undefined): number | null {
  return line ? round(line.buyers / line.customers, 4) : null;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export async function runSegments(flags: SegmentsFlags, file?: string): Promise<void> {
  const r = await computeSegments(flags, file);
  if (flags.json) {
    const out: SegmentsReport = { k: r.k, silhouette: r.silhouette, segments: r.segments, ...(r.members ? { members: r.members } : {}) };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  console.log(`${r.customers} customers, as of ${new Date(r.asOf).toISOString()}; k = ${r.k}, silhouette ${r.silhouette.toFixed(3)}`);
  console.log(
    `  ${'id'.padEnd(8)} ${'segment'.padEnd(20)} ${'size'.padStart(7)} ${'recency d'.padStart(10)} ${'orders'.padStart(7)} ${'spend'.padStart(10)} ${'AOV'.padStart(8)} ${'buy rate 30d'.padStart(12)}`,
  );
  for (const s of r.segments) {
    console.log(
      `  ${s.id.padEnd(8)} ${s.name.padEnd(20)} ${String(s.size).padStart(7)} ${s.recency.toFixed(0).padStart(10)} ${s.frequency.toFixed(0).padStart(7)} ${s.monetary.toFixed(0).padStart(10)} ${s.averageOrderValue.toFixed(0).padStart(8)} ${(s.nextPeriodBuyRate === null ? '-' : `${(100 * s.nextPeriodBuyRate).toFixed(1)} %`).padStart(12)}`,
    );
  }
  if (r.members) for (const [u, s] of Object.entries(r.members)) console.log(`${u}\t${s}`);
}
