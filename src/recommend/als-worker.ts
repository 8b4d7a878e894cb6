/**
 * Worker thread of an ALS refit (started by OnlineAls, one worker per refit, so its memory is returned when
 * it exits). It receives the user x item matrix (CSR, buffers transferred) and the previous item factors (a
 * copy, for a warm start), fits, and answers with the item factors (buffer transferred back).
 */
import { parentPort } from 'node:worker_threads';
import { fitAls, type AlsMatrix, type AlsOptions } from './als.js';

export interface AlsFitRequest {
  matrix: AlsMatrix;
  options: AlsOptions;
  initY?: Float64Array;
  iterations: number;
}

export type AlsFitReply = { type: 'done'; Y: Float64Array; fitMs: number } | { type: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('als-worker must run in a worker thread');
port.once('message', (req: AlsFitRequest) => {
  try {
    const fit = fitAls(req.matrix, req.options, req.initY, req.iterations);
    const reply: AlsFitReply = { type: 'done', Y: fit.Y, fitMs: fit.fitMs };
    port.postMessage(reply, [fit.Y.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies AlsFitReply);
  }
});
