/**
 * Experiments: the list with each one's status; for the selected one, per variant on the primary metric
 * the mean and the absolute lift against control with its 95 % interval drawn as a forest plot (one
 * horizontal interval per variant, the always-valid interval beside it, a line at zero), the p-values
 * (Welch, Holm-adjusted, sequential mSPRT), the CUPED interval when there is one, the sample-ratio check
 * and the guardrails, each with its margin and every treatment's non-inferiority verdict (fixed-horizon and
 * always-valid; an always-valid FAIL is shown as an alert, as the gateway raises one). An interleaving (type INTERLEAVE) shows instead the share of users preferring treatment
 * with its interval drawn against 0.5, the sign test, the credited outcomes per side and the paired t-test.
 * Analysts and admins (the roles the experiments API allows) create, start, stop and
 * ship from here; other roles see no such buttons (and the API would refuse them anyway). A blend variant may
 * carry its own parts and weights, shown beside its strategy wherever the variant is.
 */
import { useState } from 'preact/hooks';
import type { ChartConfiguration } from 'chart.js';
import { ApiError, request } from '../api';
import { ChartView, PALETTE } from '../charts';
import {
  ConsoleCreateExperimentDocument,
  ConsoleExperimentDocument,
  ConsoleExperimentsDocument,
  ConsoleShipVariantDocument,
  ConsoleStartExperimentDocument,
  ConsoleStopExperimentDocument,
  type ConsoleExperimentQuery,
  type ConsoleBanditArmFieldsFragment,
  type ConsoleVariantResultFieldsFragment,
  type ExperimentKind,
  type ExperimentMetric,
  type SpendingFunction,
} from '../generated/graphql';
import { Card, ErrorNote, fmtTime, Loading, useApi } from '../ui';
import { STRATEGIES } from './shopper';

const METRICS: ExperimentMetric[] = ['CTR', 'CLICKS_PER_USER', 'ADD_TO_CARTS_PER_USER', 'CONVERSION', 'REVENUE_PER_USER'];
/** The roles the experiments API's @Authorized allows (src/auth/policy.ts ANALYSTS). */
const MANAGERS = ['analyst', 'admin'];

function fmtStat(n: number | null | undefined, digits = 4): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n !== 0 && Math.abs(n) < 10 ** -digits) return n.toExponential(1);
  return n.toLocaleString('en', { maximumFractionDigits: digits });
}

function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined) return '–';
  return p < 0.0001 ? p.toExponential(1) : p.toFixed(4);
}

function fmtCi(ci: { lower: number; upper: number } | null | undefined): string {
  return ci ? `[${fmtStat(ci.lower)}, ${fmtStat(ci.upper)}]` : '–';
}

type BlendParts = readonly { strategy: string; weight: number }[];

/** A variant's strategy as an analyst reads it: a weighted blend with its parts and weights. */
function strategyLabel(v: { strategy: string; blend?: BlendParts | null }): string {
  return v.blend ? `${v.strategy} (${v.blend.map((p) => `${p.strategy} ${fmtStat(p.weight)}`).join(', ')})` : v.strategy;
}

/** "local-ease=1, item-knn=0.5" as blend parts; empty: none (the default blend). The API checks the names and weights. */
function parseBlend(text: string): { parts?: { strategy: string; weight: number }[]; error?: string } {
  if (text.trim() === '') return {};
  const parts = text.split(',').map((pair) => pair.split('=').map((x) => x.trim()));
  const bad = parts.find((p) => p.length !== 2 || p[0] === '' || p[1] === '' || !Number.isFinite(Number(p[1])));
  if (bad) return { error: `blend weights: expected part=weight pairs separated by commas, got "${bad.join('=')}"` };
  return { parts: parts.map(([strategy, weight]) => ({ strategy: strategy!, weight: Number(weight) })) };
}

/** "REVENUE_PER_USER=0.02, CONVERSION=0.01" as guardrails (higher is better); empty: none. The API checks metrics and margins. */
function parseGuardrails(text: string): { guardrails?: { metric: ExperimentMetric; margin: number }[]; error?: string } {
  if (text.trim() === '') return {};
  const pairs = text.split(',').map((pair) => pair.split('=').map((x) => x.trim()));
  const bad = pairs.find((p) => p.length !== 2 || !METRICS.includes(p[0] as ExperimentMetric) || p[1] === '' || !Number.isFinite(Number(p[1])));
  if (bad) return { error: `guardrails: expected metric=margin pairs (metrics ${METRICS.join(', ')}) separated by commas, got "${bad.join('=')}"` };
  return { guardrails: pairs.map(([metric, margin]) => ({ metric: metric as ExperimentMetric, margin: Number(margin) })) };
}

