#!/usr/bin/env python3
"""Reference values for test/unit/experiments/reference.test.ts, computed with scipy / statsmodels / numpy, independently
of the TypeScript engine (src/experiments/). Regenerate with:

    python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install -r scripts/experiments-reference-requirements.txt
    /tmp/statsvenv/bin/python scripts/experiments-reference.py --write

It prints a JSON object; with --write it also writes it to test/unit/experiments/experiments-reference.json, which the
test imports (a JSON file rather than a literal pasted into the test: Prettier rewrote the pasted literal as TypeScript
and --check could no longer read it; the JSON file is listed in .prettierignore, so it stays byte for byte what this
script wrote). With --check it instead compares its output with that file and exits 1 if they differ.
Each section below names the textbook routine or the by-hand formula it uses.
"""
import json
import math
import os
import sys

import numpy as np
import scipy
import statsmodels
from scipy import integrate, optimize, stats
from statsmodels.stats.multitest import multipletests

# ---- fixed inputs (the same literals are in the test file) ----
rev_c = [45.91, 0.34, 19.26, 7.92, 27.61, 10.87, 45.94, 7.63, 4.41, 13.2, 11.38, 5.17, 5.77, 15.17, 14.94, 4.51, 5.12, 1.21, 39.61, 5.9, 28.14, 11.22, 51.62, 34.37, 10.16]
rev_t = [46.01, 3.17, 36.03, 1.77, 13.16, 29.12, 11.54, 6.03, 3.72, 6.19, 28.68, 24.04, 6.76, 2.29, 18.94, 1.83, 5.03, 4.02, 20.44, 11.7, 15.0, 12.18, 4.28, 16.27, 42.68, 8.67, 18.12, 7.86, 27.98, 18.79, 23.65]
clk_c = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1]
clk_t = [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0]
imp_c = [10, 2, 7, 5, 7, 3, 4, 1, 11, 4, 2, 11, 6, 6, 7, 4, 1, 2, 11, 10, 9, 2, 7, 1, 3, 2, 10, 9, 9, 11]
cl_c = [3, 0, 2, 1, 1, 0, 2, 1, 1, 0, 0, 2, 0, 1, 2, 1, 1, 1, 2, 2, 2, 0, 2, 1, 2, 1, 1, 0, 1, 3]
imp_t = [7, 2, 2, 8, 4, 8, 4, 6, 10, 1, 7, 8, 4, 5, 9, 11, 7, 11, 4, 8, 5, 2, 8, 4, 7, 7, 7, 10, 11, 5, 2, 4, 5, 7]
cl_t = [1, 1, 1, 5, 0, 3, 0, 2, 3, 0, 1, 2, 1, 0, 2, 1, 2, 3, 1, 2, 1, 0, 1, 0, 1, 6, 2, 3, 2, 1, 0, 0, 0, 1]
pre_c = [0.4, 9.7, 4.3, 9.2, 7.0, 5.3, 5.6, 5.5, 6.7, 2.3, 6.5, 8.4, 4.0, 4.8, 0.6, 6.0, 1.2, 6.2, 1.7, 13.5, 1.0, 0.4, 4.6, 1.6, 10.0, 1.2, 5.0, 2.3, 4.2, 5.5]
post_c = [1.6, 12.4, 3.5, 11.6, 7.3, 7.6, 3.7, 3.6, 5.7, 4.6, 6.5, 9.2, 4.8, 6.9, 1.9, 4.7, 3.0, 6.1, 5.9, 11.5, 2.0, 0.7, 7.0, 4.0, 10.3, -0.5, 2.0, 3.4, 5.8, 8.4]
pre_t = [5.2, 2.4, 9.1, 5.3, 9.5, 6.8, 6.9, 5.1, 4.8, 5.1, 3.7, 4.9, 2.1, 11.9, 8.3, 3.2, 0.8, 2.3, 10.8, 5.5, 6.8, 6.5, 3.7, 2.8, 8.8, 3.2, 4.6, 2.0]
post_t = [2.4, 3.4, 5.7, 4.1, 9.0, 9.2, 6.3, 4.4, 5.0, 8.4, 9.6, 2.6, 2.9, 10.5, 10.8, 5.2, 5.5, 1.6, 10.5, 5.3, 5.0, 6.7, 2.4, 8.4, 9.7, 2.3, 4.3, 6.9]
# ratio metric with a pre-period covariate: per-user impressions / clicks before (0) and during the experiment
rimp0_c = [8, 1, 1, 7, 3, 12, 4, 11, 8, 12, 3, 2, 12, 13, 1, 6, 1, 2, 7, 2, 12, 12, 7, 12, 4, 9, 13, 13, 11, 4, 8, 12, 1, 11, 1, 11, 11, 10, 3, 11]
rcl0_c = [2, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 3, 4, 0, 1, 0, 0, 5, 0, 2, 1, 2, 1, 1, 0, 0, 1, 2, 0, 2, 0, 0, 0, 1, 3, 1, 0, 1, 3]
rimp_c = [5, 6, 3, 6, 14, 2, 9, 8, 6, 14, 4, 5, 7, 11, 5, 1, 8, 13, 9, 2, 14, 7, 12, 1, 7, 12, 12, 4, 9, 8, 4, 10, 5, 10, 6, 10, 10, 9, 10, 10]
rcl_c = [1, 1, 1, 0, 3, 0, 1, 2, 0, 1, 3, 0, 3, 2, 2, 0, 1, 3, 6, 1, 0, 1, 0, 0, 1, 0, 0, 0, 2, 2, 1, 1, 2, 0, 1, 2, 3, 0, 3, 3]
rimp0_t = [1, 9, 12, 12, 6, 14, 12, 13, 8, 8, 14, 4, 13, 12, 1, 10, 14, 7, 5, 8, 7, 14, 7, 14, 6, 4, 7, 8, 9, 2, 2, 6, 12, 7, 2, 9]
rcl0_t = [0, 3, 5, 3, 4, 2, 1, 1, 0, 0, 0, 0, 2, 3, 0, 1, 0, 0, 0, 0, 3, 5, 1, 1, 1, 0, 0, 0, 3, 1, 0, 0, 4, 3, 0, 2]
rimp_t = [7, 11, 10, 1, 6, 3, 3, 9, 5, 13, 5, 4, 1, 2, 5, 9, 4, 9, 12, 12, 4, 7, 12, 5, 1, 13, 3, 5, 9, 12, 1, 5, 14, 8, 12, 11]
rcl_t = [0, 1, 2, 0, 4, 1, 0, 2, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 2, 2, 2, 3, 3, 0, 0, 0, 1, 0, 5, 1, 0, 0, 3, 1, 1, 3]

