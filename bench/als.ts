import { OnlineRetailMapper, type OnlineRetailRow } from '../src/import/online-retail';
import { readRecords } from '../src/import/read-records';
import { FoldInScratch, foldIn } from '../src/recommend/als';
import type { FlywheelEvent } from '../src/events/event';
import { Recommender } from '../src/recommend/recommender';

/**
 * ALS cost on the development slice:
 *   node dist/bench/als.js FILE [until=YYYY-MM-DD] [factors=64]
 * Feeds the slice's purchases (eval's cleaning: purchases with a customer, fee lines kept; lines before
 * `until` when given) to a Recommender, fits the item factors in the worker thread a gateway uses (wall
 * time and the worker's own time), then times the per-request fold-in (the k x k solve) and the whole
 * `als` request for every user. Prints one JSON object.
 */
async function main(): Promise<void> {
  const [file, until, factorsArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: node dist/bench/als.js FILE [until=YYYY-MM-DD|-] [factors]');
  const end = until && until !== '-' ? Date.parse(`${until}T00:00:00Z`) : Infinity;
  const rec = new Recommender(null, {
    backgroundRefresh: false,
    cacheEntries: 0,
    als: { ...(factorsArg ? { factors: Number(factorsArg) } : {}), refitMinutes: 0 },
  });
  const factors = rec.als.options.factors;
  const mapper = new OnlineRetailMapper({ keepFeeItems: true });
  let batch: FlywheelEvent[] = [];
  let events = 0;
  for await (const { record } of readRecords(file, { format: 'csv', header: true })) {
    const o = mapper.map(record as unknown as OnlineRetailRow);
    if (o.kind !== 'events') continue;
    for (const e of o.events) if (e.timestamp < end) batch.push(e);
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
  const s = new FoldInScratch();
  const users = rec.index.users.filter((h) => h.n > 0);
  for (const h of users.slice(0, 300)) foldIn(snap, h, rec.als.options, s); // warm-up
  const fold: number[] = [];
  const req: number[] = [];
  // wall-clock quantiles include time the OS gave other processes (a shared machine); CPU time per call
  // (process.cpuUsage over the whole loop, this single thread busy) does not
  let cpu = process.cpuUsage();
  for (const h of users) {
    const t = performance.now();
    foldIn(snap, h, rec.als.options, s);
    fold.push(performance.now() - t);
  }
  const foldCpu = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  for (const h of users) {
    const t = performance.now();
    rec.recommendSync({ userId: h.id, first: 10, strategy: 'als' });
    req.push(performance.now() - t);
  }
  const reqCpu = process.cpuUsage(cpu);
  const cpuMs = (u: NodeJS.CpuUsage) => Math.round(((u.user + u.system) / 1000 / users.length) * 1000) / 1000;
  const q = (a: number[], p: number) => {
    const b = [...a].sort((x, y) => x - y);
    return Math.round(b[Math.min(b.length - 1, Math.floor(p * b.length))]! * 1000) / 1000;
  };
  const hist = users.map((h) => h.n).sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      events,
      users: users.length,
      items: rec.index.itemCount,
      interactions: rec.index.interactions,
      factors,
      options: rec.als.options,
      fit: { wallSeconds: Math.round(wallMs / 100) / 10, workerSeconds: Math.round(snap.fitMs / 100) / 10 },
      foldInMs: { p50: q(fold, 0.5), p99: q(fold, 0.99), max: q(fold, 1), cpuMean: cpuMs(foldCpu) },
      requestMs: { p50: q(req, 0.5), p99: q(req, 0.99), max: q(req, 1), cpuMean: cpuMs(reqCpu) },
      historyLength: { p50: hist[Math.floor(hist.length / 2)], p99: hist[Math.floor(hist.length * 0.99)], max: hist[hist.length - 1] },
    }),
  );
  rec.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
