/**
 * Users needed to reach the A/B test's decision with interleaving, both measured on the same simulated shop
 * (`flywheel simulate`: the same shoppers, click model and true lift; `ab` splits them between popular and
 * item-knn, `interleave` shows every one of them team-draft merges of both). For EXPERIMENTS.md:
 *
 *   npm run build && node dist/bench/interleaving-users.js --seeds 20 --ab 500,1000,2000 --interleave 250,500,1000
 *
 * For each design and number of users, seeds 1..S are run one after the other, each as its own
 * `flywheel simulate --json` process (one process for all of them grew past a 4 GB heap after about 240 runs: a
 * gateway created and closed in a process does not give all its memory back); a run "reaches the
 * decision" when its test says p < 0.05 with the right sign (treatment better): for `ab` the Welch test of CTR (the
 * primary metric), for `interleave` the sign test of the preference share and, separately, the paired t-test of the
 * per-user credit difference. Prints one line per run (JSON, with --runs) and a table: the share of seeds reaching
 * the decision per design and size. "Users needed" is read off that table (the smallest size with >= 80 %).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/flywheel.js');

function runSimulate(flags: { scenario: string; seed: string; users: string; days: string; lift: string }): Record<string, unknown> {
  const args = ['simulate', '--json', '--scenario', flags.scenario, '--seed', flags.seed, '--users', flags.users, '--days', flags.days, '--lift', flags.lift];
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`flywheel ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const seeds = Number(flag('seeds', '20'));
const firstSeed = Number(flag('first-seed', '1'));
const lift = flag('lift', '0.15');
const days = flag('days', '5');
const sizes = (s: string) => s.split(',').filter(Boolean).map(Number);
const designs: ['ab' | 'interleave', number[]][] = [
  ['ab', sizes(flag('ab', '500,1000,2000'))],
  ['interleave', sizes(flag('interleave', '250,500,1000'))],
];
const printRuns = process.argv.includes('--runs');

interface AbOut {
  lift: { absolute: number | null; pValue: number | null };
}
interface InterleaveOut {
  interleaving: { preferenceShare: number | null; pValue: number; difference: { mean: number; pValue: number } | null };
}

function main(): void {
  const rows: string[] = [];
  const started = Date.now();
  for (const [scenario, grid] of designs) {
    for (const users of grid) {
      let reached = 0;
      let reachedT = 0;
      const t0 = Date.now();
      for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
        const out = runSimulate({ scenario, seed: String(seed), users: String(users), days, lift });
        if (scenario === 'ab') {
          const l = (out as unknown as AbOut).lift;
          if (l.pValue !== null && l.pValue < 0.05 && (l.absolute ?? 0) > 0) reached++;
          if (printRuns) console.log(JSON.stringify({ scenario, users, seed, pValue: l.pValue, absolute: l.absolute }));
        } else {
          const il = (out as unknown as InterleaveOut).interleaving;
          if (il.pValue < 0.05 && (il.preferenceShare ?? 0) > 0.5) reached++;
          if (il.difference && il.difference.pValue < 0.05 && il.difference.mean > 0) reachedT++;
          if (printRuns) console.log(JSON.stringify({ scenario, users, seed, pValue: il.pValue, share: il.preferenceShare, tPValue: il.difference?.pValue }));
        }
      }
      const pct = (k: number) => `${k}/${seeds} (${Math.round((100 * k) / seeds)} %)`;
      const secs = ((Date.now() - t0) / 1000).toFixed(0);
      rows.push(
        scenario === 'ab'
          ? `| A/B, Welch on CTR | ${users} | ${pct(reached)} | | ${secs} s |`
          : `| interleaving | ${users} | ${pct(reached)} (sign test) | ${pct(reachedT)} (paired t-test) | ${secs} s |`,
      );
      console.error(rows.at(-1));
    }
  }
  console.log(`lift ${lift}, ${days} days, seeds ${firstSeed}..${firstSeed + seeds - 1}; a seed reaches the decision at p < 0.05 with the right sign`);
  console.log('| design | users | reached | reached (second test) | wall time |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main();
