import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { SignJWT } from 'jose';
import type { Client } from 'graphql-ws';
import { hashApiKey } from '../../src/auth/authenticator';
import { buildGatewaySchema } from '../../resolvers/build-schema';
import { gql, startTestGateway, type TestGateway } from '../helpers/gateway';
import { wsClient, wsRun, type WsError, type WsOutcome } from '../helpers/ws';

/**
 * Who may read and do what: every root field and every field with a resolver of its own (the only
 * places that fetch data; a plain field shows what its parent object already holds) has entries in
 * POLICY below, and each entry is run as every role over HTTP and over graphql-ws. A new field without
 * an entry fails the first test; an entry whose rule the gateway does not enforce fails the others.
 *
 * `$me` is the shopper's own user (demo-user-1); `$other` is another customer with a segment.
 */
type Role = 'anonymous' | 'shopper' | 'service' | 'analyst' | 'admin';
const ROLES: Role[] = ['anonymous', 'shopper', 'service', 'analyst', 'admin'];
const SIGNED_IN: Role[] = ['shopper', 'service', 'analyst', 'admin'];
const ACTS_FOR_ANYONE: Role[] = ['service', 'analyst', 'admin'];
const ANALYSTS: Role[] = ['analyst', 'admin'];
const ADMIN: Role[] = ['admin'];

interface Entry {
  /** Schema coordinate this entry checks. */
  field: string;
  /** Distinguishes several entries for one field (own data vs another user's). */
  variant?: string;
  query: string;
  /** Response path of the field: a FORBIDDEN error on it, or on any field above it, means refused. */
  path: string[];
  allowed: Role[];
}

