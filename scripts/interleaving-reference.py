#!/usr/bin/env python3
"""Reference values for test/unit/experiments/interleaving-reference.test.ts: the interleaving preference test
(src/experiments/interleaving.ts) computed with scipy, independently of the TypeScript engine. Same venv as
scripts/experiments-reference.py:

    python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install -r scripts/experiments-reference-requirements.txt
    /tmp/statsvenv/bin/python scripts/interleaving-reference.py [--check]

It prints a JSON object (valid TypeScript); the test file holds a pasted copy (REFERENCE). With --check it compares.
  signTest       scipy.stats.binomtest(wins, wins + losses, 0.5): pvalue (two-sided) and proportion_ci(0.95, method="exact")
                 (Clopper-Pearson)
  binomialCdf    scipy.stats.binom.cdf(k, n, p)
  perUser        per-user credited clicks (treatment, control) -> wins / losses / ties counted with numpy, then binomtest;
                 and the per-user difference treatment - control: scipy.stats.ttest_1samp (statistic, pvalue, df,
                 confidence_interval(0.95))
  creditDifferenceSequential   the always-valid p-value of the mean difference: the normal likelihood ratio of the
                 estimate integrated against each mixture N(0, tau^2) with scipy.integrate.quad (not the closed form),
                 averaged over tau = mde * 4^j, j = 0..3; p = min(1, 1 / average)
"""
import json
import os
import re
import sys

import math

import numpy as np
import scipy
from scipy import integrate, stats

# (wins, losses) cases: small, balanced, lopsided, all one way, large
SIGN_CASES = [(8, 2), (2, 8), (60, 40), (523, 477), (0, 12), (30, 0), (1, 1), (1, 0), (1234, 1100), (12, 30), (5210, 4790), (40000, 39000)]
CDF_CASES = [(3, 10, 0.3), (0, 20, 0.1), (45, 100, 0.5), (480, 1000, 0.52), (7, 8, 0.9)]
# per-user credited clicks, the same literals as in the test file
PER_USER_T = [2, 0, 1, 3, 0, 0, 1, 2, 0, 4, 1, 0, 0, 2, 1, 1, 0, 3, 0, 1, 2, 0, 1, 0, 5, 1, 0, 2, 1, 0]
PER_USER_C = [1, 0, 1, 0, 0, 1, 0, 2, 1, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 0, 0, 0, 2, 1, 1, 0, 0, 1, 0, 0]


def sign(w, l):
    r = stats.binomtest(w, w + l, 0.5)
    ci = r.proportion_ci(confidence_level=0.95, method="exact")
    return {"pValue": float(r.pvalue), "ci": [float(ci.low), float(ci.high)]}


ref = {"versions": {"scipy": scipy.__version__, "numpy": np.__version__}}
ref["signTest"] = [sign(w, l) for w, l in SIGN_CASES]
ref["binomialCdf"] = [float(stats.binom.cdf(k, n, p)) for k, n, p in CDF_CASES]
t, c = np.array(PER_USER_T), np.array(PER_USER_C)
wins, losses, ties = int(np.sum(t > c)), int(np.sum(t < c)), int(np.sum(t == c))
ref["perUser"] = {"wins": wins, "losses": losses, "ties": ties, "share": wins / (wins + losses), **sign(wins, losses)}
tt = stats.ttest_1samp(t - c, 0.0)
tci = tt.confidence_interval(0.95)
ref["creditDifference"] = {"estimate": float(np.mean(t - c)), "statistic": float(tt.statistic), "df": float(tt.df), "pValue": float(tt.pvalue),
                           "ci": [float(tci.low), float(tci.high)]}



def mixture_lr_by_quad(estimate, variance, tau):
    """Lambda = integral of exp(theta * est / V - theta^2 / (2 V)) * N(theta; 0, tau^2) d theta, in logs around the peak."""
    a = 1 / variance + 1 / tau ** 2
    peak = (estimate / variance) / a
    width = 1 / math.sqrt(a)
    log_f = lambda th: th * estimate / variance - th * th / (2 * variance) + stats.norm.logpdf(th, 0, tau)
    top = log_f(peak)
    v, _ = integrate.quad(lambda th: math.exp(log_f(th) - top), peak - 40 * width, peak + 40 * width, epsabs=0, epsrel=1e-12, limit=200)
    return math.log(v) + top


def sequential_by_quad(estimate, variance, mde):
    logs = [mixture_lr_by_quad(estimate, variance, mde * 4 ** j) for j in range(4)]
    avg = math.log(sum(math.exp(x) for x in logs) / 4)
    return {"logLambda": avg, "pValue": min(1.0, math.exp(-avg))}


# (mde) on the per-user differences above, and (estimate, variance, mde) cases: none, weak, strong evidence
ref["creditDifferenceSequential"] = sequential_by_quad(ref["creditDifference"]["estimate"],
                                                       (ref["creditDifference"]["estimate"] / ref["creditDifference"]["statistic"]) ** 2, 0.05)
SEQ_CASES = [(0.0, 0.01, 0.05), (0.05, 0.0004, 0.02), (0.3, 0.001, 0.05), (-0.12, 0.0009, 0.1), (1.5, 0.04, 0.2)]
ref["creditDifferenceSequentialCases"] = [sequential_by_quad(*c) for c in SEQ_CASES]

if "--check" in sys.argv:
    test_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "unit", "experiments", "interleaving-reference.test.ts")
    text = open(test_file).read()
    start = text.index("const REFERENCE = ") + len("const REFERENCE = ")
    literal = text[start:text.index(" as const;", start)]
    # Prettier writes the pasted JSON as a TypeScript literal (unquoted keys, trailing commas, single quotes): back to JSON.
    literal = re.sub(r'([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:', r'\1"\2":', literal)
    literal = re.sub(r',(\s*[}\]])', r'\1', literal)
    literal = re.sub(r"'([^'\\]*)'", r'"\1"', literal)
    pasted = json.loads(literal)
    if pasted != json.loads(json.dumps(ref)):
        print("REFERENCE in test/unit/experiments/interleaving-reference.test.ts differs from this script's output", file=sys.stderr)
        sys.exit(1)
    print("REFERENCE in test/unit/experiments/interleaving-reference.test.ts matches this script's output")
else:
    print(json.dumps(ref, indent=2))
