"""Claims as paired differences with a confidence interval over seeds.

A claim compares two things measured on the same seeds and the same split
(``a`` and ``b``, one value per seed).  Its difference is ``a - b`` seed by
seed; the 95% interval is Student's t over those differences.  The verdict
is read from the interval and the claimed direction:

* ``holds``: the interval excludes zero on the claimed side;
* ``within noise``: the interval contains zero;
* ``does not hold``: the interval excludes zero on the other side.

With one seed the interval is infinite, so a single run never "holds".  Nor
does a difference that is the same on every seed (a zero-width interval,
such as one test image on every seed): its interval says nothing about
noise, so its verdict is ``within noise``.

A table tests many claims at once; :func:`with_holm` adds each claim's
one-sided p-value (paired t-test in the claimed direction) adjusted by
Holm's step-down method over the whole table, and the verdict at a 5%
family-wise error rate: ``holds`` only when the adjusted p-value is below
0.05.
"""

import math

import numpy as np
import pandas as pd
from scipy import stats

HOLDS, NOISE, FAILS = "holds", "within noise", "does not hold"


def paired_interval(a, b, confidence=0.95):
    """``(mean, low, high, n)`` of the per-seed differences ``a - b``."""
    difference = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(difference)
    mean = float(difference.mean()) if n else math.nan
    if n < 2:
        return mean, -math.inf, math.inf, n
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * difference.std(ddof=1) / math.sqrt(n)
    return mean, float(mean - half), float(mean + half), n


def verdict(low, high, greater=True):
    """The verdict of a claim ``a > b`` (``greater``) or ``a < b`` on the interval of ``a - b``."""
    if low == high:  # no variance over seeds: nothing to tell a difference from noise
        return NOISE
    if low > 0:
        return HOLDS if greater else FAILS
    if high < 0:
        return FAILS if greater else HOLDS
    return NOISE


def one_sided_p(a, b, greater=True):
    """p-value of the paired t-test of ``a > b`` (``greater``) or ``a < b``; 1 without variance or seeds."""
    difference = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(difference)
    spread = difference.std(ddof=1) if n > 1 else 0.0
    if not spread > 0:
        return 1.0
    t = difference.mean() / (spread / math.sqrt(n))
    return float(stats.t.sf(t if greater else -t, n - 1))


def claim(text, a, b, greater=True, **context):
    """One row of a claims table: ``a`` and ``b`` are per-seed values in the same seed order."""
    mean, low, high, n = paired_interval(a, b)
    return dict(
        claim=text,
        **context,
        n=n,
        a=float(np.mean(a)),
        b=float(np.mean(b)),
        difference=mean,
        low=low,
        high=high,
        verdict=verdict(low, high, greater),
        p=one_sided_p(a, b, greater),
    )


def with_holm(rows, alpha=0.05):
    """``rows`` (from :func:`claim`) with ``holm_p`` and ``verdict (Holm)``: Holm's step-down over all of them.

    A claim whose adjusted p-value is below ``alpha`` holds; one whose
    interval says "does not hold" keeps that verdict; the rest are within
    noise.
    """
    order = sorted(range(len(rows)), key=lambda i: rows[i]["p"])
    m, running = len(rows), 0.0
    out = [dict(row) for row in rows]
    for position, i in enumerate(order):
        running = max(running, min(1.0, (m - position) * rows[i]["p"]))
        out[i]["holm_p"] = running
        out[i]["verdict (Holm)"] = HOLDS if running < alpha else FAILS if rows[i]["verdict"] == FAILS else NOISE
    return out


def paired(frame, value, key, a, b, by=("seed",)):
    """Per-seed values of ``value`` for rows ``key == a`` and ``key == b``, aligned on ``by``.

    Only the seeds present for both are used, in the same order.
    """
    left = frame[frame[key] == a].set_index(list(by))[value]
    right = frame[frame[key] == b].set_index(list(by))[value]
    common = left.index.intersection(right.index).sort_values()
    return left.loc[common].to_numpy(), right.loc[common].to_numpy()


def claims_markdown(rows):
    """The claims table as Markdown: difference and its 95% interval, and the verdict."""
    table = pd.DataFrame(rows)
    if table.empty:
        return "(no claims)"
    table["95% CI"] = [f"[{lo:+.4f}, {hi:+.4f}]" for lo, hi in zip(table["low"], table["high"])]
    table["difference"] = table["difference"].map(lambda d: f"{d:+.4f}")
    last = ["95% CI", "verdict"] + [c for c in ("holm_p", "verdict (Holm)") if c in table]
    columns = [c for c in table.columns if c not in ("low", "high", "p", *last)] + last
    return table[columns].to_markdown(index=False, floatfmt=".4f")


__all__ = [
    "FAILS",
    "HOLDS",
    "NOISE",
    "claim",
    "claims_markdown",
    "one_sided_p",
    "paired",
    "paired_interval",
    "verdict",
    "with_holm",
]
