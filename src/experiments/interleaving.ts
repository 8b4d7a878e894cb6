import betainc from '@stdlib/math-base-special-betainc';
import { studentTQuantile, studentTTwoSidedP } from './distributions';
import type { LiftResult } from './fixed-horizon';
import { momentsOf, sampleVariance } from './moments';
import { averagedMsprtLogLikelihoodRatio } from './sequential';

/**
 * Interleaving (issue 13): instead of splitting users between two rankers, every user in the experiment is
 * shown one list merged from both, and each click is credited to the ranker ("team") that contributed the
 * clicked item. Pure: the merge, its exact propensities, and the per-user preference test. Formulas and
 * sources in EXPERIMENTS.md ("Interleaving").
 *
 * Team-draft interleaving (Radlinski, Kurup, Joachims 2008, "How does clickthrough data reflect retrieval
 * quality?", Algorithm 2): in each round a fair coin decides which team picks first; each team then adds its
 * highest-ranked item that is not in the merged list yet, and that entry remembers its team. Rounds go on
 * until the list has `length` entries. When one team has nothing left to add, the other fills the rest (the
 * shopper still gets a full list; the original stops there), so every entry is still credited to the team
 * that contributed it.
 */

/** A merged list: item ids in order, the team (0: list a, 1: list b) of each entry, and its propensity. */
export interface TeamDraftList {
  itemIds: string[];
  teams: (0 | 1)[];
  /**
   * Probability that team-draft shows this item at this position, given the two input lists (over the coin
   * flips): what an off-policy estimate needs, like any randomised policy's propensity.
   */
  propensities: number[];
}

/** Merges `a` and `b` (each a ranking without repeats) into at most `length` entries; `random` flips the coins. */
export function teamDraft(rankingA: readonly string[], rankingB: readonly string[], length: number, random: () => number = Math.random): TeamDraftList {
  // A ranking names an item once; a repeat would only be passed over, so it is dropped here (the propensities assume it).
  const a = [...new Set(rankingA)];
  const b = [...new Set(rankingB)];
  const lists = [a, b] as const;
  const itemIds: string[] = [];
  const teams: (0 | 1)[] = [];
  const shown = new Set<string>();
  const next = [0, 0];
  const pick = (team: 0 | 1): boolean => {
    const list = lists[team];
    while (next[team]! < list.length && shown.has(list[next[team]!]!)) next[team]!++;
    if (next[team]! >= list.length) return false;
    const item = list[next[team]!++]!;
    shown.add(item);
    itemIds.push(item);
    teams.push(team);
    return true;
  };
  while (itemIds.length < length) {
    const first: 0 | 1 = random() < 0.5 ? 0 : 1;
    const picked = pick(first);
    const other = itemIds.length < length && pick((1 - first) as 0 | 1);
    if (!picked && !other) break;
  }
  const p = teamDraftPropensities(a, b, length);
  return { itemIds, teams, propensities: itemIds.map((item, i) => p(item, i + 1)) };
}

/**
 * The exact probability, over the coin flips, that team-draft shows `item` at `position` (1-based), by dynamic
 * programming over the merge's state. The state after any number of rounds is the pair of pointers (pa, pb)
 * into a and b: the merged list is then exactly a[0..pa) ∪ b[0..pb) (each team only passes over items already
 * shown), so at most |a|·|b| states, and in practice a handful (disjoint lists keep one state per round).
 */
export function teamDraftPropensities(a: readonly string[], b: readonly string[], length: number): (item: string, position: number) => number {
  const posA = new Map(a.map((x, i) => [x, i]));
  const posB = new Map(b.map((x, i) => [x, i]));
  const probability = new Map<string, number>();
  interface State {
    pa: number;
    pb: number;
    len: number;
    p: number;
  }
  let states: State[] = [{ pa: 0, pb: 0, len: 0, p: 1 }];
  // One team's pick from a state: the index it takes (or -1), with "already shown" read off the other pointer.
  const take = (s: { pa: number; pb: number }, team: 0 | 1): number => {
    if (team === 0) {
      let i = s.pa;
      while (i < a.length && (posB.get(a[i]!) ?? Infinity) < s.pb) i++;
      return i < a.length ? i : -1;
    }
    let j = s.pb;
    while (j < b.length && (posA.get(b[j]!) ?? Infinity) < s.pa) j++;
    return j < b.length ? j : -1;
  };
  while (states.length > 0) {
    const after = new Map<string, State>();
    for (const s of states) {
      for (const first of [0, 1] as const) {
        const t = { ...s, p: s.p / 2 };
        let progressed = false;
        for (const team of [first, (1 - first) as 0 | 1]) {
          if (t.len >= length) break;
          const i = take(t, team);
          if (i < 0) continue;
          const item = team === 0 ? a[i]! : b[i]!;
          const key = `${t.len + 1}\u0000${item}`;
          probability.set(key, (probability.get(key) ?? 0) + t.p);
          if (team === 0) t.pa = i + 1;
          else t.pb = i + 1;
          t.len++;
          progressed = true;
        }
        if (!progressed || t.len >= length) continue;
        const key = `${t.pa},${t.pb}`;
        const same = after.get(key);
        if (same) same.p += t.p;
        else after.set(key, t);
      }
    }
    states = [...after.values()];
  }
  return (item, position) => probability.get(`${position}\u0000${item}`) ?? 0;
}

/** Per user, outcomes credited to each side: a win for treatment when its side got more, a loss when fewer, else a tie. */
export interface PreferenceCounts {
  wins: number;
  losses: number;
  ties: number;
}

