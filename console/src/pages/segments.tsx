/**
 * Segments: RFM clustering of the customers. Sizes, the centroids drawn so the segments' differences show
 * (recency against frequency, bubble area by spend), average order value, what each segment buys, the
 * members a page at a time, and a refit on demand for admins.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import { request, type ApiError } from '../api';
import { ChartView, PALETTE } from '../charts';
import {
  ConsoleRefreshSegmentsDocument,
  ConsoleSegmentMembersDocument,
  ConsoleSegmentsDocument,
  type ConsoleSegmentsQuery,
  type ConsoleViewerQuery,
} from '../generated/graphql';
import { Card, ErrorNote, fmtInt, fmtMoney, fmtNum, fmtTime, itemHref, Loading, Unavailable, userHref, useApi } from '../ui';

type ConsoleSegment = ConsoleSegmentsQuery['segments'][number];

/**
 * While there are no segments the page asks again this often: the gateway fits the first segments in the
 * background a few seconds after the first purchases arrive, and an analyst who opened the page before that
 * should see them appear without reloading.
 */
const EMPTY_RETRY_MS = 3_000;

/**
 * Which segment buys most: each segment's next-period buy rate from the fit's backtest (the segments applied
 * to customers as they were one period before the fit), sorted, with the rate over all customers beside it.
 */
function BuyRateCard({ list, colour }: { list: readonly ConsoleSegment[]; colour: (i: number) => string }) {
  const rated = list.map((s, i) => ({ s, i })).filter((x) => x.s.nextPeriod);
  if (rated.length === 0)
    return (
      <Card title="Next-period buy rate">
        <Unavailable>No backtest yet: the last fit had no customer who had ordered a full period before it.</Unavailable>
      </Card>
    );
  rated.sort((a, b) => b.s.nextPeriod!.rate - a.s.nextPeriod!.rate);
  const first = rated[0]!.s.nextPeriod!;
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: rated.map((x) => x.s.name),
      datasets: [
        { label: 'bought again in the period (%)', data: rated.map((x) => 100 * x.s.nextPeriod!.rate), backgroundColor: rated.map((x) => colour(x.i)) },
      ],
    },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false } },
      scales: {
        x: { beginAtZero: true, max: 100, title: { display: true, text: `% of the segment's customers who ordered within ${first.periodDays} days` } },
      },
    },
  };
  return (
    <Card title="Next-period buy rate">
      <ChartView
        config={config}
        label={`Bars of next-period buy rates: ${rated.map((x) => `${x.s.name} ${fmtNum(100 * x.s.nextPeriod!.rate)} % of ${fmtInt(x.s.nextPeriod!.customers)}`).join('; ')}; all customers ${fmtNum(100 * first.baseRate)} %`}
        height={220}
      />
      <p class="muted" data-testid="buy-rate-note">
        Backtest at the last fit: customers placed in segments as they were on {fmtTime(first.since).slice(0, 10)}, and the share who ordered again by{' '}
        {fmtTime(first.until).slice(0, 10)}. All customers: {fmtNum(100 * first.baseRate)} %.
      </p>
    </Card>
  );
}

