import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { gql, impressionsApplied, startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * Issue 13, interleaving end to end on the embedded default: an analyst creates an INTERLEAVE experiment over
 * GraphQL; every user then gets one list merged from both variants' strategies (team-draft), each entry naming
 * the variant that contributed it; a click is credited to that variant, and the results give the preference
 * share with its sign test. The credit comes back after a restart (the teams are in the log's impressions).
 */
const CREATE = `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id type status variants { name strategy } } }`;
const RECS = 'query($u: ID!) { recommendations(userId: $u, first: 6) { servedId position strategy variant propensity item { id } } }';
const RESULTS = `query($id: ID!) { experiment(id: $id) { type results { sampleRatioMismatch srmPValue
  interleaving { metric control treatment users creditedControl creditedTreatment wins losses ties preferenceShare ci { lower upper } pValue
    creditDifference { estimate pValue ci { lower upper } } creditDifferenceSequentialPValue } } } }`;

async function q<T>(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gql<T>(gw.graphqlUrl, query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

const input = {
  name: 'popular vs item-knn, interleaved',
  type: 'INTERLEAVE',
  variants: [
    { name: 'control', share: 0.5, strategy: 'popular' },
    { name: 'treatment', share: 0.5, strategy: 'item-knn' },
  ],
  primaryMetric: 'CTR',
  minimumDetectableEffect: 0.1,
};

type Entry = { servedId: string; position: number; strategy: string; variant: string | null; propensity: number; item: { id: string } };
type Interleaving = {
  users: number;
  creditedControl: number;
  creditedTreatment: number;
  wins: number;
  losses: number;
  ties: number;
  preferenceShare: number | null;
  ci: { lower: number; upper: number };
  pValue: number;
  creditDifference: { estimate: number; pValue: number } | null;
  creditDifferenceSequentialPValue: number | null;
};

describe('interleaving over GraphQL (embedded)', () => {
  let gw: TestGateway | undefined;
  let dataDir = '';
  after(async () => {
    await gw?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('create INTERLEAVE, serve merged lists, credit clicks to the contributing variant, results survive a restart', async () => {
    gw = await startTestGateway({ demo: true, keepDataDir: true });
    dataDir = gw.dataDir;
    const three = await gql(gw.graphqlUrl, CREATE, {
      input: { ...input, variants: [...input.variants.map((v) => ({ ...v, share: 0.25 })), { name: 'third', share: 0.5, strategy: 'blend' }] },
    });
    assert.equal(three.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(three.errors![0]!.message, /exactly 2 variants/);

    const x = (await q<{ createExperiment: { id: string; type: string } }>(gw, CREATE, { input })).createExperiment;
    assert.equal(x.type, 'INTERLEAVE');
    await q(gw, 'mutation($id: ID!) { startExperiment(id: $id) { status } }', { id: x.id });

    // The two strategies' own lists, for checking the merge.
    const own = async (user: string, strategy: string) =>
      (
        await q<{ recommendations: { item: { id: string } }[] }>(
          gw!,
          `query($u: ID!) { recommendations(userId: $u, first: 6, strategy: "${strategy}") { item { id } } }`,
          { u: user },
        )
      ).recommendations.map((r) => r.item.id);
    let clickedTreatment = 0;
    let clickedControl = 0;
    for (let u = 1; u <= 20; u++) {
      const user = `demo-user-${u}`;
      const list: Entry[] = (await q<{ recommendations: Entry[] }>(gw, RECS, { u: user })).recommendations;
      assert.ok(list.length >= 4, `${user}: ${list.length} entries`);
      assert.equal(new Set(list.map((e) => e.item.id)).size, list.length, 'no item twice');
      assert.equal(new Set(list.map((e) => e.servedId)).size, 1, 'one served list');
      const popular = await own(user, 'popular');
      const knn = await own(user, 'item-knn');
      for (const e of list) {
        assert.ok(e.variant === 'control' || e.variant === 'treatment', `entry's team: ${e.variant}`);
        assert.equal(e.strategy, e.variant === 'control' ? 'popular' : 'item-knn');
        assert.ok((e.variant === 'control' ? popular : knn).includes(e.item.id), `${e.item.id} comes from ${e.strategy}'s list`);
        assert.ok(e.propensity > 0 && e.propensity <= 1);
      }
      const teams = list.map((e) => e.variant);
      const nControl = teams.filter((t) => t === 'control').length;
      if (popular.length >= list.length && knn.length >= list.length) assert.ok(Math.abs(2 * nControl - list.length) <= 1, `balanced teams: ${teams}`);
      // Users with an odd number click treatment's first entry; every fourth user also clicks control's first entry.
      const click = (e: Entry, id: string) =>
        q(gw!, 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }', {
          e: [{ id, type: 'CLICK', userId: user, itemId: e.item.id, servedId: e.servedId }],
        });
      const t = list.find((e) => e.variant === 'treatment');
      const c = list.find((e) => e.variant === 'control');
      if (u % 2 === 1 && t) {
        await click(t, `il-t-${u}`);
        clickedTreatment++;
      }
      if (u % 4 === 0 && c) {
        await click(c, `il-c-${u}`);
        clickedControl++;
      }
    }
    await impressionsApplied(gw.app);
    const r = (
      await q<{ experiment: { type: string; results: { sampleRatioMismatch: boolean; srmPValue: number | null; interleaving: Interleaving } } }>(gw, RESULTS, {
        id: x.id,
      })
    ).experiment;
    assert.equal(r.type, 'INTERLEAVE');
    const il = r.results.interleaving;
    assert.equal(il.users, 20);
    assert.equal(il.creditedTreatment, clickedTreatment);
    assert.equal(il.creditedControl, clickedControl);
    // Odd users prefer treatment (10), users divisible by 4 prefer control (5), the rest tie (5).
    assert.deepEqual([il.wins, il.losses, il.ties], [10, 5, 5]);
    assert.ok(Math.abs(il.preferenceShare! - 10 / 15) < 1e-12);
    assert.ok(il.ci.lower < il.preferenceShare! && il.preferenceShare! < il.ci.upper);
    assert.ok(il.pValue > 0.05, 'ten against five is not significant');
    assert.ok(il.creditDifference && Math.abs(il.creditDifference.estimate - (clickedTreatment - clickedControl) / 20) < 1e-12);
    // Its always-valid p-value beside the t-test's: never below it at one look (more cautious), in (0, 1].
    assert.ok(
      il.creditDifferenceSequentialPValue !== null &&
        il.creditDifferenceSequentialPValue >= il.creditDifference.pValue - 1e-12 &&
        il.creditDifferenceSequentialPValue <= 1,
    );
    assert.equal(r.results.srmPValue, null, 'no sample-ratio check: nobody is split');
    assert.equal(r.results.sampleRatioMismatch, false);

    // Restart: the credit is rebuilt from the log (teams are in the impressions).
    await gw.close();
    gw = await startTestGateway({ dataDir });
    for (const end = Date.now() + 20_000; gw.app.ingestor.lag() > 0 && Date.now() < end;) await new Promise((res) => setTimeout(res, 20));
    const again = (await q<{ experiment: { results: { interleaving: Interleaving } } }>(gw, RESULTS, { id: x.id })).experiment.results.interleaving;
    assert.deepEqual(again, il);
  });
});
