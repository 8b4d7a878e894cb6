/**
 * The README's console pictures, taken from a running gateway the way a newcomer sees it (`npm start`: the
 * demo shop with its simulated shoppers), not from a test gateway that has just started:
 *
 *   npm start &            # wait a minute for the demo traffic to show on the charts
 *   node dist/scripts/console-screenshots.js [http://localhost:4000] [docs]
 *
 * Writes docs/console-<page>.png for the pages below. Needs Chromium (scripts/install-chromium.sh).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openBrowser } from '../test/helpers/browser';

/** The three questions of issue 14's "done when": is the flywheel moving, which segment buys most, what would user X be shown. */
const PAGES: { name: string; hash: string; ready: string; settleMs: number }[] = [
  // Served lists/s is the difference of two outcome refreshes (10 s apart).
  { name: 'overview', hash: '#/', ready: 'text=Served lists and outcomes by strategy', settleMs: 12_000 },
  { name: 'segments', hash: '#/segments', ready: '[data-testid=buy-rate-note]', settleMs: 3_000 },
  { name: 'shopper', hash: '#/shopper/demo-user-1', ready: '[data-testid=history] tbody tr', settleMs: 3_000 },
];

async function main(): Promise<void> {
  const url = process.argv[2] ?? 'http://localhost:4000';
  const out = process.argv[3] ?? 'docs';
  mkdirSync(out, { recursive: true });
  const b = await openBrowser(new URL(url).origin);
  try {
    await b.page.goto(`${url}/console`);
    // The demo runs with authentication off: sign in as "None".
    await b.page.getByLabel(/None/).check();
    await b.page.locator('form button[type=submit]').click();
    await b.page.waitForSelector('nav[aria-label="Console pages"]');
    for (const p of PAGES) {
      await b.page.evaluate((h) => ((globalThis as unknown as { location: { hash: string } }).location.hash = h), p.hash);
      await b.page.waitForSelector(p.ready, { timeout: 30_000 });
      await b.page.waitForTimeout(p.settleMs); // charts animate in; live charts gather a few samples
      const file = path.join(out, `console-${p.name}.png`);
      await b.page.screenshot({ path: file, fullPage: true });
      console.log(file);
    }
    if (b.outside.length + b.consoleErrors.length + b.httpErrors.length > 0)
      throw new Error(`the console was not clean: ${JSON.stringify({ outside: b.outside, console: b.consoleErrors, http: b.httpErrors })}`);
  } finally {
    await b.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
