/** Messages between SegmentService and its refit worker. */
import type { PurchaseActivityBatch } from './graph-features.js';
import type { FitSegmentsOptions, SegmentModel } from './model.js';

/** A model without the member map (memberships live in the graph store). */
export type SegmentModelMeta = Omit<SegmentModel, 'members'>;

export interface RefitRequest {
  asOf: number;
  options: Omit<FitSegmentsOptions, 'asOf' | 'previous' | 'sortByUserId' | 'memberMap'>;
  previous: SegmentModelMeta | null;
}

export type WorkerMessage = { type: 'batch'; batch: PurchaseActivityBatch } | { type: 'fit'; request: RefitRequest };

export type WorkerReply =
  | {
      type: 'done';
      model: SegmentModelMeta;
      labels: Int32Array;
      /** Worker time: appending batches (overlapping the scan) plus the fit. */
      fitMs: number;
      /** CPU time of the worker thread over the whole refit (Linux /proc/thread-self; null elsewhere). */
      cpuMs: number | null;
    }
  | { type: 'error'; message: string };

/** The typed-array buffers of a batch, to transfer instead of copy. */
export function batchTransferList(b: PurchaseActivityBatch): ArrayBuffer[] {
  return [b.orders, b.orderStart, b.orderTimes, b.firstPurchaseAt, b.lastPurchaseAt, b.views, b.edgeStart, b.edgeQuantity, b.edgeRevenue].map(
    (a) => a.buffer as ArrayBuffer,
  );
}
