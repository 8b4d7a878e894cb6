/**
 * A user's orders, as both graph stores keep them for segmentation: the distinct instants of their purchases,
 * ascending (the events of one checkout share a timestamp, so one instant is one order).
 */

/** Adds a purchase instant to sorted, distinct order times; returns the (possibly new) array. */
export function recordOrder(orders: number[] | undefined, ts: number): number[] {
  if (!orders) return [ts];
  const n = orders.length;
  if (n === 0 || ts > orders[n - 1]!) {
    orders.push(ts); // the common case: events arrive in time order
    return orders;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (orders[mid]! < ts) lo = mid + 1;
    else hi = mid;
  }
  if (orders[lo] !== ts) orders.splice(lo, 0, ts);
  return orders;
}
