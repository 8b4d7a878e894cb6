import type { PurchaseActivityBatch, SegmentMemberPage, SegmentStore } from '../stores/segments';
import type { GraphState } from './graph-state';
import { buildActivity } from './segment-store';

/** Customer segments on the embedded graph; the storage itself is SegmentMembership (segment-store.ts). */
export class MemorySegments implements SegmentStore {
  constructor(private readonly state: GraphState) {}

  async getPurchaseActivity(userIds: readonly string[]): Promise<PurchaseActivityBatch> {
    const s = this.state;
    return buildActivity(
      s.users,
      s.items,
      userIds.map((id) => s.userIndex.get(id) ?? -1),
      userIds,
    );
  }

  async *scanPurchaseActivity(batchSize = 20_000): AsyncIterable<PurchaseActivityBatch> {
    const s = this.state;
    for (let start = 0; start < s.users.length; start += batchSize) {
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const end = Math.min(s.users.length, start + batchSize);
      const rows = new Int32Array(end - start);
      for (let r = 0; r < rows.length; r++) rows[r] = start + r;
      yield buildActivity(s.users, s.items, rows);
    }
  }

  async getSegmentModel(): Promise<unknown> {
    return this.state.segments.model;
  }

  async setSegmentModel(model: unknown): Promise<void> {
    this.state.segments.model = model;
    this.state.segments.dirty = true;
  }

  async setUserSegments(userIds: readonly string[], segmentIds: readonly (string | null)[]): Promise<void> {
    const s = this.state;
    userIds.forEach((id, r) => {
      const u = s.userIndex.get(id);
      if (u !== undefined) s.segments.set(u, segmentIds[r] ?? null, s.users.length);
    });
  }

  async getUserSegments(userIds: readonly string[]): Promise<(string | null)[]> {
    return userIds.map((id) => this.peekUserSegment(id));
  }

  peekUserSegment(userId: string): string | null {
    const u = this.state.userIndex.get(userId);
    return u === undefined ? null : this.state.segments.get(u);
  }

  async listSegmentMembers(segmentId: string, first: number, after?: string): Promise<SegmentMemberPage> {
    const s = this.state;
    return s.segments.page(
      segmentId,
      first,
      after,
      (id) => s.userIndex.get(id),
      (u) => s.users[u]!.id,
    );
  }

  async segmentSizes(): Promise<Map<string, number>> {
    return this.state.segments.sizes();
  }
}
