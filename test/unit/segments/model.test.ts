import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deserializeModel, fitSegments, serializeModel, assignUser, type SegmentModel } from '../../../src/segments/index.js';
import { AS_OF, DAY, shuffle, syntheticCustomers, type Group } from '../../../src/segments/synthetic.js';

const { activities, group } = syntheticCustomers(60, 1);

/** The segment id holding (all of) each synthetic group; fails if a group is split. */
function groupIds(model: SegmentModel, groups: Map<string, Group>): Record<Group, string> {
  const out: Partial<Record<Group, string>> = {};
  for (const [u, g] of groups) {
    const id = model.members.get(u);
    assert.ok(id, `member ${u}`);
    if (out[g] === undefined) out[g] = id;
    else assert.equal(out[g], id, `group ${g} split`);
  }
  return out as Record<Group, string>;
}

describe('fitSegments', () => {
  const model = fitSegments(activities, { asOf: AS_OF, k: 3, seed: 7 });

  it('separates behaviours and names them', () => {
    const ids = groupIds(model, group);
    assert.equal(new Set(Object.values(ids)).size, 3);
    const byId = new Map(model.segments.map((s) => [s.id, s]));
    assert.equal(byId.get(ids.champion)!.name, 'Champions');
    assert.equal(byId.get(ids.hibernating)!.name, 'Hibernating');
    assert.equal(byId.get(ids.new)!.name, 'New');
    const champ = byId.get(ids.champion)!;
    assert.equal(champ.size, 60);
    assert.ok(champ.centroid.frequency >= 40 && champ.centroid.recency < 3);
    assert.ok(byId.get(ids.hibernating)!.centroid.recency > 250);
    assert.equal(champ.topItems[0]!.itemId, 'a1');
    assert.equal(champ.topItems[0]!.customers, 60);
    assert.equal(champ.topCategories[0]!.category, 'home');
    assert.ok(champ.averageOrderValue > 0);
    assert.ok(model.silhouette > 0.7);
    assert.equal(model.customers, 180);
  });

  it('segment names are unique and ids sorted', () => {
    const names = model.segments.map((s) => s.name);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(
      model.segments.map((s) => s.id),
      ['seg-1', 'seg-2', 'seg-3'],
    );
  });

  it('is deterministic and independent of input order', () => {
    const again = fitSegments(shuffle(activities, 3), { asOf: AS_OF, k: 3, seed: 7 });
    assert.deepEqual(JSON.stringify(serializeModel(again)), JSON.stringify(serializeModel(model)));
  });

  it('keeps segment ids across a refit with shuffled input, a different seed and new users', () => {
    const more = syntheticCustomers(20, 99, 'v');
    const input = shuffle([...activities, ...more.activities], 5);
    const before = groupIds(model, group);
    // A different seed on its own may permute the clusters; the ids must not follow the permutation.
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const refit = fitSegments(input, { asOf: AS_OF + DAY, k: 3, seed, previous: model });
      assert.deepEqual(groupIds(refit, group), before, `seed ${seed}`);
      assert.deepEqual(groupIds(refit, more.group), before);
      assert.equal(refit.nextId, 4);
    }
  });

  it('a refit with more segments keeps old ids and adds fresh ones', () => {
    const refit = fitSegments(activities, { asOf: AS_OF, k: 4, seed: 7, previous: model });
    const ids = refit.segments.map((s) => s.id);
    assert.deepEqual(ids, ['seg-1', 'seg-2', 'seg-3', 'seg-4']);
    assert.equal(refit.nextId, 5);
  });

  it('chooses k by silhouette over a range', () => {
    const auto = fitSegments(activities, { asOf: AS_OF, kRange: [2, 6], seed: 7 });
    assert.equal(auto.k, 3);
    assert.deepEqual(
      auto.kScores.map((s) => s.k),
      [2, 3, 4, 5, 6],
    );
  });

  it('assignUser agrees with the fit for every member', () => {
    for (const a of activities) assert.equal(assignUser(model, a)!.segmentId, model.members.get(a.userId));
  });

  it('assigns new users and skips users without purchases', () => {
    const fresh = syntheticCustomers(3, 42, 'w');
    const ids = groupIds(model, group);
    for (const a of fresh.activities) assert.equal(assignUser(model, a)!.segmentId, ids[fresh.group.get(a.userId)!]);
    assert.equal(assignUser(model, { userId: 'nobody', purchases: [], views: 5 }), null);
    const withEmpty = fitSegments([...activities, { userId: 'nobody', purchases: [] }], { asOf: AS_OF, k: 3 });
    assert.equal(withEmpty.skipped, 1);
    assert.equal(withEmpty.members.has('nobody'), false);
  });

  it('round-trips through JSON and structuredClone', () => {
    const json = JSON.parse(JSON.stringify(serializeModel(model))) as ReturnType<typeof serializeModel>;
    const back = deserializeModel(json);
    assert.deepEqual([...back.members], [...model.members]);
    assert.deepEqual(back.segments, model.segments);
    assert.deepEqual(back.scaler, model.scaler);
    const clone = structuredClone(model);
    for (const a of activities.slice(0, 20)) assert.deepEqual(assignUser(clone, a), assignUser(back, a));
  });
});

describe('fitSegments on tiny populations', () => {
  it('never asks for more segments than customers and rejects an empty population', () => {
    const two = syntheticCustomers(1, 3).activities.slice(0, 2);
    assert.equal(fitSegments(two, { asOf: AS_OF }).k, 2);
    assert.equal(fitSegments(two.slice(0, 1), { asOf: AS_OF }).k, 1);
    assert.equal(fitSegments(two.slice(0, 1), { asOf: AS_OF }).segments[0]!.name, 'All customers');
    assert.throws(() => fitSegments([], { asOf: AS_OF }));
  });
});