export function preferenceCounts(perUser: Iterable<{ treatment: number; control: number }>): PreferenceCounts {
  const c: PreferenceCounts = { wins: 0, losses: 0, ties: 0 };
  for (const u of perUser) {
    if (u.treatment > u.control) c.wins++;
    else if (u.treatment < u.control) c.losses++;
    else c.ties++;
  }
  return c;
}

export interface PreferenceResult extends PreferenceCounts {
  /** Users with a preference (wins + losses): the sign test's n. */
  decided: number;
  /** wins / (wins + losses): the share of users with a preference who prefer treatment; NaN with none. */
  share: number;
  /** Two-sided exact binomial (sign) test of share = 1/2; 1 with no decided user. */
  pValue: number;
  /** Clopper-Pearson (exact) interval of the share, at 1 - alpha; [0, 1] with no decided user. */
  ci: [number, number];
}

/**
 * The preference test over users (Radlinski et al. 2008; Chapelle, Joachims, Radlinski, Yue 2012): ties left
 * out, wins ~ Binomial(wins + losses, 1/2) under "no preference". The interval is Clopper-Pearson's, the
 * inversion of the same equal-tailed exact test, so it excludes 1/2 exactly when pValue < alpha.
 */
export function preferenceTest(counts: PreferenceCounts, alpha = 0.05): PreferenceResult {
  const n = counts.wins + counts.losses;
  return {
    ...counts,
    decided: n,
    share: n > 0 ? counts.wins / n : Number.NaN,
    pValue: signTestPValue(counts.wins, n),
    ci: clopperPearson(counts.wins, n, alpha),
  };
}

/**
 * Two-sided exact binomial test of p = 1/2 for k successes in n trials: min(1, 2·P(X ≤ min(k, n − k))), with
 * P(X ≤ m) = I_{1/2}(n − m, m + 1) (the regularized incomplete beta function). The distribution is symmetric,
 * so this equals scipy.stats.binomtest's two-sided p-value.
 */
export function signTestPValue(k: number, n: number): number {
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  if (2 * m >= n) return 1;
  return Math.min(1, 2 * binomialCdf(m, n, 0.5));
}

/** P(X ≤ k) for X ~ Binomial(n, p): I_{1-p}(n - k, k + 1). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  return betainc(1 - p, n - k, k + 1);
}

/**
 * Clopper-Pearson interval for k successes in n trials: [B⁻¹(α/2; k, n − k + 1), B⁻¹(1 − α/2; k + 1, n − k)]
 * (0 when k = 0, 1 when k = n), the Beta quantiles found by bisection on I_x(a, b), which is increasing in x.
 */
export function clopperPearson(k: number, n: number, alpha = 0.05): [number, number] {
  if (n === 0) return [0, 1];
  const lower = k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1);
  const upper = k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k);
  return [lower, upper];
}

function betaQuantile(q: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 2000; i++) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi || hi - lo <= 1e-15 * hi) break;
    if (betainc(mid, a, b) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The second test, which also weighs how strongly each user prefers a side: the per-user credit difference
 * dᵤ = creditedᵤ(treatment) − creditedᵤ(control), ties (dᵤ = 0) included, and a one-sample (paired) t-test of
 * mean(d) = 0: t = d̄ / (s_d/√n), df = n − 1, CI = d̄ ∓ t₁₋α/₂·s_d/√n (matches scipy.stats.ttest_1samp). Null with
 * fewer than two users or no variation.
 */
export function creditDifferenceTest(perUser: Iterable<{ treatment: number; control: number }>, alpha = 0.05): LiftResult | null {
  const d: number[] = [];
  for (const u of perUser) d.push(u.treatment - u.control);
  const m = momentsOf(d);
  if (m.n < 2) return null;
  const se = Math.sqrt(sampleVariance(m) / m.n);
  if (!(se > 0)) return null;
  const df = m.n - 1;
  const statistic = m.mean / se;
  const q = studentTQuantile(1 - alpha / 2, df);
  return { estimate: m.mean, standardError: se, df, statistic, pValue: studentTTwoSidedP(statistic, df), ci: [m.mean - q * se, m.mean + q * se] };
}

/**
 * The mixture scales of the sequential credit-difference test for a minimum detectable effect `mde` on the primary
 * metric's per-list scale: mde * 4^j, j = 0..3. A user's credit difference sums over their lists, so an effect of
 * mde per list is about L * mde per user with L lists; the scales cover L from 1 to 64.
 */
export function creditDifferenceScales(mde: number): number[] {
  return [1, 4, 16, 64].map((k) => k * mde);
}

/**
 * The always-valid version of the paired test (EXPERIMENTS.md, "Interleaving"): the mSPRT of sequential.ts on the
 * mean per-user credit difference d̄ with variance s_d^2 / N (the paired t-test's estimate and standard error), its
 * normal mixture averaged over `taus` (creditDifferenceScales of the experiment's minimum detectable effect, fixed
 * before any data). p = min(1, 1 / average Lambda) at this look on all the data so far, itself always valid; p <
 * alpha may be acted on at any look, unlike the t-test's p-value. Null where the paired test is.
 */
export function sequentialCreditDifference(difference: LiftResult | null, taus: readonly number[]): { pValue: number } | null {
  if (!difference) return null;
  const logLr = averagedMsprtLogLikelihoodRatio(difference.estimate, difference.standardError * difference.standardError, taus);
  if (Number.isNaN(logLr)) return null;
  return { pValue: Math.min(1, Math.exp(-logLr)) };
}
