import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { gql, impressionsApplied, startTestGateway, type TestGateway } from '../helpers/gateway';
import { cleanNeo4j, KAFKA_SKIP, NEO4J_SKIP, productionEnv } from './servers';

/**
 * Issue 13 on Neo4j + Kafka: served lists are impressions on the topic (keyed by user), outcomes are
 * attributed by each instance's fan-out consumer, and a gateway that starts later (a restart, a second
 * instance) rebuilds the same totals from the topic (`BroadcastLog.readUntil`) and then follows the stream.
 * The graph in Neo4j does not take impressions as behaviour. Experiments (A/B and interleaving) started on one
 * instance run on the other (also variants with their own blend weights, shipped from the other instance), and
 * an outcome sent to either is credited on both; guardrail verdicts are the same on both, and their alert is stored
 * once. A BANDIT experiment runs on both
 * instances from the counts each reads from the topic (same counts, same shares), and evaluate-policy reads the topic.
 */
const skip = NEO4J_SKIP ?? KAFKA_SKIP;
const TRACK = 'mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted rejected { reason } } }';
const RECS = 'query($u: ID!) { recommendations(userId: $u, first: 3, strategy: "popular") { servedId position item { id } } }';

async function q<T>(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(gw.graphqlUrl, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !(await ok());) {
    assert.ok(Date.now() < end, `${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const popular = (gw: TestGateway) => gw.app.outcomes.totals().find((t) => t.strategy === 'popular');

describe('served lists and attribution on Neo4j + Kafka', { skip }, () => {
  const env = productionEnv('outcomes');
  let gw1: TestGateway;
  let gw2: TestGateway | undefined;
  before(async () => {
    await cleanNeo4j();
    gw1 = await startTestGateway({ env });
  });
  after(async () => {
    await gw2?.close();
    await gw1?.close();
  });

  test('a click with servedId and a purchase without are credited; a later instance rebuilds the totals and follows', async () => {
    const seed = [];
    for (let u = 0; u < 10; u++) seed.push({ id: `seed-${u}`, type: 'PURCHASE', userId: `s${u}`, itemId: u < 6 ? 'A' : 'B', quantity: 1, price: 3 });
    await q(gw1, TRACK, { events: seed });
    await until('the seed in Neo4j', async () => (await gw1.app.store.stats()).eventsApplied >= seed.length);
    await gw1.app.recommender.whenFresh();

    const list = (await q<{ recommendations: { servedId: string; item: { id: string } }[] }>(gw1, RECS, { u: 'shopper' })).recommendations;
    assert.ok(list.length >= 2, JSON.stringify(list));
    const [first, second] = list;
    await q(gw1, TRACK, {
      events: [
        { id: 'o-click', type: 'CLICK', userId: 'shopper', itemId: first!.item.id, servedId: first!.servedId },
        { id: 'o-buy', type: 'PURCHASE', userId: 'shopper', itemId: second!.item.id, quantity: 2, price: 4 },
      ],
    });
    await until('both outcomes attributed by the fan-out', () => (popular(gw1)?.purchases ?? 0) === 1 && popular(gw1)!.clicks === 1);
    assert.equal(gw1.app.outcomes.attributionOf({ kind: 'interaction', id: 'o-click', userId: 'shopper' })?.servedId, first!.servedId);
    assert.equal(gw1.app.outcomes.attributionOf({ kind: 'interaction', id: 'o-buy', userId: 'shopper' })?.revenue, 8);
    const totals = gw1.app.outcomes.totals();

    // Neo4j took the click and the purchase, not the impression.
    await until('the outcomes in Neo4j', async () => (await gw1.app.store.stats()).eventsApplied >= seed.length + 2);
    const [edges] = await gw1.app.store.getInteractions(['shopper'], 10);
    assert.deepEqual(edges!.map((e) => e.itemId).sort(), [first!.item.id, second!.item.id].sort());
    assert.equal((await gw1.app.store.stats()).eventsApplied, seed.length + 2);

    // A second instance (as after a restart) reads the topic up to its fan-out start: the same totals at once.
    gw2 = await startTestGateway({ env });
    assert.deepEqual(gw2.app.outcomes.totals(), totals, 'rebuilt from the topic at start');
    // ... and then follows the stream: a click tracked on instance 1 is credited on instance 2.
    await q(gw1, TRACK, { events: [{ id: 'o-click-2', type: 'CLICK', userId: 'shopper', itemId: second!.item.id, servedId: first!.servedId }] });
    await until('the second click credited on instance 2', () => popular(gw2!)?.clicks === 2);
    await until('and on instance 1', () => popular(gw1)?.clicks === 2);
  });

  test('an experiment created on one gateway runs on the other (records in the topic): same assignment, shipped default on both', async () => {
    assert.ok(gw2, 'the second instance of the previous test');
    const created = await q<{ createExperiment: { id: string } }>(
      gw1,
      'mutation { createExperiment(input: { name: "kafka", variants: [{ name: "control", share: 0.5, strategy: "popular" }, { name: "treatment", share: 0.5, strategy: "item-knn" }], primaryMetric: CTR, minimumDetectableEffect: 0.1 }) { id } }',
    );
    const id = created.createExperiment.id;
    await q(gw1, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id });
    await until('instance 2 read the start from the topic', () => gw2!.app.outcomes.experiments.get(id)?.status === 'RUNNING');
    for (let u = 0; u < 20; u++) assert.deepEqual(gw2!.app.outcomes.experiments.assign(`k${u}`), gw1.app.outcomes.experiments.assign(`k${u}`));
    const list = (
      await q<{ recommendations: { variant: string | null; strategy: string }[] }>(
        gw2!,
        'query { recommendations(userId: "k1", first: 2) { variant strategy } }',
      )
    ).recommendations;
    const expected = gw1.app.outcomes.experiments.assign('k1')!;
    assert.deepEqual([list[0]!.variant, list[0]!.strategy], [expected.variant, expected.strategy]);
    await q(gw1, 'mutation($id: ID!) { shipVariant(experimentId: $id, variant: "treatment") { status } }', { id });
    await until('the shipped default on instance 2', () => gw2!.app.recommender.defaultStrategy === 'item-knn');
    assert.equal(gw1.app.recommender.defaultStrategy, 'item-knn');
  });

  test('variants with blend weights: created on gateway 1, served alike on gateway 2, shipped on gateway 2: the default blend on both', async () => {
    assert.ok(gw2, 'the second instance of the first test');
    const created = await q<{ createExperiment: { id: string } }>(
      gw1,
      'mutation { createExperiment(input: { name: "kafka weights", variants: [{ name: "knn-heavy", share: 0.5, strategy: "blend", blend: [{ strategy: "local-ease", weight: 0.1 }, { strategy: "item-knn", weight: 1 }] }, { name: "ease-heavy", share: 0.5, strategy: "blend", blend: [{ strategy: "local-ease", weight: 1 }, { strategy: "item-knn", weight: 0.1 }] }], primaryMetric: CTR, minimumDetectableEffect: 0.1 }) { id } }',
    );
    const id = created.createExperiment.id;
    await q(gw1, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id });
    await until('instance 2 read the start (a version-2 record) from the topic', () => gw2!.app.outcomes.experiments.get(id)?.status === 'RUNNING');
    for (let u = 0; u < 20; u++) assert.deepEqual(gw2!.app.outcomes.experiments.assign(`w${u}`), gw1.app.outcomes.experiments.assign(`w${u}`));
    const expected = gw1.app.outcomes.experiments.assign('w1')!;
    assert.ok(expected.blendKey !== undefined && gw2!.app.recommender.hasVariantBlend(expected.blendKey), 'instance 2 built the blend at the start');
    const list = (
      await q<{ recommendations: { variant: string | null; strategy: string }[] }>(
        gw2!,
        'query { recommendations(userId: "w1", first: 2) { variant strategy } }',
      )
    ).recommendations;
    assert.deepEqual([list[0]!.variant, list[0]!.strategy], [expected.variant, 'blend']);
    await q(gw2!, 'mutation($id: ID!) { shipVariant(experimentId: $id, variant: "ease-heavy") { status } }', { id });
    const easeHeavy = { 'local-ease': 1, 'item-knn': 0.1 };
    await until('the shipped weights on instance 1', () => JSON.stringify(gw1.app.recommender.options.blend) === JSON.stringify(easeHeavy));
    assert.deepEqual(gw2!.app.recommender.options.blend, easeHeavy);
    assert.deepEqual([gw1.app.recommender.defaultStrategy, gw2!.app.recommender.defaultStrategy], ['blend', 'blend']);
    assert.equal(gw1.app.recommender.hasVariantBlend(expected.blendKey), false, 'the blends go with the experiment');
  });

  test('an interleaving started on gateway 1 serves merged lists there; a click sent to gateway 2 is credited to the contributing variant on both', async () => {
    assert.ok(gw2, 'the second instance of the first test');
    const created = await q<{ createExperiment: { id: string; type: string } }>(
      gw1,
      'mutation { createExperiment(input: { name: "kafka interleaving", type: INTERLEAVE, variants: [{ name: "control", share: 0.5, strategy: "popular" }, { name: "treatment", share: 0.5, strategy: "item-knn" }], primaryMetric: CTR, minimumDetectableEffect: 0.1 }) { id type } }',
    );
    assert.equal(created.createExperiment.type, 'INTERLEAVE');
    const id = created.createExperiment.id;
    await q(gw1, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id });
    await until('instance 2 read the start from the topic', () => gw2!.app.outcomes.experiments.get(id)?.status === 'RUNNING');

    type Entry = { servedId: string; variant: string | null; strategy: string; item: { id: string } };
    const list: Entry[] = (
      await q<{ recommendations: Entry[] }>(gw1, 'query { recommendations(userId: "il-shopper", first: 2) { servedId variant strategy item { id } } }')
    ).recommendations;
    assert.ok(list.length >= 1, JSON.stringify(list));
    for (const e of list) assert.equal(e.strategy, e.variant === 'control' ? 'popular' : e.variant === 'treatment' ? 'item-knn' : `a team, not ${e.variant}`);
    const clicked = list[0]!;
    await impressionsApplied(gw1.app);
    await q(gw2!, TRACK, { events: [{ id: 'il-click', type: 'CLICK', userId: 'il-shopper', itemId: clicked.item.id, servedId: clicked.servedId }] });
    const credited = (gw: TestGateway) => gw.app.outcomes.experiments.interleavingResults(id);
    const side = clicked.variant === 'control' ? 'control' : 'treatment';
    for (const [name, gw] of [
      ['instance 2', gw2!],
      ['instance 1', gw1],
    ] as const) {
      await until(`the click credited to ${side} on ${name}`, () => credited(gw)?.credited[side] === 1);
      const r = credited(gw)!;
      assert.equal(r.users, 1);
      assert.deepEqual([r.preference.wins, r.preference.losses], side === 'treatment' ? [1, 0] : [0, 1]);
    }
    const results = await q<{ experiment: { results: { interleaving: { users: number; creditedControl: number; creditedTreatment: number } } } }>(
      gw2!,
      'query($id: ID!) { experiment(id: $id) { results { interleaving { users creditedControl creditedTreatment } } } }',
      { id },
    );
    assert.deepEqual(results.experiment.results.interleaving, {
      users: 1,
      creditedControl: side === 'control' ? 1 : 0,
      creditedTreatment: side === 'treatment' ? 1 : 0,
    });
    await q(gw1, 'mutation($id: ID!) { stopExperiment(id: $id) { status } }', { id });
  });

  test('guardrails on two gateways: the same non-inferiority verdicts from the topic, and one GUARDRAIL_FAILURE in the shared store; the same group-sequential verdict after the stop', async () => {
    assert.ok(gw2, 'the second instance of the first test');
    const created = await q<{ createExperiment: { id: string } }>(
      gw1,
      'mutation { createExperiment(input: { name: "kafka guardrail", variants: [{ name: "control", share: 0.5, strategy: "popular" }, { name: "treatment", share: 0.5, strategy: "item-knn" }], primaryMetric: CTR, guardrails: [{ metric: CLICKS_PER_USER, margin: 0.05 }], minimumDetectableEffect: 0.1, spending: POCOCK }) { id } }',
    );
    const id = created.createExperiment.id;
    await q(gw1, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id });
    await until('instance 2 read the start from the topic', () => gw2!.app.outcomes.experiments.get(id)?.status === 'RUNNING');
    // 240 users served alternately by the two gateways; control users click their list's first entry, treatment users
    // only one in five: treatment is far worse than the 5 % margin on clicks per user.
    const gws = [gw1, gw2!];
    type Entry = { servedId: string; variant: string; item: { id: string } };
    const clicks = [];
    for (let u = 0; u < 240; u++) {
      const gw = gws[u % 2]!;
      const list: Entry[] = (
        await q<{ recommendations: Entry[] }>(gw, 'query($u: ID!) { recommendations(userId: $u, first: 2) { servedId variant item { id } } }', {
          u: `guard-${u}`,
        })
      ).recommendations;
      if (list[0]!.variant === 'control' || u % 5 === 0)
        clicks.push({ id: `guard-click-${u}`, type: 'CLICK', userId: `guard-${u}`, itemId: list[0]!.item.id, servedId: list[0]!.servedId });
    }
    for (const gw of gws) await impressionsApplied(gw.app);
    await q(gw1, TRACK, { events: clicks });
    const counted = (gw: TestGateway) => {
      const r = gw.app.outcomes.experiments.results(id, 'CLICKS_PER_USER')!;
      return r.users[0]! + r.users[1]! === 240 && Math.round(r.analysis.variants.reduce((n, v, i) => n + v.summary.mean * r.users[i]!, 0)) === clicks.length;
    };
    for (const [n, gw] of gws.entries()) await until(`instance ${n + 1} counted every list and click`, () => counted(gw));
    const [g1, g2] = gws.map((gw) => gw.app.outcomes.experiments.results(id, 'CLICKS_PER_USER')!.analysis.variants[1]!.guardrail!);
    assert.deepEqual(g1, g2, 'the same verdicts on both');
    assert.equal(g1!.fixed!.verdict, 'FAIL');
    assert.equal(g1!.sequential!.verdict, 'FAIL');
    // Both gateways raise it (same id); the shared store keeps one.
    await until('the alert in the store', async () => (await gw1.app.store.listAnomalies({ first: 10, kinds: ['GUARDRAIL_FAILURE'] })).anomalies.length > 0);
    const alerts = (await gw2!.app.store.listAnomalies({ first: 10, kinds: ['GUARDRAIL_FAILURE'] })).anomalies;
    assert.deepEqual(
      alerts.map((a) => a.id),
      [`GUARDRAIL_FAILURE:experiment:${id}:treatment:CLICKS_PER_USER`],
    );
    await q(gw1, 'mutation($id: ID!) { stopExperiment(id: $id) { status } }', { id });
    await until('instance 2 read the stop', () => gw2!.app.outcomes.experiments.get(id)?.status === 'STOPPED');
    // The stop, read from the topic, is the group-sequential test's final analysis on each gateway: the same verdict.
    const [s1, s2] = gws.map((gw) => gw.app.outcomes.experiments.results(id)!.groupSequential![1]!);
    assert.deepEqual(s1, s2, 'the same group-sequential state on both');
    assert.equal(s1!.complete, true);
    assert.ok(Math.abs(s1!.alphaSpent - 0.05) < 1e-9 || s1!.rejected, JSON.stringify(s1));
  });

  test('a bandit on two gateways: both decide from the same counts read from the topic, log propensities, and evaluate-policy reads the topic', async () => {
    assert.ok(gw2, 'the second instance of the first test');
    const created = await q<{ createExperiment: { id: string; type: string } }>(
      gw1,
      'mutation { createExperiment(input: { name: "kafka bandit", type: BANDIT, explorationFloor: 0.1, variants: [{ name: "popular", share: 0.5, strategy: "popular" }, { name: "item-knn", share: 0.5, strategy: "item-knn" }], primaryMetric: CTR, minimumDetectableEffect: 0.1 }) { id type } }',
    );
    const id = created.createExperiment.id;
    assert.equal(created.createExperiment.type, 'BANDIT');
    await q(gw1, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id });
    await until('instance 2 read the start from the topic', () => gw2!.app.outcomes.experiments.get(id)?.status === 'RUNNING');

    // 40 lists served alternately by the two gateways; every item-knn list is clicked (through the gateway that served it:
    // its producer keeps the impression before the click; both attribute it through their fan-out).
    type Entry = { servedId: string; variant: string; propensity: number; item: { id: string } };
    const gws = [gw1, gw2!];
    let knn = 0;
    /** bandit-3's lists (erased below), and how many of them were item-knn's. */
    const erasedLists = { all: 0, knn: 0 };
    for (let i = 0; i < 40; i++) {
      const user = `bandit-${i % 10}`;
      const list: Entry[] = (
        await q<{ recommendations: Entry[] }>(
          gws[i % 2]!,
          'query($u: ID!) { recommendations(userId: $u, first: 2) { servedId variant propensity item { id } } }',
          {
            u: user,
          },
        )
      ).recommendations;
      assert.ok(list.length > 0);
      assert.ok(list[0]!.propensity >= 0.1 - 1e-12 && list[0]!.propensity <= 0.9 + 1e-12, `propensity ${list[0]!.propensity}`);
      if (user === 'bandit-3') {
        erasedLists.all++;
        if (list[0]!.variant === 'item-knn') erasedLists.knn++;
      }
      if (list[0]!.variant === 'item-knn') {
        knn++;
        await q(gws[i % 2]!, TRACK, {
          events: [{ id: `bandit-click-${i}`, type: 'CLICK', userId: user, itemId: list[0]!.item.id, servedId: list[0]!.servedId }],
        });
      }
    }
    const counts = (gw: TestGateway) => gw.app.outcomes.experiments.bandit(id)!.arms.map((a) => [a.pulls, a.successes]);
    for (const [n, gw] of gws.entries())
      await until(`instance ${n + 1} counted every list and click`, () => {
        const c = counts(gw);
        return c[0]![0]! + c[1]![0]! === 40 && c[1]![1] === knn;
      });
    const [s1, s2] = gws.map((gw) => gw.app.outcomes.experiments.bandit(id)!);
    assert.deepEqual(counts(gw1), counts(gw2!), 'the same counts on both');
    assert.deepEqual(
      s1!.arms.map((a) => a.trafficShare),
      s2!.arms.map((a) => a.trafficShare),
      'the same shares from the same counts',
    );
    assert.equal(s1!.arms[0]!.successes, 0);
    if (knn >= 5) assert.ok(s1!.arms[1]!.trafficShare > 0.8, `item-knn share ${s1!.arms[1]!.trafficShare}`);

    // evaluate-policy on Kafka: the topic from its start, with the gateway's attribution.
    const bin = path.resolve(__dirname, '../../../bin/flywheel.js');
    type Report = { lists: number; candidates: { name: string; loggedLists: number; snips: { estimate: number } }[] };
    const evaluate = (): Report => {
      const r = spawnSync(process.execPath, [bin, 'evaluate-policy', '--experiment', id, '--json'], {
        encoding: 'utf8',
        // Info logs (on stdout, before the report's line) say where a run that fails stood.
        env: { ...process.env, ...env, LOG_LEVEL: 'info' },
        timeout: 120_000,
      });
      assert.equal(r.status, 0, `exit ${r.status} (signal ${r.signal}); stderr:\n${r.stderr}\nstdout (end):\n${r.stdout.slice(-6000)}`);
      // A handle left open by a driver no longer hangs the command (it exits after 5 s and says what it was).
      if (/still open/.test(r.stderr)) console.log(`# ::: evaluate-policy: ${r.stderr.trim()}`);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Report;
    };
    const report = evaluate();
    assert.equal(report.lists, 40);
    // Partitions interleave differently on every read of the topic; the report does not change with it.
    assert.deepEqual(evaluate(), report, 'the same report to the last digit from a second read');
    const byName = Object.fromEntries(report.candidates.map((c) => [c.name, c]));
    assert.equal(byName['item-knn']!.loggedLists, knn);
    // Every item-knn list was clicked once and no popular list: SNIPS is exact here.
    if (knn > 0) assert.ok(Math.abs(byName['item-knn']!.snips.estimate - 1) < 1e-9);
    if (knn < 40) assert.equal(byName.popular!.snips.estimate, 0);

    // Erasure: the topic still holds bandit-3's lists and clicks, and evaluate-policy skips them through Neo4j's
    // erasure list, as the gateway does.
    assert.equal(erasedLists.all, 4);
    const erased = await gw1.app.privacy.erase('bandit-3');
    assert.equal(erased.logStrategy, 'erasure-list');
    const after = evaluate();
    assert.equal(after.lists, 40 - erasedLists.all);
    assert.equal(Object.fromEntries(after.candidates.map((c) => [c.name, c]))['item-knn']!.loggedLists, knn - erasedLists.knn);
  });
});
