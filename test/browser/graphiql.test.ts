/**
 * GraphiQL at /graphiql, driven by a real headless Chromium (Debian's
 * /usr/bin/chromium through playwright-core). Every request the page makes is
 * routed: only the gateway's origin is let through, anything else is aborted
 * and recorded, and the test fails if there was any. Install the browser with
 * `scripts/install-chromium.sh`; without it the browser test is skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Page } from 'playwright-core';
import path from 'node:path';
import { startTestGateway } from '../helpers/gateway';
import { openBrowser, skipBrowser } from '../helpers/browser';
import { operationTabs } from '../../src/api/operation-tabs';

// tsconfig has no DOM lib: browser-side callbacks reach the page through `any`.
/* eslint-disable @typescript-eslint/no-explicit-any */
const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const RESPONSE_EDITOR = '.graphiql-response .CodeMirror';
const RUN_BUTTON = '.graphiql-execute-button';
// With several operations in the editor the run button is a Radix dropdown trigger
// (aria-haspopup) listing them; GraphiQL re-parses the editor a moment after an edit.
const PLAIN_RUN_BUTTON = `${RUN_BUTTON}:not([aria-haspopup])`;

async function editorValue(page: Page, selector: string): Promise<string> {
  return page.evaluate((sel) => (globalThis as any).document.querySelector(sel).CodeMirror.getValue() as string, selector);
}

/** Puts `query` in the query editor, clicks the run button, and returns the parsed response pane. */
async function runInGraphiql(page: Page, query: string, expectInResponse: string): Promise<any> {
  await page.evaluate(([sel, q]) => (globalThis as any).document.querySelector(sel).CodeMirror.setValue(q), [QUERY_EDITOR, query] as const);
  // Clicking before GraphiQL has re-parsed would open the old operation menu instead of running.
  await page.waitForSelector(PLAIN_RUN_BUTTON, { timeout: 10_000 });
  await page.click(PLAIN_RUN_BUTTON);
  await page.waitForFunction(
    ([sel, want]) => {
      const el = (globalThis as any).document.querySelector(sel);
      return !!el && String(el.CodeMirror.getValue()).includes(want);
    },
    [RESPONSE_EDITOR, expectInResponse] as const,
    { timeout: 20_000 },
  );
  return JSON.parse(await editorValue(page, RESPONSE_EDITOR));
}

test('GraphiQL page and assets: strict CSP, caching, nothing from outside', async () => {
  const gw = await startTestGateway();
  try {
    const pageRes = await fetch(`${gw.url}/graphiql`);
    assert.equal(pageRes.status, 200);
    assert.match(pageRes.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(pageRes.headers.get('cache-control'), 'no-store');
    const csp = pageRes.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/, `script-src must be 'self' only: ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|https?:|\*/, csp);
    const html = await pageRes.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script>');
    assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//, 'no absolute/protocol-relative asset URLs');

    const assetUrls = [...html.matchAll(/\b(?:src|href)="(\/graphiql\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(assetUrls.length >= 5, `expected the page to reference its assets, got ${assetUrls.join(', ')}`);
    for (const u of assetUrls) {
      const r = await fetch(gw.url + u.replace(/&amp;/g, '&'));
      assert.equal(r.status, 200, u);
      const type = r.headers.get('content-type') ?? '';
      assert.match(type, u.includes('.css') ? /^text\/css/ : /^text\/javascript/, `${u}: ${type}`);
      assert.match(r.headers.get('cache-control') ?? '', /immutable/, u);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', u);
      const etag = r.headers.get('etag');
      assert.ok(etag, `${u} has an ETag`);
      const body = await r.text();
      if (u.includes('.css')) {
        assert.doesNotMatch(body, /@import/i, `${u} must not @import`);
        assert.doesNotMatch(body, /url\(\s*['"]?(https?:)?\/\//i, `${u} must not load url() from elsewhere`);
      }
      const again = await fetch(gw.url + u.replace(/&amp;/g, '&'), { headers: { 'if-none-match': etag! } });
      assert.equal(again.status, 304, `${u} revalidates`);
    }
    assert.equal((await fetch(`${gw.url}/graphiql/assets/..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${gw.url}/graphiql/assets/nope.js`)).status, 404);
  } finally {
    await gw.close();
  }
});

test('GraphiQL in headless Chromium runs queries from the page', { skip: skipBrowser, timeout: 180_000 }, async () => {
  const gw = await startTestGateway();
  const origin = new URL(gw.url).origin;
  // Every request outside the gateway's origin is aborted and recorded; console and HTTP errors too.
  const session = await openBrowser(origin);
  const { context, page, outside, consoleErrors, httpErrors } = session;
  try {
    await page.goto(`${gw.url}/graphiql`, { waitUntil: 'load' });
    await page.waitForSelector(QUERY_EDITOR, { timeout: 30_000 });
    await page.waitForSelector(RUN_BUTTON);

    // GraphiQL opens with every kept operation as a named tab, grouped by audience (file), in file order.
    const expected = operationTabs(path.resolve(__dirname, '../../../schema/operations'));
    assert.ok(expected.length >= 20, `operations found: ${expected.length}`);
    const tabTitles = page.locator('.graphiql-tab .graphiql-tab-button');
    await page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('.graphiql-tab').length === n, expected.length, { timeout: 20_000 });
    const titles = (await tabTitles.allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(
      titles,
      expected.map((t) => t.name),
    );
    const audiences = [...new Set(expected.map((t) => t.audience))];
    assert.deepEqual(audiences.slice(0, 4), ['shoppers and frontends', 'analysts', 'admins', 'the web console']);
    assert.match(await editorValue(page, QUERY_EDITOR), /^# For shoppers and frontends/);

    // A document with several operations: the run button opens a menu of them. This also exercises the
    // CSP style nonce: Radix's scroll lock injects a <style> element.
    const two = 'query One { __typename }\nquery Two { __typename }\n';
    await page.evaluate(([sel, q]) => (globalThis as any).document.querySelector(sel).CodeMirror.setValue(q), [QUERY_EDITOR, two] as const);
    await page.waitForSelector(`${RUN_BUTTON}[aria-haspopup]`, { timeout: 10_000 });
    const named = ['One', 'Two'];
    await page.click(RUN_BUTTON);
    const menuItems = page.locator('[role="menu"] [role="menuitem"]');
    await menuItems.first().waitFor({ timeout: 10_000 });
    assert.equal(await menuItems.count(), named.length, 'operation menu lists the operations');
    await page.keyboard.press('Escape');
    await page.locator('[role="menu"]').waitFor({ state: 'detached', timeout: 10_000 });

    const typename = await runInGraphiql(page, '{ __typename }', '__typename');
    assert.deepEqual(typename, { data: { __typename: 'Query' } });

    const items = await runInGraphiql(page, '{ items(first: 2) { edges { node { id title } } } }', '"items"');
    assert.equal(items.errors, undefined, JSON.stringify(items));
    assert.ok(Array.isArray(items.data.items.edges), JSON.stringify(items));
    assert.ok(items.data.items.edges.length <= 2, JSON.stringify(items));
    for (const e of items.data.items.edges) {
      assert.equal(typeof e.node.id, 'string');
    }

    await context.close();
    assert.deepEqual(outside, [], `requests to anywhere but ${origin} were attempted`);
    assert.deepEqual(consoleErrors, [], 'no console errors (including CSP violations)');
    assert.deepEqual(httpErrors, [], 'no failed responses from the gateway');
  } finally {
    await session.close();
    await gw.close();
  }
});
