/**
 * Worker thread of a segment refit (started by SegmentService, one worker per refit). The main thread
 * streams the graph's purchase activity in columnar batches (typed arrays transferred, not copied); the
 * worker appends each batch to typed feature columns as it arrives (columns.ts, same formulas as
 * graph-features.ts), so it works while the main thread is still scanning. Then it runs the fit on the
 * columns and answers with the model (no member map) and one label per streamed row (-1: no purchase),
 * the labels' buffer transferred back.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ActivityColumnsBuilder } from './columns.js';
import { fitSegmentsFromColumns, type FitSegmentsOptions, type SegmentModel } from './model.js';
import type { RefitRequest, WorkerMessage, WorkerReply } from './refit-protocol.js';

const port = parentPort;
if (!port) throw new Error('refit-worker must run in a worker thread');

/** CPU time (user + system) of this thread in ms, from /proc/thread-self/stat (Linux); null elsewhere. */
function threadCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 (utime, stime) in clock ticks (USER_HZ, 100 on Linux)
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

const cpuAtStart = threadCpuMs();
let builder = new ActivityColumnsBuilder();
/** Worker time spent appending batches (overlaps the main thread's scan). */
let ingestMs = 0;

function fit(req: RefitRequest): Extract<WorkerReply, { type: 'done' }> {
  const started = performance.now();
  const b = builder;
  builder = new ActivityColumnsBuilder();
  const cols = b.build(req.asOf);
  const rowOf = b.rowOf();
  const skipped = rowOf.length - cols.n;
  const previous: SegmentModel | undefined = req.previous ? { ...req.previous, members: new Map() } : undefined;
  const opts: FitSegmentsOptions = { ...req.options, asOf: req.asOf, previous, sortByUserId: false, memberMap: false };
  const { model, labels } = fitSegmentsFromColumns(cols, opts, skipped);
  const byRow = new Int32Array(rowOf.length);
  for (let r = 0; r < rowOf.length; r++) byRow[r] = rowOf[r]! >= 0 ? labels[rowOf[r]!]! : -1;
  const { members: _members, ...meta } = model;
  const fitMs = performance.now() - started + ingestMs;
  ingestMs = 0;
  const cpu = threadCpuMs();
  return { type: 'done', model: meta, labels: byRow, fitMs, cpuMs: cpu !== null && cpuAtStart !== null ? cpu - cpuAtStart : null };
}

port.on('message', (msg: WorkerMessage) => {
  try {
    if (msg.type === 'batch') {
      const t0 = performance.now();
      builder.add(msg.batch);
      ingestMs += performance.now() - t0;
    } else if (msg.type === 'fit') {
      const reply = fit(msg.request);
      port.postMessage(reply, [reply.labels.buffer as ArrayBuffer]);
    }
  } catch (err) {
    const reply: WorkerReply = { type: 'error', message: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});
