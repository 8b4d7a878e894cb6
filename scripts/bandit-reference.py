#!/usr/bin/env python3
"""Reference values for test/unit/experiments/bandit-reference.test.ts, computed with scipy / numpy independently of
the TypeScript engine (src/experiments/thompson.ts, src/experiments/off-policy.ts). Same environment as
scripts/experiments-reference.py:

    python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install -r scripts/experiments-reference-requirements.txt
    /tmp/statsvenv/bin/python scripts/bandit-reference.py

It prints a JSON object (valid TypeScript); the test file holds a pasted copy (REFERENCE).

- Thompson probabilities P(theta_k > theta_j for all j != k) for independent Beta posteriors: the integral
  int f_k(x) prod_{j != k} F_j(x) dx by scipy.integrate.quad (adaptive Gauss-Kronrod) with scipy.stats.beta's pdf
  and cdf, over arm k's mean +- 30 sd.
- IPS and SNIPS with normal intervals: the textbook formulas by hand in numpy (Dudik, Langford, Li 2011;
  Swaminathan, Joachims 2015), z from scipy.stats.norm.ppf.
"""
import json
import math

import numpy as np
from scipy import integrate, stats

POSTERIORS = [
    [[1, 1], [1, 1]],
    [[11, 91], [16, 86]],
    [[3, 10], [5, 8], [2, 20]],
    [[1001, 9001], [1101, 8901]],
    [[5001, 95001], [1, 1]],
    [[2, 2], [2, 3], [3, 2], [10, 10]],
    [[40, 160], [45, 155], [30, 170], [41, 159], [12, 30]],
]


def p_best(arms):
    out = []
    for k, (a, b) in enumerate(arms):
        mean = a / (a + b)
        sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        lo, hi = max(0.0, mean - 30 * sd), min(1.0, mean + 30 * sd)

        def g(x, k=k, a=a, b=b):
            v = stats.beta.pdf(x, a, b)
            for j, (aj, bj) in enumerate(arms):
                if j != k:
                    v *= stats.beta.cdf(x, aj, bj)
            return v

        val, _ = integrate.quad(g, lo, hi, limit=1000, epsabs=1e-13, epsrel=1e-12, points=[mean])
        out.append(val)
    return out


# A logged bandit: 3 arms, per list the arm, its logged propensity and the clicks on the list.
rng = np.random.default_rng(20261203)
N = 60
probs = rng.dirichlet([2, 2, 2], size=N) * 0.85 + 0.05  # each arm at least 0.05, rows sum to 1
arms = np.array([rng.choice(3, p=p) for p in probs])
propensity = np.round(probs[np.arange(N), arms], 6)
clicks = rng.binomial(2, [0.1, 0.25, 0.4][0], size=N) + (arms == 2) * rng.binomial(1, 0.3, size=N)


def ope(target_arm, alpha=0.05):
    w = (arms == target_arm) / propensity
    y = w * clicks
    n = len(y)
    z = stats.norm.ppf(1 - alpha / 2)
    ips = y.mean()
    ips_se = y.std(ddof=1) / math.sqrt(n)
    snips = y.sum() / w.sum()
    d = y - snips * w
    snips_se = math.sqrt((d ** 2).sum() / (n - 1) / n) / w.mean()
    return {
        "ips": [ips, ips_se, ips - z * ips_se, ips + z * ips_se],
        "snips": [snips, snips_se, snips - z * snips_se, snips + z * snips_se],
        "ess": w.sum() ** 2 / (w ** 2).sum(),
    }


print(json.dumps({
    "posteriors": POSTERIORS,
    "pBest": [p_best(a) for a in POSTERIORS],
    "log": {"arm": arms.tolist(), "propensity": propensity.tolist(), "clicks": clicks.tolist()},
    "ope": [ope(k) for k in range(3)],
    "opeAlpha10": ope(1, 0.10),
}))
