import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Recommender } from '../../../src/recommend/recommender';
import {
  ALS_MODEL_FORMAT_VERSION,
  AlsModelError,
  decodeAlsModel,
  encodeAlsModel,
  readAlsModelFile,
  writeAlsModelFile,
  type AlsModelErrorKind,
} from '../../../src/recommend/als-model';
import type { AlsOptions } from '../../../src/recommend/als';
import type { FlywheelEvent } from '../../../src/events/event';
import { buy, twoBasketShop } from './helpers';

const ALS: Partial<AlsOptions> = { factors: 8, regularization: 1, iterations: 8, refitMinutes: 0 };

function shop(): FlywheelEvent[] {
  const events = twoBasketShop();
  for (let u = 0; u < 60; u++) events.push(buy(`w${u}`, `a${1 + (u % 4)}`, 1), buy(`w${u}`, `c${u % 20}`, 2), buy(`w${u}`, `c${(u * 7) % 20}`, 3));
  return events;
}

function recommender(als: Partial<AlsOptions> = ALS): Recommender {
  return new Recommender(null, { backgroundRefresh: false, cacheEntries: 0, defaultStrategy: 'als', als });
}

function fitted(): { rec: Recommender; bytes: Buffer } {
  const rec = recommender();
  rec.applyEvents(shop());
  rec.refreshNow();
  return { rec, bytes: encodeAlsModel(rec.als.exportModel()!) };
}

function refusal(run: () => unknown): AlsModelErrorKind {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof AlsModelError, `an AlsModelError, not ${String(err)}`);
    return err.kind;
  }
  assert.fail('accepted');
}

test('an exported model read back is the same model, and a gateway that loads it serves the same als lists without fitting', () => {
  const { rec, bytes } = fitted();
  const model = rec.als.exportModel()!;
  const back = decodeAlsModel(bytes);
  assert.equal(back.formatVersion, ALS_MODEL_FORMAT_VERSION);
  assert.equal(back.factors, 8);
  assert.deepEqual(back.itemIds, model.itemIds);
  assert.deepEqual(Array.from(back.vectors), Array.from(model.vectors), 'float64, bit for bit');
  assert.deepEqual(back.hyperparameters, model.hyperparameters);
  assert.equal(back.hyperparameters.regularization, 1);
  assert.equal(back.fittedAt, model.fittedAt);
  assert.deepEqual(back.position, model.position);
  assert.equal(back.position.interactions, rec.index.interactions);

  const other = recommender();
  other.applyEvents(shop());
  const loaded = other.als.loadModel(back);
  assert.deepEqual(loaded, { items: rec.index.itemCount, matched: model.itemIds.length, dropped: 0, fresh: true });
  assert.equal(other.als.stale(), false, 'the model saw this very data: no refit planned');
  assert.equal(other.als.model!.loaded, true);
  for (const u of ['u0', 'u3', 'w5', 'w17']) {
    const a = rec.recommendSync({ userId: u, first: 5 });
    const b = other.recommendSync({ userId: u, first: 5 });
    assert.deepEqual(
      b.map((r) => r.itemId),
      a.map((r) => r.itemId),
      `same list for ${u}`,
    );
    for (let t = 0; t < a.length; t++) assert.ok(Math.abs(a[t]!.score - b[t]!.score) <= 1e-9 * Math.max(1, Math.abs(a[t]!.score)));
  }
  assert.deepEqual(other.als.fits, { worker: 0, sync: 0 }, 'served without a fit');
  rec.close();
  other.close();
});

test('a model of older data is served at once and refit on the next occasion, warm-started from it; unknown items are dropped', () => {
  const { rec } = fitted();
  const model = rec.als.exportModel()!;
  const other = recommender();
  other.applyEvents(shop().filter((e) => !(e.kind === 'interaction' && e.itemId === 'c19')));
  other.applyEvents([buy('new-user', 'a1', 5), buy('new-user', 'b2', 5)]);
  const r = other.als.loadModel(model);
  assert.equal(r.dropped, 1, 'c19 is not in this index');
  assert.equal(r.fresh, false);
  assert.equal(other.als.stale(), true);
  assert.ok(other.recommendSync({ userId: 'new-user', first: 3 }).length > 0, 'served before any fit');
  other.refreshNow();
  assert.equal(other.als.fits.sync, 1);
  assert.equal(other.als.model!.loaded, false);
  rec.close();
  other.close();
});

