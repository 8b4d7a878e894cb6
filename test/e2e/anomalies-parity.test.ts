import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFlywheel } from '../../src/app/flywheel';
import { loadConfig } from '../../src/config/config';
import { importFile } from '../../src/import/importer';
import { createLogger } from '../../src/observability/logger';
import { replayFile } from '../../src/cli/anomalies-command';
import type { AnomalyRecord } from '../../src/graph/graph-store';

/**
 * Order data: three hours of steady checkouts (a few small invoices a minute), then one customer's
 * 300-line invoice, every line at the invoice's one timestamp. That invoice is one checkout, not a traffic
 * spike; and the gateway (live ingestion of an import) and `flywheel anomalies` (replay) must say the same.
 */
function orderFile(): string {
  const lines = ['user,item,timestamp,quantity,price'];
  const t0 = Date.UTC(2011, 0, 10, 8, 0, 0);
  let customer = 0;
  for (let minute = 0; minute < 180; minute++) {
    for (let k = 0; k < 4; k++) {
      const at = t0 + minute * 60_000 + k * 13_000;
      const user = `c${customer++ % 400}`;
      for (let line = 0; line < 2; line++) {
        const item = `i${(minute * 7 + k * 3 + line) % 200}`;
        lines.push(`${user},${item},${new Date(at).toISOString()},${1 + ((minute + line) % 3)},${(2 + (Number(item.slice(1)) % 5)).toFixed(2)}`);
      }
    }
  }
  const big = new Date(t0 + 180 * 60_000 + 5_000).toISOString();
  for (let line = 0; line < 300; line++) lines.push(`bulk-buyer,i${line % 200},${big},${1 + (line % 3)},${(2 + (line % 5)).toFixed(2)}`);
  return lines.join('\n') + '\n';
}

test('the gateway and `flywheel anomalies` agree on one file; an invoice sharing one instant is no traffic spike', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-parity-'));
  try {
    const file = path.join(dir, 'orders.csv');
    writeFileSync(file, orderFile());

    // Live path: the gateway's ingestion (AnomalyService on Ingestor.onApplied), fed by an import.
    const cfg = loadConfig({ LOG_LEVEL: 'silent' }, { FLYWHEEL_DATA_DIR: path.join(dir, 'data'), PORT: 0, FLYWHEEL_SEGMENTS_REFIT_MINUTES: 0 });
    const app = await createFlywheel(cfg, createLogger('silent'));
    let stored: AnomalyRecord[];
    try {
      const report = await importFile(app.tracker, file, { format: 'csv', header: true });
      assert.equal(report.rejected, 0);
      app.anomalies.flushOpen(); // as `flywheel import` does at the end of its file
      await app.anomalies.idle();
      stored = (await app.store.listAnomalies({ first: 10_000 })).anomalies;
    } finally {
      await app.close();
    }

    // Replay path: `flywheel anomalies --format csv` on the same file.
    const replay = await replayFile(file, { format: 'csv', header: true, fees: true, top: '10', maxFindings: '100000' });
    assert.equal(replay.events, 180 * 4 * 2 + 300);

    const count = (kinds: string[]) =>
      Object.fromEntries(
        ['TRAFFIC_SPIKE', 'TRAFFIC_DROP', 'QUANTITY_OUTLIER', 'PRICE_ANOMALY', 'ORDER_VALUE_OUTLIER', 'BOT_ACTIVITY'].map((k) => [
          k,
          kinds.filter((x) => x === k).length,
        ]),
      );
    const live = count(stored.map((r) => r.kind));
    const replayed = count(replay.findings.map((f) => f.kind));
    assert.deepEqual(live, replayed, 'same findings by kind on both paths');
    assert.deepEqual(stored.map((r) => r.id).sort(), replay.findings.map((f) => f.id).sort(), 'same finding ids');
    assert.equal(
      live.TRAFFIC_SPIKE,
      0,
      `an invoice's lines are one checkout, not a spike: ${JSON.stringify(stored.filter((r) => r.kind === 'TRAFFIC_SPIKE').map((r) => r.message))}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
