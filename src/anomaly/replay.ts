/**
 * Replay a stream of interaction events through an AnomalyDetector and summarise the findings by kind
 * (used by `flywheel anomalies --input FILE --format online-retail --json`).
 */
import type { AnomalyConfigInput } from './config.js';
import { AnomalyDetector } from './detector.js';
import { ANOMALY_KINDS, type AnomalyFinding, type AnomalyInput, type AnomalyKind, type Severity } from './types.js';

export interface ReplayOptions {
  config?: AnomalyConfigInput;
  /** Top findings kept per kind (by severity, then score). Default 10. */
  topN?: number;
  /** Keep every finding in `findings` (up to this many; default 10,000; 0 keeps none). */
  maxFindings?: number;
  /** Called with every finding as it is produced. */
  onFinding?: (f: AnomalyFinding) => void;
}

export interface KindSummary {
  count: number;
  bySeverity: Record<Severity, number>;
  top: AnomalyFinding[];
}

export interface ReplayResult {
  events: number;
  duplicates: number;
  totalFindings: number;
  /** Findings per 10,000 events. */
  findingsPer10k: number;
  byKind: Record<AnomalyKind, KindSummary>;
  findings: AnomalyFinding[];
  /** True when `findings` was cut at maxFindings. */
  findingsTruncated: boolean;
  flaggedBots: string[];
  firstEventAt: number | null;
  lastEventAt: number | null;
  elapsedMs: number;
  eventsPerSecond: number;
}

class ReplayCollector {
  readonly detector: AnomalyDetector;
  private readonly topN: number;
  private readonly maxFindings: number;
  private readonly byKind: Record<AnomalyKind, KindSummary>;
  private readonly findings: AnomalyFinding[] = [];
  private truncated = false;
  private total = 0;
  private first: number | null = null;
  private last: number | null = null;
  private readonly started = performance.now();

  constructor(private readonly opts: ReplayOptions) {
    this.detector = new AnomalyDetector(opts.config);
    this.topN = opts.topN ?? 10;
    this.maxFindings = opts.maxFindings ?? 10_000;
    this.byKind = Object.fromEntries(
      ANOMALY_KINDS.map((k) => [k, { count: 0, bySeverity: { INFO: 0, WARNING: 0, CRITICAL: 0 }, top: [] }]),
    ) as unknown as Record<AnomalyKind, KindSummary>;
  }

  add(e: AnomalyInput): void {
    if (this.first === null || e.timestamp < this.first) this.first = e.timestamp;
    if (this.last === null || e.timestamp > this.last) this.last = e.timestamp;
    this.record(this.detector.observe(e));
  }

  record(fs: AnomalyFinding[]): void {
    for (const f of fs) {
      this.total++;
      const s = this.byKind[f.kind];
      s.count++;
      s.bySeverity[f.severity]++;
      insertTop(s.top, f, this.topN);
      if (this.findings.length < this.maxFindings) this.findings.push(f);
      else this.truncated = true;
      this.opts.onFinding?.(f);
    }
  }

  finish(): ReplayResult {
    this.record(this.detector.flush());
    const elapsedMs = performance.now() - this.started;
    const st = this.detector.stats();
    return {
      events: st.events,
      duplicates: st.duplicates,
      totalFindings: this.total,
      findingsPer10k: st.events > 0 ? (this.total * 10_000) / st.events : 0,
      byKind: this.byKind,
      findings: this.findings,
      findingsTruncated: this.truncated,
      flaggedBots: this.detector.flaggedBots(-Infinity),
      firstEventAt: this.first,
      lastEventAt: this.last,
      elapsedMs,
      eventsPerSecond: elapsedMs > 0 ? (st.events * 1000) / elapsedMs : 0,
    };
  }
}

const SEVERITY_RANK: Record<Severity, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

function rank(a: AnomalyFinding, b: AnomalyFinding): number {
  return SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.score - a.score;
}

function insertTop(top: AnomalyFinding[], f: AnomalyFinding, n: number): void {
  if (n <= 0) return;
  if (top.length === n && rank(f, top[n - 1]!) >= 0) return;
  let i = top.length;
  while (i > 0 && rank(f, top[i - 1]!) < 0) i--;
  top.splice(i, 0, f);
  if (top.length > n) top.pop();
}

/** Replay events (synchronously) and return findings grouped by kind with counts. */
export function replayAnomalies(events: Iterable<AnomalyInput>, opts: ReplayOptions = {}): ReplayResult {
  const c = new ReplayCollector(opts);
  for (const e of events) c.add(e);
  return c.finish();
}

/** Same as replayAnomalies for an async source (e.g. a streaming CSV parser). */
export async function replayAnomaliesAsync(events: AsyncIterable<AnomalyInput> | Iterable<AnomalyInput>, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const c = new ReplayCollector(opts);
  for await (const e of events) c.add(e);
  return c.finish();
}
