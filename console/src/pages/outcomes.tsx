/**
 * Served lists and their outcomes by strategy, from the `outcomeMetrics` query (attribution of clicks and
 * purchases to the lists they came from). The API has no subscription for these, so the card refreshes
 * every REFRESH_MS; served lists per second is the difference of two refreshes.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import { request } from '../api';
import { ChartView, PALETTE } from '../charts';
import { ConsoleOutcomesDocument, type ConsoleOutcomesQuery } from '../generated/graphql';
import { Card, ErrorNote, fmtInt, fmtNum, Loading, Stat, useApi } from '../ui';

export const REFRESH_MS = 10_000;

interface ByStrategy {
  strategy: string;
  impressions: number;
  users: number;
  clicks: number;
  purchases: number;
}

/** One row per strategy: the default traffic and every experiment variant that served it, added up. */
export function byStrategy(rows: ConsoleOutcomesQuery['outcomeMetrics']): ByStrategy[] {
  const m = new Map<string, ByStrategy>();
  for (const r of rows) {
    const s = m.get(r.strategy) ?? { strategy: r.strategy, impressions: 0, users: 0, clicks: 0, purchases: 0 };
    s.impressions += r.impressions;
    s.users += r.users;
    s.clicks += r.clicks;
    s.purchases += r.purchases;
    m.set(r.strategy, s);
  }
  return [...m.values()].sort((a, b) => b.impressions - a.impressions);
}

function pct(n: number, d: number): string {
  return d > 0 ? `${fmtNum((100 * n) / d, 1)} %` : '–';
}

export function OutcomesCard() {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((x) => x + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  const since = useMemo(() => new Date(Date.now() - 86_400_000).toISOString(), []);
  const outcomes = useApi(() => request(ConsoleOutcomesDocument, { since }), [since, tick]);
  const prev = useRef<{ t: number; impressions: number } | null>(null);
  const [rate, setRate] = useState<number | null>(null);

  const rows = outcomes.data ? byStrategy(outcomes.data.outcomeMetrics) : [];
  const total = rows.reduce((s, r) => s + r.impressions, 0);
  useEffect(() => {
    if (!outcomes.data) return;
    const now = Date.now();
    if (prev.current && now > prev.current.t) setRate(Math.max(0, (total - prev.current.impressions) / ((now - prev.current.t) / 1000)));
    prev.current = { t: now, impressions: total };
  }, [outcomes.data]);

  if (!outcomes.data)
    return <Card title="Served lists and outcomes by strategy">{outcomes.error ? <ErrorNote error={outcomes.error} /> : <Loading what="outcomes" />}</Card>;
  const clicks = rows.reduce((s, r) => s + r.clicks, 0);
  const purchases = rows.reduce((s, r) => s + r.purchases, 0);
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: rows.map((r) => r.strategy),
      datasets: [
        {
          label: 'click-through (clicks per list, %)',
          data: rows.map((r) => (r.impressions ? (100 * r.clicks) / r.impressions : 0)),
          backgroundColor: PALETTE[0],
        },
        {
          label: 'conversion (purchases per list, %)',
          data: rows.map((r) => (r.impressions ? (100 * r.purchases) / r.impressions : 0)),
          backgroundColor: PALETTE[2],
        },
      ],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: '%' } } } },
  };
  return (
    <Card title="Served lists and outcomes by strategy" wide>
      <div class="stats" data-testid="outcome-stats">
        <Stat label="served lists/s" value={rate === null ? '…' : fmtNum(rate, 2)} note={`between refreshes (every ${REFRESH_MS / 1000} s)`} />
        <Stat label="served lists" value={fmtInt(total)} note="since the log begins" />
        <Stat label="click-through" value={pct(clicks, total)} note={`${fmtInt(clicks)} attributed clicks`} />
        <Stat label="conversion" value={pct(purchases, total)} note={`${fmtInt(purchases)} attributed purchases`} />
      </div>
      {rows.length > 0 ? (
        <>
          <ChartView
            config={config}
            label={`Bars of click-through and conversion per served list by strategy: ${rows
              .map((r) => `${r.strategy} ${pct(r.clicks, r.impressions)} click-through, ${pct(r.purchases, r.impressions)} conversion`)
              .join('; ')}`}
          />
          <table class="compact" data-testid="outcomes">
            <thead>
              <tr>
                <th scope="col">Strategy</th>
                <th scope="col" class="num">
                  Lists
                </th>
                <th scope="col" class="num">
                  Users
                </th>
                <th scope="col" class="num">
                  Clicks
                </th>
                <th scope="col" class="num">
                  Click-through
                </th>
                <th scope="col" class="num">
                  Purchases
                </th>
                <th scope="col" class="num">
                  Conversion
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.strategy}>
                  <th scope="row">{r.strategy}</th>
                  <td class="num">{fmtInt(r.impressions)}</td>
                  <td class="num">{fmtInt(r.users)}</td>
                  <td class="num">{fmtInt(r.clicks)}</td>
                  <td class="num">{pct(r.clicks, r.impressions)}</td>
                  <td class="num">{fmtInt(r.purchases)}</td>
                  <td class="num">{pct(r.purchases, r.impressions)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <p class="muted">No lists served yet.</p>
      )}
      <ErrorNote error={outcomes.error} />
      <p class="muted">
        From the outcomeMetrics query (clicks and purchases attributed to the list they came from), refreshed every {REFRESH_MS / 1000} s: the API has no
        subscription for these.
      </p>
    </Card>
  );
}
