import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTune } from '../../../src/cli/tune-command';
import { runEval } from '../../../src/cli/eval-command';
import { syntheticRatings } from '../../../src/recommend/synthetic-ratings';

const DAY = 86_400;
const T = Date.UTC(2020, 0, 1) / 1000;

/** Two taste groups buying over 60 days; after day 60 (the "test period") `after` decides what they buy. */
function shopFile(dir: string, name: string, after: (u: number) => string[]): string {
  const rows: string[] = [];
  for (let u = 0; u < 60; u++) {
    const g = u % 2 === 0 ? 'a' : 'b';
    for (let d = 0; d < 6; d++) rows.push(`${u}\t${g}${(u + d) % 8}\t5\t${T + (d * 10 + (u % 10)) * DAY}`);
    after(u).forEach((item, t) => rows.push(`${u}\t${item}\t5\t${T + (61 + t) * DAY}`));
  }
  const file = path.join(dir, name);
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

const flags = (input: string) => ({ input, format: 'tsv' as const, columns: 'user,item,rating,timestamp', header: false, k: '5' });

test('tune never reads the test period: files that differ only after the validation end tune identically', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flywheel-tune-'));
  try {
    // same past; after day 60 one file has the groups keep their taste, the other swap it
    const a = shopFile(dir, 'a.tsv', (u) => [`${u % 2 === 0 ? 'a' : 'b'}${(u + 7) % 8}`]);
    const b = shopFile(dir, 'b.tsv', (u) => [`${u % 2 === 0 ? 'b' : 'a'}${(u + 3) % 8}`, 'x1', 'x2']);
    const validation = { validationDate: '2020-01-31', validationEnd: '2020-03-01' };
    const ra = await runTune({ ...flags(a), ...validation });
    const rb = await runTune({ ...flags(b), ...validation });
    assert.ok(ra.validation.users > 0);
    assert.deepEqual({ ...rb, seconds: 0 }, { ...ra, seconds: 0 });
    // the same for eval --tune: the tuning stage ends at the split, whatever the test period holds
    const ea = await runEval({ ...flags(a), splitDate: '2020-03-01', tune: true });
    const eb = await runEval({ ...flags(b), splitDate: '2020-03-01', tune: true });
    assert.equal(ea.tuned!.validation.from, '2020-02-01');
    assert.equal(ea.tuned!.validation.to, '2020-03-01');
    assert.deepEqual(eb.tuned, ea.tuned);
    assert.equal(ea.default, ea.tuned!.picked.defaultStrategy);
    assert.notDeepEqual(eb.strategies, ea.strategies, 'the test periods do differ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval --min-rating keeps only ratings at or above the threshold as positives', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flywheel-minrating-'));
  try {
    const rows = syntheticRatings({ users: 60, items: 80, ratings: 3000, seed: 3 });
    const file = path.join(dir, 'r.tsv');
    writeFileSync(file, rows.map((x) => `${x.user}\t${x.item}\t${x.rating}\t${x.timestamp}`).join('\n') + '\n');
    const split = '1998-02-01';
    const all = await runEval({ ...flags(file), splitDate: split, strategies: 'popular' });
    const liked = await runEval({ ...flags(file), splitDate: split, strategies: 'popular', minRating: '4' });
    const cut = Date.UTC(1998, 1, 1) / 1000;
    assert.equal(all.train.events, rows.filter((x) => x.timestamp < cut).length);
    assert.equal(liked.train.events, rows.filter((x) => x.timestamp < cut && x.rating >= 4).length);
    assert.ok(liked.train.events < all.train.events);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the synthetic ratings catalogue is deterministic and in time order', () => {
  const a = syntheticRatings({ users: 50, items: 60, ratings: 2000, seed: 9 });
  const b = syntheticRatings({ users: 50, items: 60, ratings: 2000, seed: 9 });
  assert.deepEqual(a, b);
  assert.ok(a.length > 1500);
  for (let t = 1; t < a.length; t++) assert.ok(a[t]!.timestamp >= a[t - 1]!.timestamp);
  assert.ok(a.every((x) => x.rating >= 1 && x.rating <= 5 && x.timestamp < Date.UTC(2000, 0, 1) / 1000));
});
