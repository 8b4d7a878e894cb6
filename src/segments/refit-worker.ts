/**
 * Worker thread of a segment refit (started by SegmentService, one worker per refit). The main thread
 * streams the graph's purchase activity in columnar batches (typed arrays transferred, not copied), then
 * asks for the fit; the worker computes profiles (same feature code as everywhere: graph-features.ts),
 * runs the fit, and answers with the model (no member map) and one label per streamed row (-1: no purchase).
 */
import { parentPort } from 'node:worker_threads';
import { profileFromActivity, type PurchaseActivityBatch } from './graph-features.js';
import type { CustomerProfile } from './features.js';
import { fitSegmentsWithLabels, type FitSegmentsOptions, type SegmentModel } from './model.js';
import type { RefitRequest, WorkerMessage, WorkerReply } from './refit-protocol.js';

const port = parentPort;
if (!port) throw new Error('refit-worker must run in a worker thread');

const batches: PurchaseActivityBatch[] = [];

function fit(req: RefitRequest): Extract<WorkerReply, { type: 'done' }> {
  const started = performance.now();
  const profiles: CustomerProfile[] = [];
  let rows = 0;
  for (const b of batches) rows += b.userIds.length;
  const rowOf = new Int32Array(rows);
  let row = 0;
  let skipped = 0;
  for (const b of batches) {
    for (let r = 0; r < b.userIds.length; r++, row++) {
      const p = profileFromActivity(b, r, req.asOf);
      if (p) {
        rowOf[profiles.length] = row;
        profiles.push(p);
      } else skipped++;
    }
  }
  batches.length = 0;
  const previous: SegmentModel | undefined = req.previous ? { ...req.previous, members: new Map() } : undefined;
  const opts: FitSegmentsOptions = { ...req.options, asOf: req.asOf, previous, sortByUserId: false, memberMap: false };
  const { model, labels } = fitSegmentsWithLabels(profiles, opts, skipped);
  const byRow = new Int32Array(rows).fill(-1);
  for (let i = 0; i < labels.length; i++) byRow[rowOf[i]!] = labels[i]!;
  const { members: _members, ...meta } = model;
  return { type: 'done', model: meta, labels: byRow, fitMs: performance.now() - started };
}

port.on('message', (msg: WorkerMessage) => {
  try {
    if (msg.type === 'batch') batches.push(msg.batch);
    else if (msg.type === 'fit') {
      const reply = fit(msg.request);
      port.postMessage(reply, [reply.labels.buffer as ArrayBuffer]);
    }
  } catch (err) {
    const reply: WorkerReply = { type: 'error', message: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});
