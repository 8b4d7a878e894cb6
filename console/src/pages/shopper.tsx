/**
 * Shopper view: one user's history as a timeline, their segment and flags, and what each recommendation
 * strategy would serve them, with the reasons, side by side (one `recommendations` call per strategy,
 * so a slow strategy does not hold the others back).
 */
import { useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import { request } from '../api';
import { ChartView, PALETTE } from '../charts';
import { ConsoleRecommendationsDocument, ConsoleShopperDocument } from '../generated/graphql';
import { Card, ErrorNote, fmtInt, fmtMoney, fmtNum, fmtTime, itemHref, Loading, userHref, useApi } from '../ui';
import { entityLink, SeverityBadge } from './anomalies';

export const STRATEGIES = ['blend', 'local-ease', 'item-knn', 'rp3beta', 'user-knn', 'als', 'popular', 'segment-popular'];
const TYPES = ['VIEW', 'CLICK', 'ADD_TO_CART', 'REMOVE_FROM_CART', 'PURCHASE'];

export function ShopperPage({ userId, analyst }: { userId: string | null; analyst: boolean }) {
  const [draft, setDraft] = useState(userId ?? '');
  return (
    <>
      <h1 id="page-title">Shopper view{userId ? `: ${userId}` : ''}</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.trim()) window.location.hash = userHref(draft.trim());
        }}
      >
        <label>
          User id (or session:&lt;id&gt;)
          <input name="user" value={draft} onInput={(e) => setDraft((e.target as HTMLInputElement).value)} placeholder="demo-user-1" />
        </label>
        <button type="submit">Look up</button>
      </form>
      {userId ? <Shopper key={userId} userId={userId} analyst={analyst} /> : <p>Enter a user id, or follow a link from a segment's members or an anomaly.</p>}
    </>
  );
}

function Shopper({ userId, analyst }: { userId: string; analyst: boolean }) {
  const user = useApi(() => request(ConsoleShopperDocument, { id: userId, history: 50, analyst }), [userId]);
  if (user.error) return <ErrorNote error={user.error} />;
  if (!user.data) return <Loading what="the shopper" />;
  const u = user.data.user;
  if (!u) return <p role="alert">No user {userId} in the graph.</p>;
  const history = u.recentInteractions;
  const timeline: ChartConfiguration = {
    type: 'scatter',
    data: {
      datasets: TYPES.filter((t) => history.some((h) => h.lastType === t)).map((t) => ({
        label: t,
        backgroundColor: PALETTE[TYPES.indexOf(t)],
        pointRadius: 5,
        data: history.filter((h) => h.lastType === t).map((h) => ({ x: Date.parse(h.lastSeenAt), y: TYPES.indexOf(t) })),
      })),
    },
    options: {
      scales: {
        x: { type: 'linear', ticks: { callback: (v) => new Date(Number(v)).toISOString().slice(0, 10), maxTicksLimit: 6 } },
        y: {
          min: -0.5,
          max: TYPES.length - 0.5,
          // One tick per event type, labelled with its name.
          afterBuildTicks: (axis) => {
            axis.ticks = TYPES.map((_t, i) => ({ value: i }));
          },
          ticks: { autoSkip: false, callback: (v) => TYPES[Number(v)] ?? '' },
        },
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const h = history.filter((x) => x.lastType === ctx.dataset.label)[ctx.dataIndex];
              return h ? `${h.item.title} · ${h.lastType} · ${fmtTime(h.lastSeenAt)}` : '';
            },
          },
        },
      },
    },
  };
  return (
    <div class="grid">
      <Card title="Who">
        <div class="stats" data-testid="shopper-summary">
          <div class="stat">
            <div class="stat-label">segment</div>
            <div class="stat-value">{u.segment ? u.segment.name : 'none'}</div>
          </div>
          <div class="stat">
            <div class="stat-label">events · items</div>
            <div class="stat-value">
              {fmtInt(u.eventCount)} · {fmtInt(u.itemCount)}
            </div>
          </div>
          <div class="stat">
            <div class="stat-label">flags</div>
            <div class="stat-value">{u.flaggedAsBot === undefined ? 'n/a' : u.flaggedAsBot ? 'bot' : 'none'}</div>
          </div>
        </div>
        <p class="muted">
          {u.anonymous ? 'Anonymous session. ' : ''}First seen {fmtTime(u.firstSeenAt)}, last seen {fmtTime(u.lastSeenAt)}.
        </p>
        {u.anomalies && u.anomalies.length > 0 ? (
          <>
            <h3>Anomalies</h3>
            <ul>
              {u.anomalies.map((a) => (
                <li key={a.id}>
                  <SeverityBadge severity={a.severity} /> {a.kind} {entityLink(a)}: {a.message}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </Card>
      <Card title="History timeline">
        {history.length > 0 ? (
          <ChartView config={timeline} label={`Scatter of the ${history.length} most recent interactions by time and last event type`} />
        ) : (
          <p class="muted">No interactions.</p>
        )}
      </Card>
      <Card title="Recommendations by strategy, side by side" wide>
        <div class="columns" data-testid="strategies">
          {STRATEGIES.map((s) => (
            <StrategyColumn key={s} userId={userId} strategy={s} />
          ))}
        </div>
      </Card>
      <Card title="Recent interactions" wide>
        <table data-testid="history">
          <thead>
            <tr>
              <th scope="col">last seen</th>
              <th scope="col">item</th>
              <th scope="col">category</th>
              <th scope="col">last event</th>
              <th scope="col" class="num">
                views · clicks · carts · purchases
              </th>
              <th scope="col" class="num">
                revenue
              </th>
            </tr>
          </thead>
          <tbody>
            {history.map((h) => (
              <tr key={h.item.id}>
                <td>{fmtTime(h.lastSeenAt)}</td>
                <td>
                  <a href={itemHref(h.item.id)}>{h.item.title}</a>
                </td>
                <td>{h.item.category ?? ''}</td>
                <td>{h.lastType}</td>
                <td class="num">
                  {h.counts.views} · {h.counts.clicks} · {h.counts.addToCarts} · {h.counts.purchases}
                </td>
                <td class="num">{fmtMoney(h.revenue)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </div>
  );
}

function StrategyColumn({ userId, strategy }: { userId: string; strategy: string }) {
  const recs = useApi(() => request(ConsoleRecommendationsDocument, { userId, strategy, first: 8 }), [userId, strategy]);
  return (
    <section aria-label={`Strategy ${strategy}`}>
      <h3>{strategy}</h3>
      <ErrorNote error={recs.error} />
      {!recs.data ? (
        recs.error ? null : (
          <Loading what={strategy} />
        )
      ) : recs.data.recommendations.length === 0 ? (
        <p class="muted">Nothing to recommend.</p>
      ) : (
        <ol>
          {recs.data.recommendations.map((r) => (
            <li key={r.item.id}>
              <a href={itemHref(r.item.id)}>{r.item.title}</a> <span class="muted">{fmtNum(r.score, 3)}</span>
              <span class="reason">{r.reason}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