SRM_CASES = [
    ([5030, 4970], [0.5, 0.5]),
    ([4700, 5300], [0.5, 0.5]),
    ([3400, 3300, 3300], [1 / 3, 1 / 3, 1 / 3]),
    ([2010, 1010, 980], [0.5, 0.25, 0.25]),
    ([9000, 1100], [0.9, 0.1]),
]
HOLM_CASES = [
    [0.01, 0.04, 0.03, 0.005],
    [0.2, 0.5, 0.01],
    [0.6, 0.7, 0.9, 0.95],
    [0.02, 0.02, 0.02],
    [0.001, 0.3],
]
# mSPRT, the paper's equal-n, known-variance setting (Johari et al. 2017): looks at n units per arm.
MSPRT_SIGMA2 = 1.3
MSPRT_TAU2 = 0.04
MSPRT_LOOKS = [(50, 0.21), (100, 0.05), (200, 0.19), (400, 0.16), (800, 0.13), (1600, 0.11), (3200, 0.06), (6400, 0.09)]
ALPHA = 0.05
# planning: (variance, mde, alpha, power, treatment variance)
PLANNING_CASES = [(1, 0.1, 0.05, 0.8, 1), (0.09, 0.01, 0.05, 0.8, 0.09), (0.09, 0.005, 0.01, 0.9, 0.0975), (250.0, 2.0, 0.05, 0.95, 250.0)]


def welch(t, c):
    r = stats.ttest_ind(t, c, equal_var=False)
    ci = r.confidence_interval(0.95)
    t_, c_ = np.asarray(t, float), np.asarray(c, float)
    se = math.sqrt(t_.var(ddof=1) / len(t_) + c_.var(ddof=1) / len(c_))
    return {"estimate": float(t_.mean() - c_.mean()), "standardError": se, "df": float(r.df), "statistic": float(r.statistic),
            "pValue": float(r.pvalue), "ci": [float(ci.low), float(ci.high)]}


