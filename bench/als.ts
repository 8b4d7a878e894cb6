import { OnlineRetailMapper, type OnlineRetailRow } from '../src/import/online-retail';
import { readRecords } from '../src/import/read-records';
import { FoldInScratch, explain, foldIn, scoreAll, type AlsOptions, type AlsSnapshot } from '../src/recommend/als';
import type { FlywheelEvent } from '../src/events/event';
import type { UserHistory } from '../src/recommend/interactions';
import { topK } from '../src/recommend/linalg';
import { Recommender } from '../src/recommend/recommender';

/**
 * ALS cost on the development slice:
 *   node dist/bench/als.js FILE [until=YYYY-MM-DD|-] [factors]
 * Feeds the slice's purchases (eval's cleaning: purchases with a customer, fee lines kept; lines before
 * `until` when given) to a Recommender, fits the item factors in the worker thread a gateway uses (wall
 * time and the worker's own time), then, for every user, the fold-in by each solver: the exact Cholesky
 * solve and the conjugate gradient as configured (BENCH_TOLERANCES=1e-3,1e-4,... adds CG runs at those
 * tolerances), calls interleaved user by user (wall-clock and CPU time per call). For each CG run: its steps, its distance to the exact
 * vector, how many of the exact top 10 it ranks in its own top 10, and how often its explanation names the
 * same history item. Then the whole `als` request, exact and CG interleaved. Prints one JSON object.
 */
interface Solver {
  name: string;
  o: AlsOptions;
  wall: number[];
  /** CPU time of each call (process.cpuUsage around it, microsecond resolution): what the OS's other work does not stretch. */
  cpu: number[];
  steps: number[];
  error: number[];
  top10: number;
  explained: number;
  explainedSame: number;
}