const POLICY: Entry[] = [
  // Query
  {
    field: 'Query.recommendations',
    variant: "another user's",
    query: 'query($other: ID!) { recommendations(userId: $other, first: 1) { score } }',
    path: ['recommendations'],
    allowed: ACTS_FOR_ANYONE,
  },
  {
    field: 'Query.recommendations',
    variant: 'own',
    query: 'query($me: ID!) { recommendations(userId: $me, first: 1) { score } }',
    path: ['recommendations'],
    allowed: SIGNED_IN,
  },
  { field: 'Query.similarItems', query: '{ similarItems(itemId: "item-001", first: 1) { score } }', path: ['similarItems'], allowed: SIGNED_IN },
  { field: 'Query.item', query: '{ item(id: "item-001") { id } }', path: ['item'], allowed: SIGNED_IN },
  { field: 'Query.items', query: '{ items(first: 1) { totalCount } }', path: ['items'], allowed: SIGNED_IN },
  { field: 'Query.user', variant: "another user's", query: 'query($other: ID!) { user(id: $other) { id } }', path: ['user'], allowed: ACTS_FOR_ANYONE },
  { field: 'Query.user', variant: 'own', query: 'query($me: ID!) { user(id: $me) { id } }', path: ['user'], allowed: SIGNED_IN },
  { field: 'Query.anomalies', query: '{ anomalies(first: 1) { totalCount } }', path: ['anomalies'], allowed: ANALYSTS },
  { field: 'Query.deadLetters', query: '{ deadLetters(first: 1) { reason } }', path: ['deadLetters'], allowed: ANALYSTS },
  { field: 'Query.segments', query: '{ segments { id name } }', path: ['segments'], allowed: ANALYSTS },
  { field: 'Query.eventTypeCounts', query: '{ eventTypeCounts { count } }', path: ['eventTypeCounts'], allowed: ANALYSTS },
  { field: 'Query.anomalyCounts', query: '{ anomalyCounts { count } }', path: ['anomalyCounts'], allowed: ANALYSTS },
  { field: 'Query.viewer', query: '{ viewer { role } }', path: ['viewer'], allowed: SIGNED_IN },
  { field: 'Query.gatewayStatus', query: '{ gatewayStatus { status } }', path: ['gatewayStatus'], allowed: ANALYSTS },
  { field: 'Query.segment', query: 'query($segment: ID!) { segment(id: $segment) { id name } }', path: ['segment'], allowed: ANALYSTS },
  { field: 'Query.experiments', query: '{ experiments { id status } }', path: ['experiments'], allowed: ANALYSTS },
  {
    field: 'Query.experiments',
    variant: "variants' blend weights",
    query: '{ experiments { variants { name strategy blend { strategy weight } } } }',
    path: ['experiments'],
    allowed: ANALYSTS,
  },
  { field: 'Query.experiment', query: '{ experiment(id: "no-such-experiment") { id } }', path: ['experiment'], allowed: ANALYSTS },
  {
    field: 'Experiment.results',
    query: '{ experiments { results { sampleRatioMismatch looks { at users treatments { name pValue sequentialPValue } } } } }',
    path: ['experiments'],
    allowed: ANALYSTS,
  },
  {
    // An interleaving's results (the before hook creates one, so the field resolves on a real experiment).
    field: 'Experiment.results',
    variant: 'interleaving',
    query:
      '{ experiments { type results { interleaving { users preferenceShare pValue ci { lower upper } creditDifference { estimate } creditDifferenceSequentialPValue } } } }',
    path: ['experiments'],
    allowed: ANALYSTS,
  },
  {
    // Guardrails' margins and each treatment's non-inferiority verdicts (the before hook creates an A/B draft with one).
    field: 'Experiment.results',
    variant: 'guardrail verdicts',
    query:
      '{ experiments { guardrails { metric margin direction } results { guardrails { metric variants { name guardrail { margin direction estimate standardError bound pValue verdict sequentialPValue sequentialInferiorityPValue sequentialVerdict } } } } } }',
    path: ['experiments'],
    allowed: ANALYSTS,
  },
  {
    field: 'Experiment.bandit',
    query: '{ experiments { bandit { reward arms { trafficShare } } } }',
    path: ['experiments'],
    allowed: ANALYSTS,
  },
  {
    // A bandit by segment's per-segment arms (the before hook creates one).
    field: 'Experiment.bandit',
    variant: 'by segment',
    query: '{ experiments { banditBySegment bandit { bySegment segments { segment arms { variant pulls successes trafficShare } } } } }',
    path: ['experiments'],
    allowed: ANALYSTS,
  },
  {
    field: 'Query.outcomeMetrics',
    query: '{ outcomeMetrics { strategy impressions clickThroughRate revenuePerUser buckets { start clicks } } }',
    path: ['outcomeMetrics'],
    allowed: ANALYSTS,
  },
  // Mutation
  {
    field: 'Mutation.trackEvents',
    variant: "another user's",
    query: 'mutation($other: ID!, $eventId: ID!) { trackEvents(events: [{ id: $eventId, type: VIEW, userId: $other, itemId: "item-002" }]) { accepted } }',
    path: ['trackEvents'],
    allowed: ['service', 'admin'],
  },
  {
    field: 'Mutation.trackEvents',
    variant: 'own',
    query: 'mutation($me: ID!, $eventId: ID!) { trackEvents(events: [{ id: $eventId, type: VIEW, userId: $me, itemId: "item-002" }]) { accepted } }',
    path: ['trackEvents'],
    allowed: ['shopper', 'service', 'admin'],
  },
  {
    field: 'Mutation.upsertItems',
    query: 'mutation { upsertItems(items: [{ id: "authz-item", title: "Authz" }]) { upserted } }',
    path: ['upsertItems'],
    allowed: ADMIN,
  },
  {
    field: 'Mutation.acknowledgeAnomaly',
    query: 'mutation { acknowledgeAnomaly(id: "no-such-anomaly") { id } }',
    path: ['acknowledgeAnomaly'],
    allowed: ANALYSTS,
  },
  {
    field: 'Mutation.createExperiment',
    query:
      'mutation { createExperiment(input: { name: "authz", variants: [{ name: "a", share: 0.5, strategy: "popular" }, { name: "b", share: 0.5, strategy: "blend" }], primaryMetric: CTR, minimumDetectableEffect: 0.1 }) { id } }',
    path: ['createExperiment'],
    allowed: ANALYSTS,
  },
  {
    field: 'Mutation.createExperiment',
    variant: 'variants with blend weights',
    query:
      'mutation { createExperiment(input: { name: "authz weights", variants: [{ name: "a", share: 0.5, strategy: "blend", blend: [{ strategy: "item-knn", weight: 1 }] }, { name: "b", share: 0.5, strategy: "blend", blend: [{ strategy: "local-ease", weight: 2 }, { strategy: "item-knn", weight: 1 }] }], primaryMetric: CTR, minimumDetectableEffect: 0.1 }) { id variants { blend { strategy weight } } } }',
    path: ['createExperiment'],
    allowed: ANALYSTS,
  },
  {
    field: 'Mutation.createExperiment',
    variant: 'bandit by segment',
    query:
      'mutation { createExperiment(input: { name: "authz segments", type: BANDIT, banditBySegment: true, variants: [{ name: "a", share: 0.5, strategy: "popular" }, { name: "b", share: 0.5, strategy: "blend" }], primaryMetric: CTR, minimumDetectableEffect: 0.1 }) { id banditBySegment } }',
    path: ['createExperiment'],
    allowed: ANALYSTS,
  },
  {
    field: 'Mutation.createExperiment',
    variant: 'guardrails with margins',
    query:
      'mutation { createExperiment(input: { name: "authz guardrails", variants: [{ name: "a", share: 0.5, strategy: "popular" }, { name: "b", share: 0.5, strategy: "blend" }], primaryMetric: CTR, guardrails: [{ metric: REVENUE_PER_USER, margin: 0.03, direction: HIGHER_IS_BETTER }], minimumDetectableEffect: 0.1 }) { id guardrails { metric margin direction } } }',
    path: ['createExperiment'],
    allowed: ANALYSTS,
  },
  { field: 'Mutation.startExperiment', query: 'mutation { startExperiment(id: "no-such-experiment") { id } }', path: ['startExperiment'], allowed: ANALYSTS },
  { field: 'Mutation.stopExperiment', query: 'mutation { stopExperiment(id: "no-such-experiment") { id } }', path: ['stopExperiment'], allowed: ANALYSTS },
  {
    field: 'Mutation.shipVariant',
    query: 'mutation { shipVariant(experimentId: "no-such-experiment", variant: "a") { id } }',
    path: ['shipVariant'],
    allowed: ANALYSTS,
  },
  { field: 'Mutation.eraseUser', query: 'mutation { eraseUser(id: "authz-nobody") { found } }', path: ['eraseUser'], allowed: ADMIN },
  { field: 'Mutation.refreshSegments', query: 'mutation { refreshSegments { k } }', path: ['refreshSegments'], allowed: ADMIN },
  // Subscription (graphql-ws only; HTTP serves no subscriptions to anyone)
  {
    field: 'Subscription.recommendationsChanged',
    variant: "another user's",
    query: 'subscription($other: ID!) { recommendationsChanged(userId: $other, first: 1) { score } }',
    path: ['recommendationsChanged'],
    allowed: ACTS_FOR_ANYONE,
  },
  {
    field: 'Subscription.recommendationsChanged',
    variant: 'own',
    query: 'subscription($me: ID!) { recommendationsChanged(userId: $me, first: 1) { score } }',
    path: ['recommendationsChanged'],
    allowed: SIGNED_IN,
  },
  {
    field: 'Subscription.gatewayStatusUpdates',
    query: 'subscription { gatewayStatusUpdates(intervalMs: 250) { status } }',
    path: ['gatewayStatusUpdates'],
    allowed: ANALYSTS,
  },
  { field: 'Subscription.anomalyDetected', query: 'subscription { anomalyDetected { id } }', path: ['anomalyDetected'], allowed: ANALYSTS },
  // Fields that fetch another user's data, or data about other customers
  {
    field: 'User.recentInteractions',
    variant: "another user's",
    query: 'query($other: ID!) { user(id: $other) { recentInteractions(first: 1) { revenue } } }',
    path: ['user', 'recentInteractions'],
    allowed: ACTS_FOR_ANYONE,
  },
  {
    field: 'User.recentInteractions',
    variant: 'own',
    query: 'query($me: ID!) { user(id: $me) { recentInteractions(first: 1) { revenue } } }',
    path: ['user', 'recentInteractions'],
    allowed: SIGNED_IN,
  },
  {
    field: 'Item.recentInteractions',
    query: '{ item(id: "item-001") { recentInteractions(first: 1) { userId } } }',
    path: ['item', 'recentInteractions'],
    allowed: ANALYSTS,
  },
  {
    field: 'Interaction.item',
    query: 'query($me: ID!) { user(id: $me) { recentInteractions(first: 1) { item { id } } } }',
    path: ['user', 'recentInteractions', 'item'],
    allowed: SIGNED_IN,
  },
  {
    field: 'User.segment',
    variant: "another user's",
    query: 'query($other: ID!) { user(id: $other) { segment { id name } } }',
    path: ['user', 'segment'],
    allowed: ACTS_FOR_ANYONE,
  },
  {
    field: 'User.segment',
    variant: 'own (id and name only)',
    query: 'query($me: ID!) { user(id: $me) { segment { id name } } }',
    path: ['user', 'segment'],
    allowed: SIGNED_IN,
  },
  ...(['size', 'share', 'averageOrderValue'] as const).map((f) => ({
    field: `Segment.${f}`,
    query: `query($me: ID!) { user(id: $me) { segment { ${f} } } }`,
    path: ['user', 'segment', f],
    allowed: ANALYSTS,
  })),
  {
    field: 'Segment.centroid',
    query: 'query($me: ID!) { user(id: $me) { segment { centroid { monetary } } } }',
    path: ['user', 'segment', 'centroid'],
    allowed: ANALYSTS,
  },
  {
    field: 'Segment.nextPeriod',
    query: 'query($me: ID!) { user(id: $me) { segment { nextPeriod { rate } } } }',
    path: ['user', 'segment', 'nextPeriod'],
    allowed: ANALYSTS,
  },
  {
    field: 'Segment.topItems',
    query: 'query($me: ID!) { user(id: $me) { segment { topItems(first: 1) { id } } } }',
    path: ['user', 'segment', 'topItems'],
    allowed: ANALYSTS,
  },
  {
    field: 'Segment.topCategories',
    query: 'query($me: ID!) { user(id: $me) { segment { topCategories(first: 1) { revenue } } } }',
    path: ['user', 'segment', 'topCategories'],
    allowed: ANALYSTS,
  },
  {
    field: 'Segment.users',
    query: 'query($me: ID!) { user(id: $me) { segment { users(first: 5) { edges { node { id recentInteractions(first: 1) { revenue } } } } } } }',
    path: ['user', 'segment', 'users'],
    allowed: ANALYSTS,
  },
  { field: 'User.anomalies', query: 'query($me: ID!) { user(id: $me) { anomalies(first: 1) { id } } }', path: ['user', 'anomalies'], allowed: ANALYSTS },
  { field: 'User.flaggedAsBot', query: 'query($me: ID!) { user(id: $me) { flaggedAsBot } }', path: ['user', 'flaggedAsBot'], allowed: ANALYSTS },
  { field: 'Item.anomalies', query: '{ item(id: "item-001") { anomalies(first: 1) { id } } }', path: ['item', 'anomalies'], allowed: ANALYSTS },
  { field: 'Item.similar', query: '{ item(id: "item-001") { similar(first: 1) { score } } }', path: ['item', 'similar'], allowed: SIGNED_IN },
  { field: 'Item.categoryDetails', query: '{ item(id: "item-001") { categoryDetails { name } } }', path: ['item', 'categoryDetails'], allowed: SIGNED_IN },
  { field: 'Item.attributes', query: '{ item(id: "item-001") { attributes { key } } }', path: ['item', 'attributes'], allowed: SIGNED_IN },
];

