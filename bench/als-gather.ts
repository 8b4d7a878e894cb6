/**
 * Gathering a user's scattered factor rows from a matrix larger than the caches, as the ALS fold-in does
 * (`pcgFoldIn`, `touchRows` in src/recommend/als.ts): row by row, and with a first pass that loads one float of
 * every cache line of every row (independent loads, so many misses are in flight at once).
 *
 *   node dist/bench/als-gather.js [rows=200] [items=50000] [factors=128] [evictMb=64]
 *
 * Before each gather, `evictMb` of another array is read, so the rows come from memory as they do after the rest
 * of a request has run. Both variants gather the same rows each repetition; medians and p99 in µs.
 */
const [rows = 200, items = 50_000, k = 128, evictMb = 64] = process.argv.slice(2).map(Number);
const REPETITIONS = 3000;
const WARM_UP = 100;

const Y = Float32Array.from({ length: items * k }, () => Math.random() - 0.5);
const evict = new Float64Array(Math.max(1, Math.floor((evictMb * 1024 * 1024) / 8)));
const U = new Float32Array(rows * k);
const b = new Float64Array(k);
const idx = new Int32Array(rows);
const conf = new Float32Array(rows).fill(2);
const sink = new Float64Array(1);

function flush(): void {
  let s = 0;
  for (let i = 0; i < evict.length; i += 8) s += evict[i]!;
  sink[0] += s;
}

/** The fold-in's gather: each row copied and added into b, one row after the other. */
function rowByRow(): void {
  b.fill(0);
  for (let t = 0; t < rows; t++) {
    const o = idx[t]! * k;
    const uo = t * k;
    const c = conf[t]!;
    for (let a = 0; a < k; a++) {
      const y = Y[o + a]!;
      U[uo + a] = y;
      b[a]! += c * y;
    }
  }
}

function touchedFirst(): void {
  let s = 0;
  for (let t = 0; t < rows; t++) {
    const o = idx[t]! * k;
    for (let a = 0; a < k; a += 16) s += Y[o + a]!;
  }
  sink[0] = s;
  rowByRow();
}

const variants: [string, () => void][] = [
  ['row by row', rowByRow],
  ['touched first', touchedFirst],
];
const times = variants.map(() => [] as number[]);
for (let r = 0; r < REPETITIONS; r++) {
  // popular items more often, as in a shop (the square of a uniform draw)
  for (let t = 0; t < rows; t++) idx[t] = Math.floor(Math.pow(Math.random(), 2) * items);
  variants.forEach(([, gather], v) => {
    flush();
    const started = process.hrtime.bigint();
    gather();
    if (r >= WARM_UP) times[v]!.push(Number(process.hrtime.bigint() - started) / 1000);
  });
}
const quantile = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
console.log(`${rows} rows of ${k} float32 from ${items} (${((items * k * 4) / 1e6).toFixed(1)} MB), ${evictMb} MB read between gathers`);
const summary: Record<string, { p50Us: number; p99Us: number }> = {};
variants.forEach(([name], v) => {
  const xs = times[v]!.sort((x, y) => x - y);
  summary[name] = { p50Us: Math.round(quantile(xs, 0.5) * 10) / 10, p99Us: Math.round(quantile(xs, 0.99) * 10) / 10 };
  console.log(`${name.padEnd(14)} p50 ${summary[name].p50Us} µs, p99 ${summary[name].p99Us} µs`);
});
console.log(JSON.stringify({ rows, items, factors: k, evictMb, ...summary, checksum: sink[0] !== 0 }));