export function ExperimentsPage({ role }: { role: string }) {
  const canManage = MANAGERS.includes(role);
  const list = useApi(() => request(ConsoleExperimentsDocument), []);
  const [selected, setSelected] = useState<string | null>(null);
  const experiments = list.data?.experiments ?? [];
  const current = selected ?? experiments[experiments.length - 1]?.id ?? null;
  return (
    <>
      <h1 id="page-title">Experiments</h1>
      <div class="grid">
        <Card title="All experiments" wide>
          {list.data ? (
            experiments.length > 0 ? (
              <table data-testid="experiments">
                <caption class="muted">Oldest first. Pick one to see its results.</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col">Type</th>
                    <th scope="col">Variants</th>
                    <th scope="col">Primary metric</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {experiments.map((x) => (
                    <tr key={x.id} aria-current={x.id === current ? 'true' : undefined}>
                      <td>
                        <button type="button" class="inline-link" onClick={() => setSelected(x.id)} aria-pressed={x.id === current}>
                          {x.name}
                        </button>
                      </td>
                      <td>
                        <span class={`badge status-${x.status}`}>{x.status}</span>
                        {x.shippedVariant ? ` (${x.shippedVariant})` : ''}
                      </td>
                      <td>{x.type === 'INTERLEAVE' ? 'interleaving' : x.type === 'BANDIT' ? 'bandit' : 'A/B'}</td>
                      <td>
                        {x.type === 'INTERLEAVE'
                          ? x.variants.map((v) => `${v.name}: ${strategyLabel(v)}`).join(' + ')
                          : x.type === 'BANDIT'
                            ? `bandit over ${x.variants.map(strategyLabel).join(', ')}`
                            : x.variants.map((v) => `${v.name}: ${strategyLabel(v)} ${Math.round(v.share * 100)} %`).join(', ')}
                      </td>
                      <td>{x.primaryMetric}</td>
                      <td>{fmtTime(x.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p class="muted">No experiments yet.</p>
            )
          ) : (
            <Loading what="experiments" />
          )}
          <ErrorNote error={list.error} />
        </Card>
        {current ? <ExperimentDetail key={current} id={current} canManage={canManage} onChanged={list.reload} /> : null}
        {canManage ? (
          <CreateExperiment
            onCreated={(id) => {
              setSelected(id);
              list.reload();
            }}
          />
        ) : null}
      </div>
    </>
  );
}

function ExperimentDetail({ id, canManage, onChanged }: { id: string; canManage: boolean; onChanged: () => void }) {
  const detail = useApi(() => request(ConsoleExperimentDocument, { id }), [id]);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const x = detail.data?.experiment;
  if (!detail.data) return <Card title="Results">{detail.error ? <ErrorNote error={detail.error} /> : <Loading what="results" />}</Card>;
  if (!x) return <Card title="Results">No experiment {id}.</Card>;

  const act = (run: () => Promise<unknown>) => {
    setBusy(true);
    setActionError(null);
    run().then(
      () => {
        setBusy(false);
        detail.reload();
        onChanged();
      },
      (e: ApiError) => {
        setBusy(false);
        setActionError(e);
      },
    );
  };
  const r = x.results;
  const interleaved = x.type === 'INTERLEAVE';
  const labels = Object.fromEntries(x.variants.map((v) => [v.name, strategyLabel(v)]));
  return (
    <Card title={`Results: ${x.name}`} wide>
      <p data-testid="experiment-summary">
        <span class={`badge status-${x.status}`}>{x.status}</span> {interleaved ? 'Interleaving (team-draft) of two variants. ' : ''}Control{' '}
        <strong>{x.control}</strong>, primary metric <strong>{x.primaryMetric}</strong>
        {interleaved ? '' : `, minimum detectable effect ${fmtStat(x.minimumDetectableEffect)}`}
        {x.spending ? `, group-sequential test (${x.spending === 'POCOCK' ? 'Pocock' : "O'Brien-Fleming"} spending)` : ''}, traffic{' '}
        {Math.round(x.traffic * 100)} %.
        {x.startedAt ? ` Started ${fmtTime(x.startedAt)}.` : ''}
        {x.stoppedAt ? ` Stopped ${fmtTime(x.stoppedAt)}.` : ''}
        {x.shippedVariant ? ` Shipped: ${x.shippedVariant}.` : ''}
      </p>
      {x.bandit ? <BanditArms bandit={x.bandit} floor={x.explorationFloor ?? 0} labels={labels} /> : null}
      {interleaved || x.type === 'BANDIT' ? null : (
        <p data-testid="srm" class={r.sampleRatioMismatch ? 'srm-alert' : undefined} role={r.sampleRatioMismatch ? 'alert' : undefined}>
          {r.sampleRatioMismatch ? (
            <>
              <strong>Sample ratio mismatch</strong> (chi-square p = {fmtP(r.srmPValue)} &lt; 0.001): users per variant do not match the shares. Assignment or
              exposure logging is broken; do not trust these results.
            </>
          ) : (
            <>
              Sample ratio check: <span class="ok">OK</span> (p = {fmtP(r.srmPValue)}
              {r.srmPValue === null || r.srmPValue === undefined ? ', no users yet' : ''}).
            </>
          )}
        </p>
      )}
      <div class="row" data-testid="experiment-actions">
        <button type="button" class="secondary" disabled={detail.loading} onClick={detail.reload}>
          Refresh results
        </button>
        {canManage && x.status === 'DRAFT' ? (
          <button type="button" disabled={busy} onClick={() => act(() => request(ConsoleStartExperimentDocument, { id: x.id }))}>
            Start
          </button>
        ) : null}
        {canManage && x.status === 'RUNNING' ? (
          <button type="button" class="secondary" disabled={busy} onClick={() => act(() => request(ConsoleStopExperimentDocument, { id: x.id }))}>
            Stop
          </button>
        ) : null}
        {canManage && (x.status === 'RUNNING' || x.status === 'STOPPED')
          ? x.variants.map((v) => (
              <button
                key={v.name}
                type="button"
                class="secondary"
                disabled={busy}
                onClick={() => {
                  if (window.confirm(`Ship ${v.name} (${strategyLabel(v)}) as every gateway's default?`))
                    act(() => request(ConsoleShipVariantDocument, { experimentId: x.id, variant: v.name }));
                }}
              >
                Ship {v.name}
              </button>
            ))
          : null}
      </div>
      <ErrorNote error={actionError} />
      {interleaved && r.interleaving ? (
        <InterleavingResult result={r.interleaving} />
      ) : (
        <>
          <h3>Primary metric: {r.primary.metric}</h3>
          <ForestPlot metric={r.primary.metric} control={x.control} variants={r.primary.variants} />
          <VariantTable variants={r.primary.variants} control={x.control} labels={labels} testid="primary-results" />
          <PValuesOverTime looks={r.looks} />
          {r.guardrails.map((g) => {
            const spec = x.guardrails.find((s) => s.metric === g.metric);
            return (
              <div key={g.metric}>
                <h3>
                  Guardrail: {g.metric}
                  {spec ? ` (at most ${fmtStat(spec.margin * 100, 2)} % ${spec.direction === 'HIGHER_IS_BETTER' ? 'lower' : 'higher'} than control)` : ''}
                </h3>
                {x.type === 'BANDIT' ? null : <GuardrailVerdicts metric={g.metric} variants={g.variants} control={x.control} />}
                <VariantTable variants={g.variants} control={x.control} labels={labels} testid={`guardrail-${g.metric}`} />
              </div>
            );
          })}
          {r.guardrails.length === 0 ? <p class="muted">No guardrail metrics.</p> : null}
        </>
      )}
    </Card>
  );
}

type GuardrailVariant = NonNullable<ConsoleExperimentQuery['experiment']>['results']['guardrails'][number]['variants'][number];

const VERDICT_TEXT: Record<string, string> = { PASS: 'pass', FAIL: 'FAIL', INCONCLUSIVE: 'inconclusive' };

/** Each treatment's non-inferiority test on one guardrail: relative change, one-sided bound against the margin, verdicts. */
function GuardrailVerdicts({ metric, variants, control }: { metric: string; variants: GuardrailVariant[]; control: string }) {
  const treatments = variants.filter((v) => v.name !== control && v.guardrail);
  const failed = treatments.filter((v) => v.guardrail!.sequentialVerdict === 'FAIL');
  return (
    <>
      {failed.length > 0 ? (
        <p class="srm-alert" role="alert" data-testid={`guardrail-alert-${metric}`}>
          <strong>Guardrail failed</strong>: {failed.map((v) => v.name).join(', ')} worse than {control} on {metric} by more than the margin (always-valid test,
          p &lt; 0.05).
        </p>
      ) : null}
      <div class="scroll" tabIndex={0} role="region" aria-label={`Guardrail verdicts ${metric}`}>
        <table data-testid={`guardrail-verdicts-${metric}`} class="compact">
          <thead>
            <tr>
              <th scope="col">Treatment</th>
              <th scope="col" class="num">
                Relative change
              </th>
              <th scope="col" class="num">
                One-sided 95 % bound
              </th>
              <th scope="col" class="num">
                Margin
              </th>
              <th scope="col" class="num">
                p (fixed)
              </th>
              <th scope="col">Verdict (fixed)</th>
              <th scope="col" class="num">
                Sequential p
              </th>
              <th scope="col">Verdict (always valid)</th>
            </tr>
          </thead>
          <tbody>
            {treatments.map((v) => {
              const g = v.guardrail!;
              const sign = g.direction === 'HIGHER_IS_BETTER' ? -1 : 1;
              const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${fmtStat(x * 100, 2)} %`);
              return (
                <tr key={v.name}>
                  <th scope="row">{v.name}</th>
                  <td class="num">{pct(g.estimate)}</td>
                  <td class="num">{pct(g.bound)}</td>
                  <td class="num">{pct(sign * g.margin)}</td>
                  <td class="num">{fmtP(g.pValue)}</td>
                  <td>
                    <span class={`badge verdict-${g.verdict}`}>{VERDICT_TEXT[g.verdict]}</span>
                  </td>
                  <td class="num">{fmtP(g.sequentialVerdict === 'FAIL' ? g.sequentialInferiorityPValue : g.sequentialPValue)}</td>
                  <td>
                    <span class={`badge verdict-${g.sequentialVerdict}`}>{VERDICT_TEXT[g.sequentialVerdict]}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

type Interleaving = NonNullable<NonNullable<ConsoleExperimentQuery['experiment']>['results']['interleaving']>;

/** An interleaving's result: the preference share of treatment with its interval against 0.5 (no preference), and the tests. */
function InterleavingResult({ result: il }: { result: Interleaving }) {
  const share = il.preferenceShare;
  const config: ChartConfiguration = {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'preference share 95 % CI',
          data: [
            { x: il.ci.lower, y: 0 },
            { x: il.ci.upper, y: 0 },
          ],
          showLine: true,
          borderColor: PALETTE[0],
          backgroundColor: PALETTE[0],
          borderWidth: 3,
          pointRadius: 3,
          pointStyle: 'line' as const,
        },
        ...(share !== null && share !== undefined
          ? [
              {
                label: 'preference share',
                data: [{ x: share, y: 0 }],
                borderColor: '#0f172a',
                backgroundColor: '#0f172a',
                pointRadius: 5,
                pointStyle: 'rectRot' as const,
              },
            ]
          : []),
        {
          label: 'no preference (0.5)',
          data: [
            { x: 0.5, y: -0.6 },
            { x: 0.5, y: 0.6 },
          ],
          showLine: true,
          borderColor: '#64748b',
          backgroundColor: '#64748b',
          borderWidth: 1,
          pointRadius: 0,
        },
      ],
    },
    options: {
      scales: {
        x: { min: 0, max: 1, title: { display: true, text: `share of users preferring ${il.treatment} over ${il.control}` } },
        y: { min: -0.6, max: 0.6, ticks: { display: false }, grid: { display: false } },
      },
    },
  };
  const label = `Preference share of ${il.treatment}: ${fmtStat(share)} with 95 % interval ${fmtCi(il.ci)}, against 0.5 (no preference)`;
  return (
    <>
      <h3>
        Preference on {il.metric} (credited to the side that contributed the item): {il.treatment} vs {il.control}
      </h3>
      <div data-testid="preference-plot">
        <ChartView config={config} label={label} height={110} />
      </div>
      <div class="scroll" tabIndex={0} role="region" aria-label="Interleaving results table">
        <table data-testid="interleaving-results" class="compact">
          <thead>
            <tr>
              <th scope="col" class="num">
                Users
              </th>
              <th scope="col" class="num">
                Credited {il.control}
              </th>
              <th scope="col" class="num">
                Credited {il.treatment}
              </th>
              <th scope="col" class="num">
                Prefer {il.treatment}
              </th>
              <th scope="col" class="num">
                Prefer {il.control}
              </th>
              <th scope="col" class="num">
                Ties
              </th>
              <th scope="col" class="num">
                Share
              </th>
              <th scope="col">95 % CI</th>
              <th scope="col" class="num">
                p (sign test)
              </th>
              <th scope="col" class="num">
                Mean difference per user
              </th>
              <th scope="col">95 % CI</th>
              <th scope="col" class="num">
                p (t-test)
              </th>
              <th scope="col" class="num">
                Sequential p
              </th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td class="num">{il.users}</td>
              <td class="num">{fmtStat(il.creditedControl)}</td>
              <td class="num">{fmtStat(il.creditedTreatment)}</td>
              <td class="num">{il.wins}</td>
              <td class="num">{il.losses}</td>
              <td class="num">{il.ties}</td>
              <td class="num">{fmtStat(share)}</td>
              <td>{fmtCi(il.ci)}</td>
              <td class="num">{fmtP(il.pValue)}</td>
              <td class="num">{il.creditDifference ? fmtStat(il.creditDifference.estimate) : '–'}</td>
              <td>{fmtCi(il.creditDifference?.ci)}</td>
              <td class="num">{fmtP(il.creditDifference?.pValue)}</td>
              <td class="num" data-testid="interleaving-sequential-p">
                {fmtP(il.creditDifferenceSequentialPValue)}
              </td>
            </tr>
          </tbody>
        </table>
      </div>
      <p class="muted">
        Every user in the traffic sees one list merged from both variants; a user prefers the side whose entries got more of their{' '}
        {il.metric === 'CTR' ? 'clicks' : il.metric}. No users are split, so there is no per-variant comparison or sample-ratio check; guardrails are not
        computed for interleavings. The sign test and the t-test are fixed-horizon (decide at the planned number of users); the sequential p-value of the mean
        difference is always valid: it may be acted on at any look.
      </p>
    </>
  );
}

/** A BANDIT's arms: Thompson sampling's counts, posteriors and the traffic share each gets now. */
function BanditArms({
  bandit,
  floor,
  labels,
}: {
  bandit: NonNullable<ConsoleExperimentQuery['experiment']>['bandit'] & object;
  floor: number;
  labels: Record<string, string>;
}) {
  return (
    <>
      <h3>Bandit arms{bandit.bySegment ? ' (totals over the segments)' : ''}</h3>
      <p class="muted">
        Thompson sampling per request; each arm keeps at least {Math.round(floor * 100)} % of the requests. A list is a success when it earns a{' '}
        {bandit.reward.toLowerCase().replace(/_/g, ' ')}. The results below count each (user, arm) pair as a unit and are descriptive: the arms were not
        randomised at fixed shares (no sample-ratio check); estimate a strategy off-policy with <code>flywheel evaluate-policy</code>.
      </p>
      <ArmsTable arms={bandit.arms} labels={labels} testid="bandit-arms" />
      {bandit.bySegment ? (
        <>
          <p class="muted">
            Arms kept per customer segment: each segment&apos;s lists are drawn with its own shares, so each converges to its own best arm. The totals above are
            descriptive.
          </p>
          {bandit.segments.map((s) => (
            <div key={s.segment ?? '-'}>
              <h4>{s.segment === null ? 'Users without a segment' : `Segment ${s.segment}`}</h4>
              <ArmsTable arms={s.arms} labels={labels} testid={`bandit-segment-${s.segment ?? 'none'}`} />
            </div>
          ))}
          {bandit.segments.length === 0 ? <p class="muted">No lists served yet.</p> : null}
        </>
      ) : null}
    </>
  );
}

/** One set of bandit arms: lists, successes, posterior mean, probability of being best, traffic share. */
function ArmsTable({ arms, labels, testid }: { arms: readonly ConsoleBanditArmFieldsFragment[]; labels: Record<string, string>; testid: string }) {
  return (
    <>
      <table data-testid={testid}>
        <thead>
          <tr>
            <th scope="col">Arm</th>
            <th scope="col">Strategy</th>
            <th scope="col">Lists</th>
            <th scope="col">Successes</th>
            <th scope="col">Posterior mean</th>
            <th scope="col">P(best)</th>
            <th scope="col">Traffic share</th>
          </tr>
        </thead>
        <tbody>
          {arms.map((a) => (
            <tr key={a.variant}>
              <td>{a.variant}</td>
              <td>{labels[a.variant] ?? a.strategy}</td>
              <td>{a.pulls}</td>
              <td>{a.successes}</td>
              <td>{fmtStat(a.posteriorMean)}</td>
              <td>{fmtStat(a.probabilityBest)}</td>
              <td>{`${(a.trafficShare * 100).toFixed(1)} %`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

type Look = NonNullable<ConsoleExperimentQuery['experiment']>['results']['looks'][number];

/**
 * The p-values at each hourly look while the experiment ran: the sequential one (solid) may be read at every
 * look; the fixed-horizon one (dashed) dips under 0.05 by chance when read often, which is the point of showing
 * both against the 0.05 line.
 */
function PValuesOverTime({ looks }: { looks: readonly Look[] }) {
  if (looks.length === 0) return <p class="muted">p-values over time: the first look is taken at the first hour boundary after the start.</p>;
  const names = looks[looks.length - 1]!.treatments.map((t) => t.name);
  const series = (name: string, key: 'pValue' | 'sequentialPValue') =>
    looks.map((l) => ({ x: Date.parse(l.at), y: l.treatments.find((t) => t.name === name)?.[key] ?? null }));
  const config: ChartConfiguration = {
    type: 'line',
    data: {
      datasets: [
        ...names.flatMap((name, i) => [
          { label: `${name}: sequential p`, data: series(name, 'sequentialPValue'), borderColor: PALETTE[i % PALETTE.length], pointRadius: 0 },
          { label: `${name}: fixed-horizon p`, data: series(name, 'pValue'), borderColor: PALETTE[i % PALETTE.length], borderDash: [4, 4], pointRadius: 0 },
        ]),
        { label: '0.05', data: looks.map((l) => ({ x: Date.parse(l.at), y: 0.05 })), borderColor: '#dc2626', borderWidth: 1, pointRadius: 0 },
      ],
    },
    options: {
      parsing: false,
      scales: {
        x: { type: 'linear', ticks: { callback: (v) => new Date(Number(v)).toISOString().slice(5, 16).replace('T', ' ') } },
        y: { min: 0, max: 1, title: { display: true, text: 'p-value' } },
      },
    },
  };
  const last = looks[looks.length - 1]!;
  return (
    <div data-testid="p-over-time">
      <h3>p-values over time</h3>
      <ChartView
        config={config}
        label={`Line chart of p-values at ${looks.length} hourly looks; at the last (${last.at}): ${last.treatments
          .map((t) => `${t.name} sequential ${fmtP(t.sequentialPValue)}, fixed-horizon ${fmtP(t.pValue)}`)
          .join('; ')}`}
        height={220}
      />
    </div>
  );
}

function ForestPlot({ metric, control, variants }: { metric: string; control: string; variants: ConsoleVariantResultFieldsFragment[] }) {
  const treated = variants.filter((v) => v.name !== control);
  const withCi = treated.filter((v) => v.absolute);
  if (withCi.length === 0)
    return (
      <p class="muted" data-testid="forest-empty">
        No interval yet: each variant needs a few exposed users before its lift against {control} can be estimated.
      </p>
    );
  const ys = withCi.map((_, i) => i);
  const all = withCi.flatMap((v) => [v.absolute!.ci.lower, v.absolute!.ci.upper, ...(v.sequentialCi ? [v.sequentialCi.lower, v.sequentialCi.upper] : [])]);
  const span = Math.max(...all.map(Math.abs), 1e-9);
  const interval = (v: ConsoleVariantResultFieldsFragment, i: number) => [
    { x: v.absolute!.ci.lower, y: i },
    { x: v.absolute!.ci.upper, y: i },
  ];
  const config: ChartConfiguration = {
    type: 'scatter',
    data: {
      datasets: [
        ...withCi.map((v, i) => ({
          label: `${v.name} 95 % CI`,
          data: interval(v, i),
          showLine: true,
          borderColor: PALETTE[i % PALETTE.length],
          backgroundColor: PALETTE[i % PALETTE.length],
          borderWidth: 3,
          pointRadius: 3,
          pointStyle: 'line' as const,
        })),
        ...withCi
          .filter((v) => v.sequentialCi)
          .map((v) => {
            const i = withCi.indexOf(v);
            return {
              label: `${v.name} always-valid CI`,
              data: [
                { x: v.sequentialCi!.lower, y: i + 0.2 },
                { x: v.sequentialCi!.upper, y: i + 0.2 },
              ],
              showLine: true,
              borderColor: PALETTE[i % PALETTE.length],
              backgroundColor: PALETTE[i % PALETTE.length],
              borderDash: [4, 3],
              borderWidth: 1.5,
              pointRadius: 0,
            };
          }),
        {
          label: 'lift (estimate)',
          data: withCi.map((v, i) => ({ x: v.absolute!.estimate, y: i })),
          borderColor: '#0f172a',
          backgroundColor: '#0f172a',
          pointRadius: 5,
          pointStyle: 'rectRot' as const,
        },
        {
          label: 'no effect (0)',
          data: [
            { x: 0, y: -0.6 },
            { x: 0, y: withCi.length - 0.4 },
          ],
          showLine: true,
          borderColor: '#64748b',
          backgroundColor: '#64748b',
          borderWidth: 1,
          pointRadius: 0,
        },
      ],
    },
    options: {
      scales: {
        x: {
          min: -span * 1.1,
          max: span * 1.1,
          title: { display: true, text: `absolute lift of ${metric} vs ${control}` },
        },
        y: {
          min: -0.6,
          max: withCi.length - 0.4,
          reverse: true,
          afterBuildTicks: (axis) => {
            axis.ticks = ys.map((value) => ({ value }));
          },
          ticks: { callback: (value) => withCi[Number(value)]?.name ?? '' },
          grid: { display: false },
        },
      },
    },
  };
  const label = `Forest plot of the absolute lift of ${metric} against ${control}: ${withCi
    .map((v) => `${v.name} ${fmtStat(v.absolute!.estimate)} with 95 % interval ${fmtCi(v.absolute!.ci)}`)
    .join('; ')}`;
  return (
    <div data-testid="forest">
      <ChartView config={config} label={label} height={90 + 50 * withCi.length} />
    </div>
  );
}

/**
 * A treatment's group-sequential test in words: its verdict, where it stands against the last look's boundary, and
 * how much of the plan's information is in.
 */
function groupSequentialText(g: ConsoleVariantResultFieldsFragment['groupSequential']): string {
  if (!g) return '–';
  const progress = `${Math.round(100 * Math.min(1, g.informationFraction))} % of plan`;
  if (g.rejected) return `significant at look ${g.rejectedAtLook} (|z| ${fmtStat(Math.abs(g.z ?? 0), 2)} ≥ ${fmtStat(g.boundary ?? 0, 2)})`;
  if (g.looks === 0) return 'no look yet';
  const bound = g.boundary === null || g.boundary === undefined ? 'no boundary yet' : `needs |z| ≥ ${fmtStat(g.boundary, 2)}`;
  return g.complete
    ? `not significant, final (|z| ${fmtStat(Math.abs(g.z ?? 0), 2)} < ${fmtStat(g.boundary ?? 0, 2)})`
    : `|z| ${fmtStat(Math.abs(g.z ?? 0), 2)}, ${bound}, ${progress}`;
}

function VariantTable({
  variants,
  control,
  labels,
  testid,
}: {
  variants: ConsoleVariantResultFieldsFragment[];
  control: string;
  /** Each variant's strategy with its blend weights. */
  labels: Record<string, string>;
  testid: string;
}) {
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label={`Results table ${testid}`}>
      <table data-testid={testid} class="compact">
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col">Strategy</th>
            <th scope="col" class="num">
              Users
            </th>
            <th scope="col" class="num">
              Mean
            </th>
            <th scope="col" class="num">
              Lift
            </th>
            <th scope="col">95 % CI</th>
            <th scope="col" class="num">
              Relative
            </th>
            <th scope="col" class="num">
              p
            </th>
            <th scope="col" class="num">
              p (Holm)
            </th>
            <th scope="col" class="num">
              Sequential p
            </th>
            <th scope="col">Always-valid CI</th>
            <th scope="col">Group-sequential</th>
            <th scope="col">CUPED CI</th>
          </tr>
        </thead>
        <tbody>
          {variants.map((v) => (
            <tr key={v.name}>
              <th scope="row">
                {v.name}
                {v.name === control ? ' (control)' : ''}
              </th>
              <td>{labels[v.name] ?? v.strategy}</td>
              <td class="num">{v.users}</td>
              <td class="num">{fmtStat(v.mean)}</td>
              <td class="num">{v.absolute ? fmtStat(v.absolute.estimate) : '–'}</td>
              <td>{fmtCi(v.absolute?.ci)}</td>
              <td class="num">{v.relative ? `${fmtStat(v.relative.estimate * 100, 1)} %` : '–'}</td>
              <td class="num">{fmtP(v.absolute?.pValue)}</td>
              <td class="num">{fmtP(v.adjustedPValue)}</td>
              <td class="num">{fmtP(v.sequentialPValue)}</td>
              <td>{fmtCi(v.sequentialCi)}</td>
              <td>{groupSequentialText(v.groupSequential)}</td>
              <td>
                {v.cupedAbsolute
                  ? `${fmtCi(v.cupedAbsolute.ci)}${v.cupedVarianceRatio !== null && v.cupedVarianceRatio !== undefined ? ` (variance ×${fmtStat(v.cupedVarianceRatio, 2)})` : ''}`
                  : '–'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface VariantDraft {
  name: string;
  strategy: string;
  share: string;
  /** With strategy blend: "part=weight, ..." (empty: the default blend). */
  blend: string;
}

function CreateExperiment({ onCreated }: { onCreated: (id: string) => void }) {
  const [name, setName] = useState('');
  const [metric, setMetric] = useState<ExperimentMetric>('CTR');
  const [type, setType] = useState<ExperimentKind>('AB');
  const [mde, setMde] = useState('0.02');
  const [spending, setSpending] = useState<SpendingFunction | ''>('');
  const [guardrails, setGuardrails] = useState('');
  const [variants, setVariants] = useState<VariantDraft[]>([
    { name: 'control', strategy: 'popular', share: '0.5', blend: '' },
    { name: 'treatment', strategy: 'blend', share: '0.5', blend: '' },
  ]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const set = (i: number, patch: Partial<VariantDraft>) => setVariants((vs) => vs.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  return (
    <Card title="New experiment">
      <form
        data-testid="create-experiment"
        onSubmit={(e) => {
          e.preventDefault();
          const blends = variants.map((v) => (v.strategy === 'blend' ? parseBlend(v.blend) : {}));
          const guards = parseGuardrails(guardrails);
          const unparsed = blends.find((b) => b.error) ?? (guards.error ? guards : undefined);
          setError(unparsed ? new ApiError(unparsed.error!, undefined) : null);
          if (unparsed) return;
          setBusy(true);
          request(ConsoleCreateExperimentDocument, {
            input: {
              name: name.trim(),
              ...(type === 'AB' ? {} : { type }),
              primaryMetric: metric,
              minimumDetectableEffect: Number(mde),
              ...(type === 'AB' && spending ? { spending } : {}),
              ...(guards.guardrails ? { guardrails: guards.guardrails } : {}),
              variants: variants.map((v, i) => ({
                name: v.name.trim(),
                strategy: v.strategy,
                share: Number(v.share),
                ...(blends[i]!.parts ? { blend: blends[i]!.parts } : {}),
              })),
            },
          }).then(
            (d) => {
              setBusy(false);
              setName('');
              onCreated(d.createExperiment.id);
            },
            (err: ApiError) => {
              setBusy(false);
              setError(err);
            },
          );
        }}
      >
        <label class="block">
          Experiment name
          <input value={name} required maxLength={200} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="block">
          Type
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as ExperimentKind)}>
            <option value="AB">A/B test (users split between variants)</option>
            <option value="INTERLEAVE">Interleaving (two variants merged in every list)</option>
          </select>
        </label>
        <label class="block">
          Primary metric
          <select value={metric} onChange={(e) => setMetric((e.target as HTMLSelectElement).value as ExperimentMetric)}>
            {METRICS.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label class="block">
          Minimum detectable effect (absolute)
          <input type="number" step="any" min="0" value={mde} required onInput={(e) => setMde((e.target as HTMLInputElement).value)} />
        </label>
        {type === 'AB' ? (
          <label class="block">
            Group-sequential test (planned to detect the effect above with 80 % power)
            <select value={spending} onChange={(e) => setSpending((e.target as HTMLSelectElement).value as SpendingFunction | '')}>
              <option value="">None (the always-valid p-value only)</option>
              <option value="OBRIEN_FLEMING">O'Brien-Fleming spending</option>
              <option value="POCOCK">Pocock spending</option>
            </select>
          </label>
        ) : null}
        <label class="block">
          Guardrails with margins (metric=relative margin; empty: none)
          <input value={guardrails} placeholder="REVENUE_PER_USER=0.02, CONVERSION=0.01" onInput={(e) => setGuardrails((e.target as HTMLInputElement).value)} />
        </label>
        {variants.map((v, i) => (
          <fieldset key={i}>
            <legend>Variant {i + 1}</legend>
            <label>
              Name <input value={v.name} required onInput={(e) => set(i, { name: (e.target as HTMLInputElement).value })} />
            </label>{' '}
            <label>
              Strategy{' '}
              <select value={v.strategy} onChange={(e) => set(i, { strategy: (e.target as HTMLSelectElement).value })}>
                {STRATEGIES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>{' '}
            <label>
              Share{' '}
              <input
                type="number"
                step="any"
                min="0"
                max="1"
                value={v.share}
                required
                onInput={(e) => set(i, { share: (e.target as HTMLInputElement).value })}
              />
            </label>
            {v.strategy === 'blend' ? (
              <label class="block">
                Blend weights (empty: the default blend)
                <input value={v.blend} placeholder="local-ease=1, item-knn=0.5" onInput={(e) => set(i, { blend: (e.target as HTMLInputElement).value })} />
              </label>
            ) : null}
          </fieldset>
        ))}
        <div class="row">
          <button
            type="button"
            class="secondary"
            disabled={variants.length >= 10}
            onClick={() => setVariants((vs) => [...vs, { name: `variant-${vs.length + 1}`, strategy: 'item-knn', share: '0', blend: '' }])}
          >
            Add a variant
          </button>
          <button type="button" class="secondary" disabled={variants.length <= 2} onClick={() => setVariants((vs) => vs.slice(0, -1))}>
            Remove the last variant
          </button>
          <button type="submit" disabled={busy}>
            Create (as a draft)
          </button>
        </div>
        <p class="muted">
          The first variant is the control. Shares must sum to 1 (an interleaving takes exactly two variants and uses the shares only with the traffic). A blend
          variant may weigh its parts itself (local-ease, item-knn, rp3beta, user-knn, als; weights above 0); shipping it makes those weights the default blend.
        </p>
      </form>
      <ErrorNote error={error} />
    </Card>
  );
}