/** Root fields, and fields of object types that have a resolver of their own (they fetch data). */
function fieldsNeedingARule(schema: GraphQLSchema): string[] {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  const out: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (roots.includes(type) || field.resolve) out.push(`${type.name}.${field.name}`);
    }
  }
  return out.sort();
}

type Outcome = 'allowed' | 'forbidden' | 'unauthenticated';

function classify(errors: readonly WsError[] | undefined, entryPath: string[]): { outcome: Outcome; detail: string } {
  const detail = JSON.stringify(errors ?? []).slice(0, 300);
  for (const e of errors ?? []) {
    const code = e.extensions?.code;
    if (code === 'UNAUTHENTICATED') return { outcome: 'unauthenticated', detail };
    if (code !== 'FORBIDDEN') continue;
    const at = (e.path ?? []).filter((p): p is string => typeof p === 'string');
    if (at.every((p, i) => entryPath[i] === p)) return { outcome: 'forbidden', detail };
    throw new Error(`FORBIDDEN at ${at.join('.')}, outside ${entryPath.join('.')}: the query reaches the field through a refused parent it was not meant to`);
  }
  return { outcome: 'allowed', detail };
}

const SECRET = 'authorization-test-secret-long-enough-hs256';
const SERVICE_KEY = 'authz-service-key-123';
const sign = (role: string, sub: string) =>
  new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));