def relative_by_hand(t, c):
    """Delta method: Var(r) = s_T^2/(n_T mC^2) + mT^2 s_C^2/(n_C mC^4); t quantile with the Welch df."""
    t_, c_ = np.asarray(t, float), np.asarray(c, float)
    mt, mc = t_.mean(), c_.mean()
    vt, vc = t_.var(ddof=1) / len(t_), c_.var(ddof=1) / len(c_)
    var = vt / mc ** 2 + mt ** 2 * vc / mc ** 4
    se = math.sqrt(var)
    df = (vt + vc) ** 2 / (vt ** 2 / (len(t_) - 1) + vc ** 2 / (len(c_) - 1))
    r = mt / mc - 1
    q = stats.t.ppf(1 - ALPHA / 2, df)
    return {"estimate": r, "standardError": se, "df": df, "statistic": r / se, "pValue": float(2 * stats.t.sf(abs(r / se), df)),
            "ci": [r - q * se, r + q * se]}


def ratio_by_linearization(y, x):
    """Ratio metric R = ybar/xbar; Var(R) as the variance of the mean of the linearised values (y - R x) / xbar
    (Deng et al. 2018: the delta method written as a linearisation), computed with numpy."""
    y_, x_ = np.asarray(y, float), np.asarray(x, float)
    R = y_.mean() / x_.mean()
    lin = (y_ - R * x_) / x_.mean()
    return {"mean": R, "varianceOfMean": float(lin.var(ddof=1) / len(lin))}


def cuped_by_hand(pre_t, post_t, pre_c, post_c):
    x = np.concatenate([pre_t, pre_c]).astype(float)
    y = np.concatenate([post_t, post_c]).astype(float)
    theta = np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1)
    adj = y - theta * (x - x.mean())
    nt = len(pre_t)
    out = welch(adj[:nt], adj[nt:])
    raw = welch(post_t, post_c)
    return {"theta": float(theta), "absolute": out, "relative": relative_by_hand(adj[:nt], adj[nt:]),
            "varianceRatio": out["standardError"] ** 2 / raw["standardError"] ** 2}


def cuped_ratio_by_hand(t, c):
    """CUPED on a ratio metric via linearisation, by hand in numpy: per arm (clicks, impressions, pre clicks, pre
    impressions); theta from the linearised values of all units pooled (at the pooled means); then the adjusted
    per-unit pseudo-values z = R'_arm + (L - theta L0), whose mean is the adjusted ratio and whose spread is the
    linearised one, through scipy's Welch test."""
    def lin(y, x, y0, x0, at):
        ybar, xbar, y0bar, x0bar = at
        return (y - ybar / xbar * x) / xbar, (y0 - y0bar / x0bar * x0) / x0bar
    arr = lambda arm: [np.asarray(v, float) for v in arm]
    T, C = arr(t), arr(c)
    pooled = [np.concatenate([a, b]) for a, b in zip(T, C)]
    pm = [v.mean() for v in pooled]
    L, L0 = lin(*pooled, pm)
    theta = np.cov(L, L0, ddof=1)[0, 1] / np.var(L0, ddof=1)
    r0_pooled = pm[2] / pm[3]
    def pseudo(arm):
        m = [v.mean() for v in arm]
        La, L0a = lin(*arm, m)
        adjusted = m[0] / m[1] - theta * (m[2] / m[3] - r0_pooled)
        return adjusted + (La - theta * L0a), La
    zt, lt = pseudo(T)
    zc, lc = pseudo(C)
    out = welch(zt, zc)
    raw_var = lt.var(ddof=1) / len(lt) + lc.var(ddof=1) / len(lc)
    return {"theta": float(theta), "absolute": out, "relative": relative_by_hand(zt, zc),
            "varianceRatio": out["standardError"] ** 2 / raw_var}


def msprt_paper(n, diff, sigma2, tau2, theta0=0.0):
    """Lambda_n = sqrt(2 s2 / (2 s2 + n tau2)) exp(n^2 tau2 (diff - theta0)^2 / (4 s2 (2 s2 + n tau2)))."""
    return math.sqrt(2 * sigma2 / (2 * sigma2 + n * tau2)) * math.exp(
        n * n * tau2 * (diff - theta0) ** 2 / (4 * sigma2 * (2 * sigma2 + n * tau2)))


