import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { gql, impressionsApplied, startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * Issue 13, variants with their own blend weights, end to end on the embedded default: an analyst creates an A/B
 * test of two weightings of the same blend over GraphQL; each assigned user gets the list a blend of their
 * variant's weights ranks (strategy `blend`, the variant named), the two weightings show different lists, and
 * shipping one makes its weights the default blend, also after a restart (the weights are in the log). A bandit
 * over two weightings is allowed (its arms are variants); mistakes in the weights are typed errors.
 */
const CREATE = `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id type status variants { name share strategy blend { strategy weight } } } }`;
const RECS = 'query($u: ID!) { recommendations(userId: $u, first: 6) { servedId strategy variant propensity item { id } } }';
const KNN_HEAVY = [
  { strategy: 'local-ease', weight: 0.05 },
  { strategy: 'item-knn', weight: 1 },
];
const EASE_HEAVY = [
  { strategy: 'local-ease', weight: 1 },
  { strategy: 'item-knn', weight: 0.05 },
];
const weightsOf = (parts: { strategy: string; weight: number }[]) => Object.fromEntries(parts.map((p) => [p.strategy, p.weight]));
const input = {
  name: 'knn-heavy vs ease-heavy blend',
  variants: [
    { name: 'knn-heavy', share: 0.5, strategy: 'blend', blend: KNN_HEAVY },
    { name: 'ease-heavy', share: 0.5, strategy: 'blend', blend: EASE_HEAVY },
  ],
  primaryMetric: 'CTR',
  minimumDetectableEffect: 0.1,
};

type Entry = { servedId: string; strategy: string; variant: string | null; propensity: number; item: { id: string } };

async function q<T>(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(gw.graphqlUrl, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

describe('variants with blend weights over GraphQL (embedded)', () => {
  let gw: TestGateway | undefined;
  let dataDir = '';
  after(async () => {
    await gw?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('mistakes in the weights are BAD_USER_INPUT naming the variant and the part', async () => {
    gw = await startTestGateway({ demo: true, keepDataDir: true });
    dataDir = gw.dataDir;
    const withBlend = (blend: unknown, strategy = 'blend') => ({ ...input, variants: [input.variants[0], { ...input.variants[1], strategy, blend }] });
    const cases: [unknown, RegExp][] = [
      [withBlend([{ strategy: 'magic', weight: 1 }]), /^variants\[1\]\.blend\[0\]\.strategy: unknown blend part "magic"; choose from local-ease, item-knn/],
      [withBlend([{ strategy: 'item-knn', weight: 0 }]), /^variants\.1\.blend\.0\.weight: must be above 0/],
      [withBlend([{ strategy: 'item-knn', weight: -2 }]), /^variants\.1\.blend\.0\.weight: must be above 0/],
      [
        withBlend([
          { strategy: 'item-knn', weight: 1 },
          { strategy: 'item-knn', weight: 3 },
        ]),
        /^variants\.1\.blend\.1\.strategy: appears twice in one blend/,
      ],
      [withBlend(EASE_HEAVY, 'popular'), /^variants\.1\.blend: goes with strategy "blend" only, not "popular"/],
      [withBlend([]), /^variants\.1\.blend: must hold at least 1 part/],
      [
        withBlend(['local-ease', 'item-knn', 'rp3beta', 'user-knn', 'als', 'item-knn'].map((strategy) => ({ strategy, weight: 1 }))),
        /^variants\[1\]\.blend: at most 5 parts \(local-ease, item-knn, rp3beta, user-knn, als\), got 6/,
      ],
      [
        {
          ...withBlend(EASE_HEAVY),
          type: 'BANDIT',
          explorationFloor: 0.1,
          variants: [input.variants[1], { ...input.variants[0], blend: EASE_HEAVY.map((p) => ({ ...p, weight: p.weight * 3 })) }],
        },
        /^variants\.1\.blend: has the weights of variants\.0 \(in proportion\): the same arm twice in a BANDIT/,
      ],
    ];
    for (const [bad, reason] of cases) {
      const res: Awaited<ReturnType<typeof gql>> = await gql(gw.graphqlUrl, CREATE, { input: bad });
      assert.equal(res.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(res.errors));
      assert.equal(res.errors![0]!.extensions!.argument, 'input');
      assert.match(res.errors![0]!.message, reason);
    }
    // A weight GraphQL parses to Infinity (a literal past the double range) is refused by the record's rule.
    const infinite = await gql(
      gw.graphqlUrl,
      'mutation { createExperiment(input: { name: "inf", variants: [{ name: "a", share: 0.5, strategy: "blend", blend: [{ strategy: "item-knn", weight: 1e999 }] }, { name: "b", share: 0.5, strategy: "popular" }], primaryMetric: CTR, minimumDetectableEffect: 0.1 }) { id } }',
    );
    assert.equal(infinite.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(infinite.errors));
    assert.match(infinite.errors![0]!.message, /variants\.0\.blend\.0\.weight/);
    assert.equal((await q<{ experiments: unknown[] }>(gw, '{ experiments { id } }')).experiments.length, 0, 'nothing was recorded');
  });

  test('an A/B test of two weightings: each user gets their weighting, the lists differ as the weights say; shipping one makes it the default blend, after a restart too', async () => {
    assert.ok(gw);
    const created = (await q<{ createExperiment: { id: string; variants: { name: string; strategy: string; blend: unknown }[] } }>(gw, CREATE, { input }))
      .createExperiment;
    assert.deepEqual(
      created.variants.map((v) => [v.name, v.strategy, v.blend]),
      [
        ['knn-heavy', 'blend', KNN_HEAVY],
        ['ease-heavy', 'blend', EASE_HEAVY],
      ],
    );
    const id = created.id;
    await q(gw, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id });
    // Reference lists: blends of the same weights, asked for by name on the same recommender.
    const rec = gw.app.recommender;
    rec.defineBlend('reference:knn-heavy', weightsOf(KNN_HEAVY));
    rec.defineBlend('reference:ease-heavy', weightsOf(EASE_HEAVY));
    await rec.whenFresh();
    const reference = (userId: string, variant: string) => rec.recommendSync({ userId, first: 6, strategy: `reference:${variant}` }).map((r) => r.itemId);

    const byVariant = new Map<string, number>();
    let differ = 0;
    for (let u = 1; u <= 30; u++) {
      const user = `demo-user-${u}`;
      const list: Entry[] = (await q<{ recommendations: Entry[] }>(gw, RECS, { u: user })).recommendations;
      const expected: { variant: string } = gw.app.outcomes.experiments.assign(user)!;
      assert.ok(list.length > 0);
      assert.ok(
        list.every((e) => e.variant === expected.variant && e.strategy === 'blend' && e.propensity === 1),
        JSON.stringify(list[0]),
      );
      assert.deepEqual(
        list.map((e) => e.item.id),
        reference(user, expected.variant),
        `${user} gets the ${expected.variant} weighting`,
      );
      const other = expected.variant === 'knn-heavy' ? 'ease-heavy' : 'knn-heavy';
      if (reference(user, other).join() !== list.map((e) => e.item.id).join()) differ++;
      byVariant.set(expected.variant, (byVariant.get(expected.variant) ?? 0) + 1);
      if (expected.variant === 'ease-heavy')
        await q(gw, 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }', {
          e: [{ id: `wv-click-${u}`, type: 'CLICK', userId: user, itemId: list[0]!.item.id, servedId: list[0]!.servedId }],
        });
    }
    assert.equal(byVariant.size, 2, 'both weightings served');
    assert.ok(differ >= 10, `the other weighting would have shown another list: ${differ} of 30 users`);

    // Results per variant, though both report the strategy blend.
    await impressionsApplied(gw.app);
    type Variant = { name: string; strategy: string; users: number; mean: number };
    const results = (
      await q<{ experiment: { results: { primary: { variants: Variant[] } } } }>(
        gw,
        'query($id: ID!) { experiment(id: $id) { results { primary { variants { name strategy users mean } } } } }',
        { id },
      )
    ).experiment.results.primary.variants;
    assert.deepEqual(
      results.map((v) => [v.name, v.strategy, v.users]),
      [
        ['knn-heavy', 'blend', byVariant.get('knn-heavy')],
        ['ease-heavy', 'blend', byVariant.get('ease-heavy')],
      ],
    );
    assert.equal(results[0]!.mean, 0);
    assert.ok(results[1]!.mean > 0, 'the clicks went to the variant whose lists got them');

    // Ship ease-heavy: its weights are the default blend; nobody is in an experiment any more.
    const shipped = await q<{ shipVariant: { status: string; shippedVariant: string } }>(
      gw,
      'mutation($id: ID!) { shipVariant(experimentId: $id, variant: "ease-heavy") { status shippedVariant } }',
      { id },
    );
    assert.deepEqual(shipped.shipVariant, { status: 'SHIPPED', shippedVariant: 'ease-heavy' });
    assert.deepEqual(gw.app.recommender.options.blend, weightsOf(EASE_HEAVY));
    assert.equal(gw.app.recommender.defaultStrategy, 'blend');
    await gw.app.recommender.whenFresh();
    const after = (await q<{ recommendations: Entry[] }>(gw, RECS, { u: 'demo-user-2' })).recommendations;
    assert.deepEqual([after[0]!.variant, after[0]!.strategy], [null, 'blend']);
    assert.deepEqual(
      after.map((e) => e.item.id),
      reference('demo-user-2', 'ease-heavy'),
    );

    // Restart: the shipped weights come back from the log, and the experiment shows its variants' weights.
    await gw.close();
    gw = await startTestGateway({ dataDir });
    for (const end = Date.now() + 20_000; gw.app.ingestor.lag() > 0 && Date.now() < end;) await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(gw.app.recommender.options.blend, weightsOf(EASE_HEAVY));
    const listed = (
      await q<{ experiments: { id: string; variants: { name: string; blend: unknown }[] }[] }>(
        gw,
        '{ experiments { id variants { name blend { strategy weight } } } }',
      )
    ).experiments;
    assert.deepEqual(listed.find((x) => x.id === id)!.variants, [
      { name: 'knn-heavy', blend: KNN_HEAVY },
      { name: 'ease-heavy', blend: EASE_HEAVY },
    ]);
  });

  test('a bandit over two weightings of blend: arms by variant, each list its arm and propensity', async () => {
    assert.ok(gw);
    const created = (
      await q<{ createExperiment: { id: string } }>(gw, CREATE, {
        input: { ...input, name: 'bandit over weightings', type: 'BANDIT', explorationFloor: 0.1 },
      })
    ).createExperiment;
    await q(gw, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id: created.id });
    for (let u = 1; u <= 12; u++) {
      const list: Entry[] = (await q<{ recommendations: Entry[] }>(gw, RECS, { u: `demo-user-${u}` })).recommendations;
      assert.ok(['knn-heavy', 'ease-heavy'].includes(list[0]!.variant!), list[0]!.variant!);
      assert.equal(list[0]!.strategy, 'blend');
      assert.ok(list[0]!.propensity > 0 && list[0]!.propensity < 1);
    }
    await impressionsApplied(gw.app);
    const arms = (
      await q<{ experiment: { bandit: { arms: { variant: string; strategy: string; pulls: number }[] } } }>(
        gw,
        'query($id: ID!) { experiment(id: $id) { bandit { arms { variant strategy pulls } } } }',
        { id: created.id },
      )
    ).experiment.bandit.arms;
    assert.deepEqual(
      arms.map((a) => [a.variant, a.strategy]),
      [
        ['knn-heavy', 'blend'],
        ['ease-heavy', 'blend'],
      ],
    );
    assert.equal(arms[0]!.pulls + arms[1]!.pulls, 12);

    // An erasure rebuilds the recommender (and the experiment state from the log): the new one serves the weightings too.
    const before = gw.app.recommender;
    await q(gw, 'mutation { eraseUser(id: "demo-user-40") { found } }');
    assert.notEqual(gw.app.recommender, before, 'the recommender was rebuilt');
    const key = gw.app.outcomes.experiments.assign('demo-user-3', () => 0.5)!.blendKey!;
    assert.equal(gw.app.recommender.hasVariantBlend(key), true);
    const list: Entry[] = (await q<{ recommendations: Entry[] }>(gw, RECS, { u: 'demo-user-3' })).recommendations;
    assert.ok(['knn-heavy', 'ease-heavy'].includes(list[0]!.variant!), `still in the experiment: ${list[0]!.variant}`);
  });
});
