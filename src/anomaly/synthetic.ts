/**
 * Deterministic generator of a clean (anomaly-free) e-commerce event stream, for false-alarm measurements,
 * tests and benchmarks of the anomaly detectors.
 *
 * Model: shopping sessions arrive as a Poisson process whose rate follows a daily cycle; each session belongs
 * to a user (mildly skewed, Zipf 0.5) or is anonymous, and emits a geometric number of VIEW / CLICK /
 * ADD_TO_CART / REMOVE_FROM_CART events separated by exponential think times; items are drawn from a Zipf
 * popularity law. A session that carted items checks out with some probability: one PURCHASE line per carted
 * item, sharing an orderId. Prices are stable per item (lognormal across items, +-5 % jitter); quantities are
 * lognormal with item and customer effects.
 */
import { mulberry32 as prng } from '../util/prng';
import type { InteractionType } from '../events/event.js';
import type { AnomalyInput } from './types.js';

export interface SyntheticOptions {
  seed: number;
  /** Number of events to produce. */
  events: number;
  startTime: number;
  /** Mean session arrivals per second (before the daily cycle). */
  sessionsPerSecond: number;
  /** Relative amplitude of the daily cycle of the session rate (0 = flat). */
  diurnalAmplitude: number;
  items: number;
  itemZipf: number;
  users: number;
  userZipf: number;
  anonymousShare: number;
  meanSessionEvents: number;
  meanThinkMs: number;
  checkoutProbability: number;
  priceJitter: number;
  /** Attach orderId to PURCHASE lines. */
  withOrderIds: boolean;
}

export const defaultSyntheticOptions: SyntheticOptions = {
  seed: 42,
  events: 100_000,
  startTime: Date.UTC(2024, 0, 1),
  sessionsPerSecond: 1,
  diurnalAmplitude: 0.5,
  items: 5_000,
  itemZipf: 1.0,
  users: 100_000,
  userZipf: 0.5,
  anonymousShare: 0.3,
  meanSessionEvents: 8,
  meanThinkMs: 15_000,
  checkoutProbability: 0.4,
  priceJitter: 0.05,
  withOrderIds: true,
};

export { mulberry32 as prng } from '../util/prng';

