import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../../../bin/flywheel.js');

/** 40 users in two taste groups: train.tsv and test.tsv in a new temporary dir. */
function writePair(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flywheel-eval-e2e-'));
  // 40 users in two taste groups; train has 4 of the group's 6 items, test has one more (relevant)
  // and one already seen in train (not relevant). Users 38-39 have no test line: not evaluated.
  const train: string[] = [];
  const test: string[] = [];
  for (let u = 0; u < 40; u++) {
    const group = u % 2 === 0 ? 'a' : 'b';
    const skip = u % 6;
    const items = [0, 1, 2, 3, 4, 5].filter((i) => i !== skip).map((i) => `${group}${i}`);
    items.slice(0, 4).forEach((it, k) => train.push(`${u}\t${it}\t5\t${1_300_000_000 + u * 100 + k}`));
    if (u < 38) test.push(`${u}\t${items[4]}\t4\t${1_400_000_000 + u}`, `${u}\t${items[0]}\t3\t${1_400_000_000 + u}`);
  }
  // two lines no event comes from: they are counted by reason, not lost without a word
  train.push('0\ta1\t5\tnot-a-time', '1\t\t5\t1300000000');
  writeFileSync(path.join(dir, 'train.tsv'), train.join('\n') + '\n');
  writeFileSync(path.join(dir, 'test.tsv'), test.join('\n') + '\n');
  return dir;
}

const TSV = ['--format', 'tsv', '--columns', 'user,item,rating,timestamp', '--no-header'];

test('flywheel eval on a generated tsv train/test pair prints one JSON object with every strategy', async () => {
  const dir = writePair();
  try {
    const { stdout } = await run(
      process.execPath,
      [
        BIN,
        'eval',
        '--train',
        path.join(dir, 'train.tsv'),
        '--test',
        path.join(dir, 'test.tsv'),
        '--format',
        'tsv',
        '--columns',
        'user,item,rating,timestamp',
        '--no-header',
        '--k',
        '5',
        '--json',
      ],
      { timeout: 120_000 },
    );
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1, stdout);
    const report = JSON.parse(lines[0]!) as {
      k: number;
      users: number;
      default: string;
      strategies: Record<string, Record<string, number>>;
      linesDropped: Record<string, number>;
    };
    assert.equal(report.k, 5);
    assert.deepEqual(report.linesDropped, { 'unparseable timestamp': 1, 'missing item': 1 });
    assert.equal(report.users, 38);
    assert.ok(report.default in report.strategies);
    for (const name of ['local-ease', 'item-knn', 'popular', 'blend', 'segment-popular']) {
      const m = report.strategies[name];
      assert.ok(m, name);
      for (const key of ['precision', 'recall', 'ndcg', 'map', 'coverage']) assert.ok(m[key]! >= 0 && m[key]! <= 1, `${name}.${key}`);
    }
    // the group structure is learnable: the default beats popularity
    assert.ok(report.strategies[report.default]!.ndcg > report.strategies.popular!.ndcg, JSON.stringify(report));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flywheel eval --live-model evaluates the model as a gateway holds it after streaming the train part; a bad batch size is refused', async () => {
  const dir = writePair();
  try {
    const files = ['--train', path.join(dir, 'train.tsv'), '--test', path.join(dir, 'test.tsv'), ...TSV, '--k', '5', '--json'];
    // batches of 7 events, each followed by a re-solve of what it touched (about 23 re-solves)
    const { stdout } = await run(process.execPath, [BIN, 'eval', ...files, '--live-model', '7'], { timeout: 120_000 });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { users: number; default: string; strategies: Record<string, { ndcg: number }> };
    assert.equal(report.users, 38);
    assert.ok(report.strategies[report.default]!.ndcg > report.strategies.popular!.ndcg, JSON.stringify(report));
    const refused = await run(process.execPath, [BIN, 'eval', ...files, '--live-model', '0'], { timeout: 60_000 }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    assert.ok(refused, 'exit code not 0');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--live-model takes a batch size \(a positive integer\), got 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
