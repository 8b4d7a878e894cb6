/**
 * Anomalies: what the streaming detectors found. Counts by day, kind and severity come from the
 * `anomalyCounts` aggregate (no paging through every finding); the live feed is the `anomalyDetected`
 * subscription with the same filter; the list pages through `anomalies`; each finding links to the user or
 * item behind it and can be acknowledged.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import { request, subscribe, type ApiError } from '../api';
import { ChartView, PALETTE } from '../charts';
import {
  ConsoleAcknowledgeAnomalyDocument,
  ConsoleAnomaliesDocument,
  ConsoleAnomalyFeedDocument,
  type AnomalyFilter,
  type AnomalyKind,
  type ConsoleAnomalyFieldsFragment,
  type Severity,
} from '../generated/graphql';
import { Card, ErrorNote, fmtInt, fmtNum, fmtTime, itemHref, Loading, userHref, useApi } from '../ui';

const KINDS: AnomalyKind[] = ['BOT_ACTIVITY', 'TRAFFIC_SPIKE', 'TRAFFIC_DROP', 'QUANTITY_OUTLIER', 'ORDER_VALUE_OUTLIER', 'PRICE_ANOMALY'];
const SEVERITIES: Severity[] = ['INFO', 'WARNING', 'CRITICAL'];
const PERIODS: { key: string; label: string; days: number | null }[] = [
  { key: 'today', label: 'today (UTC)', days: 0 },
  { key: '7d', label: 'last 7 days', days: 7 },
  { key: '30d', label: 'last 30 days', days: 30 },
  { key: '365d', label: 'last 12 months', days: 365 },
  { key: 'all', label: 'all time', days: null },
];

function sinceOf(period: string): string {
  const p = PERIODS.find((x) => x.key === period)!;
  if (p.days === null) return new Date(0).toISOString();
  const now = new Date();
  if (p.days === 0) return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
  return new Date(now.getTime() - p.days * 86_400_000).toISOString();
}

export function entityLink(a: { entityType: string; entityId: string }) {
  const type = a.entityType.toLowerCase();
  if (type === 'user') return <a href={userHref(a.entityId)}>user {a.entityId}</a>;
  if (type === 'session') {
    const id = a.entityId.startsWith('session:') ? a.entityId : `session:${a.entityId}`;
    return <a href={userHref(id)}>{id}</a>;
  }
  if (type === 'item') return <a href={itemHref(a.entityId)}>item {a.entityId}</a>;
  return <span>{a.entityType}</span>;
}

export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity}`}>{severity}</span>;
}

export function AnomaliesPage() {
  const [kinds, setKinds] = useState<AnomalyKind[]>([]);
  const [minSeverity, setMinSeverity] = useState<Severity | ''>('');
  const [ack, setAck] = useState<'any' | 'yes' | 'no'>('any');
  const [period, setPeriod] = useState('all');
  const filter: AnomalyFilter = useMemo(
    () => ({
      ...(kinds.length ? { kinds } : {}),
      ...(minSeverity ? { minSeverity } : {}),
      ...(ack === 'any' ? {} : { acknowledged: ack === 'yes' }),
    }),
    [kinds, minSeverity, ack],
  );
  const since = useMemo(() => sinceOf(period), [period]);
  const key = JSON.stringify([filter, since]);
  const first = useApi(() => request(ConsoleAnomaliesDocument, { filter, first: 25, since }), [key]);
  const [more, setMore] = useState<ConsoleAnomalyFieldsFragment[]>([]);
  const [cursor, setCursor] = useState<{ after: string | null; hasNext: boolean }>({ after: null, hasNext: false });
  const [acked, setAcked] = useState<Record<string, boolean>>({});
  const [live, setLive] = useState<ConsoleAnomalyFieldsFragment[]>([]);
  const [liveError, setLiveError] = useState<ApiError | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);

  useEffect(() => {
    setMore([]);
    const page = first.data?.anomalies.pageInfo;
    setCursor({ after: page?.endCursor ?? null, hasNext: page?.hasNextPage ?? false });
  }, [first.data]);

  useEffect(() => {
    setLive([]);
    setLiveError(null);
    return subscribe(ConsoleAnomalyFeedDocument, { filter }, (d) => setLive((xs) => [d.anomalyDetected, ...xs].slice(0, 100)), setLiveError);
  }, [JSON.stringify(filter)]);

  const loadMore = async () => {
    if (!cursor.after) return;
    try {
      const d = await request(ConsoleAnomaliesDocument, { filter, first: 25, after: cursor.after, since });
      setMore((xs) => [...xs, ...d.anomalies.edges.map((e) => e.node)]);
      setCursor({ after: d.anomalies.pageInfo.endCursor ?? null, hasNext: d.anomalies.pageInfo.hasNextPage });
    } catch (e) {
      setActionError(e as ApiError);
    }
  };

  const acknowledge = async (id: string) => {
    try {
      const d = await request(ConsoleAcknowledgeAnomalyDocument, { id });
      setAcked((m) => ({ ...m, [id]: d.acknowledgeAnomaly.acknowledged }));
    } catch (e) {
      setActionError(e as ApiError);
    }
  };

  const rows = [...(first.data?.anomalies.edges.map((e) => e.node) ?? []), ...more];
  const counts = first.data?.anomalyCounts ?? [];
  const days = [...new Set(counts.map((c) => c.day))].sort();
  const total = counts.reduce((s, c) => s + c.count, 0);
  const timeline: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: days,
      datasets: KINDS.filter((k) => counts.some((c) => c.kind === k)).map((k) => ({
        label: k,
        backgroundColor: PALETTE[KINDS.indexOf(k)],
        data: days.map((d) => counts.filter((c) => c.day === d && c.kind === k).reduce((s, c) => s + c.count, 0)),
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'findings' } } } },
  };

  return (
    <>
      <h1 id="page-title">Anomalies</h1>
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>Kinds</legend>
          {KINDS.map((k) => (
            <label key={k} class="inline">
              <input
                type="checkbox"
                checked={kinds.includes(k)}
                onChange={(e) => setKinds((xs) => ((e.target as HTMLInputElement).checked ? [...xs, k] : xs.filter((x) => x !== k)))}
              />{' '}
              {k}
            </label>
          ))}
        </fieldset>
        <label>
          Severity at least
          <select value={minSeverity} onChange={(e) => setMinSeverity((e.target as HTMLSelectElement).value as Severity | '')}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Acknowledged
          <select value={ack} onChange={(e) => setAck((e.target as HTMLSelectElement).value as 'any' | 'yes' | 'no')}>
            <option value="any">any</option>
            <option value="no">not yet</option>
            <option value="yes">acknowledged</option>
          </select>
        </label>
        <label>
          Period
          <select value={period} onChange={(e) => setPeriod((e.target as HTMLSelectElement).value)}>
            {PERIODS.map((p) => (
              <option key={p.key} value={p.key}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
      </form>
      <div class="grid">
        <Card title="Live feed">
          <p class="muted" aria-live="polite" data-testid="live-count">
            {live.length === 0 ? 'Listening for new findings (anomalyDetected)…' : `${live.length} new since this page opened`}
          </p>
          {/* Scrolls once it is long: focusable, so the keyboard can scroll it too. */}
          <ul class="feed" data-testid="live-feed" tabIndex={0} aria-label="New findings, newest first">
            {live.map((a) => (
              <li key={a.id} class="new">
                <SeverityBadge severity={a.severity} /> <strong>{a.kind}</strong> {entityLink(a)} <span class="muted">{fmtTime(a.detectedAt)}</span>
                <div>{a.message}</div>
              </li>
            ))}
          </ul>
          <ErrorNote error={liveError} />
        </Card>
        <Card title="Counts by kind and severity">
          {first.data ? (
            <table class="compact">
              <caption class="muted">{fmtInt(total)} findings in the period (anomalyCounts)</caption>
              <thead>
                <tr>
                  <th scope="col">kind</th>
                  {SEVERITIES.map((s) => (
                    <th key={s} scope="col" class="num">
                      {s}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody data-testid="counts">
                {KINDS.map((k) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    {SEVERITIES.map((s) => (
                      <td key={s} class="num">
                        {fmtInt(counts.filter((c) => c.kind === k && c.severity === s).reduce((n, c) => n + c.count, 0))}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Loading what="counts" />
          )}
        </Card>
        <Card title="Timeline by kind" wide>
          {days.length > 0 ? (
            <ChartView config={timeline} label={`Stacked bars of findings per day by kind, ${total} in all`} />
          ) : (
            <p class="muted">No findings in the period.</p>
          )}
        </Card>
        <Card title="Findings" wide>
          <ErrorNote error={first.error ?? actionError} />
          {first.data ? (
            <>
              <p class="muted">{fmtInt(first.data.anomalies.totalCount)} match the filters (all time); newest first.</p>
              <table data-testid="findings">
                <thead>
                  <tr>
                    <th scope="col">detected</th>
                    <th scope="col">kind</th>
                    <th scope="col">severity</th>
                    <th scope="col">about</th>
                    <th scope="col" class="num">
                      score
                    </th>
                    <th scope="col">what</th>
                    <th scope="col">acknowledged</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((a) => {
                    const isAcked = acked[a.id] ?? a.acknowledged;
                    return (
                      <tr key={a.id}>
                        <td>{fmtTime(a.detectedAt)}</td>
                        <td>{a.kind}</td>
                        <td>
                          <SeverityBadge severity={a.severity} />
                        </td>
                        <td>{entityLink(a)}</td>
                        <td class="num">{fmtNum(a.score, 2)}</td>
                        <td>{a.message}</td>
                        <td>
                          {isAcked ? (
                            'yes'
                          ) : (
                            <button
                              type="button"
                              class="secondary"
                              onClick={() => void acknowledge(a.id)}
                              aria-label={`Acknowledge ${a.kind} about ${a.entityId}`}
                            >
                              Acknowledge
                            </button>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {cursor.hasNext ? (
                <button type="button" onClick={() => void loadMore()}>
                  Load more
                </button>
              ) : null}
            </>
          ) : (
            <Loading what="findings" />
          )}
        </Card>
      </div>
    </>
  );
}
