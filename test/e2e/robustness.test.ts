import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnomaliesDocument, RecommendationsDocument } from '../../src/generated/graphql/graphql';
import { gql, startTestGateway } from '../helpers/gateway';
import { freePort, startServeProcess, waitForExit } from '../helpers/process';

const TRACK = 'mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted duplicates rejected { index id reason } } }';

describe('robustness', () => {
  test('property: arbitrary event batches over HTTP never crash the gateway; every rejection has a reason', async () => {
    const gw = await startTestGateway();
    try {
      const str = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', ' ', 'u1', 'item-1', '\u0000', 'x'.repeat(300)));
      const event = fc.record(
        {
          id: str,
          type: fc.oneof(
            { weight: 12, arbitrary: fc.constantFrom('VIEW', 'CLICK', 'ADD_TO_CART', 'REMOVE_FROM_CART', 'PURCHASE') },
            { weight: 1, arbitrary: fc.constantFrom('BUY', 'view') },
          ),
          userId: fc.option(fc.oneof(str, fc.constantFrom('u1', 'u2')), { nil: undefined, freq: 4 }),
          sessionId: fc.option(str, { nil: undefined }),
          itemId: fc.oneof(str, fc.integer()),
          timestamp: fc.option(
            fc.oneof(
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              fc.string(),
              fc.integer(),
            ),
            { nil: undefined },
          ),
          quantity: fc.option(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double(), fc.integer({ min: 2 ** 31, max: 2 ** 40 })), { nil: undefined }),
          price: fc.option(fc.oneof(fc.double({ noNaN: true }), fc.constant(-1), fc.string()), { nil: undefined }),
        },
        { requiredKeys: ['id', 'type', 'itemId'] },
      );
      let cases = 0;
      let accepted = 0;
      let rejected = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 5 }), async (events) => {
          cases += events.length;
          const res = await gql<{ trackEvents: { accepted: number; rejected: { reason: string }[] } }>(gw.graphqlUrl, TRACK, { e: events });
          assert.ok(res.status === 200 || res.status === 400, `status ${res.status}`);
          if (res.status === 400) {
            assert.ok(res.errors![0]!.message.length > 0);
            assert.equal(res.errors![0]!.extensions!.code, 'BAD_USER_INPUT');
            rejected += events.length;
            return;
          }
          const r = res.data!.trackEvents;
          assert.equal(r.accepted + r.rejected.length, events.length);
          for (const rej of r.rejected) assert.ok(rej.reason.length > 0);
          accepted += r.accepted;
          rejected += r.rejected.length;
        }),
        { numRuns: 600 },
      );
      console.log(`# fuzz: ${cases} events in 600 requests: ${accepted} accepted, ${rejected} rejected with a reason, 0 crashes`);
      assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
    } finally {
      await gw.close();
    }
  });

  test('property: arbitrary GraphQL arguments (ids, sizes, filters, cursors, strategies) get data or a typed input error, never a crash', async () => {
    const gw = await startTestGateway({ demo: true });
    try {
      // Mostly plausible values, so that the valid paths are explored too, with hostile ones mixed in.
      const text = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('demo-user-1', 'demo-user-7', 'item-001', 'item-042', 'blend', 'popular', 'item-knn') },
        { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
        { weight: 1, arbitrary: fc.constantFrom('', '\u0000', 'x'.repeat(2000)) },
      );
      const int = fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 50 }) },
        { weight: 1, arbitrary: fc.integer({ min: -5, max: 500 }) },
        { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 31 - 1, -(2 ** 31)) },
      );
      const num = fc.oneof(fc.double(), fc.constantFrom(-1, 0, 1e308));
      const args = fc.record({
        userId: text,
        itemId: text,
        first: int,
        after: fc.option(text, { nil: undefined }),
        strategy: fc.option(text, { nil: undefined }),
        filter: fc.option(
          fc.record(
            {
              categories: fc.array(text, { maxLength: 3 }),
              excludeItemIds: fc.array(text, { maxLength: 3 }),
              includePurchased: fc.boolean(),
              maxPerCategory: int,
              minPrice: num,
              maxPrice: num,
            },
            { requiredKeys: [] },
          ),
          { nil: undefined },
        ),
      });
      const QUERY = `query($userId: ID!, $itemId: ID!, $first: Int!, $after: String, $strategy: String, $filter: RecommendationFilter) {
        recommendations(userId: $userId, first: $first, strategy: $strategy, filter: $filter) { score reason item { id } }
        similarItems(itemId: $itemId, first: $first) { score item { id } }
        items(first: $first, after: $after) { edges { cursor } }
        user(id: $userId) { id recentInteractions(first: $first) { lastType item { id } } }
      }`;
      const codes = new Map<string, number>();
      let answered = 0;
      await fc.assert(
        fc.asyncProperty(args, async (a) => {
          const res = await gql<Record<string, unknown>>(gw.graphqlUrl, QUERY, a);
          assert.ok(res.status === 200 || res.status === 400, `status ${res.status}`);
          for (const e of res.errors ?? []) {
            const code = String(e.extensions?.code);
            assert.ok(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'].includes(code), `unexpected ${code}: ${e.message}`);
            assert.ok(e.message.length > 0 && !/\n\s+at /.test(e.message), 'a message, no stack');
            codes.set(code, (codes.get(code) ?? 0) + 1);
          }
          if (!res.errors) answered++;
        }),
        { numRuns: 1500 },
      );
      console.log(`# GraphQL argument fuzz: 1500 operations: ${answered} answered, errors ${JSON.stringify(Object.fromEntries(codes))}, 0 crashes`);
      assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
    } finally {
      await gw.close();
    }
  });

  test('malformed bodies get typed errors, oversized ones 413', async () => {
    const gw = await startTestGateway({ env: { FLYWHEEL_MAX_BODY_BYTES: '2048' } });
    try {
      const bad = await fetch(gw.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, 'BAD_REQUEST');
      const big = await fetch(gw.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(5000)}` }),
      });
      assert.equal(big.status, 413);
    } finally {
      await gw.close();
    }
  });

  test('beyond its in-flight limit the gateway sheds load with 429 and stays healthy', async () => {
    const gw = await startTestGateway({ demo: true, env: { FLYWHEEL_MAX_IN_FLIGHT: '2' } });
    try {
      // Writes wait on the log's disk flush, so they pile up in flight.
      const statuses = await Promise.all(
        Array.from({ length: 60 }, (_, n) =>
          fetch(gw.graphqlUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: TRACK, variables: { e: [{ id: `load-${n}`, type: 'VIEW', userId: 'u', itemId: 'i' }] } }),
          }).then(async (r) => {
            if (r.status === 429) assert.equal(r.headers.get('retry-after'), '1');
            await r.arrayBuffer();
            return r.status;
          }),
        ),
      );
      const shed = statuses.filter((s) => s === 429).length;
      console.log(`# overload: 60 concurrent requests, limit 2 in flight: ${statuses.filter((s) => s === 200).length} served, ${shed} shed with 429`);
      assert.ok(shed > 0, 'some requests were shed');
      assert.ok(statuses.every((s) => s === 200 || s === 429));
      assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
    } finally {
      await gw.close();
    }
  });

  test('sustained overload of a gateway process: load is shed with 429, its memory stays bounded, nothing accepted is lost', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'flywheel-overload-'));
    const port = await freePort();
    const child = await startServeProcess(['serve', '--data-dir', dataDir], port, { FLYWHEEL_MAX_IN_FLIGHT: '8' });
    const url = `http://127.0.0.1:${port}/graphql`;
    const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
    try {
      const send = (wave: number, n: number) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: TRACK,
            variables: { e: Array.from({ length: 20 }, (_, k) => ({ id: `ov-${wave}-${n}-${k}`, type: 'VIEW', userId: `u${n}`, itemId: `i${k}` })) },
          }),
        }).then(async (r) => {
          const body = (await r.json()) as { data?: { trackEvents: { accepted: number } } };
          return { status: r.status, accepted: body.data?.trackEvents.accepted ?? 0 };
        });
      await Promise.all(Array.from({ length: 20 }, (_, n) => send(-1, n))); // warm-up
      const before = rssMb();
      let served = 0;
      let shed = 0;
      let accepted = 0;
      let peak = before;
      for (let wave = 0; wave < 12; wave++) {
        const results = await Promise.all(Array.from({ length: 250 }, (_, n) => send(wave, n)));
        for (const r of results) {
          assert.ok(r.status === 200 || r.status === 429, `status ${r.status}`);
          if (r.status === 200) served++;
          else shed++;
          accepted += r.accepted;
        }
        peak = Math.max(peak, rssMb());
      }
      const after = rssMb();
      const stats = (await gql<{ user: { eventCount: number } | null }>(url, '{ user(id: "u0") { eventCount } }')).data;
      console.log(
        `# sustained overload (gateway process, limit 8 in flight): 3000 requests of 20 events in waves of 250: ${served} served, ${shed} shed with 429; RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB, ${after.toFixed(0)} MB after`,
      );
      assert.ok(shed > 0, 'load beyond the limit was shed');
      assert.equal(accepted, served * 20, 'every served request had all its events accepted');
      assert.ok(stats?.user && stats.user.eventCount >= 1, 'accepted events are in the graph');
      assert.ok(peak - before < 150, `memory stays bounded: peak ${peak.toFixed(0)} MB vs ${before.toFixed(0)} MB before`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('safelist mode runs only the persisted operations codegen produced', async () => {
    const gw = await startTestGateway({ demo: true, env: { FLYWHEEL_SAFELIST: 'on' } });
    try {
      const adhoc = await gql(gw.graphqlUrl, '{ recommendations(userId: "demo-user-1") { score } }');
      assert.equal(adhoc.errors![0]!.extensions!.code, 'PERSISTED_QUERY_NOT_ALLOWED');
      const documentId = (RecommendationsDocument as unknown as { __meta__: { hash: string } }).__meta__.hash;
      const res = await fetch(gw.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ documentId, variables: { userId: 'demo-user-1', first: 2 } }),
      });
      const body = (await res.json()) as { data: { recommendations: unknown[] } };
      assert.equal(body.data.recommendations.length, 2);
      // Analysts' and admins' operations are kept in schema/operations/ too, so safelist mode serves them.
      const anomaliesId = (AnomaliesDocument as unknown as { __meta__: { hash: string } }).__meta__.hash;
      const analyst = await fetch(gw.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ documentId: anomaliesId, variables: { first: 1 } }),
      });
      const page = (await analyst.json()) as { data?: { anomalies: { totalCount: number } }; errors?: unknown };
      assert.equal(page.errors, undefined, JSON.stringify(page.errors));
      assert.equal(typeof page.data!.anomalies.totalCount, 'number');
    } finally {
      await gw.close();
    }
  });
});
