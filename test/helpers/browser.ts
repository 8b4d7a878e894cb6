/**
 * Headless Chromium for the browser tests (Debian's /usr/bin/chromium through playwright-core): a context
 * where only the gateway's origin is reachable (anything else is aborted and recorded), with console
 * errors, page errors and failed responses collected for the test to assert on.
 * Install the browser with `scripts/install-chromium.sh`; without it the browser tests skip.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const skipBrowser: string | false = existsSync(CHROMIUM)
  ? false
  : `chromium is missing (${CHROMIUM}); install it with: sudo bash scripts/install-chromium.sh`;

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Requests to anywhere but the gateway's origin (aborted). */
  outside: string[];
  consoleErrors: string[];
  httpErrors: string[];
  close(): Promise<void>;
}

export async function openBrowser(origin: string, viewport = { width: 1280, height: 900 }): Promise<BrowserSession> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const outside: string[] = [];
  const consoleErrors: string[] = [];
  const httpErrors: string[] = [];
  const context = await browser.newContext({ serviceWorkers: 'block', viewport });
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    let allowed = false;
    try {
      allowed = new URL(url).origin === origin;
    } catch {
      /* data:, blob: etc. never reach route(); anything unparsable is outside */
    }
    if (allowed) {
      await route.continue();
    } else {
      outside.push(url);
      await route.abort('blockedbyclient');
    }
  });
  // WebSockets are not seen by route(): let same-host ones through, record and close the rest.
  await context.routeWebSocket(
    (u) => u.host !== new URL(origin).host,
    (ws) => {
      outside.push(ws.url());
      void ws.close();
    },
  );
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) httpErrors.push(`${r.status()} ${r.url()}`);
  });
  return {
    browser,
    context,
    page,
    outside,
    consoleErrors,
    httpErrors,
    async close() {
      await context.close().catch(() => {});
      await browser.close();
    },
  };
}
