import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, freePort, startServeProcess, waitForExit } from '../helpers/process';
import { readAlsModelFile } from '../../src/recommend/als-model';

/**
 * `flywheel export-als` and `FLYWHEEL_ALS_MODEL_FILE`, as processes: the exported model serves `als` from
 * the first request of a gateway that never fits on its own (FLYWHEEL_ALS_REFIT_MINUTES=0), and a file that
 * does not fit (truncated, another dimension) stops the start with one line and exit code 2.
 */
const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/movielens-sample.tsv');
const ALS = { FLYWHEEL_ALS_FACTORS: '16', FLYWHEEL_ALS_ITERATIONS: '4' };

function flywheel(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 120_000 });
}

test('export-als writes the fitted model; a gateway started with it serves als at once; a bad file stops the start', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-export-als-'));
  try {
    const data = path.join(dir, 'data');
    const imported = flywheel(['import', FIXTURE, '--format', 'tsv', '--columns', 'user,item,rating,timestamp', '--no-header', '--data-dir', data]);
    assert.equal(imported.status, 0, imported.stderr);

    const file = path.join(dir, 'model.als');
    const exported = flywheel(['export-als', '--data-dir', data, '--out', file, '--json'], ALS);
    assert.equal(exported.status, 0, exported.stderr);
    const report = JSON.parse(exported.stdout) as { items: number; factors: number; source: string; fittedAt: string; position: { interactions: number } };
    assert.equal(report.source, 'fitted');
    assert.equal(report.factors, 16);
    const model = readAlsModelFile(file);
    assert.equal(model.itemIds.length, report.items);
    assert.equal(model.position.interactions, report.position.interactions);
    assert.equal(model.hyperparameters.iterations, 4);

    // exported again with the file configured: the stored fit covers the data, so nothing is fitted
    const again = flywheel(['export-als', '--data-dir', data, '--out', path.join(dir, 'again.als'), '--json'], { ...ALS, FLYWHEEL_ALS_MODEL_FILE: file });
    assert.equal(again.status, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { source: string; fittedAt: string }).source, 'stored');
    assert.equal((JSON.parse(again.stdout) as { fittedAt: string }).fittedAt, report.fittedAt);

    const user = readFileSync(FIXTURE, 'utf8').split('\n')[0]!.split('\t')[0]!;
    const serveEnv = { ...ALS, FLYWHEEL_RECOMMENDER: 'als', FLYWHEEL_ALS_REFIT_MINUTES: '0', FLYWHEEL_ALS_MODEL_FILE: file };
    const port = await freePort();
    const child = await startServeProcess(['serve', '--data-dir', data], port, serveEnv);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ recommendations(userId: "${user}", first: 5) { reason item { id } } }` }),
      });
      const body = (await res.json()) as { data: { recommendations: { reason: string }[] } };
      assert.equal(body.data.recommendations.length, 5);
      assert.ok(
        body.data.recommendations.every((r) => /\(als/.test(r.reason)),
        `every item from the loaded factors: ${JSON.stringify(body.data.recommendations.map((r) => r.reason))}`,
      );
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
    }

    writeFileSync(path.join(dir, 'cut.als'), readFileSync(file).subarray(0, readFileSync(file).length - 100));
    for (const [name, env, message] of [
      ['cut.als', ALS, /is truncated/],
      ['model.als', { ...ALS, FLYWHEEL_ALS_FACTORS: '8' }, /was fitted with factors 16 \(configured 8\)/],
    ] as const) {
      const r = flywheel(['serve', '--data-dir', data, '--port', '0'], { ...env, FLYWHEEL_ALS_MODEL_FILE: path.join(dir, name) });
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line:\n${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
