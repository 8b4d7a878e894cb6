import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { gql, impressionsApplied, startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * Issue 13, self-tuning, end to end on the embedded default: a BANDIT experiment created over GraphQL serves
 * each request an arm drawn by Thompson sampling; every entry carries the propensity of that draw (below 1);
 * clicks on one arm's lists move the traffic to it (the bandit state over GraphQL and the propensities of
 * later lists agree); the floor holds; after a restart the state is rebuilt from the log.
 */
const CREATE = `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id type status explorationFloor } }`;
const RECS = 'query($u: ID!) { recommendations(userId: $u, first: 3) { servedId strategy variant propensity item { id } } }';
const BANDIT = `query($id: ID!) { experiment(id: $id) { type explorationFloor bandit { explorationFloor reward arms { variant strategy pulls successes alpha beta posteriorMean probabilityBest trafficShare } }
  results { sampleRatioMismatch srmPValue primary { variants { name users mean } } } } }`;
const TRACK = 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }';

type Entry = { servedId: string; strategy: string; variant: string | null; propensity: number; item: { id: string } };
type Arm = {
  variant: string;
  strategy: string;
  pulls: number;
  successes: number;
  alpha: number;
  beta: number;
  posteriorMean: number;
  probabilityBest: number;
  trafficShare: number;
};
type State = {
  experiment: {
    type: string;
    explorationFloor: number;
    bandit: { explorationFloor: number; reward: string; arms: Arm[] };
    results: { sampleRatioMismatch: boolean; srmPValue: number | null; primary: { variants: { name: string; users: number }[] } };
  };
};

