/**
 * In-memory storage of anomaly findings for the embedded graph (MemoryGraph delegates to it): records by id,
 * in insertion order (newest first for listings), with per-user and per-item links so `User.anomalies` and
 * `Item.anomalies` are index reads. Bounded: past `maxRecords` the oldest records are dropped.
 * Dumped into / loaded from the graph snapshot.
 */
import type { AnomalyCountQuery, AnomalyCountRow, AnomalyPage, AnomalyQuery, AnomalyRecord } from './graph-store';

const DAY_MS = 86_400_000;

export const SEVERITY_RANK: Record<AnomalyRecord['severity'], number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

interface Stored {
  seq: number;
  rec: AnomalyRecord;
}

/** What the snapshot carries (optional fields of the format-1 snapshot). */
export interface AnomalyTableDump {
  nextSeq: number;
  records: [seq: number, record: AnomalyRecord][];
  excludedActors: string[];
}

export class AnomalyTable {
  private readonly byId = new Map<string, Stored>();
  /** Insertion order; entries of dropped records are removed lazily (compaction). */
  private order: Stored[] = [];
  private head = 0;
  private readonly byUser = new Map<string, Set<string>>();
  private readonly byItem = new Map<string, Set<string>>();
  private nextSeq = 1;
  /** True when something changed since the last dump (acknowledgements do not move the log position). */
  dirty = false;

  constructor(readonly maxRecords = 100_000) {}

  get size(): number {
    return this.byId.size;
  }

  put(records: readonly AnomalyRecord[]): AnomalyRecord[] {
    const added: AnomalyRecord[] = [];
    for (const r of records) {
      if (this.byId.has(r.id)) continue;
      const s: Stored = { seq: this.nextSeq++, rec: { ...r } };
      this.insert(s);
      added.push(s.rec);
    }
    if (added.length > 0) this.dirty = true;
    return added;
  }

  get(id: string): AnomalyRecord | null {
    return this.byId.get(id)?.rec ?? null;
  }

  acknowledge(id: string, acknowledged: boolean): AnomalyRecord | null {
    const s = this.byId.get(id);
    if (!s) return null;
    if (s.rec.acknowledged !== acknowledged) {
      s.rec.acknowledged = acknowledged;
      this.dirty = true;
    }
    return s.rec;
  }

  list(q: AnomalyQuery): AnomalyPage {
    const kinds = q.kinds && q.kinds.length > 0 ? new Set(q.kinds) : null;
    const minRank = q.minSeverity ? SEVERITY_RANK[q.minSeverity] : 0;
    const after = q.after !== undefined ? decodeSeq(q.after) : Infinity;
    let candidates: Stored[];
    if (q.entityIds && q.entityIds.length > 0) {
      // Index read: records of these entities (as entity, linked user or linked item).
      const ids = new Set<string>();
      for (const e of q.entityIds) {
        for (const id of this.byUser.get(e) ?? []) ids.add(id);
        for (const id of this.byItem.get(e) ?? []) ids.add(id);
      }
      const wanted = new Set(q.entityIds);
      for (const s of this.byId.values()) if (wanted.has(s.rec.entityId)) ids.add(s.rec.id);
      candidates = [...ids].map((id) => this.byId.get(id)!).sort((a, b) => b.seq - a.seq);
    } else {
      candidates = [];
      for (let i = this.order.length - 1; i >= this.head; i--) {
        const s = this.order[i]!;
        if (this.byId.get(s.rec.id) === s) candidates.push(s);
      }
    }
    const matching = candidates.filter(
      (s) =>
        (!kinds || kinds.has(s.rec.kind)) &&
        SEVERITY_RANK[s.rec.severity] >= minRank &&
        (q.acknowledged === undefined || s.rec.acknowledged === q.acknowledged),
    );
    let start = 0;
    if (after !== Infinity) while (start < matching.length && matching[start]!.seq >= after) start++;
    const page = matching.slice(start, start + q.first);
    return {
      anomalies: page.map((s) => s.rec),
      cursors: page.map((s) => encodeSeq(s.seq)),
      totalCount: matching.length,
      hasNextPage: start + q.first < matching.length,
      endCursor: page.length > 0 ? encodeSeq(page[page.length - 1]!.seq) : null,
    };
  }

  count(q: AnomalyCountQuery): AnomalyCountRow[] {
    const since = q.since ?? -Infinity;
    const rows = new Map<string, AnomalyCountRow>();
    // One pass over the matching records: the listing's filters without a page size.
    const { anomalies } = this.list({ ...q, first: Number.MAX_SAFE_INTEGER });
    for (const r of anomalies) {
      if (r.detectedAt < since) continue;
      const day = Math.floor(r.detectedAt / DAY_MS) * DAY_MS;
      const key = `${day} ${r.kind} ${r.severity}`;
      const row = rows.get(key);
      if (row) row.count++;
      else rows.set(key, { day, kind: r.kind, severity: r.severity, count: 1 });
    }
    return [...rows.values()].sort((a, b) => a.day - b.day || a.kind.localeCompare(b.kind) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  }

  dump(): { nextSeq: number; records: [number, AnomalyRecord][] } {
    this.dirty = false;
    const records: [number, AnomalyRecord][] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const s = this.order[i]!;
      if (this.byId.get(s.rec.id) === s) records.push([s.seq, { ...s.rec }]);
    }
    return { nextSeq: this.nextSeq, records };
  }

  load(d: { nextSeq: number; records: [number, AnomalyRecord][] }): void {
    for (const [seq, rec] of d.records) if (!this.byId.has(rec.id)) this.insert({ seq, rec: { ...rec } });
    this.nextSeq = Math.max(this.nextSeq, d.nextSeq);
    this.dirty = false;
  }

  private insert(s: Stored): void {
    this.byId.set(s.rec.id, s);
    this.order.push(s);
    if (s.rec.userId) link(this.byUser, s.rec.userId, s.rec.id);
    if (s.rec.itemId) link(this.byItem, s.rec.itemId, s.rec.id);
    while (this.byId.size > this.maxRecords) this.evictOldest();
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  private evictOldest(): void {
    while (this.head < this.order.length) {
      const s = this.order[this.head++]!;
      if (this.byId.get(s.rec.id) !== s) continue;
      this.byId.delete(s.rec.id);
      if (s.rec.userId) unlink(this.byUser, s.rec.userId, s.rec.id);
      if (s.rec.itemId) unlink(this.byItem, s.rec.itemId, s.rec.id);
      return;
    }
  }
}

function link(index: Map<string, Set<string>>, key: string, id: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(id);
}

function unlink(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) index.delete(key);
}

/** Cursors are the base64url of the record's sequence number (stable under inserts, opaque to clients). */
export function encodeSeq(seq: number): string {
  return Buffer.from(`a${seq}`, 'utf8').toString('base64url');
}

export function decodeSeq(cursor: string): number {
  const s = Buffer.from(cursor, 'base64url').toString('utf8');
  const n = /^a(\d+)$/.test(s) ? Number(s.slice(1)) : NaN;
  if (!Number.isSafeInteger(n)) throw new RangeError('after must be a cursor returned as pageInfo.endCursor');
  return n;
}
