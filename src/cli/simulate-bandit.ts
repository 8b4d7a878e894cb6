import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import type { Flywheel } from '../app/flywheel';
import { serveRecommendations } from '../app/serving';
import { EVENT_SCHEMA_VERSION, type ExperimentSpec } from '../events/event';
import { mulberry32 } from '../util/prng';
import { CliFailure } from './cli-error';
import { seedSimulatedShop, withSimulatedGateway } from './simulated-shop';

/**
 * `flywheel simulate --scenario bandit`: a BANDIT experiment (Thompson sampling per request, src/outcomes/bandit.ts)
 * on the simulated shop of simulate-command.ts, through the real gateway code, against uniform allocation on the
 * same shop.
 *
 * Three arms with known, different click-through: `popular` (quality 1), `item-knn` (quality 1.3, the best) and
 * `rp3beta` (quality 0.7). The click model is simulate-command.ts's: a shopper with hidden propensity p clicks the
 * entry at rank k with probability min(1, p · quality · 1/(1 + 0.5(k − 1))), so an arm's true clicks per list is
 * the mean over shoppers of Σ_k min(1, p · q · b_k) (exact for the simulated population, lists of 5). Each day every
 * shopper visits with probability 0.8; visits are served 50 at a time, their clicks tracked after each batch, so
 * the bandit learns during the day.
 *
 * The same shop (same seed: same shoppers, same visits) runs twice, each in a fresh embedded gateway: once with the
 * bandit (`--floor`, default 0.05) and once with uniform allocation, which is the same code with the floor at 1/3
 * (every share 1/3 whatever the posterior). Both are measured: cumulative (pseudo-)regret Σ_t (μ* − μ_{a_t}) in
 * clicks per list over the N requests served, with μ the true clicks per list of the arm served, the clicks they
 * actually got, and the share of requests on the best arm (all, last 10 %) and the bandit's final traffic share.
 * With `--data-dir DIR` the bandit run's data dir is kept there (for `flywheel evaluate-policy --data-dir DIR`).
 */
export interface BanditSimOptions {
  seed: number;
  users: number;
  days: number;
  floor: number;
  dataDir?: string;
}

const ARMS = [
  { name: 'popular', strategy: 'popular', quality: 1 },
  { name: 'item-knn', strategy: 'item-knn', quality: 1.3 },
  { name: 'rp3beta', strategy: 'rp3beta', quality: 0.7 },
] as const;
const LIST = 5;
const bias = (k: number) => 1 / (1 + 0.5 * k);

interface RunResult {
  requests: number;
  arms: { lists: number; clicks: number; finalShare: number; pulls: number; successes: number; posteriorMean: number }[];
  regret: number;
  clicks: number;
  bestShare: { all: number; last10pct: number; final: number };
  shortLists: number;
}

