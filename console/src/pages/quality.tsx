/**
 * Data quality: what was refused and why. Drop reasons of file imports and of live senders (GraphQL,
 * Kafka) from the dead-letter store, the latest dead letters, and the gateway's accepted/rejected counters.
 */
import type { ChartConfiguration } from 'chart.js';
import { request } from '../api';
import { ChartView, PALETTE } from '../charts';
import { ConsoleDataQualityDocument } from '../generated/graphql';
import { useMemo } from 'preact/hooks';
import { Card, ErrorNote, fmtInt, fmtTime, Loading, Stat, useApi } from '../ui';

const SAMPLE = 500;

/** "import:/data/file.csv" -> "import", "kafka:topic/0@12" -> "kafka", "graphql" -> "graphql". */
function origin(source: string): string {
  return source.split(':')[0] || source;
}

function countBy<T>(xs: T[], key: (x: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

export function DataQualityPage() {
  // All the days the gateway holds counts for (it keeps a bounded number of them).
  const since = useMemo(() => new Date(0).toISOString(), []);
  const res = useApi(() => request(ConsoleDataQualityDocument, { first: SAMPLE, since }), [since]);
  if (res.error) return <ErrorNote error={res.error} />;
  if (!res.data) return <Loading what="data quality" />;
  const { deadLetters, gatewayStatus: s, eventTypeCounts } = res.data;
  const days = [...new Set(eventTypeCounts.map((c) => c.day))].sort();
  const types = ['VIEW', 'CLICK', 'ADD_TO_CART', 'REMOVE_FROM_CART', 'PURCHASE', 'CATALOG'].filter((t) => eventTypeCounts.some((c) => c.type === t));
  const typesChart: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: days,
      datasets: types.map((t, i) => ({
        label: t,
        backgroundColor: PALETTE[i],
        data: days.map((d) => eventTypeCounts.find((c) => c.day === d && c.type === t)?.count ?? 0),
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'events' } } } },
  };
  const typeTotals = types.map((t) => `${t} ${fmtInt(eventTypeCounts.filter((c) => c.type === t).reduce((n, c) => n + c.count, 0))}`).join(', ');
  const imports = deadLetters.filter((d) => origin(d.source) === 'import');
  const live = deadLetters.filter((d) => origin(d.source) !== 'import');
  const reasonChart = (rows: [string, number][], label: string): ChartConfiguration => ({
    type: 'bar',
    data: {
      labels: rows.map(([r]) => (r.length > 60 ? `${r.slice(0, 57)}…` : r)),
      datasets: [{ label, data: rows.map(([, n]) => n), backgroundColor: PALETTE[1] }],
    },
    options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, title: { display: true, text: 'dead letters' } } } },
  });
  const importReasons = countBy(imports, (d) => d.reason).slice(0, 10);
  const liveReasons = countBy(live, (d) => d.reason).slice(0, 10);
  const bySource = countBy(deadLetters, (d) => origin(d.source));
  return (
    <>
      <h1 id="page-title">Data quality</h1>
      <div class="grid">
        <Card title="Accepted and rejected since start" wide>
          <div class="stats" data-testid="quality-stats">
            <Stat label="accepted" value={fmtInt(s.eventsAccepted)} />
            <Stat label="rejected (dead-lettered)" value={fmtInt(s.eventsRejected)} />
            <Stat label="applied to the graph" value={fmtInt(s.eventsIngested)} />
            <Stat
              label="dead letters by origin"
              value={bySource.map(([k, n]) => `${k} ${fmtInt(n)}`).join(' · ') || 'none'}
              note={`of the latest ${fmtInt(deadLetters.length)}`}
            />
          </div>
        </Card>
        <Card title="Import drop reasons" wide>
          {importReasons.length > 0 ? (
            <ChartView
              config={reasonChart(importReasons, 'import')}
              label={`Bars of import drop reasons: ${importReasons.map(([r, n]) => `${r} ${n}`).join('; ')}`}
            />
          ) : (
            <p class="muted">No import has dropped a line (among the latest {fmtInt(deadLetters.length)} dead letters).</p>
          )}
        </Card>
        <Card title="Live senders' rejection reasons" wide>
          {liveReasons.length > 0 ? (
            <ChartView
              config={reasonChart(liveReasons, 'live')}
              label={`Bars of rejection reasons of live senders: ${liveReasons.map(([r, n]) => `${r} ${n}`).join('; ')}`}
            />
          ) : (
            <p class="muted">No live sender has had an event rejected.</p>
          )}
        </Card>
        <Card title="Event types by day" wide>
          {days.length > 0 ? (
            <>
              <ChartView config={typesChart} label={`Stacked bars of applied events per day by type: ${typeTotals}`} />
              <p class="muted" data-testid="type-totals">
                {typeTotals}. Counted by this gateway since it started (eventTypeCounts), by the events' own day.
              </p>
            </>
          ) : (
            <p class="muted">No events applied since the gateway started.</p>
          )}
        </Card>
        <Card title="Latest dead letters" wide>
          {deadLetters.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <table data-testid="dead-letters">
              <thead>
                <tr>
                  <th scope="col">at</th>
                  <th scope="col">source</th>
                  <th scope="col">reason</th>
                </tr>
              </thead>
              <tbody>
                {deadLetters.slice(0, 25).map((d) => (
                  <tr key={d.seq}>
                    <td>{fmtTime(d.at)}</td>
                    <td>{d.source}</td>
                    <td>{d.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </>
  );
}
