import { SPENDING_FUNCTIONS, type SpendingFunction } from '../experiments/group-sequential';
import type { Flywheel } from '../app/flywheel';
import { serveRecommendations } from '../app/serving';
import { EVENT_SCHEMA_VERSION, type BlendPartSpec, type ExperimentVariantSpec } from '../events/event';
import { mulberry32 } from '../util/prng';
import { CliFailure } from './cli-error';
import { printBanditSimulation, runBanditSimulation } from './simulate-bandit';
import { interleavingSummary } from './simulate-interleaving';
import { seedSimulatedShop, withSimulatedGateway } from './simulated-shop';

/**
 * `flywheel simulate`: a simulated shop against the real gateway code (embedded event log and graph,
 * recommender, impressions, attribution, experiments and their statistics), in a temporary data dir.
 *
 * Shoppers have a hidden click propensity that persists over time (so CUPED has something to use), a
 * position bias (1 / (1 + 0.5 (k - 1)) at rank k), and click each shown entry with probability
 * propensity x bias x quality, where quality is 1 for control's lists and 1 + lift for treatment's (the
 * known truth of the click model: CTR's relative lift is exactly `lift`). A click leads to a purchase
 * with probability 0.1. Day 0 runs without an experiment (the pre-period); the experiment (CTR primary) is
 * created and started through the same records the GraphQL mutations write, then days 1..D run.
 *
 * Scenarios: `aa` (both variants serve `popular`, lift 0), `ab` (treatment serves `item-knn`, lift
 * `--lift`; with `--blends` the two variants are two weightings of `blend` instead), `srm` (an A/A whose treatment loses a share of its users before they are exposed: a broken
 * split, about 47/53), `interleave` (the `ab` pair as an INTERLEAVE experiment: every user gets team-draft merges of
 * both lists, an entry's quality is 1 + `--lift` when treatment contributed it; the coin flips come from the seed),
 * `bandit` (Thompson sampling over three strategies against uniform allocation: simulate-bandit.ts).
 *
 * Guardrail (aa, ab, srm): revenue per user, with a non-inferiority margin (`--guardrail-margin`, 2 % by default).
 * `--guardrail-lift` makes treatment's clicks lead to a purchase that much more (or, negative, less) often: a
 * treatment that wins clicks but loses purchases ("clickbait"). The true relative change of revenue per user is
 * (1 + lift)(1 + guardrail lift) - 1 (every purchase is one unit at 10).
 */
export interface SimulateFlags {
  scenario?: string;
  seed?: string;
  users?: string;
  days?: string;
  lift?: string;
  /** bandit: the exploration floor. */
  floor?: string;
  /** bandit: keep the bandit run's data dir here. */
  dataDir?: string;
  /** ab, interleave: "part=weight,...;part=weight,..." (control;treatment), two weightings of blend as the variants. */
  blends?: string;
  /** aa, ab, srm: relative change of treatment's purchase probability per click (default 0). */
  guardrailLift?: string;
  /** aa, ab, srm: the revenue guardrail's margin (default 0.02). */
  guardrailMargin?: string;
  /** aa, ab, srm: the group-sequential test's alpha-spending function (default OBRIEN_FLEMING). */
  spending?: string;
  json?: boolean;
}

const SCENARIOS = ['aa', 'ab', 'srm', 'interleave', 'bandit'] as const;
type Scenario = (typeof SCENARIOS)[number];

