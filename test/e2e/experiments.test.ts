import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { FlywheelEvent, ImpressionEvent } from '../../src/events/event';
import { gql, impressionsApplied, startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * Issue 13, step 4, end to end on the embedded default: an analyst creates and starts an experiment over
 * GraphQL; users get their variant's strategy (deterministic salted assignment), and the list is the
 * exposure; attributed clicks make the results (the statistics of src/experiments); shipping a variant
 * makes its strategy the default; the registry survives a restart (it is in the log). A broken split (a
 * gateway logging exposures to one variant only) raises SAMPLE_RATIO_MISMATCH on `anomalyDetected`.
 */
const CREATE = `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id status control variants { name share strategy } primaryMetric } }`;
const RECS = 'query($u: ID!) { recommendations(userId: $u, first: 3) { servedId strategy variant item { id } } }';
const RESULTS = `query($id: ID!) { experiment(id: $id) { id status shippedVariant results { sampleRatioMismatch srmPValue
  primary { metric variants { name strategy users mean absolute { estimate ci { lower upper } pValue } relative { estimate } adjustedPValue sequentialPValue cupedAbsolute { estimate } } }
  guardrails { metric variants { name users mean } } } } }`;

async function q<T>(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(gw.graphqlUrl, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

const input = {
  name: 'popular vs segment-popular',
  variants: [
    { name: 'control', share: 0.5, strategy: 'popular' },
    { name: 'treatment', share: 0.5, strategy: 'item-knn' },
  ],
  primaryMetric: 'CTR',
  guardrailMetrics: ['REVENUE_PER_USER'],
  minimumDetectableEffect: 0.2,
};

describe('experiments over GraphQL (embedded)', () => {
  let gw: TestGateway | undefined;
  let dataDir = '';
  after(async () => {
    await gw?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('create, start, serve by assignment, results, ship; refusals are typed; the registry survives a restart', async () => {
    gw = await startTestGateway({ demo: true, keepDataDir: true });
    dataDir = gw.dataDir;
    const bad = await gql(gw.graphqlUrl, CREATE, { input: { ...input, variants: [input.variants[0], { ...input.variants[1], share: 0.6 }] } });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(bad.errors![0]!.message, /shares must sum to 1/);
    const unknown = await gql(gw.graphqlUrl, CREATE, { input: { ...input, variants: [input.variants[0], { ...input.variants[1], strategy: 'magic' }] } });
    assert.match(unknown.errors![0]!.message, /unknown strategy "magic"/);

    const x = (await q<{ createExperiment: { id: string; status: string; control: string } }>(gw, CREATE, { input })).createExperiment;
    assert.equal(x.status, 'DRAFT');
    assert.equal(x.control, 'control');
    // Before the start, everyone gets the default.
    const before = (await q<{ recommendations: { variant: string | null; strategy: string }[] }>(gw, RECS, { u: 'demo-user-1' })).recommendations;
    assert.equal(before[0]!.variant, null);
    const started = await q<{ startExperiment: { status: string } }>(gw, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id: x.id });
    assert.equal(started.startExperiment.status, 'RUNNING');
    const again = await gql(gw.graphqlUrl, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id: x.id });
    assert.equal(again.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(again.errors![0]!.message, /only a DRAFT experiment starts/);
    const missing = await gql(gw.graphqlUrl, 'mutation { stopExperiment(id: "nope") { status } }');
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');

    // Serve 40 users: each gets the strategy of the variant the book assigns, stickily; clicks on the first entry.
    const seen = new Map<string, string>();
    for (let u = 1; u <= 40; u++) {
      const user = `demo-user-${u}`;
      type Entry = { servedId: string; strategy: string; variant: string | null; item: { id: string } };
      const list: Entry[] = (await q<{ recommendations: Entry[] }>(gw, RECS, { u: user })).recommendations;
      const expected: { variant: string; strategy: string } = gw.app.outcomes.experiments.assign(user)!;
      assert.equal(list[0]!.variant, expected.variant);
      assert.equal(list[0]!.strategy, expected.strategy);
      seen.set(user, expected.variant);
      const second: { variant: string }[] = (await q<{ recommendations: { variant: string }[] }>(gw, RECS, { u: user })).recommendations;
      assert.equal(second[0]!.variant, expected.variant, 'sticky');
      if (expected.variant === 'treatment' || u % 3 === 0) {
        await q(gw, 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }', {
          e: [{ id: `x-click-${u}`, type: 'CLICK', userId: user, itemId: list[0]!.item.id, servedId: list[0]!.servedId }],
        });
      }
    }
    assert.ok(new Set(seen.values()).size === 2, 'both variants served');

    type Results = {
      experiment: {
        status: string;
        shippedVariant: string | null;
        results: {
          sampleRatioMismatch: boolean;
          srmPValue: number;
          primary: {
            metric: string;
            variants: { name: string; users: number; mean: number; absolute: { estimate: number } | null; sequentialPValue: number | null }[];
          };
          guardrails: { metric: string }[];
        };
      };
    };
    await impressionsApplied(gw.app); // the last lists' impressions are appended without waiting
    const r = (await q<Results>(gw, RESULTS, { id: x.id })).experiment;
    assert.equal(r.results.primary.metric, 'CTR');
    assert.deepEqual(
      r.results.guardrails.map((g) => g.metric),
      ['REVENUE_PER_USER'],
    );
    const [control, treatment] = r.results.primary.variants;
    assert.equal(control!.users + treatment!.users, 40);
    assert.equal(control!.absolute, null, 'control is the baseline');
    // Each user saw 2 lists; treatment users clicked once each: CTR 0.5. Control: a third of them clicked once.
    assert.equal(treatment!.mean, 0.5);
    assert.ok(control!.mean < 0.5);
    assert.ok(Math.abs(treatment!.absolute!.estimate - (treatment!.mean - control!.mean)) < 1e-12);
    assert.ok(treatment!.sequentialPValue !== null && treatment!.sequentialPValue <= 1);
    assert.equal(r.results.sampleRatioMismatch, false);

    // Ship the treatment: its strategy becomes the default, and nobody is in an experiment any more.
    const shipped = await q<{ shipVariant: { status: string; shippedVariant: string } }>(
      gw,
      'mutation($id: ID!) { shipVariant(experimentId: $id, variant: "treatment") { status shippedVariant } }',
      { id: x.id },
    );
    assert.deepEqual(shipped.shipVariant, { status: 'SHIPPED', shippedVariant: 'treatment' });
    assert.equal(gw.app.recommender.defaultStrategy, 'item-knn');
    const after = (await q<{ recommendations: { variant: string | null; strategy: string }[] }>(gw, RECS, { u: 'demo-user-1' })).recommendations;
    assert.deepEqual([after[0]!.variant, after[0]!.strategy], [null, 'item-knn']);

    // Restart: the experiment, its results and the shipped default come back from the log.
    await gw.close();
    gw = await startTestGateway({ dataDir });
    for (const end = Date.now() + 20_000; gw.app.ingestor.lag() > 0 && Date.now() < end;) await new Promise((res) => setTimeout(res, 20));
    const restarted = (await q<Results>(gw, RESULTS, { id: x.id })).experiment;
    assert.equal(restarted.status, 'SHIPPED');
    assert.deepEqual(restarted.results.primary, r.results.primary);
    assert.equal(gw.app.recommender.defaultStrategy, 'item-knn');
  });

  test('a group-sequential A/B test: spending typed in, the test in results, the stop is its final analysis', async () => {
    const own = await startTestGateway({ demo: true });
    try {
      const refused = await gql(own.graphqlUrl, CREATE, { input: { ...input, spending: 'LINEAR' } });
      assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(refused.errors![0]!.message, /LINEAR/);
      const bandit = await gql(own.graphqlUrl, CREATE, { input: { ...input, type: 'BANDIT', spending: 'POCOCK' } });
      assert.equal(bandit.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(bandit.errors![0]!.message, /spending: goes with type AB only/);
      const created = await q<{ createExperiment: { id: string } }>(own, CREATE, { input: { ...input, spending: 'POCOCK' } });
      const id = created.createExperiment.id;
      const plan = await q<{ experiment: { spending: string } }>(own, 'query($id: ID!) { experiment(id: $id) { spending } }', { id });
      assert.deepEqual(plan.experiment, { spending: 'POCOCK' });
      await q(own, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id });
      for (let u = 1; u <= 40; u++) {
        const user = `demo-user-${u}`;
        const list = (await q<{ recommendations: { servedId: string; variant: string; item: { id: string } }[] }>(own, RECS, { u: user })).recommendations;
        if (list[0]!.variant === 'treatment' || u % 3 === 0)
          await q(own, 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }', {
            e: [{ id: `gs-click-${u}`, type: 'CLICK', userId: user, itemId: list[0]!.item.id, servedId: list[0]!.servedId }],
          });
      }
      await impressionsApplied(own.app);
      await q(own, 'mutation($id: ID!) { stopExperiment(id: $id) { status } }', { id });
      type Gs = {
        rejected: boolean;
        looks: number;
        informationFraction: number;
        alphaSpent: number;
        boundary: number | null;
        z: number | null;
        complete: boolean;
      };
      const r = await q<{
        experiment: {
          results: { primary: { variants: { name: string; absolute: { estimate: number; standardError: number } | null; groupSequential: Gs | null }[] } };
        };
      }>(
        own,
        `query($id: ID!) { experiment(id: $id) { results { primary { variants { name absolute { estimate standardError }
          groupSequential { rejected looks informationFraction alphaSpent boundary z complete } } } } } }`,
        { id },
      );
      const [control, treatment] = r.experiment.results.primary.variants;
      assert.equal(control!.groupSequential, null, 'control has no test of its own');
      const g = treatment!.groupSequential!;
      // Stopped: the final analysis spent all of alpha at the planned end, whatever the users so far.
      assert.equal(g.complete, true);
      assert.ok(Math.abs(g.alphaSpent - 0.05) < 1e-9, `alpha spent ${g.alphaSpent}`);
      assert.equal(g.informationFraction, 1);
      assert.ok(Math.abs(g.z! - treatment!.absolute!.estimate / treatment!.absolute!.standardError) < 1e-9);
      assert.equal(g.rejected, Math.abs(g.z!) >= g.boundary!);
    } finally {
      await own.close();
    }
  });

  test('a broken split raises SAMPLE_RATIO_MISMATCH over anomalyDetected', async () => {
    const g = await startTestGateway({ demo: true });
    try {
      const x = (await q<{ createExperiment: { id: string } }>(g, CREATE, { input })).createExperiment;
      await q(g, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id: x.id });
      const client = createClient({ url: g.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
      const alert = new Promise<{ kind: string; entityId: string; severity: string }>((resolve, reject) => {
        client.subscribe<{ anomalyDetected: { kind: string; entityId: string; severity: string } }>(
          { query: 'subscription { anomalyDetected(filter: { kinds: [SAMPLE_RATIO_MISMATCH] }) { kind entityId severity } }' },
          { next: (v) => resolve(v.data!.anomalyDetected), error: reject, complete: () => undefined },
        );
      });
      await new Promise((r) => setTimeout(r, 200));
      // A broken gateway: exposures logged 60/40 where the shares say 50/50 (the true assignment is ignored).
      const shown = (i: number, variant: string): ImpressionEvent => ({
        kind: 'impression',
        v: 1,
        id: `broken-${i}`,
        userId: `broken-user-${i}`,
        surface: 'recommendations',
        strategy: variant === 'control' ? 'popular' : 'item-knn',
        experimentId: x.id,
        variant,
        items: [{ itemId: 'item-001', position: 1, propensity: 1 }],
        timestamp: Date.now(),
      });
      await g.app.log.append(Array.from({ length: 1000 }, (_, i) => shown(i, i % 5 < 3 ? 'control' : 'treatment')));
      let timer: NodeJS.Timeout | undefined;
      const got = await Promise.race([
        alert,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no SRM alert within 5 s')), 5000))),
      ]).finally(() => clearTimeout(timer));
      assert.deepEqual(got, { kind: 'SAMPLE_RATIO_MISMATCH', entityId: x.id, severity: 'CRITICAL' });
      const results = (await q<{ experiment: { results: { sampleRatioMismatch: boolean; srmPValue: number } } }>(g, RESULTS, { id: x.id })).experiment.results;
      assert.equal(results.sampleRatioMismatch, true);
      assert.ok(results.srmPValue < 0.001);
      await client.dispose();
    } finally {
      await g.close();
    }
  });
  test('guardrails: margins typed in, non-inferiority verdicts in results, a failing one raises GUARDRAIL_FAILURE once over anomalyDetected', async () => {
    const g = await startTestGateway({ demo: true });
    try {
      const guarded = { ...input, primaryMetric: 'CTR', guardrailMetrics: ['REVENUE_PER_USER'], guardrails: [{ metric: 'CLICKS_PER_USER', margin: 0.05 }] };
      const primaryAsGuardrail = await gql(g.graphqlUrl, CREATE, { input: { ...guarded, guardrails: [{ metric: 'CTR', margin: 0.05 }] } });
      assert.equal(primaryAsGuardrail.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(primaryAsGuardrail.errors![0]!.message, /CTR is the primary metric/);
      const zero = await gql(g.graphqlUrl, CREATE, { input: { ...guarded, guardrails: [{ metric: 'CLICKS_PER_USER', margin: 0 }] } });
      assert.equal(zero.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(zero.errors![0]!.message, /guardrails\.1\.margin: must be above 0/);

      const created = await q<{
        createExperiment: { id: string; guardrailMetrics: string[]; guardrails: { metric: string; margin: number; direction: string }[] };
      }>(g, 'mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id guardrailMetrics guardrails { metric margin direction } } }', {
        input: guarded,
      });
      const x = created.createExperiment;
      assert.deepEqual(x.guardrailMetrics, ['REVENUE_PER_USER', 'CLICKS_PER_USER']);
      assert.deepEqual(x.guardrails, [
        { metric: 'REVENUE_PER_USER', margin: 0.02, direction: 'HIGHER_IS_BETTER' },
        { metric: 'CLICKS_PER_USER', margin: 0.05, direction: 'HIGHER_IS_BETTER' },
      ]);
      await q(g, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id: x.id });
      const client = createClient({ url: g.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
      const alerts: { id: string; kind: string; entityId: string; severity: string }[] = [];
      const first = new Promise<void>((resolve, reject) => {
        client.subscribe<{ anomalyDetected: { id: string; kind: string; entityId: string; severity: string } }>(
          { query: 'subscription { anomalyDetected(filter: { kinds: [GUARDRAIL_FAILURE] }) { id kind entityId severity } }' },
          {
            next: (v) => {
              alerts.push(v.data!.anomalyDetected);
              resolve();
            },
            error: reject,
            complete: () => undefined,
          },
        );
      });
      await new Promise((r) => setTimeout(r, 200));
      // Users assigned as the gateway assigns them (no sample-ratio mismatch); treatment users click far less.
      const traffic = (from: number, to: number): FlywheelEvent[] =>
        Array.from({ length: to - from }, (_, k) => {
          const i = from + k;
          const user = `guard-user-${i}`;
          const a = g.app.outcomes.experiments.assign(user)!;
          const shown: ImpressionEvent = {
            kind: 'impression',
            v: 1,
            id: `guard-list-${i}`,
            userId: user,
            surface: 'recommendations',
            strategy: a.strategy,
            experimentId: x.id,
            variant: a.variant,
            items: [{ itemId: 'item-001', position: 1, propensity: 1 }],
            timestamp: Date.now(),
          };
          const clicks = a.variant === 'control' ? i % 2 === 0 : i % 5 === 0;
          return [
            shown,
            ...(clicks
              ? [
                  {
                    kind: 'interaction' as const,
                    v: 1,
                    id: `guard-click-${i}`,
                    type: 'CLICK' as const,
                    userId: user,
                    itemId: 'item-001',
                    servedId: shown.id,
                    timestamp: Date.now(),
                  },
                ]
              : []),
          ];
        }).flat();
      await g.app.log.append(traffic(0, 600));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        first,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no guardrail alert within 5 s')), 5000))),
      ]).finally(() => clearTimeout(timer));
      assert.deepEqual(alerts[0], {
        id: `GUARDRAIL_FAILURE:experiment:${x.id}:treatment:CLICKS_PER_USER`,
        kind: 'GUARDRAIL_FAILURE',
        entityId: x.id,
        severity: 'CRITICAL',
      });
      // More of the same: no second alert for the same experiment, variant and metric.
      await g.app.log.append(traffic(600, 900));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(alerts.length, 1);
      type G = {
        margin: number;
        direction: string;
        estimate: number;
        bound: number;
        pValue: number;
        verdict: string;
        sequentialInferiorityPValue: number;
        sequentialVerdict: string;
      };
      const r = await q<{ experiment: { results: { guardrails: { metric: string; variants: { name: string; guardrail: G | null }[] }[] } } }>(
        g,
        `query($id: ID!) { experiment(id: $id) { results { guardrails { metric variants { name guardrail { margin direction estimate bound pValue verdict sequentialInferiorityPValue sequentialVerdict } } } } } }`,
        { id: x.id },
      );
      const clicks = r.experiment.results.guardrails.find((m) => m.metric === 'CLICKS_PER_USER')!;
      assert.equal(clicks.variants[0]!.guardrail, null, 'control has no verdict');
      const t = clicks.variants[1]!.guardrail!;
      assert.equal(t.margin, 0.05);
      assert.equal(t.verdict, 'FAIL');
      assert.equal(t.sequentialVerdict, 'FAIL');
      assert.ok(t.estimate < -0.5 && t.bound < t.estimate && t.sequentialInferiorityPValue < 0.05);
      await client.dispose();
    } finally {
      await g.close();
    }
  });
});