def msprt_interval_by_root(n, diff, sigma2, tau2):
    """The always-valid interval at one look: theta0 where Lambda_n(theta0) = 1/alpha, found numerically (brentq)
    on the paper's statistic (no closed form used)."""
    def log_lambda(th):  # the same formula, in logs so that far-away theta0 do not overflow
        return 0.5 * math.log(2 * sigma2 / (2 * sigma2 + n * tau2)) + n * n * tau2 * (diff - th) ** 2 / (4 * sigma2 * (2 * sigma2 + n * tau2))
    f = lambda th: log_lambda(th) - math.log(1 / ALPHA)
    lo = optimize.brentq(f, diff - 5, diff, xtol=1e-15, rtol=1e-15)
    hi = optimize.brentq(f, diff, diff + 5, xtol=1e-15, rtol=1e-15)
    return [lo, hi]


ref = {}
ref["versions"] = {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__}
ref["welchRevenue"] = welch(rev_t, rev_c)
ref["welchClicks"] = welch(clk_t, clk_c)
ref["relativeRevenue"] = relative_by_hand(rev_t, rev_c)
ref["relativeClicks"] = relative_by_hand(clk_t, clk_c)
ref["summaryRevenueControl"] = {"n": len(rev_c), "mean": float(np.mean(rev_c)), "variance": float(np.var(rev_c, ddof=1))}
ref["ratioControl"] = ratio_by_linearization(cl_c, imp_c)
ref["ratioTreatment"] = ratio_by_linearization(cl_t, imp_t)
rt, rc = ref["ratioTreatment"], ref["ratioControl"]
se = math.sqrt(rt["varianceOfMean"] + rc["varianceOfMean"])
df = (rt["varianceOfMean"] + rc["varianceOfMean"]) ** 2 / (rt["varianceOfMean"] ** 2 / (len(cl_t) - 1) + rc["varianceOfMean"] ** 2 / (len(cl_c) - 1))
d = rt["mean"] - rc["mean"]
ref["ratioWelch"] = {"estimate": d, "standardError": se, "df": df, "pValue": float(2 * stats.t.sf(abs(d / se), df))}
ref["cuped"] = cuped_by_hand(pre_t, post_t, pre_c, post_c)
ref["cupedRatio"] = cuped_ratio_by_hand([rcl_t, rimp_t, rcl0_t, rimp0_t], [rcl_c, rimp_c, rcl0_c, rimp0_c])
ref["srm"] = []
for obs, shares in SRM_CASES:
    exp = [sum(obs) * s for s in shares]
    r = stats.chisquare(obs, f_exp=exp)
    ref["srm"].append({"chiSquare": float(r.statistic), "pValue": float(r.pvalue)})
ref["holm"] = [list(map(float, multipletests(p, method="holm")[1])) for p in HOLM_CASES]
lam = [msprt_paper(n, d, MSPRT_SIGMA2, MSPRT_TAU2) for n, d in MSPRT_LOOKS]
p = 1.0
ps = []
for l in lam:
    p = min(p, 1 / l)
    ps.append(p)
ref["msprt"] = {"likelihoodRatios": lam, "pValues": ps,
                "intervals": [msprt_interval_by_root(n, d, MSPRT_SIGMA2, MSPRT_TAU2) for n, d in MSPRT_LOOKS]}
# units per arm: the normal-approximation formula by hand with scipy.stats.norm.ppf; statsmodels' NormalIndPower
# (which also counts the wrong-direction tail) for the equal-variance cases, as a cross-check to within one unit
from statsmodels.stats.power import NormalIndPower
ref["planning"] = []
for v, mde, a, pw, vt in PLANNING_CASES:
    z = stats.norm.ppf(1 - a / 2) + stats.norm.ppf(pw)
    exact = z * z * (v + vt) / mde ** 2
    sm = NormalIndPower().solve_power(effect_size=mde / math.sqrt(v), alpha=a, power=pw, ratio=1) if v == vt else None
    ref["planning"].append({"exact": exact, "unitsPerArm": math.ceil(exact), "statsmodels": sm})
