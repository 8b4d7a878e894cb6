/**
 * Segment quality on real data (issue 5's bar): segments fitted on the Online Retail lines before --until
 * (the `flywheel segments` code path), and for each segment the share of its customers who buy again in the
 * month after (the "September buy rate" for --until 2011-09-01), from the same cleaned events.
 *
 *   node dist/bench/segments-quality.js [--input FILE] [--until 2011-09-01] [--months 1]
 */
import { computeSegments } from '../src/cli/segments-command';
import { readEventBatches } from '../src/import/importer';

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

async function main(): Promise<void> {
  const input = flag('input', '/work/shared/datasets/online-retail/online-retail-2010-12-to-2011-09.csv.gz');
  const until = flag('until', '2011-09-01');
  const t0 = performance.now();
  const r = await computeSegments({ input, format: 'online-retail', header: true, until, members: true });
  const fitS = (performance.now() - t0) / 1000;
  const start = Date.parse(`${until}T00:00:00Z`);
  const end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + Number(flag('months', '1')));
  const buyers = new Set<string>();
  for await (const batch of readEventBatches(input, { format: 'online-retail' }, {})) {
    for (const e of batch)
      if (e.kind === 'interaction' && e.type === 'PURCHASE' && e.userId && e.timestamp >= start && e.timestamp < end.getTime()) buyers.add(e.userId);
  }
  const members = Object.entries(r.members ?? {});
  const base = members.filter(([u]) => buyers.has(u)).length / members.length;
  console.log(
    `${r.customers} customers as of ${until}; k = ${r.k}, silhouette ${r.silhouette.toFixed(3)}; base buy rate in the next period ${(100 * base).toFixed(1)} % (${buyers.size} buyers); segments in ${fitS.toFixed(1)} s`,
  );
  console.log('| segment | size | recency (days) | orders | spend (GBP) | buys in the next period |');
  console.log('|---|---|---|---|---|---|');
  const rows = r.segments.map((s) => {
    const m = members.filter(([, id]) => id === s.id);
    return { s, rate: m.filter(([u]) => buyers.has(u)).length / m.length };
  });
  rows.sort((a, b) => b.rate - a.rate);
  for (const { s, rate } of rows) {
    console.log(
      `| ${s.name} | ${s.size.toLocaleString('en-GB')} | ${s.recency.toFixed(1)} | ${s.frequency} | ${Math.round(s.monetary).toLocaleString('en-GB')} | ${(100 * rate).toFixed(1)} % |`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