function normal(rand: () => number): number {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function zipfSampler(n: number, s: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += 1 / Math.pow(i + 1, s);
    cdf[i] = acc;
  }
  return () => {
    const u = rand() * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface Session {
  no: number;
  next: number;
  left: number;
  userId?: string;
  sessionId: string;
  userIdx: number;
  cart: number[];
}

/** Min-heap of sessions by next event time. */
class Heap {
  private a: Session[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Session | undefined {
    return this.a[0];
  }
  push(s: Session): void {
    const a = this.a;
    a.push(s);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.next <= a[i]!.next) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): Session | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.next < a[m]!.next) m = l;
        if (r < a.length && a[r]!.next < a[m]!.next) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

const DAY = 86_400_000;

/** Lazily generate a clean synthetic stream, in event-time order. */
export function* syntheticEvents(options: Partial<SyntheticOptions> = {}): Generator<AnomalyInput> {
  const o = { ...defaultSyntheticOptions, ...options };
  const rand = prng(o.seed);
  const pickItem = zipfSampler(o.items, o.itemZipf, rand);
  const pickUser = zipfSampler(o.users, o.userZipf, rand);
  const basePrice = new Float64Array(o.items);
  const itemQty = new Float64Array(o.items);
  for (let i = 0; i < o.items; i++) {
    basePrice[i] = Math.round(Math.exp(Math.log(8) + 0.9 * normal(rand)) * 100) / 100 + 0.01;
    itemQty[i] = 0.5 * normal(rand);
  }
  const userQty = new Float64Array(o.users);
  for (let i = 0; i < o.users; i++) userQty[i] = 0.5 * normal(rand);
  // Thinning: candidate arrivals at the peak rate, accepted with rate(t) / peak.
  const peak = o.sessionsPerSecond * (1 + o.diurnalAmplitude);
  const heap = new Heap();
  let nextArrival = o.startTime;
  let sessionNo = 0;
  let produced = 0;
  let orderNo = 0;
  const types: Array<[InteractionType, number]> = [
    ['VIEW', 0.62],
    ['CLICK', 0.25],
    ['ADD_TO_CART', 0.1],
    ['REMOVE_FROM_CART', 0.03],
  ];
  const drawArrival = (): void => {
    for (;;) {
      nextArrival += (-Math.log(1 - rand()) / peak) * 1000;
      const rate = o.sessionsPerSecond * (1 + o.diurnalAmplitude * Math.sin((2 * Math.PI * (nextArrival - o.startTime)) / DAY));
      if (rand() * peak <= rate) return;
    }
  };
  drawArrival();
  while (produced < o.events) {
    const top = heap.peek();
    if (!top || nextArrival < top.next) {
      const no = sessionNo++;
      const anonymous = rand() < o.anonymousShare;
      const userIdx = pickUser();
      const s: Session = {
        no,
        next: Math.round(nextArrival),
        left: 1 + Math.floor(Math.log(1 - rand()) / Math.log(1 - 1 / o.meanSessionEvents)),
        sessionId: `s${no}`,
        userIdx,
        cart: [],
      };
      if (!anonymous) s.userId = `u${userIdx}`;
      heap.push(s);
      drawArrival();
      continue;
    }
    const s = heap.pop()!;
    const t = s.next;
    if (s.left <= 0) {
      if (s.cart.length > 0 && rand() < o.checkoutProbability) {
        const orderId = `o${orderNo++}`;
        const distinct = [...new Set(s.cart)];
        for (let k = 0; k < distinct.length && produced < o.events; k++) {
          const item = distinct[k]!;
          const mu = Math.log(2) + itemQty[item]! + (s.userId ? userQty[s.userIdx]! : 0);
          const quantity = Math.max(1, Math.round(Math.exp(mu + 0.6 * normal(rand))));
          const price = Math.round(basePrice[item]! * (1 + o.priceJitter * (2 * rand() - 1)) * 100) / 100;
          const e: AnomalyInput = {
            kind: 'interaction',
            v: 1,
            id: `e${produced}`,
            type: 'PURCHASE',
            sessionId: s.sessionId,
            itemId: `i${item}`,
            timestamp: t + k,
            quantity,
            price,
          };
          if (s.userId) e.userId = s.userId;
          if (o.withOrderIds) e.orderId = orderId;
          produced++;
          yield e;
        }
      }
      continue;
    }
    let u = rand();
    let type: InteractionType = 'VIEW';
    for (const [ty, p] of types) {
      if (u < p) {
        type = ty;
        break;
      }
      u -= p;
    }
    let item: number;
    if (type === 'REMOVE_FROM_CART') {
      if (s.cart.length === 0) type = 'VIEW';
    }
    if (type === 'REMOVE_FROM_CART') {
      item = s.cart.splice(Math.floor(rand() * s.cart.length), 1)[0]!;
    } else {
      item = pickItem();
      if (type === 'ADD_TO_CART') s.cart.push(item);
    }
    const e: AnomalyInput = {
      kind: 'interaction',
      v: 1,
      id: `e${produced}`,
      type,
      sessionId: s.sessionId,
      itemId: `i${item}`,
      timestamp: t,
    };
    if (s.userId) e.userId = s.userId;
    if (type === 'ADD_TO_CART' || type === 'REMOVE_FROM_CART') {
      e.quantity = 1;
      e.price = Math.round(basePrice[item]! * 100) / 100;
    }
    produced++;
    yield e;
    s.left--;
    s.next = t + 1000 + Math.round(-Math.log(1 - rand()) * o.meanThinkMs);
    heap.push(s);
  }
}
