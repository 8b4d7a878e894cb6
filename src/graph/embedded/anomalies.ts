import type { AnomalyCountQuery, AnomalyCountRow, AnomalyPage, AnomalyQuery, AnomalyRecord, AnomalyStore } from '../stores/anomalies';
import { removeValue, type GraphState } from './graph-state';

/**
 * Anomaly findings on the embedded graph (the table: ../anomaly-table.ts) and bot exclusion: an excluded
 * actor's positive edges leave the items' user lists (userCount) and `scanInteractions`.
 */
export class MemoryAnomalies implements AnomalyStore {
  constructor(private readonly state: GraphState) {}

  async putAnomalies(records: readonly AnomalyRecord[]): Promise<AnomalyRecord[]> {
    return this.state.anomalyTable.put(records);
  }

  async getAnomalies(ids: readonly string[]): Promise<(AnomalyRecord | null)[]> {
    return ids.map((id) => this.state.anomalyTable.get(id));
  }

  async listAnomalies(query: AnomalyQuery): Promise<AnomalyPage> {
    return this.state.anomalyTable.list(query);
  }

  async countAnomalies(query: AnomalyCountQuery): Promise<AnomalyCountRow[]> {
    return this.state.anomalyTable.count(query);
  }

  async acknowledgeAnomaly(id: string, acknowledged = true): Promise<AnomalyRecord | null> {
    return this.state.anomalyTable.acknowledge(id, acknowledged);
  }

  async setActorExcluded(actorId: string, excluded: boolean): Promise<boolean> {
    return this.setActorExcludedSync(actorId, excluded);
  }

  setActorExcludedSync(actorId: string, excluded: boolean): boolean {
    const s = this.state;
    const u = s.internUser(actorId, actorId.startsWith('session:'));
    if (s.excluded.has(u) === excluded) return false;
    if (excluded) s.excluded.add(u);
    else s.excluded.delete(u);
    for (const i of s.users[u]!.positive) {
      if (excluded) removeValue(s.items[i]!.positive, u);
      else s.items[i]!.positive.push(u);
    }
    s.excludedDirty = true;
    return true;
  }

  async excludedActors(): Promise<string[]> {
    return [...this.state.excluded].map((u) => this.state.users[u]!.id);
  }
}
