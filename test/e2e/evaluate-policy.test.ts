import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

/**
 * Issue 13, self-tuning and off-policy estimates, end to end through the CLI: `flywheel simulate --scenario
 * bandit` runs Thompson sampling over three strategies with known click-through on the simulated shop (the real
 * gateway code) and uniform allocation on the same shop; the bandit has less regret and serves the best arm most
 * by the end. `flywheel evaluate-policy` then reads the bandit's log from its data dir and estimates each arm's
 * clicks per list with IPS and SNIPS: the intervals cover the simulated truth.
 */
const BIN = path.resolve(__dirname, '../../../bin/flywheel.js');
const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-evaluate-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 });
}
function lastJson<T>(r: ReturnType<typeof cli>): T {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

interface Sim {
  scenario: string;
  requests: number;
  best: string;
  regret: { bandit: number; uniform: number; ratio: number };
  bestArmShare: { bandit: { all: number; last10pct: number; final: number }; uniform: { all: number } };
  shortLists: number;
  arms: { strategy: string; bandit: { lists: number; pulls: number; finalShare: number } }[];
  truth: { ctr: Record<string, number> };
}
interface Estimate {
  estimate: number;
  ci: [number, number];
}
interface Report {
  lists: number;
  propensity: { min: number; max: number };
  candidates: { name: string; ips: Estimate; snips: Estimate; loggedLists: number; meanWeight: number }[];
}

test("bandit: less regret than uniform allocation, most traffic on the best arm; evaluate-policy covers every arm's true CTR", () => {
  const data = path.join(dir, 'bandit');
  const sim = lastJson<Sim>(cli('simulate', '--scenario', 'bandit', '--seed', '4', '--users', '600', '--days', '4', '--data-dir', data, '--json'));
  assert.equal(sim.scenario, 'bandit');
  assert.equal(sim.best, 'item-knn');
  assert.equal(sim.shortLists, 0);
  assert.ok(sim.requests > 1500, `requests ${sim.requests}`);
  assert.ok(sim.regret.bandit < sim.regret.uniform / 2, JSON.stringify(sim.regret));
  assert.ok(sim.bestArmShare.bandit.last10pct > 0.6, JSON.stringify(sim.bestArmShare));
  assert.ok(Math.abs(sim.bestArmShare.uniform.all - 1 / 3) < 0.06, JSON.stringify(sim.bestArmShare));
  for (const a of sim.arms) {
    assert.equal(a.bandit.pulls, a.bandit.lists, 'every served list counted once in the bandit state');
    assert.ok(a.bandit.finalShare >= 0.05 - 1e-12, 'the floor');
  }

  const report = lastJson<Report>(cli('evaluate-policy', '--data-dir', data, '--alpha', '0.001', '--json'));
  assert.equal(report.lists, sim.requests);
  assert.ok(report.propensity.min >= 0.05 - 1e-12 && report.propensity.max < 1);
  assert.deepEqual(report.candidates.map((c) => c.name).sort(), Object.keys(sim.truth.ctr).sort());
  for (const c of report.candidates) {
    const truth = sim.truth.ctr[c.name]!;
    for (const [name, e] of [
      ['IPS', c.ips],
      ['SNIPS', c.snips],
    ] as const)
      assert.ok(e.ci[0] <= truth && truth <= e.ci[1], `${c.name} ${name} [${e.ci}] covers the true ${truth}`);
    assert.ok(Math.abs(c.meanWeight - 1) < 0.25, `${c.name}: mean weight ${c.meanWeight}`);
  }
});

test('evaluate-policy refuses what it cannot estimate, exit 2 with the reason', () => {
  const missing = cli('evaluate-policy', '--data-dir', path.join(dir, 'nope'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no data dir/);
  const unknown = cli('evaluate-policy', '--data-dir', path.join(dir, 'bandit'), '--strategy', 'blend');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /"blend" is not an arm/);
  const badPolicy = cli('evaluate-policy', '--data-dir', path.join(dir, 'bandit'), '--policy', 'popular=0.5,item-knn=0.2');
  assert.equal(badPolicy.status, 2);
  assert.match(badPolicy.stderr, /must sum to 1/);
});
