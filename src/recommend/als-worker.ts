/**
 * Worker threads of an ALS refit (started by OnlineAls per refit, so their memory is returned when they
 * exit). The first ("lead") receives the user x item matrix (CSR, buffers transferred) and, for a warm
 * start, a copy of the previous item factors. With `threads` > 1 it puts the matrix and both factor
 * matrices in shared memory and starts `threads - 1` helpers of this same script; each thread solves its
 * share of the rows of every half-step (rowRanges) and they meet at a barrier between half-steps. The lead
 * answers with the item factors in the served basis (`toServedBasis`: their Gram matrix and its
 * eigen-decomposition are computed here, off the serving thread) and the eigenvalues, buffers transferred.
 * A third role, `prime`, solves the kept user vectors after a snapshot is served (als-prime.ts).
 */
import { Worker, parentPort } from 'node:worker_threads';
import { fitSweeps, initFactors, rowRanges, toServedBasis, transpose, type AlsMatrix, type AlsOptions, type FitPart } from './als.js';
import { solveRows, type AlsPrimeReply, type AlsPrimeRequest } from './als-prime.js';

export interface AlsFitRequest {
  matrix: AlsMatrix;
  options: AlsOptions;
  initY?: Float64Array;
  iterations: number;
  threads: number;
}

export type AlsFitReply = { type: 'done'; Y: Float64Array; eigenvalues: Float64Array; fitMs: number; threads: number } | { type: 'error'; message: string };

interface HelperRequest {
  role: 'helper';
  m: AlsMatrix;
  mt: AlsMatrix;
  X: Float64Array;
  Y: Float64Array;
  sync: Int32Array;
  threads: number;
  options: AlsOptions;
  iterations: number;
  part: FitPart;
}

/**
 * All `n` threads wait here until the last one arrives (a generation counter, so it can be reused).
 * sync[2] is an abort flag: a thread that fails sets it, so the others stop waiting and fail too instead
 * of waiting for it for ever.
 */
function barrier(sync: Int32Array, n: number): void {
  const gen = Atomics.load(sync, 1);
  if (Atomics.add(sync, 0, 1) === n - 1) {
    Atomics.store(sync, 0, 0);
    Atomics.add(sync, 1, 1);
    Atomics.notify(sync, 1);
    return;
  }
  while (Atomics.load(sync, 1) === gen) {
    if (Atomics.load(sync, 2) !== 0) throw new Error('another refit thread failed');
    Atomics.wait(sync, 1, gen, 1000);
  }
}

function abort(sync: Int32Array): void {
  Atomics.store(sync, 2, 1);
  Atomics.add(sync, 1, 1);
  Atomics.notify(sync, 1);
}

function shared<T extends Int32Array | Float32Array | Float64Array>(a: T): T {
  const C = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

function sharedMatrix(m: AlsMatrix): AlsMatrix {
  return { users: m.users, items: m.items, indptr: shared(m.indptr), idx: shared(m.idx), conf: shared(m.conf) };
}

async function lead(req: AlsFitRequest): Promise<AlsFitReply> {
  const started = performance.now();
  const o = req.options;
  const k = o.factors;
  const threads = Math.max(1, Math.min(req.threads, 16));
  const m = threads > 1 ? sharedMatrix(req.matrix) : req.matrix;
  const mt = transpose(m);
  const mtS = threads > 1 ? sharedMatrix(mt) : mt;
  const alloc = (n: number) => (threads > 1 ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n));
  const Y = initFactors(m.items, k, o.seed, alloc(m.items * k));
  if (req.initY) Y.set(req.initY.subarray(0, Math.min(req.initY.length, Y.length)));
  const X = initFactors(m.users, k, o.seed + 1, alloc(m.users * k));
  const ur = rowRanges(m.indptr, m.users, threads, k);
  const ir = rowRanges(mtS.indptr, m.items, threads, k);
  const part = (t: number): FitPart => ({ users: [ur[t]!, ur[t + 1]!], items: [ir[t]!, ir[t + 1]!] });
  const sync = new Int32Array(new SharedArrayBuffer(12));
  const helpers: Promise<void>[] = [];
  for (let t = 1; t < threads; t++) {
    const w = new Worker(__filename);
    helpers.push(
      new Promise<void>((resolve, reject) => {
        w.once('message', (msg: { type: string; message?: string }) => (msg.type === 'done' ? resolve() : reject(new Error(msg.message))));
        w.once('error', (err) => {
          abort(sync);
          reject(err);
        });
      }).finally(() => void w.terminate()),
    );
    w.postMessage({ role: 'helper', m, mt: mtS, X, Y, sync, threads, options: o, iterations: req.iterations, part: part(t) } satisfies HelperRequest);
  }
  for (const h of helpers) h.catch(() => undefined);
  try {
    fitSweeps(m, mtS, X, Y, o, req.iterations, part(0), threads > 1 ? () => barrier(sync, threads) : () => undefined);
  } catch (err) {
    abort(sync);
    await Promise.allSettled(helpers);
    throw err;
  }
  await Promise.all(helpers);
  const out = new Float64Array(Y.length);
  out.set(Y);
  const eigenvalues = toServedBasis(out, m.items, k);
  return { type: 'done', Y: out, eigenvalues, fitMs: performance.now() - started, threads };
}

const port = parentPort;
if (!port) throw new Error('als-worker must run in a worker thread');
port.once('message', (req: AlsFitRequest | HelperRequest | AlsPrimeRequest) => {
  if ('role' in req && req.role === 'prime') {
    // priming the kept user vectors after a swap (als-prime.ts): the request's CG, for many users at once
    try {
      const started = performance.now();
      const X = solveRows(req.factors, req.rows, req.options);
      port.postMessage({ type: 'primed', X, solveMs: performance.now() - started } satisfies AlsPrimeReply, [X.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies AlsPrimeReply);
    }
    return;
  }
  if ('role' in req) {
    try {
      fitSweeps(req.m, req.mt, req.X, req.Y, req.options, req.iterations, req.part, () => barrier(req.sync, req.threads));
      port.postMessage({ type: 'done' });
    } catch (err) {
      abort(req.sync);
      port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  lead(req).then(
    (reply) => port.postMessage(reply, reply.type === 'done' ? [reply.Y.buffer as ArrayBuffer, reply.eigenvalues.buffer as ArrayBuffer] : []),
    (err: unknown) => port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies AlsFitReply),
  );
});