describe('authorization: every field that fetches data has a rule, enforced for every role on both transports', () => {
  let gw: TestGateway;
  let keysDir: string;
  let headers: Record<Role, Record<string, string>>;
  let ws: Partial<Record<Role, Client>> = {};
  let variables: Record<string, string>;
  let eventSeq = 0;

  before(async () => {
    keysDir = mkdtempSync(path.join(tmpdir(), 'flywheel-authz-'));
    const keysFile = path.join(keysDir, 'api-keys.json');
    writeFileSync(keysFile, JSON.stringify([{ name: 'shop-backend', role: 'service', sha256: hashApiKey(SERVICE_KEY) }]));
    gw = await startTestGateway({
      demo: true,
      env: { NODE_ENV: 'production', FLYWHEEL_AUTH: 'on', FLYWHEEL_JWT_SECRET: SECRET, FLYWHEEL_API_KEYS_FILE: keysFile, FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0' },
    });
    // The shopper needs a purchase to have a segment, and segments need a fit.
    await gw.app.tracker.track(
      [
        {
          kind: 'interaction',
          v: 1,
          id: 'authz-own-purchase',
          type: 'PURCHASE',
          userId: 'demo-user-1',
          itemId: 'item-003',
          quantity: 1,
          price: 10,
          timestamp: Date.now(),
        },
      ],
      'test',
    );
    await gw.app.segments.refit();
    // A draft interleaving, so that the experiments' fields resolve on a real one (the policy is the same for every type).
    const created = await gw.app.outcomes.recordExperiment({
      experimentId: 'authz-interleaving',
      action: 'create',
      spec: {
        name: 'authz interleaving',
        type: 'INTERLEAVE',
        salt: 'authz',
        traffic: 1,
        variants: [
          { name: 'control', share: 0.5, strategy: 'popular' },
          { name: 'treatment', share: 0.5, strategy: 'item-knn' },
        ],
        control: 'control',
        primaryMetric: 'CTR',
        guardrailMetrics: [],
        minimumDetectableEffect: 0.1,
      },
    });
    assert.ok(created.applied, created.reason);
    // And a draft A/B test with a guardrail, so that the guardrail fields resolve on a real one.
    const guarded = await gw.app.outcomes.recordExperiment({
      experimentId: 'authz-guarded',
      action: 'create',
      spec: {
        name: 'authz guarded',
        salt: 'authz-guarded',
        traffic: 1,
        variants: [
          { name: 'control', share: 0.5, strategy: 'popular' },
          { name: 'treatment', share: 0.5, strategy: 'item-knn' },
        ],
        control: 'control',
        primaryMetric: 'CTR',
        guardrailMetrics: ['REVENUE_PER_USER'],
        guardrails: [{ metric: 'REVENUE_PER_USER', margin: 0.05, direction: 'HIGHER_IS_BETTER' }],
        minimumDetectableEffect: 0.1,
      },
    });
    assert.ok(guarded.applied, guarded.reason);
    // And a draft bandit by segment, so that its per-segment fields resolve on a real one.
    const bySegment = await gw.app.outcomes.recordExperiment({
      experimentId: 'authz-segments',
      action: 'create',
      spec: {
        name: 'authz segments',
        type: 'BANDIT',
        explorationFloor: 0.1,
        banditBySegment: true,
        salt: 'authz-segments',
        traffic: 1,
        variants: [
          { name: 'control', share: 0.5, strategy: 'popular' },
          { name: 'treatment', share: 0.5, strategy: 'item-knn' },
        ],
        control: 'control',
        primaryMetric: 'CTR',
        guardrailMetrics: [],
        minimumDetectableEffect: 0.1,
      },
    });
    assert.ok(bySegment.applied, bySegment.reason);
    const segments = await gw.app.segments.segments();
    const [mine] = await gw.app.segments.segmentOf(['demo-user-1']);
    assert.ok(mine, 'the shopper has a segment');
    let other: string | undefined;
    for (const s of segments) {
      other ??= (await gw.app.segments.members(s.id, 10)).userIds.find((u) => u !== 'demo-user-1');
    }
    assert.ok(other, 'another customer with a segment');
    variables = { me: 'demo-user-1', other, segment: mine! };
    const tokens = { shopper: await sign('shopper', 'demo-user-1'), analyst: await sign('analyst', 'ana'), admin: await sign('admin', 'root') };
    headers = {
      anonymous: {},
      shopper: { authorization: `Bearer ${tokens.shopper}` },
      service: { 'x-api-key': SERVICE_KEY },
      analyst: { authorization: `Bearer ${tokens.analyst}` },
      admin: { authorization: `Bearer ${tokens.admin}` },
    };
    ws = {
      anonymous: wsClient(gw.wsUrl),
      shopper: wsClient(gw.wsUrl, { authorization: headers.shopper.authorization }),
      service: wsClient(gw.wsUrl, { 'x-api-key': SERVICE_KEY }),
      analyst: wsClient(gw.wsUrl, { authorization: headers.analyst.authorization }),
      admin: wsClient(gw.wsUrl, { authorization: headers.admin.authorization }),
    };
  });
  after(async () => {
    await Promise.all(Object.values(ws).map((c) => c.dispose()));
    await gw.close();
    rmSync(keysDir, { recursive: true, force: true });
  });

  test('every root field and every field with its own resolver has a rule in the policy table', async () => {
    const needed = fieldsNeedingARule(await buildGatewaySchema());
    const covered = new Set(POLICY.map((e) => e.field));
    assert.deepEqual(
      needed.filter((f) => !covered.has(f)),
      [],
      'fields without a rule: add them to POLICY with the roles that may use them',
    );
    assert.deepEqual(
      [...covered].filter((f) => !needed.includes(f)),
      [],
      'rules for fields that no longer exist (or lost their resolver)',
    );
  });

  const varsFor = () => ({ ...variables, eventId: `authz-${process.pid}-${++eventSeq}` });

  for (const entry of POLICY) {
    const name = `${entry.field}${entry.variant ? ` (${entry.variant})` : ''}`;
    const isSubscription = entry.field.startsWith('Subscription.');

    test(`${name} over HTTP: ${isSubscription ? 'served to nobody' : `allowed for ${entry.allowed.join(', ')} only`}`, async () => {
      for (const role of ROLES) {
        const res = await gql(gw.graphqlUrl, entry.query, varsFor(), headers[role]);
        if (role === 'anonymous') {
          assert.equal(res.status, 401, `${name}, anonymous`);
          continue;
        }
        if (isSubscription) {
          assert.ok(res.status >= 400 && res.data === undefined, `${name} as ${role}: HTTP answered ${res.status}`);
          continue;
        }
        const { outcome, detail } = classify(res.errors, entry.path);
        assert.equal(outcome, entry.allowed.includes(role) ? 'allowed' : 'forbidden', `${name} as ${role} over HTTP: ${detail}`);
      }
    });

    test(`${name} over graphql-ws: allowed for ${entry.allowed.join(', ')} only`, async () => {
      for (const role of ROLES) {
        const out: WsOutcome = await wsRun(ws[role]!, entry.query, varsFor(), isSubscription ? 1000 : 5000);
        if (role === 'anonymous') {
          assert.deepEqual(out.kind === 'closed' && out.code, 4403, `${name}, anonymous: ${JSON.stringify(out)}`);
          continue;
        }
        assert.notEqual(out.kind, 'closed', `${name} as ${role}: ${JSON.stringify(out)}`);
        if (!isSubscription) assert.notEqual(out.kind, 'pending', `${name} as ${role}: no answer`);
        const errors = out.kind === 'data' || out.kind === 'errors' ? out.errors : undefined;
        const { outcome, detail } = classify(errors, entry.path);
        assert.equal(outcome, entry.allowed.includes(role) ? 'allowed' : 'forbidden', `${name} as ${role} over graphql-ws: ${detail}`);
      }
    });
  }
});
