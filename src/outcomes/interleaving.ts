import type { ExperimentMetric, ExperimentSpec } from '../events/event';
import {
  creditDifferenceScales,
  creditDifferenceTest,
  preferenceCounts,
  preferenceTest,
  sequentialCreditDifference,
  type PreferenceResult,
} from '../experiments/interleaving';
import type { LiftResult } from '../experiments/fixed-horizon';
import type { AttributedType } from './attribution';

/**
 * The per-user data of an INTERLEAVE experiment, from the log like the rest of ExperimentBook: a user enters at
 * their first interleaved list (the exposure), and every outcome attributed to one of the experiment's lists is
 * credited to the team (variant) that contributed the item (the attribution record's `team`). The results are
 * the preference test of src/experiments/interleaving.ts over users.
 *
 * The metric chooses what is credited: clicks (CTR, CLICKS_PER_USER), add-to-carts, purchases (CONVERSION)
 * or revenue (REVENUE_PER_USER).
 */

/** What the impression record and the served list call an interleaved list's variant (and strategy): both teams together. */
export const INTERLEAVED = 'interleaved';

interface Credit {
  clicks: number;
  addToCarts: number;
  purchases: number;
  revenue: number;
}

interface Unit {
  exposedAt: number;
  impressions: number;
  /** Per team, in the spec's variant order. */
  credit: [Credit, Credit];
}

export interface InterleavingResults {
  metric: ExperimentMetric;
  control: string;
  treatment: string;
  /** Exposed users (shown at least one interleaved list). */
  users: number;
  /** Interleaved lists shown. */
  impressions: number;
  /** The metric's outcomes credited to each side, summed over users. */
  credited: { control: number; treatment: number };
  preference: PreferenceResult;
  /** Mean per-user credit difference (treatment − control) with its paired t-test; null below two users or without variation. */
  difference: LiftResult | null;
  /** The always-valid (mSPRT) p-value of the same difference; null where `difference` is. */
  sequentialDifference: { pValue: number } | null;
}

const none = (): Credit => ({ clicks: 0, addToCarts: 0, purchases: 0, revenue: 0 });

export class InterleavingTally {
  private readonly units = new Map<string, Unit>();

  constructor(private readonly spec: ExperimentSpec) {}

  get users(): number {
    return this.units.size;
  }

  /** An interleaved list shown to `actor`: their first one is the exposure. */
  impression(actor: string, at: number): void {
    let unit = this.units.get(actor);
    if (!unit) this.units.set(actor, (unit = { exposedAt: at, impressions: 0, credit: [none(), none()] }));
    unit.impressions++;
  }

  /** An outcome attributed to one of the experiment's lists, credited to `team` (a variant name). */
  credit(actor: string, team: string, type: AttributedType, revenue: number): void {
    const unit = this.units.get(actor);
    const side = this.spec.variants.findIndex((v) => v.name === team);
    if (!unit || (side !== 0 && side !== 1)) return;
    const c = unit.credit[side];
    if (type === 'CLICK') c.clicks++;
    else if (type === 'ADD_TO_CART') c.addToCarts++;
    else {
      c.purchases++;
      c.revenue += revenue;
    }
  }

  forget(actor: string): void {
    this.units.delete(actor);
  }

  results(metric: ExperimentMetric = this.spec.primaryMetric, alpha = 0.05): InterleavingResults {
    const control = Math.max(
      0,
      this.spec.variants.findIndex((v) => v.name === this.spec.control),
    );
    const treatment = 1 - control;
    const value = creditOf(metric);
    const perUser: { control: number; treatment: number }[] = [];
    const credited = { control: 0, treatment: 0 };
    let impressions = 0;
    for (const u of this.units.values()) {
      const row = { control: value(u.credit[control as 0 | 1]), treatment: value(u.credit[treatment as 0 | 1]) };
      perUser.push(row);
      credited.control += row.control;
      credited.treatment += row.treatment;
      impressions += u.impressions;
    }
    const difference = creditDifferenceTest(perUser, alpha);
    return {
      metric,
      control: this.spec.variants[control]!.name,
      treatment: this.spec.variants[treatment]!.name,
      users: this.units.size,
      impressions,
      credited,
      preference: preferenceTest(preferenceCounts(perUser), alpha),
      difference,
      sequentialDifference: sequentialCreditDifference(difference, creditDifferenceScales(this.spec.minimumDetectableEffect)),
    };
  }
}

function creditOf(m: ExperimentMetric): (c: Credit) => number {
  switch (m) {
    case 'CTR':
    case 'CLICKS_PER_USER':
      return (c) => c.clicks;
    case 'ADD_TO_CARTS_PER_USER':
      return (c) => c.addToCarts;
    case 'CONVERSION':
      return (c) => c.purchases;
    case 'REVENUE_PER_USER':
      return (c) => c.revenue;
  }
}
