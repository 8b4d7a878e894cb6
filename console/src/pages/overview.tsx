/**
 * Overview: the flywheel moving. Events per second and ingestion lag live from the `gatewayStatusUpdates`
 * subscription (one sample a second; rates are the difference of two samples), health, graph size, the
 * last days' anomalies by severity and the segments' sizes; served lists and their outcomes by strategy
 * (OutcomesCard, refreshed every 10 s: the API has no subscription for outcome metrics).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import { request, subscribe, type ApiError } from '../api';
import { ChartView, PALETTE, SEVERITY_COLOURS } from '../charts';
import { ConsoleOverviewDocument, ConsoleStatusUpdatesDocument, type ConsoleOverviewQuery, type ConsoleStatusFieldsFragment } from '../generated/graphql';
import { Card, ErrorNote, fmtInt, fmtNum, Loading, Stat, useApi } from '../ui';
import { OutcomesCard } from './outcomes';

interface Sample {
  t: number;
  eventsPerSecond: number;
  lag: number;
}

const WINDOW = 120;

export function OverviewPage() {
  const since = useMemo(() => new Date(Date.now() - 365 * 86_400_000).toISOString(), []);
  const overview = useApi(() => request(ConsoleOverviewDocument, { since }), [since]);
  const [status, setStatus] = useState<ConsoleStatusFieldsFragment | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [liveError, setLiveError] = useState<ApiError | null>(null);

  useEffect(() => {
    let prev: ConsoleStatusFieldsFragment | null = null;
    return subscribe(
      ConsoleStatusUpdatesDocument,
      { intervalMs: 1000 },
      (d) => {
        const s = d.gatewayStatusUpdates;
        setStatus(s);
        const t = Date.parse(s.at);
        if (prev) {
          const dt = Math.max(0.001, (t - Date.parse(prev.at)) / 1000);
          const rate = Math.max(0, (s.eventsIngested - prev.eventsIngested) / dt);
          setSamples((xs) => [...xs.slice(-(WINDOW - 1)), { t, eventsPerSecond: rate, lag: s.ingestLag }]);
        }
        prev = s;
      },
      setLiveError,
    );
  }, []);

  const current = status ?? overview.data?.gatewayStatus ?? null;
  const last = samples[samples.length - 1];
  const liveChart: ChartConfiguration = {
    type: 'line',
    data: {
      labels: samples.map((s) => new Date(s.t).toISOString().slice(11, 19)),
      datasets: [
        {
          label: 'events/s applied',
          data: samples.map((s) => s.eventsPerSecond),
          borderColor: PALETTE[0],
          backgroundColor: PALETTE[0],
          yAxisID: 'y',
          pointRadius: 0,
          tension: 0.2,
        },
        {
          label: 'ingestion lag (events)',
          data: samples.map((s) => s.lag),
          borderColor: PALETTE[1],
          backgroundColor: PALETTE[1],
          yAxisID: 'lag',
          pointRadius: 0,
          borderDash: [4, 3],
        },
      ],
    },
    options: {
      scales: {
        x: { ticks: { maxTicksLimit: 8 } },
        y: { beginAtZero: true, title: { display: true, text: 'events/s' } },
        lag: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'lag' } },
      },
    },
  };

  return (
    <>
      <h1 id="page-title">Overview</h1>
      <div class="grid">
        <Card title="Gateway health" wide>
          {current ? (
            <div class="stats" data-testid="health">
              <Stat label="status" value={current.status} note={current.ready ? 'ready' : 'not ready'} />
              <Stat label="events/s (live)" value={last ? fmtNum(last.eventsPerSecond) : '…'} note="applied to the graph" />
              <Stat label="ingestion lag" value={fmtInt(current.ingestLag)} note="events not yet in the graph" />
              <Stat label="events since start" value={fmtInt(current.eventsIngested)} note={`${fmtInt(current.eventsRejected)} rejected`} />
              <Stat label="users · items" value={`${fmtInt(current.users)} · ${fmtInt(current.items)}`} note={`${fmtInt(current.edges)} interactions`} />
              <Stat label="flagged bots" value={fmtInt(current.flaggedBots)} />
              <Stat label="live connections" value={fmtInt(current.webSocketConnections)} />
              <Stat label="event-loop delay p99" value={`${fmtNum(current.eventLoopDelayMs)} ms`} />
            </div>
          ) : (
            <Loading what="the gateway's status" />
          )}
          <ErrorNote error={liveError ?? overview.error} />
        </Card>
        <Card title="Events per second and ingestion lag (live)" wide>
          <ChartView config={liveChart} label="Line chart of events applied per second and of the ingestion lag, one point per second since this page opened" />
          <p class="muted">One sample a second from the gatewayStatusUpdates subscription, since this page opened.</p>
        </Card>
        <OutcomesCard />
        <AnomalyDays data={overview.data} />
        <SegmentSizes data={overview.data} />
      </div>
    </>
  );
}

function AnomalyDays({ data }: { data: ConsoleOverviewQuery | null }) {
  if (!data) return <Card title="Anomalies by day, last 12 months">{<Loading what="anomaly counts" />}</Card>;
  const days = [...new Set(data.anomalyCounts.map((c) => c.day))].sort();
  const total = data.anomalyCounts.reduce((s, c) => s + c.count, 0);
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: days,
      datasets: (['INFO', 'WARNING', 'CRITICAL'] as const).map((sev) => ({
        label: sev,
        backgroundColor: SEVERITY_COLOURS[sev],
        data: days.map((d) => data.anomalyCounts.filter((c) => c.day === d && c.severity === sev).reduce((s, c) => s + c.count, 0)),
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  };
  return (
    <Card title="Anomalies by day, last 12 months">
      <p>
        {fmtInt(total)} findings. <a href="#/anomalies">Open the anomalies</a>
      </p>
      {days.length > 0 ? (
        <ChartView config={config} label={`Stacked bars of anomaly findings per day by severity, ${total} in all`} />
      ) : (
        <p class="muted">None in the last 12 months.</p>
      )}
    </Card>
  );
}

function SegmentSizes({ data }: { data: ConsoleOverviewQuery | null }) {
  if (!data) return <Card title="Segments">{<Loading what="segments" />}</Card>;
  const config: ChartConfiguration = {
    type: 'bar',
    data: { labels: data.segments.map((s) => s.name), datasets: [{ label: 'customers', data: data.segments.map((s) => s.size), backgroundColor: PALETTE }] },
    options: { indexAxis: 'y', plugins: { legend: { display: false } } },
  };
  return (
    <Card title="Segments">
      {data.segments.length > 0 ? (
        <>
          <ChartView config={config} label={`Bar chart of segment sizes: ${data.segments.map((s) => `${s.name} ${s.size}`).join(', ')}`} height={200} />
          <a href="#/segments">Open the segments</a>
        </>
      ) : (
        <p class="muted">No segments fitted yet.</p>
      )}
    </Card>
  );
}