export async function runBanditSimulation(o: BanditSimOptions): Promise<Record<string, unknown>> {
  if (!(o.floor > 0 && o.floor <= 1 / ARMS.length)) throw new CliFailure(`--floor must be in (0, 1/${ARMS.length}], got ${o.floor}`, 2);
  if (o.dataDir !== undefined && existsSync(o.dataDir) && readdirSync(o.dataDir).length > 0)
    throw new CliFailure(`--data-dir ${o.dataDir} is not empty: the simulation writes a fresh log there`, 2);
  // The shoppers' hidden propensities, as simulate-command.ts draws them (log-normal around 0.12).
  const truthRand = mulberry32(streamSeed(o.seed, 'shoppers'));
  const normal = () => Math.sqrt(-2 * Math.log(1 - truthRand())) * Math.cos(2 * Math.PI * truthRand());
  const propensity = Array.from({ length: o.users }, () => Math.min(0.9, 0.12 * Math.exp(0.6 * normal())));
  const truth = ARMS.map((a) => {
    let ctr = 0;
    let clicked = 0;
    for (const p of propensity) {
      let none = 1;
      for (let k = 0; k < LIST; k++) {
        const c = Math.min(1, p * a.quality * bias(k));
        ctr += c;
        none *= 1 - c;
      }
      clicked += 1 - none;
    }
    return { ctr: ctr / o.users, clickRate: clicked / o.users };
  });
  const best = truth.reduce((b, t, i) => (t.ctr > truth[b]!.ctr ? i : b), 0);

  const bandit = await withSimulatedGateway(o.dataDir, (app) => run(app, o, o.floor, propensity, truth, best));
  const uniform = await withSimulatedGateway(undefined, (app) => run(app, o, 1 / ARMS.length, propensity, truth, best));
  return {
    scenario: 'bandit',
    seed: o.seed,
    users: o.users,
    days: o.days,
    floor: o.floor,
    requests: bandit.requests,
    best: ARMS[best]!.strategy,
    arms: ARMS.map((a, i) => ({
      variant: a.name,
      strategy: a.strategy,
      quality: a.quality,
      truth: truth[i],
      bandit: bandit.arms[i],
      uniform: { lists: uniform.arms[i]!.lists, clicks: uniform.arms[i]!.clicks },
    })),
    regret: { bandit: bandit.regret, uniform: uniform.regret, uniformRequests: uniform.requests, ratio: bandit.regret / uniform.regret },
    bestArmShare: { bandit: bandit.bestShare, uniform: uniform.bestShare },
    clicks: { bandit: bandit.clicks, uniform: uniform.clicks },
    shortLists: bandit.shortLists + uniform.shortLists,
    ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
    truth: {
      ctr: Object.fromEntries(ARMS.map((a, i) => [a.strategy, truth[i]!.ctr])),
      clickRate: Object.fromEntries(ARMS.map((a, i) => [a.strategy, truth[i]!.clickRate])),
    },
  };
}

/**
 * Independent seeds for the simulation's random streams. Mulberry32 streams from adjacent seeds (s, s + 1) are
 * correlated (their states differ by 1 at every step). With the arm draws seeded s + 2 and the clicks s + 1, the
 * rarely played arm's realised clicks strayed from their exact expectation under the click model by 1.8 to 2.6
 * standard errors in 4 seeds of 4 checked, and evaluate-policy's 95 % intervals covered its true click-through in
 * 14 of 20 seeds; with the arm draws from Math.random instead, the same check stayed within 1.9 standard errors.
 */
function streamSeed(seed: number, stream: string): number {
  return createHash('sha256').update(`${seed}:${stream}`).digest().readUInt32LE(0);
}

