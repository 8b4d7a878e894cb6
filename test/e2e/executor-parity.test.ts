import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startGateway, type Gateway } from '../../src/api/server';
import { startTestGateway, type TestGateway } from '../helpers/gateway';

/**
 * HTTP operations run on graphql-jit by default (FLYWHEEL_EXECUTOR=jit) and graphql-js is the fallback.
 * Both gateways here serve the same app (one graph, one recommender), so any difference in status or
 * body comes from the executor: results, null handling, error messages, codes and paths must match.
 */
const OPERATIONS_DIR = path.resolve(__dirname, '../../../schema/operations');

/** Every query kept in the repo (mutations and subscriptions would change state or never answer). */
function repoQueries(): { document: string; operationName: string }[] {
  const out: { document: string; operationName: string }[] = [];
  for (const file of ['examples.graphql', 'analyst.graphql']) {
    const document = readFileSync(path.join(OPERATIONS_DIR, file), 'utf8');
    for (const m of document.matchAll(/^query (\w+)/gm)) out.push({ document, operationName: m[1]! });
  }
  return out;
}

const CASES: { name: string; query: string; variables?: Record<string, unknown> }[] = [
  { name: 'typename', query: '{ __typename }' },
  {
    name: 'aliases, fragments and directives',
    query: `query($u: ID!, $withItem: Boolean!) {
      a: recommendations(userId: $u, first: 3) { ...r }
      b: recommendations(userId: $u, first: 2, filter: { categories: ["bags"] }) { score item @include(if: $withItem) { id } }
      c: similarItems(itemId: "item-001", first: 2) { reason item @skip(if: $withItem) { title } }
    }
    fragment r on Recommendation { score reason item { ... on Item { id title category price } } }`,
    variables: { u: 'demo-user-3', withItem: true },
  },
  { name: 'unknown item is null', query: '{ item(id: "no-such-item") { id title } }' },
  { name: 'user with interactions', query: '{ user(id: "demo-user-2") { id interactions(first: 3) { item { id } counts { view click purchase } } } }' },
  { name: 'resolver input error', query: '{ recommendations(userId: "demo-user-1", first: 0) { score } }' },
  { name: 'unknown strategy', query: '{ recommendations(userId: "demo-user-1", strategy: "nope") { score } }' },
  {
    name: 'bad variable deep in a list',
    query: 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }',
    variables: { e: [{ id: 'x', type: 'VIEW', itemId: 'i', price: '' }] },
  },
  { name: 'missing variable', query: 'query($u: ID!) { recommendations(userId: $u) { score } }', variables: {} },
  {
    name: 'wrong enum in variables',
    query: 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }',
    variables: { e: [{ id: 'x', type: 'LOOK', itemId: 'i' }] },
  },
  { name: 'paging', query: '{ items(first: 2) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }' },
];

describe('executor parity: graphql-jit answers exactly as graphql-js', () => {
  let gw: TestGateway;
  let reference: Gateway;
  before(async () => {
    gw = await startTestGateway({ demo: true, env: { FLYWHEEL_SEGMENTS_REFIT_MINUTES: '0' } });
    assert.equal(gw.app.config.FLYWHEEL_EXECUTOR, 'jit', 'jit is the default executor');
    reference = await startGateway({ ...gw.app, config: { ...gw.app.config, FLYWHEEL_EXECUTOR: 'graphql-js' } }, { port: 0, host: '127.0.0.1' });
    await gw.app.recommender.whenFresh();
  });
  after(async () => {
    await reference.close();
    await gw.close();
  });

  const post = async (url: string, body: unknown) => {
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.text() };
  };

  test('the same status and body for every query kept in the repo', async () => {
    const queries = repoQueries();
    assert.ok(queries.length >= 6, `found ${queries.length} queries`);
    for (const { document, operationName } of queries) {
      // the queries without a default for their required variable get an id that names nothing
      const missing: Record<string, string> = {
        SegmentMembers: 'no-such-segment',
        ExperimentResults: 'no-such-experiment',
        ExperimentBandit: 'no-such-experiment',
      };
      const body = { query: document, operationName, ...(operationName in missing ? { variables: { id: missing[operationName] } } : {}) };
      const [jit, js] = [await post(gw.url, body), await post(reference.url, body)];
      assert.deepEqual(jit, js, operationName);
      assert.equal(jit.status, 200, `${operationName}: ${jit.body.slice(0, 300)}`);
    }
  });

  for (const c of CASES) {
    test(`the same status and body: ${c.name}`, async () => {
      const body = { query: c.query, variables: c.variables };
      const [jit, js] = [await post(gw.url, body), await post(reference.url, body)];
      assert.deepEqual(jit, js);
    });
  }

  test('errors keep their codes: input errors are BAD_USER_INPUT with the field or variable path', async () => {
    const bad = JSON.parse((await post(gw.url, { query: CASES[6]!.query, variables: CASES[6]!.variables })).body) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    assert.equal(bad.errors[0]!.extensions.code, 'BAD_USER_INPUT');
    assert.match(bad.errors[0]!.message, /at "e\[0\]\.price"/);
    const range = JSON.parse((await post(gw.url, { query: CASES[4]!.query })).body) as { errors: { extensions: { code: string; argument: string } }[] };
    assert.deepEqual([range.errors[0]!.extensions.code, range.errors[0]!.extensions.argument], ['BAD_USER_INPUT', 'first']);
  });
});