async function main(): Promise<void> {
  const [file, until, factorsArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: node dist/bench/als.js FILE [until=YYYY-MM-DD|-] [factors]');
  const end = until && until !== '-' ? Date.parse(`${until}T00:00:00Z`) : Infinity;
  const rec = new Recommender(null, {
    backgroundRefresh: false,
    cacheEntries: 0,
    als: { ...(factorsArg ? { factors: Number(factorsArg) } : {}), refitMinutes: 0 },
  });
  const o = rec.als.options;
  const mapper = new OnlineRetailMapper({ keepFeeItems: true });
  let batch: FlywheelEvent[] = [];
  let events = 0;
  for await (const { record } of readRecords(file, { format: 'csv', header: true })) {
    const m = mapper.map(record as unknown as OnlineRetailRow);
    if (m.kind !== 'events') continue;
    for (const e of m.events) if (e.timestamp < end) batch.push(e);
    if (batch.length >= 5000) {
      events += batch.length;
      rec.applyEvents(batch);
      batch = [];
    }
  }
  events += batch.length;
  rec.applyEvents(batch);
  const t0 = performance.now();
  const snap = await rec.als.refit();
  const wallMs = performance.now() - t0;
  if (!snap) throw new Error('no factors');
  const users = rec.index.users.filter((h) => h.n > 0);

  const cgSteps = o.foldInCgSteps > 0 ? o.foldInCgSteps : 32;
  const tolerances = (process.env.BENCH_TOLERANCES ?? String(o.foldInTolerance)).split(',').map(Number);
  const solver = (name: string, over: Partial<AlsOptions>): Solver => ({
    name,
    o: { ...o, ...over },
    wall: [],
    cpu: [],
    steps: [],
    error: [],
    top10: 0,
    explained: 0,
    explainedSame: 0,
  });
  const exact = solver('exact', { foldInCgSteps: 0 });
  const cgs = tolerances.map((tol) => solver(`cg(tolerance ${tol}, at most ${cgSteps} steps)`, { foldInCgSteps: cgSteps, foldInTolerance: tol }));
  const s = new FoldInScratch();
  for (const h of users.slice(0, 300)) for (const v of [exact, ...cgs]) foldIn(snap, h, v.o, s); // warm-up

  // wall-clock quantiles include time the OS gave other processes (a shared machine); CPU time per call
  // (process.cpuUsage over a loop of one solver, this single thread busy) does not
  for (const h of users)
    for (const v of [exact, ...cgs]) {
      const c = process.cpuUsage();
      const t = performance.now();
      foldIn(snap, h, v.o, s);
      v.wall.push(performance.now() - t);
      const used = process.cpuUsage(c);
      v.cpu.push((used.user + used.system) / 1000);
      v.steps.push(s.steps);
    }
  const cpuMean = (v: Solver) => {
    const cpu = process.cpuUsage();
    for (const h of users) foldIn(snap, h, v.o, s);
    return cpuMs(process.cpuUsage(cpu), users.length);
  };
  const cpu = new Map([exact, ...cgs].map((v) => [v, cpuMean(v)]));
  for (const h of users) compare(snap, h, exact, cgs);

  // the whole `als` request (fold-in, scoring every item, the top candidates, explanations), exact and CG interleaved
  const requests = new Map<string, number[]>([
    ['exact', []],
    ['cg', []],
  ]);
  const configured = o.foldInCgSteps;
  const modes: [string, number][] = [
    ['exact', 0],
    ['cg', cgSteps],
  ];
  users.forEach((h, u) => {
    for (const [mode, steps] of modes) {
      o.foldInCgSteps = steps; // the strategy reads the served options at each request
      const t = performance.now();
      rec.recommendSync({ userId: h.id, first: 10, strategy: 'als' });
      if (u >= 300) requests.get(mode)!.push(performance.now() - t); // the first 300: warm-up
    }
  });
  o.foldInCgSteps = configured;

  const hist = users.map((h) => h.n).sort((a, b) => a - b);
  const summary = (v: Solver) => ({
    foldInMs: { p50: q(v.wall, 0.5), p99: q(v.wall, 0.99), max: q(v.wall, 1), cpuMean: cpu.get(v) },
    foldInCpuMs: { p50: q(v.cpu, 0.5), p99: q(v.cpu, 0.99), max: q(v.cpu, 1) },
    ...(v === exact
      ? {}
      : {
          steps: { mean: round(v.steps.reduce((a, b) => a + b, 0) / v.steps.length), p50: q(v.steps, 0.5), p99: q(v.steps, 0.99), max: q(v.steps, 1) },
          relativeErrorToExact: { p50: v.error.length ? sci(quantile(v.error, 0.5)) : null, p99: sci(quantile(v.error, 0.99)), max: sci(quantile(v.error, 1)) },
          top10SameAsExact: round(v.top10 / (v.error.length * 10)),
          explanationSameAsExact: round(v.explainedSame / v.explained),
        }),
  });
  console.log(
    JSON.stringify({
      events,
      users: users.length,
      items: rec.index.itemCount,
      interactions: rec.index.interactions,
      factors: o.factors,
      options: o,
      fit: { wallSeconds: Math.round(wallMs / 100) / 10, workerSeconds: Math.round(snap.fitMs / 100) / 10 },
      foldIn: Object.fromEntries([exact, ...cgs].map((v) => [v.name, summary(v)])),
      requestMs: Object.fromEntries([...requests].map(([mode, l]) => [mode, { p50: q(l, 0.5), p99: q(l, 0.99), max: q(l, 1) }])),
      historyLength: { p50: hist[Math.floor(hist.length / 2)], p99: hist[Math.floor(hist.length * 0.99)], max: hist[hist.length - 1] },
    }),
  );
  rec.close();
}

const scratch = { exact: new FoldInScratch(), cg: new FoldInScratch(), scores: new Float64Array(0), all: new Int32Array(0), z: new Float64Array(0) };

/** Each CG solver against the exact solve for one user: distance, top 10 of a full scan, explanations of the exact top 16. */
function compare(snap: AlsSnapshot, h: UserHistory, exact: Solver, cgs: Solver[]): void {
  const { exact: e, cg: c } = scratch;
  if (!foldIn(snap, h, exact.o, e)) return;
  const k = snap.k;
  if (scratch.scores.length < snap.items) {
    scratch.scores = new Float64Array(snap.items);
    scratch.all = Int32Array.from({ length: snap.items }, (_, i) => i);
    scratch.z = new Float64Array(k);
  }
  const inHistory = new Set(e.idx.subarray(0, e.n));
  const top = (x: Float64Array, m: number) => {
    scoreAll(snap, x, scratch.scores);
    return [...topK(scratch.all, snap.items, scratch.scores, m + e.n)].filter((j) => !inHistory.has(j)).slice(0, m);
  };
  const exactTop = top(e.x, 16);
  const exactTop10 = new Set(exactTop.slice(0, 10));
  const reasons = exactTop.map((j) => explain(snap, e, j, scratch.z));
  for (const v of cgs) {
    foldIn(snap, h, v.o, c);
    let d = 0;
    let n = 0;
    for (let a = 0; a < k; a++) {
      d += (c.x[a]! - e.x[a]!) ** 2;
      n += e.x[a]! ** 2;
    }
    v.error.push(Math.sqrt(d / n));
    for (const j of top(c.x, 10)) if (exactTop10.has(j)) v.top10++;
    exactTop.forEach((j, t) => {
      v.explained++;
      if (explain(snap, c, j, scratch.z) === reasons[t]) v.explainedSame++;
    });
  }
}

function quantile(a: readonly number[], p: number): number {
  const b = [...a].sort((x, y) => x - y);
  return b[Math.min(b.length - 1, Math.floor(p * b.length))]!;
}
const round = (v: number) => Math.round(v * 10_000) / 10_000;
const q = (a: readonly number[], p: number) => Math.round(quantile(a, p) * 1000) / 1000;
const sci = (v: number) => Number(v.toPrecision(3));
const cpuMs = (u: NodeJS.CpuUsage, n: number) => Math.round(((u.user + u.system) / 1000 / n) * 1000) / 1000;

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