ref["distributions"] = {
    "tTwoSided": [float(2 * stats.t.sf(2.5, 13.7)), float(2 * stats.t.sf(40, 1000)), float(2 * stats.t.sf(0.3, 3.2))],
    "tQuantile975": [float(stats.t.ppf(0.975, 13.7)), float(stats.t.ppf(0.975, 2.5)), float(stats.t.ppf(0.975, 1e6))],
    "chi2Upper": [float(stats.chi2.sf(30, 3)), float(stats.chi2.sf(200, 1)), float(stats.chi2.sf(0.5, 2))],
}
# Guardrails as non-inferiority tests (src/experiments/guardrail.ts). Fixed horizon: the one-sided t-test of the
# delta-method relative lift against the margin's boundary, by hand with scipy.stats.t (sf, cdf, ppf). Always valid:
# the one-sided mixture likelihood ratios by numerical integration (scipy.integrate.quad) of the normal likelihood
# ratio exp(u d / V - u^2 / (2 V)) against the half-normal mixture density 2/tau phi(u/tau) on u > 0 (and u < 0 for
# the degradation), not the closed form the engine uses; the default mixture averages the ratios over the scales
# tau = margin * 4^j, j = 0..3.
GUARDRAIL_ALPHA = 0.05


def relative_from_arms(nt, mt, vt, nc, mc, vc):
    """The delta-method relative lift from arm estimates (n, mean, variance of the mean), as relative_by_hand."""
    se = math.sqrt(vt / mc ** 2 + mt ** 2 * vc / mc ** 4)
    df = (vt + vc) ** 2 / (vt ** 2 / (nt - 1) + vc ** 2 / (nc - 1))
    return {"estimate": mt / mc - 1, "standardError": se, "df": df}


def non_inferiority_by_hand(t, c, margin, higher, rel=None):
    rel = rel or relative_by_hand(t, c)
    s_ = 1 if higher else -1
    stat = s_ * (rel["estimate"] + s_ * margin) / rel["standardError"]
    p = float(stats.t.sf(stat, rel["df"]))
    pinf = float(stats.t.cdf(stat, rel["df"]))
    bound = rel["estimate"] - s_ * float(stats.t.ppf(1 - GUARDRAIL_ALPHA, rel["df"])) * rel["standardError"]
    verdict = "PASS" if p < GUARDRAIL_ALPHA else "FAIL" if pinf < GUARDRAIL_ALPHA else "INCONCLUSIVE"
    return {"estimate": rel["estimate"], "standardError": rel["standardError"], "df": rel["df"], "statistic": stat,
            "bound": bound, "pValue": p, "inferiorityPValue": pinf, "verdict": verdict}


def one_sided_mixture_by_quad(estimate, variance, margin, higher, tau):
    s_ = 1 if higher else -1
    d = s_ * (estimate + s_ * margin)
    # The integrand in logs around its peak (the likelihood ratio can be astronomically large); limits where it is
    # below e^-60 of the peak.
    a = 1 / variance + 1 / tau ** 2
    peak = (d / variance) / a
    width = 1 / math.sqrt(a)
    def log_f(u):
        return u * d / variance - u * u / (2 * variance) + math.log(2 / tau) + stats.norm.logpdf(u / tau)
    top = log_f(max(0.0, peak)) if d >= 0 else log_f(min(0.0, peak))
    def integral(lo, hi):
        v, _ = integrate.quad(lambda u: math.exp(log_f(u) - top), lo, hi, epsabs=0, epsrel=1e-12, limit=200)
        return math.log(v) + top if v > 0 else float("-inf")
    lo, hi = peak - 40 * width, peak + 40 * width
    up = integral(max(0.0, lo), max(0.0, hi)) if hi > 0 else float("-inf")
    down = integral(min(0.0, lo), min(0.0, hi)) if lo < 0 else float("-inf")
    p_up = min(1.0, math.exp(-up)) if up != float("-inf") else 1.0
    p_down = min(1.0, math.exp(-down)) if down != float("-inf") else 1.0
    verdict = "PASS" if p_up < GUARDRAIL_ALPHA else "FAIL" if p_down < GUARDRAIL_ALPHA else "INCONCLUSIVE"
    return {"logLambdaUp": up, "logLambdaDown": down, "pValue": p_up, "inferiorityPValue": p_down, "verdict": verdict}


# (treatment, control, margin, higher is better)
GUARDRAIL_CASES = [("rev", 0.05, True), ("rev", 0.3, True), ("rev", 0.1, False), ("clk", 0.02, True), ("clk", 0.5, True), ("clk", 0.05, False)]
ARMS = {"rev": (rev_t, rev_c), "clk": (clk_t, clk_c)}
# arms as (n, mean, variance of the mean) at online sizes, where the verdicts are decided: conversion 10 % against
# 9.5 % and 10.05 %, revenue per user with a lower-is-better reading
GUARDRAIL_ARM_CASES = [((100000, 0.095, 0.095 * 0.905 / 100000), (100000, 0.1, 0.09 / 100000), 0.02, True),
                       ((100000, 0.1005, 0.1005 * 0.8995 / 100000), (100000, 0.1, 0.09 / 100000), 0.02, True),
                       ((40000, 12.1, 900 / 40000), (40000, 12.0, 880 / 40000), 0.05, False),
                       ((40000, 13.4, 900 / 40000), (40000, 12.0, 880 / 40000), 0.05, False)]