export function SegmentsPage({ viewer }: { viewer: ConsoleViewerQuery['viewer'] }) {
  const segments = useApi(() => request(ConsoleSegmentsDocument), []);
  const [selected, setSelected] = useState<string | null>(null);
  const [refit, setRefit] = useState<{ busy: boolean; note: string | null; error: ApiError | null }>({ busy: false, note: null, error: null });

  const doRefit = async () => {
    setRefit({ busy: true, note: null, error: null });
    try {
      const d = await request(ConsoleRefreshSegmentsDocument);
      const r = d.refreshSegments;
      setRefit({
        busy: false,
        note: `Refitted: ${r.k} segments over ${fmtInt(r.customers)} customers, silhouette ${fmtNum(r.silhouette, 2)}, ${fmtInt(r.durationMs)} ms.`,
        error: null,
      });
      segments.reload();
    } catch (e) {
      setRefit({ busy: false, note: null, error: e as ApiError });
    }
  };

  const list = segments.data?.segments ?? [];
  const empty = segments.data !== null && list.length === 0;
  useEffect(() => {
    if (!empty || segments.loading) return;
    const t = setTimeout(segments.reload, EMPTY_RETRY_MS);
    return () => clearTimeout(t);
  }, [empty, segments.loading]);
  const colour = (i: number) => PALETTE[i % PALETTE.length]!;
  const maxMonetary = Math.max(1, ...list.map((s) => s.centroid.monetary));
  const rfm: ChartConfiguration = {
    type: 'bubble',
    data: {
      datasets: list.map((s, i) => ({
        label: s.name,
        backgroundColor: `${colour(i)}99`,
        borderColor: colour(i),
        data: [{ x: s.centroid.recency, y: s.centroid.frequency, r: 6 + 24 * Math.sqrt(s.centroid.monetary / maxMonetary) }],
      })),
    },
    options: {
      layout: { padding: 12 },
      scales: {
        x: { title: { display: true, text: 'recency: days since the last purchase (lower is better)' }, beginAtZero: true, grace: '15%' },
        y: { title: { display: true, text: 'frequency: orders' }, beginAtZero: true, grace: '25%' },
      },
    },
  };
  const sizes: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: list.map((s) => s.name),
      datasets: [
        { label: 'customers', data: list.map((s) => s.size), backgroundColor: list.map((_s, i) => colour(i)), yAxisID: 'y' },
        { label: 'average order value', data: list.map((s) => s.averageOrderValue), backgroundColor: '#94a3b8', yAxisID: 'aov' },
      ],
    },
    options: {
      scales: {
        x: { ticks: { autoSkip: false } },
        y: { beginAtZero: true, title: { display: true, text: 'customers' } },
        aov: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'average order value' } },
      },
    },
  };

  return (
    <>
      <h1 id="page-title">Segments</h1>
      {viewer.role === 'admin' ? (
        <div class="row">
          <button type="button" onClick={() => void doRefit()} disabled={refit.busy}>
            {refit.busy ? 'Refitting…' : 'Refit segments now'}
          </button>
          {refit.note ? <span role="status">{refit.note}</span> : null}
          <ErrorNote error={refit.error} />
        </div>
      ) : null}
      <ErrorNote error={segments.error} />
      {!segments.data ? (
        <Loading what="segments" />
      ) : list.length === 0 ? (
        <p data-testid="segments-empty">
          No segments yet: they are fitted from customers with at least one purchase, a few seconds after the first ones arrive. This page looks again every{' '}
          {EMPTY_RETRY_MS / 1000} s.
        </p>
      ) : (
        <div class="grid">
          <Card title="RFM centroids">
            <ChartView
              config={rfm}
              label={`Bubble chart of segment centroids: ${list.map((s) => `${s.name} recency ${fmtNum(s.centroid.recency)} days, ${fmtNum(s.centroid.frequency)} orders, spend ${fmtMoney(s.centroid.monetary)}`).join('; ')}`}
              height={300}
            />
            <p class="muted">Bubble area: median total spend of the segment's customers.</p>
          </Card>
          <Card title="Size and average order value">
            <ChartView
              config={sizes}
              label={`Bars of segment sizes and average order values: ${list.map((s) => `${s.name} ${s.size} customers, ${fmtMoney(s.averageOrderValue)}`).join('; ')}`}
              height={300}
            />
          </Card>
          <BuyRateCard list={list} colour={colour} />
          <Card title="Segments side by side" wide>
            <table data-testid="segments">
              <thead>
                <tr>
                  <th scope="col">segment</th>
                  <th scope="col" class="num">
                    customers
                  </th>
                  <th scope="col" class="num">
                    share
                  </th>
                  <th scope="col" class="num">
                    recency (days)
                  </th>
                  <th scope="col" class="num">
                    orders
                  </th>
                  <th scope="col" class="num">
                    spend
                  </th>
                  <th scope="col" class="num">
                    avg order
                  </th>
                  <th scope="col" class="num">
                    bought next period
                  </th>
                  <th scope="col">top categories</th>
                  <th scope="col">top items</th>
                  <th scope="col">members</th>
                </tr>
              </thead>
              <tbody>
                {list.map((s) => (
                  <tr key={s.id}>
                    <th scope="row">{s.name}</th>
                    <td class="num">{fmtInt(s.size)}</td>
                    <td class="num">{fmtNum(100 * s.share)} %</td>
                    <td class="num">{fmtNum(s.centroid.recency)}</td>
                    <td class="num">{fmtNum(s.centroid.frequency)}</td>
                    <td class="num">{fmtMoney(s.centroid.monetary)}</td>
                    <td class="num">{fmtMoney(s.averageOrderValue)}</td>
                    <td class="num">{s.nextPeriod ? `${fmtNum(100 * s.nextPeriod.rate)} %` : '–'}</td>
                    <td>
                      {s.topCategories.map((c) => (
                        <div key={c.category}>
                          {c.category} <span class="muted">({fmtInt(c.customers)} buyers)</span>
                        </div>
                      ))}
                    </td>
                    <td>
                      {s.topItems.map((it) => (
                        <div key={it.id}>
                          <a href={itemHref(it.id)}>{it.title}</a>
                        </div>
                      ))}
                    </td>
                    <td>
                      <button type="button" class="secondary" onClick={() => setSelected(s.id)} aria-pressed={selected === s.id}>
                        Show members of {s.name}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          {selected ? <Members key={selected} segmentId={selected} /> : null}
        </div>
      )}
    </>
  );
}

function Members({ segmentId }: { segmentId: string }) {
  // A stack of cursors: the page shown is the last; "previous" pops.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const page = useApi(() => request(ConsoleSegmentMembersDocument, { id: segmentId, first: 20, after }), [segmentId, after]);
  const seg = page.data?.segment;
  return (
    <Card title={seg ? `Members of ${seg.name}` : 'Members'} wide>
      <ErrorNote error={page.error} />
      {!seg ? (
        <Loading what="members" />
      ) : (
        <>
          <p class="muted">
            Page {cursors.length} of {Math.max(1, Math.ceil(seg.users.totalCount / 20))} ({fmtInt(seg.users.totalCount)} members)
          </p>
          <table data-testid="members">
            <thead>
              <tr>
                <th scope="col">customer</th>
                <th scope="col" class="num">
                  events
                </th>
                <th scope="col" class="num">
                  items
                </th>
                <th scope="col">last seen</th>
              </tr>
            </thead>
            <tbody>
              {seg.users.edges.map(({ node: u }) => (
                <tr key={u.id}>
                  <td>
                    <a href={userHref(u.id)}>{u.id}</a>
                  </td>
                  <td class="num">{fmtInt(u.eventCount)}</td>
                  <td class="num">{fmtInt(u.itemCount)}</td>
                  <td>{fmtTime(u.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="row">
            <button type="button" class="secondary" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
              Previous page
            </button>
            <button type="button" disabled={!seg.users.pageInfo.hasNextPage} onClick={() => setCursors((c) => [...c, seg.users.pageInfo.endCursor ?? null])}>
              Next page
            </button>
          </div>
        </>
      )}
    </Card>
  );
}
