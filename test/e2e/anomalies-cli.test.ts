import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

/**
 * `flywheel anomalies` on the real Online Retail development slice (issue 6 bar): the 74,215-unit order of
 * item 23166 on 2011-01-18 and its cancellation must be flagged, and the gross price outliers too.
 */
const DATASET = '/work/shared/datasets/online-retail/online-retail-2010-12-to-2011-09.csv.gz';
const BIN = path.resolve(__dirname, '../../../bin/flywheel.js');

interface Finding {
  id: string;
  kind: string;
  severity: string;
  entityType: string;
  entityId: string;
  detectedAt: number;
  message: string;
  evidence: Record<string, unknown>;
}

describe('flywheel anomalies --format online-retail (real data)', { skip: existsSync(DATASET) ? false : `dataset not present: ${DATASET}` }, () => {
  it('flags the 74,215-unit order of 23166 on 2011-01-18, its cancellation, and gross price outliers', { timeout: 300_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'anomalies', '--input', DATASET, '--format', 'online-retail', '--json'], {
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    const report = JSON.parse(stdout) as {
      events: number;
      totalFindings: number;
      findingsPer10k: number;
      findingsTruncated: boolean;
      byKind: Record<string, { count: number; bySeverity: Record<string, number> }>;
      bySeverity: Record<string, number>;
      findings: Finding[];
    };
    assert.ok(report.events > 250_000, `events ${report.events}`);
    assert.equal(report.findingsTruncated, false);
    assert.equal(report.findings.length, report.totalFindings);
    const sum = Object.values(report.byKind).reduce((s, k) => s + k.count, 0);
    assert.equal(sum, report.totalFindings);

    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    // The order: 74,215 units of 23166 by customer 12346, invoice 541431.
    const order = report.findings.find(
      (f) => f.kind === 'QUANTITY_OUTLIER' && f.entityId === '23166' && f.evidence.quantity === 74215 && f.evidence.cancellation === false,
    );
    assert.ok(order, 'the 74,215-unit order is flagged');
    assert.equal(order.severity, 'CRITICAL');
    assert.equal(day(order.detectedAt), '2011-01-18');
    assert.equal(order.evidence.orderId, '541431');
    const orderValue = report.findings.find((f) => f.kind === 'ORDER_VALUE_OUTLIER' && f.entityId === '12346' && f.evidence.orderId === '541431');
    assert.ok(orderValue && orderValue.severity === 'CRITICAL', 'its order value (77,184) is flagged');

    // The cancellation C541433, linked to the flagged purchase.
    const cancelLine = report.findings.find((f) => f.kind === 'QUANTITY_OUTLIER' && f.entityId === '23166' && f.evidence.orderId === 'C541433');
    assert.ok(cancelLine, 'the cancellation of the 74,215 units is flagged');
    assert.equal(day(cancelLine.detectedAt), '2011-01-18');
    assert.equal(cancelLine.evidence.cancels, order.evidence.eventId);
    const cancelOrder = report.findings.find((f) => f.kind === 'ORDER_VALUE_OUTLIER' && f.entityId === '12346' && f.evidence.orderId === 'C541433');
    assert.ok(cancelOrder && cancelOrder.evidence.cancels === '541431');

    // Gross price outliers: at least one >= 100x off (CRITICAL), e.g. BANK CHARGES at 0.001 or item 17003 at 57.6.
    assert.ok(report.byKind.PRICE_ANOMALY!.bySeverity.CRITICAL! > 0);
    assert.ok(report.findings.some((f) => f.kind === 'PRICE_ANOMALY' && f.entityId === '17003' && f.severity === 'CRITICAL'));

    // Order data has no click stream: no bots; and the flag rate stays small (a few a day, not hundreds).
    assert.equal(report.byKind.BOT_ACTIVITY!.count, 0);
    assert.ok(report.findingsPer10k < 50, `findings per 10k ${report.findingsPer10k}`);
  });
});