export async function runSimulate(flags: SimulateFlags): Promise<Record<string, unknown>> {
  const scenario = (flags.scenario ?? 'ab') as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new CliFailure(`--scenario must be one of ${SCENARIOS.join(', ')}, got ${flags.scenario}`, 2);
  const seed = intFlag('--seed', flags.seed ?? '1', 0, 2 ** 31);
  const users = intFlag('--users', flags.users ?? '1000', 10, 1_000_000);
  const days = intFlag('--days', flags.days ?? '5', 1, 365);
  if (scenario === 'bandit')
    return runBanditSimulation({ seed, users, days, floor: Number(flags.floor ?? '0.05'), ...(flags.dataDir ? { dataDir: flags.dataDir } : {}) });
  const lift = scenario === 'ab' || scenario === 'interleave' ? Number(flags.lift ?? '0.15') : 0;
  if (!(lift > -1 && lift < 10)) throw new CliFailure('--lift must be a number above -1', 2);
  if (flags.blends !== undefined && scenario !== 'ab' && scenario !== 'interleave') throw new CliFailure('--blends goes with --scenario ab or interleave', 2);
  const blends = flags.blends === undefined ? undefined : parseBlends(flags.blends);
  if ((flags.guardrailLift !== undefined || flags.guardrailMargin !== undefined) && scenario === 'interleave')
    throw new CliFailure('--guardrail-lift and --guardrail-margin go with --scenario aa, ab or srm', 2);
  const guardrailLift = Number(flags.guardrailLift ?? '0');
  if (!(guardrailLift > -1 && guardrailLift < 9)) throw new CliFailure('--guardrail-lift must be a number above -1 and below 9', 2);
  const guardrailMargin = Number(flags.guardrailMargin ?? '0.02');
  if (!(guardrailMargin > 0 && guardrailMargin <= 1)) throw new CliFailure('--guardrail-margin must be a number in (0, 1]', 2);
  const spending = (flags.spending ?? 'OBRIEN_FLEMING') as SpendingFunction;
  if (!SPENDING_FUNCTIONS.includes(spending)) throw new CliFailure(`--spending must be one of ${SPENDING_FUNCTIONS.join(', ')}, got ${flags.spending}`, 2);
  if (flags.spending !== undefined && scenario === 'interleave') throw new CliFailure('--spending goes with --scenario aa, ab or srm', 2);

  return withSimulatedGateway(undefined, (app) =>
    simulate(app, { scenario, seed, users, days, lift, guardrailLift, guardrailMargin, spending, ...(blends ? { blends } : {}) }),
  );
}

/** `--blends "local-ease=1,item-knn=1;local-ease=1,item-knn=0.2"`: control's parts and weights, then treatment's. */
function parseBlends(raw: string): [BlendPartSpec[], BlendPartSpec[]] {
  const sides = raw.split(';').map((side) =>
    side.split(',').map((pair) => {
      const [strategy, weight, extra] = pair.split('=').map((x) => x.trim());
      return strategy && weight && extra === undefined ? { strategy, weight: Number(weight) } : null;
    }),
  );
  if (sides.length !== 2 || sides.some((parts) => parts.some((p) => p === null)))
    throw new CliFailure(`--blends: expected "part=weight,...;part=weight,..." (control;treatment), got "${raw}"`, 2);
  return sides as [BlendPartSpec[], BlendPartSpec[]];
}

