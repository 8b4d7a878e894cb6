import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gql } from '../helpers/gateway';
import { freePort, startServeProcess, waitForExit } from '../helpers/process';

/**
 * `npm start` is what a newcomer runs: its simulated shoppers must turn the whole flywheel, not only send
 * events. Served lists come back as impressions and some of their entries are clicked and bought with the
 * list's servedId, so the console's outcome metrics move (issue 14's "sees the demo shop's flywheel moving").
 */
describe('flywheel demo: the simulated shoppers close the loop', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'flywheel-demo-loop-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('served lists are recorded and clicks on them are attributed, while the demo runs', async () => {
    const port = await freePort();
    const child = await startServeProcess(['demo'], port, { FLYWHEEL_DATA_DIR: dataDir, FLYWHEEL_SIMULATOR_RATE: '200' }, 60_000);
    try {
      const url = `http://127.0.0.1:${port}/graphql`;
      let last: { impressions: number; clicks: number; purchases: number } | undefined;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const r = await gql<{ outcomeMetrics: { strategy: string; impressions: number; clicks: number; purchases: number }[] }>(
          url,
          '{ outcomeMetrics { strategy impressions clicks purchases } }',
        );
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        last = r.data!.outcomeMetrics.reduce(
          (a, m) => ({ impressions: a.impressions + m.impressions, clicks: a.clicks + m.clicks, purchases: a.purchases + m.purchases }),
          {
            impressions: 0,
            clicks: 0,
            purchases: 0,
          },
        );
        if (last.impressions >= 20 && last.clicks >= 3) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(last && last.impressions >= 20 && last.clicks >= 3, `after a minute of the demo: ${JSON.stringify(last)}`);
      // Clicks are attributed to lists, so they cannot outnumber what was shown (a list shows at most 5 items).
      assert.ok(last.clicks <= 5 * last.impressions);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await waitForExit(child), 0);
    }
  });
});