async function run(
  app: Flywheel,
  o: BanditSimOptions,
  floor: number,
  propensity: readonly number[],
  truth: readonly { ctr: number }[],
  best: number,
): Promise<RunResult> {
  // The same shop for both runs: catalog, history, visits and clicks from the seed; the arm draws from a stream of their own.
  const rand = mulberry32(streamSeed(o.seed, 'visits-and-clicks'));
  const policy = mulberry32(streamSeed(o.seed, 'arm-draws'));
  const DAY = 86_400_000;
  const start = Date.now() - (o.days + 1) * DAY;
  await seedSimulatedShop(app, rand, start);

  const experimentId = `sim-bandit-${o.seed}`;
  const spec: ExperimentSpec = {
    name: 'simulated bandit',
    salt: `sim-salt-${o.seed}`,
    traffic: 1,
    type: 'BANDIT',
    explorationFloor: floor,
    variants: ARMS.map((a, i) => ({ name: a.name, strategy: a.strategy, share: i === 0 ? 1 - (ARMS.length - 1) / ARMS.length : 1 / ARMS.length })),
    control: ARMS[0].name,
    primaryMetric: 'CTR',
    guardrailMetrics: [],
    minimumDetectableEffect: 0.05,
  };
  for (const fields of [
    { experimentId, action: 'create' as const, spec },
    { experimentId, action: 'start' as const },
  ]) {
    const r = await app.outcomes.recordExperiment(fields);
    if (!r.applied) throw new Error(`experiment record refused: ${r.reason}`);
  }

  const chosen: number[] = [];
  const lists = ARMS.map(() => 0);
  const clicks = ARMS.map(() => 0);
  let shortLists = 0;
  let regret = 0;
  for (let day = 1; day <= o.days; day++) {
    const visitors = [...Array(o.users).keys()].filter(() => rand() < 0.8);
    for (let chunk = 0; chunk < visitors.length; chunk += 50) {
      const batch = visitors.slice(chunk, chunk + 50);
      // The arms are drawn in this order (assignment is synchronous at the start of each call).
      const served = await Promise.all(batch.map((u) => serveRecommendations(app, { userId: `sim-u${u}`, first: LIST }, 'recommendations', policy)));
      const events: Record<string, unknown>[] = [];
      served.forEach(({ scored, served: list }, j) => {
        const u = batch[j]!;
        const arm = ARMS.findIndex((a) => a.name === list.variant);
        if (arm < 0) throw new Error(`a list outside the experiment: ${list.variant}`);
        chosen.push(arm);
        lists[arm]!++;
        regret += truth[best]!.ctr - truth[arm]!.ctr;
        if (scored.length < LIST) shortLists++;
        scored.forEach((r, k) => {
          if (rand() >= propensity[u]! * ARMS[arm]!.quality * bias(k)) return;
          clicks[arm]!++;
          events.push({
            v: EVENT_SCHEMA_VERSION,
            kind: 'interaction',
            id: `c-${list.servedId}-${k}`,
            type: 'CLICK',
            userId: `sim-u${u}`,
            itemId: r.itemId,
            servedId: list.servedId,
            timestamp: Date.now(),
          });
        });
      });
      // The lists' impressions in the log and read back, then their clicks: the next batch is drawn from the updated posterior.
      await Promise.all(served.map((s) => s.served.recorded));
      if (events.length > 0) await app.tracker.track(events, 'simulate');
      for (const end = Date.now() + 30_000; app.ingestor.lag() > 0 && Date.now() < end;) await new Promise((r) => setTimeout(r, 5));
    }
  }
  const state = app.outcomes.experiments.bandit(experimentId)!;
  const n = chosen.length;
  const tail = chosen.slice(n - Math.max(1, Math.floor(n / 10)));
  return {
    requests: n,
    arms: ARMS.map((_, i) => ({
      lists: lists[i]!,
      clicks: clicks[i]!,
      pulls: state.arms[i]!.pulls,
      successes: state.arms[i]!.successes,
      posteriorMean: state.arms[i]!.posteriorMean,
      finalShare: state.arms[i]!.trafficShare,
    })),
    regret,
    clicks: clicks.reduce((a, b) => a + b, 0),
    bestShare: {
      all: chosen.filter((a) => a === best).length / n,
      last10pct: tail.filter((a) => a === best).length / tail.length,
      final: state.arms[best]!.trafficShare,
    },
    shortLists,
  };
}

export function printBanditSimulation(r: Record<string, unknown>): void {
  const arms = r.arms as {
    strategy: string;
    truth: { ctr: number };
    bandit: { lists: number; clicks: number; finalShare: number };
    uniform: { lists: number; clicks: number };
  }[];
  for (const a of arms)
    console.log(
      `${a.strategy.padEnd(10)} true CTR ${a.truth.ctr.toFixed(4)}  bandit lists ${a.bandit.lists} clicks ${a.bandit.clicks} final share ${a.bandit.finalShare.toFixed(3)}  uniform lists ${a.uniform.lists} clicks ${a.uniform.clicks}`,
    );
  const regret = r.regret as { bandit: number; uniform: number; ratio: number };
  const share = r.bestArmShare as { bandit: { all: number; last10pct: number }; uniform: { all: number } };
  console.log(
    `requests ${r.requests}  regret bandit ${regret.bandit.toFixed(1)} vs uniform ${regret.uniform.toFixed(1)} (ratio ${regret.ratio.toFixed(3)})  best arm share bandit ${share.bandit.all.toFixed(3)} (last 10 % ${share.bandit.last10pct.toFixed(3)}), uniform ${share.uniform.all.toFixed(3)}`,
  );
}