async function simulate(
  app: Flywheel,
  o: {
    scenario: Exclude<Scenario, 'bandit'>;
    seed: number;
    users: number;
    days: number;
    lift: number;
    guardrailLift: number;
    guardrailMargin: number;
    spending: SpendingFunction;
    blends?: [BlendPartSpec[], BlendPartSpec[]];
  },
): Promise<Record<string, unknown>> {
  const rand = mulberry32(o.seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const DAY = 86_400_000;
  const start = Date.now() - (o.days + 1) * DAY;
  await seedSimulatedShop(app, rand, start);

  // Shoppers' hidden, persistent propensities (log-normal around 0.12).
  const propensity = Array.from({ length: o.users }, () => Math.min(0.9, 0.12 * Math.exp(0.6 * normal())));
  const lost = new Set<number>();
  let clicksTotal = 0;
  const visitDay = async (experimentId: string | null) => {
    const events: Record<string, unknown>[] = [];
    const visitors = [...Array(o.users).keys()].filter(() => rand() < 0.8);
    for (let chunk = 0; chunk < visitors.length; chunk += 100) {
      await Promise.all(
        visitors.slice(chunk, chunk + 100).map(async (u) => {
          const userId = `sim-u${u}`;
          const assigned = experimentId ? app.outcomes.experiments.assign(userId) : null;
          // The broken split: treatment users the sim loses before they are ever shown a list.
          if (o.scenario === 'srm' && assigned?.variant === 'treatment' && lost.has(u)) return;
          const { scored, served } = await serveRecommendations(app, { userId, first: 5 }, 'recommendations', rand);
          scored.forEach((r, k) => {
            // An interleaved entry is treatment's when treatment contributed it; otherwise the whole list is its variant's.
            const treated = (served.entries[k]?.team ?? served.variant) === 'treatment';
            const quality = treated ? 1 + o.lift : 1;
            if (rand() >= propensity[u]! * quality * (1 / (1 + 0.5 * k))) return;
            // Event time is the wall clock, as for the impressions the gateway records: a simulated "day" is a round of visits.
            const base = { v: EVENT_SCHEMA_VERSION, kind: 'interaction', userId, itemId: r.itemId, servedId: served.servedId, timestamp: Date.now() };
            events.push({ ...base, id: `c-${served.servedId}-${k}`, type: 'CLICK' });
            clicksTotal++;
            if (rand() < 0.1 * (treated ? 1 + o.guardrailLift : 1))
              events.push({ ...base, id: `p-${served.servedId}-${k}`, type: 'PURCHASE', quantity: 1, price: 10 });
          });
        }),
      );
    }
    for (let i = 0; i < events.length; i += 2000) await app.tracker.track(events.slice(i, i + 2000), 'simulate');
  };

  await visitDay(null);
  const parts = app.recommender.blendPartNames();
  const unknown = o.blends?.flat().find((p) => !parts.includes(p.strategy));
  if (unknown) throw new CliFailure(`--blends: unknown blend part "${unknown.strategy}"; choose from ${parts.join(', ')}`, 2);
  const variants: ExperimentVariantSpec[] = o.blends
    ? [
        { name: 'control', share: 0.5, strategy: 'blend', blend: o.blends[0] },
        { name: 'treatment', share: 0.5, strategy: 'blend', blend: o.blends[1] },
      ]
    : o.scenario === 'ab' || o.scenario === 'interleave'
      ? [
          { name: 'control', share: 0.5, strategy: 'popular' },
          { name: 'treatment', share: 0.5, strategy: 'item-knn' },
        ]
      : [
          { name: 'control', share: 0.5, strategy: 'popular' },
          { name: 'treatment', share: 0.5, strategy: 'popular' },
        ];
  const experimentId = `sim-${o.scenario}-${o.seed}`;
  const spec = {
    name: `simulated ${o.scenario}`,
    ...(o.scenario === 'interleave' ? { type: 'INTERLEAVE' as const } : {}),
    salt: `sim-salt-${o.seed}`,
    traffic: 1,
    variants,
    control: 'control',
    primaryMetric: 'CTR' as const,
    ...(o.scenario === 'interleave'
      ? { guardrailMetrics: [] }
      : {
          guardrailMetrics: ['REVENUE_PER_USER' as const],
          guardrails: [{ metric: 'REVENUE_PER_USER' as const, margin: o.guardrailMargin, direction: 'HIGHER_IS_BETTER' as const }],
        }),
    minimumDetectableEffect: 0.05,
    // The group-sequential test beside the always-valid one, planned to detect minimumDetectableEffect.
    ...(o.scenario === 'interleave' ? {} : { spending: o.spending }),
  };
  for (const fields of [
    { experimentId, action: 'create' as const, spec },
    { experimentId, action: 'start' as const },
  ]) {
    const r = await app.outcomes.recordExperiment(fields);
    // A record the simulator's own flags made invalid (a weight of 0, say).
    if (!r.applied) throw new CliFailure(`experiment record refused: ${r.reason}`, 2);
  }
  if (o.scenario === 'srm') for (let u = 0; u < o.users; u++) if (rand() < 0.12) lost.add(u);
  // An analyst who looks every day: the p-values each day's results would have shown. A fixed-horizon
  // p-value read this way inflates false positives; the sequential (always-valid) one is built for it.
  const looks: {
    day: number;
    pValue: number | null;
    sequentialPValue: number | null;
    groupSequentialRejected?: boolean;
    groupSequentialBoundary?: number | null;
    guardrailVerdict?: string;
    guardrailSequentialVerdict?: string;
  }[] = [];
  for (let day = 1; day <= o.days; day++) {
    await visitDay(experimentId);
    // The analyst's daily look is also one of the group-sequential test's looks (the last one is the stop below).
    if (day < o.days) app.outcomes.experiments.look(experimentId, Date.now());
    const primary = app.outcomes.experiments.results(experimentId);
    const seen = primary?.analysis.variants[1];
    const gst = primary?.groupSequential?.[1];
    const guard = o.scenario === 'interleave' ? undefined : app.outcomes.experiments.results(experimentId, 'REVENUE_PER_USER')?.analysis.variants[1]?.guardrail;
    looks.push({
      day,
      pValue: seen?.absolute?.pValue ?? null,
      sequentialPValue: seen?.sequential?.pValue ?? null,
      ...(gst && day < o.days ? { groupSequentialRejected: gst.rejected, groupSequentialBoundary: gst.boundary } : {}),
      ...(guard ? { guardrailVerdict: guard.fixed?.verdict ?? 'INCONCLUSIVE', guardrailSequentialVerdict: guard.sequential?.verdict ?? 'INCONCLUSIVE' } : {}),
    });
  }

  if (o.scenario === 'interleave') {
    const summary = interleavingSummary(app, experimentId, variants);
    return {
      scenario: o.scenario,
      seed: o.seed,
      users: o.users,
      days: o.days,
      ...summary,
      primary: 'clicks',
      clicks: clicksTotal,
      truth: { relativeLift: o.lift },
    };
  }
  // The planned end: stopping is the group-sequential test's final analysis (it spends the alpha left).
  const stop = await app.outcomes.recordExperiment({ experimentId, action: 'stop' });
  if (!stop.applied) throw new CliFailure(`experiment stop refused: ${stop.reason}`, 2);
  const results = app.outcomes.experiments.results(experimentId)!;
  const gst = results.groupSequential?.[1] ?? null;
  if (looks.length > 0 && gst) Object.assign(looks[looks.length - 1]!, { groupSequentialRejected: gst.rejected, groupSequentialBoundary: gst.boundary });
  const totals = app.outcomes.totals().filter((t) => t.experimentId === experimentId);
  const treatment = results.analysis.variants[1]!;
  const guard = app.outcomes.experiments.results(experimentId, 'REVENUE_PER_USER')!.analysis.variants[1]!.guardrail!;
  await app.anomalies.idle();
  return {
    scenario: o.scenario,
    seed: o.seed,
    users: o.users,
    days: o.days,
    variants: results.analysis.variants.map((v, i) => {
      const t = totals.find((x) => x.variant === v.name);
      return {
        name: v.name,
        strategy: variants[i]!.strategy,
        ...(variants[i]!.blend ? { blend: variants[i]!.blend } : {}),
        users: results.users[i],
        impressions: t?.impressions ?? 0,
        clicks: t?.clicks ?? 0,
        conversions: t?.purchases ?? 0,
        mean: v.summary.mean,
        variance: v.summary.variance,
      };
    }),
    primary: 'ctr',
    lift: {
      absolute: treatment.absolute?.estimate ?? null,
      relative: treatment.relative?.estimate ?? null,
      ci: treatment.relative?.ci ?? null,
      absoluteCi: treatment.absolute?.ci ?? null,
      pValue: treatment.absolute?.pValue ?? null,
      sequentialPValue: treatment.sequential?.pValue ?? null,
      cupedCi: treatment.cuped?.relative?.ci ?? null,
      cupedVarianceRatio: treatment.cuped?.varianceRatio ?? null,
      groupSequential: gst
        ? {
            rejected: gst.rejected,
            rejectedAtLook: gst.rejectedAtLook,
            z: gst.z,
            boundary: gst.boundary,
            informationFraction: gst.informationFraction,
            alphaSpent: gst.alphaSpent,
          }
        : null,
    },
    looks,
    srm: { pValue: results.analysis.srm?.pValue ?? null, mismatch: results.analysis.srm?.mismatch ?? false },
    srmAlerts: (await app.store.listAnomalies({ first: 10, kinds: ['SAMPLE_RATIO_MISMATCH'] })).anomalies.length,
    guardrails: [
      {
        metric: 'REVENUE_PER_USER',
        margin: guard.margin,
        direction: guard.direction,
        variant: treatment.name,
        estimate: guard.fixed?.estimate ?? null,
        bound: guard.fixed?.bound ?? null,
        pValue: guard.fixed?.pValue ?? null,
        verdict: guard.fixed?.verdict ?? 'INCONCLUSIVE',
        sequentialPValue: guard.sequential?.pValue ?? null,
        sequentialInferiorityPValue: guard.sequential?.inferiorityPValue ?? null,
        sequentialVerdict: guard.sequential?.verdict ?? 'INCONCLUSIVE',
      },
    ],
    guardrailAlerts: (await app.store.listAnomalies({ first: 10, kinds: ['GUARDRAIL_FAILURE'] })).anomalies.length,
    clicks: clicksTotal,
    truth: { relativeLift: o.lift, guardrail: { metric: 'REVENUE_PER_USER', relativeLift: (1 + o.lift) * (1 + o.guardrailLift) - 1 } },
  };
}

export function printSimulate(result: Record<string, unknown>, json: boolean): void {
  const il = result.interleaving as
    { users: number; credited: { control: number; treatment: number }; preferenceShare: number | null; ci: [number, number]; pValue: number } | undefined;
  if (!json && result.scenario === 'bandit') printBanditSimulation(result);
  else if (!json && il) {
    console.log(
      `interleaved users ${il.users}  credited clicks control ${il.credited.control} treatment ${il.credited.treatment}  preference for treatment ${il.preferenceShare?.toFixed(4)} [${il.ci.map((x) => x.toFixed(4)).join(', ')}]  p ${il.pValue.toExponential(2)}`,
    );
  } else if (!json) {
    const lift = result.lift as { relative: number | null; ci: [number, number] | null; pValue: number | null; sequentialPValue: number | null };
    for (const v of result.variants as { name: string; strategy: string; users: number; impressions: number; clicks: number; mean: number }[]) {
      console.log(`${v.name.padEnd(10)} ${v.strategy.padEnd(10)} users ${v.users}  lists ${v.impressions}  clicks ${v.clicks}  CTR ${v.mean.toFixed(4)}`);
    }
    console.log(
      `relative lift ${lift.relative?.toFixed(4)} [${lift.ci?.map((x) => x.toFixed(4)).join(', ')}]  p ${lift.pValue?.toExponential(2)}  sequential p ${lift.sequentialPValue?.toExponential(2)}  SRM p ${(result.srm as { pValue: number }).pValue?.toExponential(2)}`,
    );
    for (const g of result.guardrails as {
      metric: string;
      margin: number;
      estimate: number | null;
      bound: number | null;
      verdict: string;
      sequentialVerdict: string;
    }[]) {
      console.log(
        `guardrail ${g.metric} (margin ${g.margin}): relative change ${g.estimate?.toFixed(4)}, one-sided bound ${g.bound?.toFixed(4)}  verdict ${g.verdict}  always-valid ${g.sequentialVerdict}`,
      );
    }
  }
  console.log(JSON.stringify(result));
}

function intFlag(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliFailure(`${name} must be an integer from ${min} to ${max}, got ${raw}`, 2);
  return n;
}
