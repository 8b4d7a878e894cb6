import neo4j from 'neo4j-driver';
import { decodeSeq, encodeSeq, SEVERITY_RANK } from '../anomaly-table';
import type { AnomalyCountQuery, AnomalyCountRow, AnomalyPage, AnomalyQuery, AnomalyRecord, AnomalyStore } from '../stores/anomalies';
import type { Neo4jSession } from './session';
import { CoalescingQueue } from '../../util/coalescing-queue';

const MAX_ROWS_PER_WRITE = 5000;

/**
 * Anomaly findings on Neo4j: `(:Anomaly {id, seq, ...})` under a uniqueness constraint on id (a finding
 * every instance detects is stored once), numbered from `(:Meta {id: 'anomalies'}).seq` for paging (a node of
 * its own: the batch writes, which count on `(:Meta {id: 'graph'})`, never wait on the anomaly writes' lock);
 * bot exclusion is `(:User {excluded})`, taken out of (or put back into) the items' userCount.
 */
export class Neo4jAnomalies implements AnomalyStore {
  constructor(private readonly session: Neo4jSession) {}

  /**
   * The detector stores findings for every batch it scans, often many times a second. Each write takes the
   * one sequence counter (`(:Meta {id: 'anomalies'})`), so concurrent writes would queue on its lock (seen:
   * 30 at once, up to 3.7 s each): calls that arrive while a write is in flight go out together in the next,
   * up to MAX_ROWS_PER_WRITE findings (one transaction's memory).
   */
  private readonly puts = new CoalescingQueue<AnomalyRecord[], AnomalyRecord[]>(
    async (calls) => {
      const created = await this.write([...new Map(calls.flat().map((r) => [r.id, r] as const)).values()]);
      // A finding two merged calls both carry is new for the earlier one only (it is published once).
      return calls.map((records) => records.filter((r) => created.delete(r.id)).map((r) => ({ ...r })));
    },
    { sizeOf: (records) => records.length, max: MAX_ROWS_PER_WRITE },
  );

  /** Stores new findings; resolves with those of this call that were not stored before. */
  putAnomalies(records: readonly AnomalyRecord[]): Promise<AnomalyRecord[]> {
    const unique = [...new Map(records.map((r) => [r.id, r])).values()];
    return unique.length === 0 ? Promise.resolve([]) : this.puts.push(unique);
  }

  /** One transaction: numbers the rows from the counter, stores those not stored yet; returns their ids. */
  private async write(rows: readonly AnomalyRecord[]): Promise<Set<string>> {
    return this.session.write(async (tx) => {
      const res = await tx.run(
        `MATCH (m:Meta {id: 'anomalies'})
         SET m.seq = m.seq + size($rows)
         WITH m.seq - size($rows) AS base
         UNWIND range(0, size($rows) - 1) AS n
         WITH base, n, $rows[n] AS row
         MERGE (a:Anomaly {id: row.id})
           ON CREATE SET a += row, a.seq = base + n + 1, a.severityRank = $ranks[row.severity], a.created = $token
         RETURN a.id AS id, a.created = $token AS created`,
        { rows: rows.map(anomalyToProps), ranks: SEVERITY_RANK, token: `${Date.now()}-${Math.random()}` },
      );
      return new Set(res.records.filter((r) => r.get('created')).map((r) => r.get('id') as string));
    });
  }