async function q<T>(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(gw.graphqlUrl, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

const input = {
  name: 'bandit: popular vs item-knn',
  type: 'BANDIT',
  explorationFloor: 0.1,
  variants: [
    { name: 'popular', share: 0.5, strategy: 'popular' },
    { name: 'item-knn', share: 0.5, strategy: 'item-knn' },
  ],
  primaryMetric: 'CTR',
  minimumDetectableEffect: 0.1,
};

describe('bandit experiments over GraphQL (embedded)', () => {
  let gw: TestGateway | undefined;
  let dataDir = '';
  after(async () => {
    await gw?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('serves lists with propensities < 1, shifts traffic to the arm that gets clicks, keeps the floor, survives a restart', async () => {
    gw = await startTestGateway({ demo: true, keepDataDir: true });
    dataDir = gw.dataDir;
    for (const [bad, reason] of [
      [{ ...input, explorationFloor: 0.6 }, /explorationFloor: must be at most 1\/2/],
      [{ ...input, primaryMetric: 'REVENUE_PER_USER' }, /yes\/no reward/],
      [{ ...input, type: 'AB' }, /explorationFloor: goes with type BANDIT only/],
    ] as const) {
      const r: Awaited<ReturnType<typeof gql>> = await gql(gw.graphqlUrl, CREATE, { input: bad });
      assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(r.errors));
      assert.match(r.errors![0]!.message, reason);
    }
    const x = (await q<{ createExperiment: { id: string; type: string; explorationFloor: number } }>(gw, CREATE, { input })).createExperiment;
    assert.equal(x.type, 'BANDIT');
    assert.equal(x.explorationFloor, 0.1);
    await q(gw, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id: x.id });
    const initial = (await q<State>(gw, BANDIT, { id: x.id })).experiment.bandit;
    assert.equal(initial.reward, 'CLICK');
    assert.deepEqual(
      initial.arms.map((a) => [a.variant, a.pulls, a.trafficShare]),
      [
        ['popular', 0, 0.5],
        ['item-knn', 0, 0.5],
      ],
    );

    // 80 requests by 8 users; every item-knn list is clicked, no popular list is.
    const seen = new Map<string, Set<string>>();
    let late: Entry[] = [];
    for (let i = 0; i < 80; i++) {
      const user = `demo-user-${1 + (i % 8)}`;
      const list: Entry[] = (await q<{ recommendations: Entry[] }>(gw, RECS, { u: user })).recommendations;
      assert.ok(list.length > 0);
      const v: string = list[0]!.variant!;
      assert.ok(['popular', 'item-knn'].includes(v));
      for (const e of list) {
        assert.equal(e.variant, v);
        assert.equal(e.strategy, v === 'popular' ? 'popular' : 'item-knn');
        assert.equal(e.propensity, list[0]!.propensity, 'one propensity per list');
        assert.ok(e.propensity >= 0.1 - 1e-12 && e.propensity <= 0.9 + 1e-12, `propensity ${e.propensity} within [floor, 1 - floor]`);
      }
      if (!seen.has(user)) seen.set(user, new Set());
      seen.get(user)!.add(v);
      if (v === 'item-knn')
        await q(gw, TRACK, { e: [{ id: `b-click-${i}`, type: 'CLICK', userId: user, itemId: list[0]!.item.id, servedId: list[0]!.servedId }] });
      if (i >= 70) late = late.concat(list.slice(0, 1));
    }
    assert.ok(
      [...seen.values()].some((s) => s.size === 2),
      'a user met both arms: per request, not sticky',
    );
    await impressionsApplied(gw.app);

    const state = (await q<State>(gw, BANDIT, { id: x.id })).experiment;
    const [popular, knn] = state.bandit.arms;
    assert.equal(popular!.pulls + knn!.pulls, 80);
    assert.equal(popular!.successes, 0);
    assert.equal(knn!.successes, knn!.pulls);
    assert.equal(knn!.alpha, 1 + knn!.pulls);
    assert.ok(knn!.trafficShare > 0.85, `item-knn share ${knn!.trafficShare}`);
    assert.ok(Math.abs(popular!.trafficShare - 0.1) < 1e-6, `popular held at the floor: ${popular!.trafficShare}`);
    assert.ok(Math.abs(popular!.trafficShare + knn!.trafficShare - 1) < 1e-12);
    // Late lists were drawn from the shifted allocation: item-knn lists with a propensity above one half.
    assert.ok(
      late.some((e) => e.variant === 'item-knn' && e.propensity > 0.5),
      JSON.stringify(late.map((e) => [e.variant, e.propensity])),
    );
    // Results are per (user, arm) and have no sample-ratio check.
    assert.equal(state.results.srmPValue, null);
    assert.equal(state.results.sampleRatioMismatch, false);

    // Restart: the counts come back from the log (impressions and attributed clicks).
    await gw.close();
    gw = await startTestGateway({ dataDir });
    for (const end = Date.now() + 20_000; gw.app.ingestor.lag() > 0 && Date.now() < end;) await new Promise((res) => setTimeout(res, 20));
    const restarted = (await q<State>(gw, BANDIT, { id: x.id })).experiment.bandit;
    assert.deepEqual(
      restarted.arms.map((a) => [a.pulls, a.successes]),
      state.bandit.arms.map((a) => [a.pulls, a.successes]),
    );
  });
  test("by segment: each list is drawn from the user's segment's arms, and the segment is logged and counted", async () => {
    const g = await startTestGateway({ demo: true });
    try {
      await g.app.segments.refit();
      const x = (
        await q<{ createExperiment: { id: string } }>(
          g,
          'mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id banditBySegment } }',
          {
            input: { ...input, name: 'bandit by segment', banditBySegment: true },
          },
        )
      ).createExperiment;
      const bad = await gql(g.graphqlUrl, CREATE, { input: { ...input, type: 'AB', explorationFloor: undefined, banditBySegment: true } });
      assert.match(bad.errors![0]!.message, /banditBySegment: goes with type BANDIT only/);
      await q(g, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id: x.id });
      const users = Array.from({ length: 12 }, (_, i) => `demo-user-${i + 1}`);
      const segmentOf = await g.app.segments.segmentOf(users);
      for (const u of users) await q(g, RECS, { u });
      await impressionsApplied(g.app);
      const state = await q<{
        experiment: {
          banditBySegment: boolean;
          bandit: { bySegment: boolean; arms: { pulls: number }[]; segments: { segment: string | null; arms: { pulls: number }[] }[] };
        };
      }>(g, 'query($id: ID!) { experiment(id: $id) { banditBySegment bandit { bySegment arms { pulls } segments { segment arms { pulls } } } } }', {
        id: x.id,
      });
      const b = state.experiment.bandit;
      assert.equal(state.experiment.banditBySegment, true);
      assert.equal(b.bySegment, true);
      // Every list counted once, in the segment its user had when it was served.
      const expected = new Map<string | null, number>();
      for (const s of segmentOf) expected.set(s ?? null, (expected.get(s ?? null) ?? 0) + 1);
      assert.deepEqual(new Map(b.segments.map((s) => [s.segment, s.arms.reduce((n, a) => n + a.pulls, 0)])), expected);
      assert.equal(
        b.arms.reduce((n, a) => n + a.pulls, 0),
        users.length,
      );
      assert.ok(
        segmentOf.some((s) => s !== null),
        'demo users have segments',
      );
    } finally {
      await g.close();
    }
  });
});
