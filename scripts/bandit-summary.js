#!/usr/bin/env node
'use strict';
// Summarises `flywheel simulate --scenario bandit --json` runs (DIR/sim.jsonl, one JSON line per seed) and
// `flywheel evaluate-policy --json` on their logs (DIR/ope.jsonl, same order): regret against uniform allocation,
// the best arm's share of the traffic, and how often the IPS / SNIPS intervals cover each arm's true CTR.
// Usage: node scripts/bandit-summary.js DIR   (the loop that writes DIR is in EXPERIMENTS.md, "Bandit runs").
const fs = require('node:fs');
const dir = process.argv[2] || '.';
const lines = (f) =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
const sims = lines(`${dir}/sim.jsonl`);
const opes = lines(`${dir}/ope.jsonl`);
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
const range = (xs, d = 3) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`;
const stat = (name, xs, d = 3) => console.log(`${name}: median ${median(xs).toFixed(d)}, range ${range(xs, d)}`);
const col = (g) => sims.map(g);
// The regret the floor alone costs: every other arm keeps floor x N requests.
const floorRegret = (r) => {
  const t = Object.values(r.truth.ctr);
  const best = Math.max(...t);
  return r.floor * t.reduce((s, x) => s + (best - x), 0) * r.requests;
};
console.log(
  `runs ${sims.length}, requests ${range(
    col((r) => r.requests),
    0,
  )}, short lists ${col((r) => r.shortLists).reduce((a, b) => a + b, 0)}`,
);
stat(
  'regret, bandit',
  col((r) => r.regret.bandit),
  1,
);
stat(
  'regret, uniform',
  col((r) => r.regret.uniform),
  1,
);
stat(
  'regret ratio bandit / uniform',
  col((r) => r.regret.ratio),
);
console.log(`bandit below uniform in ${col((r) => r.regret.bandit < r.regret.uniform).filter(Boolean).length} of ${sims.length}`);
stat('regret the floor alone costs', col(floorRegret), 1);
stat(
  'best arm share, bandit, all requests',
  col((r) => r.bestArmShare.bandit.all),
);
stat(
  'best arm share, bandit, last 10 %',
  col((r) => r.bestArmShare.bandit.last10pct),
);
stat(
  "best arm's traffic share at the end",
  col((r) => r.bestArmShare.bandit.final),
);
stat(
  'best arm share, uniform',
  col((r) => r.bestArmShare.uniform.all),
);
stat(
  'clicks, bandit / uniform - 1',
  col((r) => r.clicks.bandit / r.clicks.uniform - 1),
);
for (const arm of Object.keys(sims[0]?.truth.ctr ?? {}))
  stat(
    `true CTR ${arm}`,
    col((r) => r.truth.ctr[arm]),
  );
if (opes.length === sims.length && opes.length > 0) {
  for (const arm of Object.keys(sims[0].truth.ctr)) {
    const c = opes.map((o, i) => ({ e: o.candidates.find((x) => x.name === arm), t: sims[i].truth.ctr[arm] }));
    const covers = (k) => c.filter(({ e, t }) => e[k].ci[0] <= t && t <= e[k].ci[1]).length;
    console.log(
      `${arm}: IPS covers ${covers('ips')}/${c.length} (median width ${median(c.map(({ e }) => e.ips.ci[1] - e.ips.ci[0])).toFixed(3)}), SNIPS ${covers('snips')}/${c.length} (${median(c.map(({ e }) => e.snips.ci[1] - e.snips.ci[0])).toFixed(3)}); mean IPS - truth ${(c.reduce((s, { e, t }) => s + e.ips.estimate - t, 0) / c.length).toFixed(4)}`,
    );
  }
}