  async getAnomalies(ids: readonly string[]): Promise<(AnomalyRecord | null)[]> {
    if (ids.length === 0) return [];
    const res = await this.session.read((tx) => tx.run('UNWIND $ids AS id OPTIONAL MATCH (a:Anomaly {id: id}) RETURN id, a { .* } AS a', { ids: [...ids] }));
    const byId = new Map<string, AnomalyRecord>();
    for (const r of res.records) if (r.get('a')) byId.set(r.get('id'), anomalyFromProps(r.get('a')));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async listAnomalies(q: AnomalyQuery): Promise<AnomalyPage> {
    const params = {
      kinds: q.kinds && q.kinds.length > 0 ? [...q.kinds] : null,
      minRank: q.minSeverity ? SEVERITY_RANK[q.minSeverity] : 0,
      ack: q.acknowledged ?? null,
      entities: q.entityIds && q.entityIds.length > 0 ? [...q.entityIds] : null,
      after: q.after !== undefined ? decodeSeq(q.after) : null,
      first: neo4j.int(Math.max(0, Math.floor(q.first))),
    };
    const where = `($kinds IS NULL OR a.kind IN $kinds) AND a.severityRank >= $minRank
      AND ($ack IS NULL OR a.acknowledged = $ack)
      AND ($entities IS NULL OR a.entityId IN $entities OR a.userId IN $entities OR a.itemId IN $entities)`;
    const [page, total] = await this.session.read(async (tx) => [
      await tx.run(`MATCH (a:Anomaly) WHERE ${where} AND ($after IS NULL OR a.seq < $after) RETURN a { .* } AS a ORDER BY a.seq DESC LIMIT $first + 1`, params),
      await tx.run(`MATCH (a:Anomaly) WHERE ${where} RETURN count(a) AS n`, params),
    ]);
    const rows = page.records.map((r) => r.get('a') as Record<string, unknown>);
    const hasNextPage = rows.length > q.first;
    if (hasNextPage) rows.length = q.first;
    const cursors = rows.map((a) => encodeSeq(Number(a.seq)));
    return {
      anomalies: rows.map(anomalyFromProps),
      cursors,
      totalCount: Number(total.records[0]!.get('n')),
      hasNextPage,
      endCursor: cursors.length > 0 ? cursors[cursors.length - 1]! : null,
    };
  }

  async countAnomalies(q: AnomalyCountQuery): Promise<AnomalyCountRow[]> {
    const params = {
      kinds: q.kinds && q.kinds.length > 0 ? [...q.kinds] : null,
      minRank: q.minSeverity ? SEVERITY_RANK[q.minSeverity] : 0,
      ack: q.acknowledged ?? null,
      entities: q.entityIds && q.entityIds.length > 0 ? [...q.entityIds] : null,
      since: q.since ?? null,
    };
    const res = await this.session.read((tx) =>
      tx.run(
        `MATCH (a:Anomaly)
         WHERE ($kinds IS NULL OR a.kind IN $kinds) AND a.severityRank >= $minRank
           AND ($ack IS NULL OR a.acknowledged = $ack)
           AND ($entities IS NULL OR a.entityId IN $entities OR a.userId IN $entities OR a.itemId IN $entities)
           AND ($since IS NULL OR a.detectedAt >= $since)
         WITH toInteger(floor(a.detectedAt / 86400000.0)) * 86400000 AS day, a.kind AS kind, a.severity AS severity
         RETURN day, kind, severity, count(*) AS n
         ORDER BY day, kind, severity`,
        params,
      ),
    );
    return res.records.map((r) => ({
      day: Number(r.get('day')),
      kind: r.get('kind') as string,
      severity: r.get('severity') as AnomalyRecord['severity'],
      count: Number(r.get('n')),
    }));
  }

  async acknowledgeAnomaly(id: string, acknowledged = true): Promise<AnomalyRecord | null> {
    const res = await this.session.write((tx) =>
      tx.run('MATCH (a:Anomaly {id: $id}) SET a.acknowledged = $ack RETURN a { .* } AS a', { id, ack: acknowledged }),
    );
    const a = res.records[0]?.get('a');
    return a ? anomalyFromProps(a) : null;
  }

  async setActorExcluded(actor: string, excluded: boolean): Promise<boolean> {
    return this.session.serialized(() =>
      this.session.write(async (tx) => {
        const res = await tx.run(
          `MERGE (u:User {id: $id})
           ON CREATE SET u.anonymous = $anonymous, u.eventCount = 0, u.excluded = false
         WITH u, coalesce(u.excluded, false) AS was
         SET u.excluded = $excluded
         RETURN was`,
          { id: actor, anonymous: actor.startsWith('session:'), excluded },
        );
        if (res.records[0]!.get('was') === excluded) return false;
        await tx.run(
          `MATCH (:User {id: $id})-[r:INTERACTED]->(i:Item) WHERE r.weight > 0
         SET i.userCount = i.userCount + $delta`,
          { id: actor, delta: excluded ? -1 : 1 },
        );
        return true;
      }),
    );
  }

  async excludedActors(): Promise<string[]> {
    const res = await this.session.read((tx) => tx.run('MATCH (u:User) WHERE u.excluded = true RETURN u.id AS id ORDER BY id'));
    return res.records.map((r) => r.get('id') as string);
  }
}

function anomalyToProps(r: AnomalyRecord): Record<string, unknown> {
  return {
    id: r.id,
    kind: r.kind,
    severity: r.severity,
    entityType: r.entityType,
    entityId: r.entityId,
    score: r.score,
    detectedAt: r.detectedAt,
    message: r.message,
    evidence: r.evidence,
    acknowledged: r.acknowledged,
    userId: r.userId,
    itemId: r.itemId,
  };
}

function anomalyFromProps(p: Record<string, unknown>): AnomalyRecord {
  return {
    id: p.id as string,
    kind: p.kind as string,
    severity: p.severity as AnomalyRecord['severity'],
    entityType: p.entityType as string,
    entityId: p.entityId as string,
    score: Number(p.score),
    detectedAt: Number(p.detectedAt),
    message: p.message as string,
    evidence: (p.evidence as string | undefined) ?? null,
    acknowledged: p.acknowledged === true,
    userId: (p.userId as string | undefined) ?? null,
    itemId: (p.itemId as string | undefined) ?? null,
  };
}