ref["guardrailFixed"] = [non_inferiority_by_hand(*ARMS[k], m, h) for k, m, h in GUARDRAIL_CASES] + [
    non_inferiority_by_hand(None, None, m, h, relative_from_arms(*t, *c)) for t, c, m, h in GUARDRAIL_ARM_CASES]
GUARDRAIL_CASES += [(None, m, h) for _t, _c, m, h in GUARDRAIL_ARM_CASES]
def averaged_over_scales(estimate, variance, margin, higher):
    each = [one_sided_mixture_by_quad(estimate, variance, margin, higher, margin * 4 ** j) for j in range(4)]
    up = math.log(sum(math.exp(e["logLambdaUp"]) for e in each) / 4)
    down = math.log(sum(math.exp(e["logLambdaDown"]) for e in each) / 4)
    p_up, p_down = min(1.0, math.exp(-up)), min(1.0, math.exp(-down))
    verdict = "PASS" if p_up < GUARDRAIL_ALPHA else "FAIL" if p_down < GUARDRAIL_ALPHA else "INCONCLUSIVE"
    return {"logLambdaUp": up, "logLambdaDown": down, "pValue": p_up, "inferiorityPValue": p_down, "verdict": verdict}


ref["guardrailSequential"] = []
for (k, m, h), fixed in zip(GUARDRAIL_CASES, ref["guardrailFixed"]):
    ref["guardrailSequential"].append(averaged_over_scales(fixed["estimate"], fixed["standardError"] ** 2, m, h))
# (estimate, variance, margin, higher, tau): far from, at and beyond the margin, tiny and large variances
GUARDRAIL_SEQ_CASES = [(0.01, 0.0001, 0.02, True, 0.02), (-0.05, 0.0001, 0.02, True, 0.02), (-0.021, 0.00004, 0.02, True, 0.02),
                       (0.04, 0.0004, 0.02, False, 0.02), (-0.2, 0.01, 0.05, True, 0.1), (0.0, 1e-6, 0.02, True, 0.02)]
ref["guardrailSequentialCases"] = [one_sided_mixture_by_quad(*c) for c in GUARDRAIL_SEQ_CASES]
# GrowthBook's own frequentist engine (gbstats, `pip install gbstats`), where installed: its relative lift (delta
# method, Welch df, t quantile) on the same n / sum / sum of squares. Optional; the by-hand values above are the
# primary reference.
try:
    import gbstats
    from gbstats.frequentist.tests import FrequentistConfig, TwoSidedTTest
    from gbstats.models.statistics import SampleMeanStatistic

    def gb_relative(t, c):
        st = SampleMeanStatistic(n=len(t), sum=float(np.sum(t)), sum_squares=float(np.sum(np.square(t))))
        sc = SampleMeanStatistic(n=len(c), sum=float(np.sum(c)), sum_squares=float(np.sum(np.square(c))))
        test = TwoSidedTTest(sc, st, FrequentistConfig(difference_type="relative"))
        return {"estimate": float(test.point_estimate), "pValue": float(test.p_value),
                "ci": [float(x) for x in test.confidence_interval]}

    ref["versions"]["gbstats"] = gbstats.__version__ if hasattr(gbstats, "__version__") else "installed"
    ref["gbstatsRelative"] = {"revenue": gb_relative(rev_t, rev_c), "clicks": gb_relative(clk_t, clk_c)}
except ImportError:
    pass
reference_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "unit", "experiments", "experiments-reference.json")
out = json.dumps(ref, indent=2) + "\n"
if "--check" in sys.argv:
    stored = json.load(open(reference_file))
    if stored != json.loads(out):
        print("test/unit/experiments/experiments-reference.json differs from this script's output", file=sys.stderr)
        sys.exit(1)
    print("test/unit/experiments/experiments-reference.json matches this script's output")
else:
    print(out, end="")
    if "--write" in sys.argv:
        open(reference_file, "w").write(out)