test('a stored model that lacks an item of this data (its graph did not hold it yet) is served, but not counted fresh', () => {
  const { rec } = fitted();
  const full = rec.als.exportModel()!;
  const k = full.factors;
  const keep = full.itemIds.map((id, r) => ({ id, r })).filter((x) => x.id !== 'c19');
  const short = {
    ...full,
    itemIds: keep.map((x) => x.id),
    vectors: Float64Array.from(keep.flatMap((x) => Array.from(full.vectors.subarray(x.r * k, x.r * k + k)))),
  };
  const other = recommender();
  other.applyEvents(shop());
  const r = other.als.loadModel(short);
  assert.deepEqual(r, { items: rec.index.itemCount, matched: full.itemIds.length - 1, dropped: 0, fresh: false });
  assert.equal(other.als.stale(), true, 'a refit gives c19 its factors');
  other.refreshNow();
  assert.equal(other.als.fits.sync, 1);
  rec.close();
  other.close();
});

test('a damaged, truncated, foreign or other-version model file is refused with a typed error', () => {
  const { rec, bytes } = fitted();
  rec.close();
  const headerLength = bytes.readUInt32LE(8);
  assert.equal(
    refusal(() => decodeAlsModel(bytes.subarray(0, 5))),
    'truncated',
  );
  assert.equal(
    refusal(() => decodeAlsModel(bytes.subarray(0, 12 + Math.floor(headerLength / 2)))),
    'truncated',
  );
  assert.equal(
    refusal(() => decodeAlsModel(bytes.subarray(0, bytes.length - 8))),
    'truncated',
  );
  assert.equal(
    refusal(() => decodeAlsModel(Buffer.concat([bytes, Buffer.alloc(8)]))),
    'corrupt',
  );
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 3]! ^= 0x40;
  assert.equal(
    refusal(() => decodeAlsModel(flipped)),
    'corrupt',
  );
  assert.equal(
    refusal(() => decodeAlsModel(Buffer.from('user,item\nu1,i1\n'))),
    'not-a-model',
  );
  const json = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8')) as Record<string, unknown>;
  const rewrite = (header: Record<string, unknown>) => {
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(h.length);
    const pad = Buffer.alloc((8 - ((12 + h.length) % 8)) % 8);
    const vectorsAt = 12 + headerLength + ((8 - ((12 + headerLength) % 8)) % 8);
    return Buffer.concat([bytes.subarray(0, 8), len, h, pad, bytes.subarray(vectorsAt)]);
  };
  assert.equal(decodeAlsModel(rewrite(json)).factors, 8, 'the rewrite itself is faithful');
  assert.equal(
    refusal(() => decodeAlsModel(rewrite({ ...json, formatVersion: 2 }))),
    'unsupported-version',
  );
  assert.equal(
    refusal(() => decodeAlsModel(rewrite({ ...json, factors: 16 }))),
    'corrupt',
    'a header whose dimension does not match its vectors',
  );
  assert.equal(
    refusal(() => decodeAlsModel(rewrite({ ...json, itemIds: (json.itemIds as string[]).slice(1) }))),
    'corrupt',
  );
});

test('a model fitted with another dimension or other hyperparameters is refused by name', () => {
  const { rec } = fitted();
  const model = rec.als.exportModel()!;
  rec.close();
  const wider = recommender({ ...ALS, factors: 16 });
  wider.applyEvents(shop());
  assert.throws(
    () => wider.als.loadModel(model, 'model.als'),
    (err: unknown) => {
      assert.ok(err instanceof AlsModelError);
      assert.equal(err.kind, 'mismatch');
      assert.match(err.message, /model\.als was fitted with factors 8 \(configured 16\)/);
      return true;
    },
  );
  assert.equal(wider.als.model, null, 'nothing served from it');
  const otherLambda = recommender({ ...ALS, regularization: 35 });
  otherLambda.applyEvents(shop());
  assert.throws(() => otherLambda.als.loadModel(model), /regularization 1 \(configured 35\)/);
  wider.close();
  otherLambda.close();
});

test('the model file is written whole (temporary name, then renamed) and read back; a missing file is a typed error', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flywheel-als-'));
  try {
    const { rec } = fitted();
    const file = path.join(dir, 'model.als');
    const bytes = writeAlsModelFile(file, rec.als.exportModel()!);
    assert.equal(readFileSync(file).length, bytes);
    assert.deepEqual(readAlsModelFile(file).itemIds, rec.als.exportModel()!.itemIds);
    rec.close();
    writeFileSync(path.join(dir, 'cut.als'), readFileSync(file).subarray(0, 100));
    assert.equal(
      refusal(() => readAlsModelFile(path.join(dir, 'cut.als'))),
      'truncated',
    );
    assert.equal(
      refusal(() => readAlsModelFile(path.join(dir, 'none.als'))),
      'not-a-model',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
