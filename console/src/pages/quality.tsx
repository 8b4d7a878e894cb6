/**
 * Data quality: what was refused and why. Drop reasons of file imports and of live senders (GraphQL,
 * Kafka) from the dead-letter store, the latest dead letters, and the gateway's accepted/rejected counters.
 */
import type { ChartConfiguration } from 'chart.js';
import { request } from '../api';
import { ChartView, PALETTE } from '../charts';
import { ConsoleDataQualityDocument } from '../generated/graphql';
import { Card, ErrorNote, fmtInt, fmtTime, Loading, Stat, Unavailable, useApi } from '../ui';

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
  const res = useApi(() => request(ConsoleDataQualityDocument, { first: SAMPLE }), []);
  if (res.error) return <ErrorNote error={res.error} />;
  if (!res.data) return <Loading what="data quality" />;
  const { deadLetters, gatewayStatus: s } = res.data;
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
        <Card title="Import drop reasons">
          {importReasons.length > 0 ? (
            <ChartView
              config={reasonChart(importReasons, 'import')}
              label={`Bars of import drop reasons: ${importReasons.map(([r, n]) => `${r} ${n}`).join('; ')}`}
            />
          ) : (
            <p class="muted">No import has dropped a line (among the latest {fmtInt(deadLetters.length)} dead letters).</p>
          )}
        </Card>
        <Card title="Live senders' rejection reasons">
          {liveReasons.length > 0 ? (
            <ChartView
              config={reasonChart(liveReasons, 'live')}
              label={`Bars of rejection reasons of live senders: ${liveReasons.map(([r, n]) => `${r} ${n}`).join('; ')}`}
            />
          ) : (
            <p class="muted">No live sender has had an event rejected.</p>
          )}
        </Card>
        <Card title="Event types over time">
          <Unavailable>Not yet available: the API does not offer event counts by type over time yet.</Unavailable>
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
