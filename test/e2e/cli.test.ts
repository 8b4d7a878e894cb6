import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gql } from '../helpers/gateway';
import { BIN, freePort, startServeProcess, waitForExit } from '../helpers/process';

const SAMPLE = `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom
536366,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:28:00,2.55,13047.0,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,13047.0,United Kingdom
536367,71053,WHITE METAL LANTERN,2,2010-12-01 08:34:00,3.39,12583.0,France
536367,22633,HAND WARMER UNION JACK,2,2010-12-01 08:34:00,1.85,12583.0,France
536367,POST,POSTAGE,3,2010-12-01 08:34:00,18.0,12583.0,France
C536379,22633,HAND WARMER UNION JACK,-1,2010-12-01 09:41:00,1.85,14527.0,United Kingdom
536380,22633,HAND WARMER UNION JACK,1,2010-12-01 09:41:00,1.85,,United Kingdom
`;

test('npx flywheel --help lists the commands', () => {
  const out = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  for (const cmd of ['serve', 'demo', 'import']) assert.match(out, new RegExp(`\\b${cmd}\\b`));
});

test('a bad configuration stops the process with a message naming the variable', () => {
  const r = spawnSync(process.execPath, [BIN, 'serve'], { env: { ...process.env, PORT: 'eighty' }, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /PORT: must be a number/);
});

test('import cleans Online Retail lines with per-reason counts; serve then recommends from that history', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-cli-'));
  try {
    const file = path.join(dir, 'retail.csv');
    writeFileSync(file, SAMPLE);
    const dataDir = path.join(dir, 'data');
    const report = JSON.parse(
      execFileSync(process.execPath, [BIN, 'import', file, '--format', 'online-retail', '--data-dir', dataDir, '--json'], { encoding: 'utf8' }),
    );
    assert.equal(report.lines, 10);
    assert.deepEqual(report.dropped, { 'duplicate line': 1, 'fee pseudo-item': 1, cancellation: 1, 'missing customer': 1 });
    assert.equal(report.graph.users, 3);

    const again = JSON.parse(
      execFileSync(process.execPath, [BIN, 'import', file, '--format', 'online-retail', '--data-dir', dataDir, '--json'], { encoding: 'utf8' }),
    );
    assert.equal(again.duplicates, again.accepted, 're-importing the same file changes nothing');

    const port = await freePort();
    const child = await startServeProcess(['serve', '--data-dir', dataDir], port);
    try {
      const res = await gql<{ recommendations: { item: { id: string; title: string }; reason: string }[] }>(
        `http://127.0.0.1:${port}/graphql`,
        '{ recommendations(userId: "17850", first: 3) { reason item { id title } } }',
      );
      const recs = res.data!.recommendations;
      assert.equal(recs[0]!.item.id, '22633', 'co-bought with the heart holder and lantern by other customers');
      assert.match(recs[0]!.reason, /because you bought/);
      assert.ok(!recs.some((r) => ['85123A', '71053'].includes(r.item.id)), 'never what 17850 already bought');
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
