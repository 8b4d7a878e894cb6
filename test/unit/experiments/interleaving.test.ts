import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  binomialCdf,
  clopperPearson,
  preferenceCounts,
  preferenceTest,
  signTestPValue,
  teamDraft,
  teamDraftPropensities,
  creditDifferenceScales,
  creditDifferenceTest,
  sequentialCreditDifference,
} from '../../../src/experiments/interleaving';
import { mulberry32 } from '../../../src/util/prng';

/** Two rankings drawn from one small catalog (so they overlap), each without repeats, and a list length. */
const rankings = fc
  .record({
    a: fc.uniqueArray(fc.integer({ min: 0, max: 25 }), { maxLength: 15 }),
    b: fc.uniqueArray(fc.integer({ min: 0, max: 25 }), { maxLength: 15 }),
    length: fc.integer({ min: 1, max: 20 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ a, b, length, seed }) => ({ a: a.map((i) => `i${i}`), b: b.map((i) => `i${i}`), length, seed }));

test('team-draft: no duplicates, every entry from its team, each team keeps its order, teams balanced within one while both can pick', () => {
  fc.assert(
    fc.property(rankings, ({ a, b, length, seed }) => {
      const m = teamDraft(a, b, length, mulberry32(seed));
      const lists = [a, b];
      assert.equal(new Set(m.itemIds).size, m.itemIds.length, 'no item twice');
      assert.ok(m.itemIds.length <= length);
      // Full as long as the two lists have enough distinct items between them.
      assert.equal(m.itemIds.length, Math.min(length, new Set([...a, ...b]).size));
      m.itemIds.forEach((item, i) => assert.ok(lists[m.teams[i]!]!.includes(item), `${item} is in its team's list`));
      for (const team of [0, 1] as const) {
        const picks = m.itemIds.filter((_, i) => m.teams[i] === team).map((item) => lists[team]!.indexOf(item));
        assert.deepEqual(
          picks,
          [...picks].sort((x, y) => x - y),
          `team ${team} picks in its own order`,
        );
        // Each pick is the team's best item not shown before it.
        m.itemIds.forEach((item, i) => {
          if (m.teams[i] !== team) return;
          const before = new Set(m.itemIds.slice(0, i));
          assert.equal(
            item,
            lists[team]!.find((x) => !before.has(x)),
          );
        });
      }
      // Balance: in every prefix of the merged list the team sizes differ by at most one, until a team runs dry.
      let counts = [0, 0];
      for (let i = 0; i < m.itemIds.length; i++) {
        counts = counts.map((c, t) => c + (m.teams[i] === t ? 1 : 0));
        const shown = new Set(m.itemIds.slice(0, i + 1));
        const dry = [a, b].some((l) => l.every((x) => shown.has(x)));
        if (!dry) assert.ok(Math.abs(counts[0]! - counts[1]!) <= 1, `prefix ${i + 1}: ${counts}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('team-draft: the coin decides who picks first in each round; identical lists give the same items with random teams', () => {
  const a = ['x1', 'x2', 'x3', 'x4'];
  const b = ['y1', 'y2', 'y3', 'y4'];
  assert.deepEqual(teamDraft(a, b, 4, () => 0.1).itemIds, ['x1', 'y1', 'x2', 'y2']);
  assert.deepEqual(teamDraft(a, b, 4, () => 0.9).itemIds, ['y1', 'x1', 'y2', 'x2']);
  const same = teamDraft(a, a, 4, mulberry32(7));
  assert.deepEqual(same.itemIds, a);
  assert.deepEqual(same.propensities, [1, 1, 1, 1], 'the list itself is not random');
  // A team that runs dry leaves the rest to the other, still credited to it.
  const short = teamDraft(['x1'], b, 4, () => 0.1);
  assert.deepEqual(short.itemIds, ['x1', 'y1', 'y2', 'y3']);
  assert.deepEqual(short.teams, [0, 1, 1, 1]);
});

test('team-draft propensities: exact over the coin flips (Monte Carlo agrees; each position sums to 1)', () => {
  const a = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6'];
  const b = ['i3', 'i1', 'i7', 'i2', 'i8', 'i9'];
  const p = teamDraftPropensities(a, b, 6);
  const rand = mulberry32(42);
  const runs = 40_000;
  const seen = new Map<string, number>();
  for (let r = 0; r < runs; r++) {
    const m = teamDraft(a, b, 6, rand);
    m.itemIds.forEach((item, i) => seen.set(`${i + 1}:${item}`, (seen.get(`${i + 1}:${item}`) ?? 0) + 1));
    m.itemIds.forEach((item, i) => assert.equal(m.propensities[i], p(item, i + 1)));
  }
  const items = [...new Set([...a, ...b])];
  for (let pos = 1; pos <= 6; pos++) {
    const total = items.reduce((s, item) => s + p(item, pos), 0);
    assert.ok(Math.abs(total - 1) < 1e-12, `position ${pos} sums to ${total}`);
    for (const item of items) {
      const mc = (seen.get(`${pos}:${item}`) ?? 0) / runs;
      assert.ok(Math.abs(mc - p(item, pos)) < 0.01, `${item} at ${pos}: exact ${p(item, pos)}, simulated ${mc}`);
    }
  }
  assert.equal(p('i1', 1), 0.5);
  assert.equal(p('i3', 1), 0.5);
});

test('preference counts: a win when treatment is credited with more, a loss when less, a tie otherwise', () => {
  assert.deepEqual(
    preferenceCounts([
      { treatment: 2, control: 1 },
      { treatment: 0, control: 0 },
      { treatment: 1, control: 3 },
      { treatment: 1, control: 1 },
      { treatment: 1, control: 0 },
    ]),
    { wins: 2, losses: 1, ties: 2 },
  );
});

test('sign test and Clopper-Pearson: small cases by hand, and the interval excludes 1/2 exactly when p < alpha', () => {
  // 8 of 10: P(X <= 2) = (1 + 10 + 45) / 1024.
  assert.ok(Math.abs(signTestPValue(8, 10) - (2 * 56) / 1024) < 1e-12);
  assert.ok(Math.abs(signTestPValue(2, 10) - (2 * 56) / 1024) < 1e-12);
  assert.equal(signTestPValue(5, 10), 1);
  assert.equal(signTestPValue(0, 0), 1);
  assert.ok(Math.abs(binomialCdf(3, 10, 0.3) - 0.6496107184) < 1e-9);
  // Clopper-Pearson with k = 0: the upper bound solves (1 - p)^n = alpha / 2.
  assert.deepEqual(clopperPearson(0, 10)[0], 0);
  assert.ok(Math.abs(clopperPearson(0, 10)[1] - (1 - 0.025 ** (1 / 10))) < 1e-12);
  assert.deepEqual(clopperPearson(0, 0), [0, 1]);
  for (let n = 1; n <= 60; n++) {
    for (let k = 0; k <= n; k++) {
      const r = preferenceTest({ wins: k, losses: n - k, ties: 3 });
      const excludes = r.ci[0] > 0.5 || r.ci[1] < 0.5;
      assert.equal(excludes, r.pValue < 0.05, `k=${k} n=${n}: p=${r.pValue}, ci=${r.ci}`);
      assert.ok(r.ci[0] <= k / n && k / n <= r.ci[1]);
    }
  }
});

test('sequential credit difference: an A/A interleaving checked daily stays within 5 %; the daily t-test inflates; a real preference is found', () => {
  // 300 seeded interleavings x 10 daily looks, 200 new users a day; each user's clicks per side ~ Poisson-like
  // (their propensity x 3 lists, split between the sides), treatment's multiplied by `lift`.
  const run = (seed: number, lift: number) => {
    const rand = mulberry32(seed);
    const users: { treatment: number; control: number }[] = [];
    let seqEver = false;
    let tEver = false;
    for (let day = 0; day < 10; day++) {
      for (let u = 0; u < 200; u++) {
        const p = 0.3 * Math.exp(0.6 * (rand() + rand() + rand() - 1.5));
        let t = 0;
        let c = 0;
        for (let k = 0; k < 6; k++) {
          if (rand() < p * 0.5 * (1 + lift)) t++;
          if (rand() < p * 0.5) c++;
        }
        users.push({ treatment: t, control: c });
      }
      const d = creditDifferenceTest(users);
      const s = sequentialCreditDifference(d, creditDifferenceScales(0.02));
      if (d && d.pValue < 0.05) tEver = true;
      if (s && s.pValue < 0.05) seqEver = true;
    }
    return { seqEver, tEver };
  };
  const rate = (lift: number) => {
    let seq = 0;
    let t = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = run(seed * 31 + Math.round(lift * 100), lift);
      if (r.seqEver) seq++;
      if (r.tEver) t++;
    }
    return { seq: seq / 300, t: t / 300 };
  };
  const aa = rate(0);
  const ab = rate(0.25);
  console.log(`interleaving A/A, 300 runs x 10 daily looks: ever p < 0.05 sequential ${aa.seq}, t-test ${aa.t}; +25 % preference: sequential ${ab.seq}`);
  assert.ok(aa.seq <= 0.05, `sequential A/A ${aa.seq}`);
  assert.ok(aa.t >= 0.1, `daily t-test A/A ${aa.t}: peeking was expected to inflate it`);
  assert.ok(ab.seq >= 0.8, `sequential power at +25 % ${ab.seq}`);
});
