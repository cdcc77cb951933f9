"""Summaries of repeated runs: mean ± sd over seeds, and whether two settings differ.

Pure Python/NumPy on report-shaped run entries (the dicts in ``report.json["runs"]``),
so a page's verdicts can be recomputed from the published report alone.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

#: A difference counts only if it exceeds this many standard errors ...
SE_FACTOR = 2.0
#: ... and at least this much (accuracy as a fraction: 0.001 = 0.1 percentage points).
MIN_DIFFERENCE = 0.001


def summarise(values: Iterable[float]) -> dict:
    """``mean``, sample ``sd`` (n − 1; 0 for a single value), ``n``, ``min``, ``max``, ``values``.

    An empty input gives ``n = 0`` and ``None`` for the statistics.
    """
    vals = [float(v) for v in values]
    n = len(vals)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "min": None, "max": None, "values": []}
    mean = math.fsum(vals) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else 0.0
    return {"n": n, "mean": mean, "sd": sd, "min": min(vals), "max": max(vals), "values": vals}


def compare(a: dict, b: dict, *, floor: float = MIN_DIFFERENCE) -> dict:
    """Is ``b`` larger than ``a``? Both are :func:`summarise` results.

    ``difference = b.mean − a.mean``; ``threshold = max(SE_FACTOR · se, floor)`` with
    ``se = sqrt(sd_a²/n_a + sd_b²/n_b)``. ``outcome`` is ``"higher"`` when the
    difference exceeds the threshold, ``"lower"`` when it is below −threshold,
    else ``"unclear"``; ``"not_measured"`` when either side has no runs.
    """
    if not a["n"] or not b["n"]:
        return {"difference": None, "se": None, "threshold": None, "outcome": "not_measured"}
    diff = b["mean"] - a["mean"]
    se = math.sqrt(a["sd"] ** 2 / a["n"] + b["sd"] ** 2 / b["n"])
    threshold = max(SE_FACTOR * se, floor)
    outcome = "higher" if diff > threshold else "lower" if diff < -threshold else "unclear"
    return {"difference": diff, "se": se, "threshold": threshold, "outcome": outcome}


def select(runs: list[dict], **match) -> list[dict]:
    """The run entries whose fields equal every ``key=value`` in ``match``."""
    return [r for r in runs if all(r.get(k) == v for k, v in match.items())]


def values(runs: list[dict], field: str | Callable[[dict], float]) -> list[float]:
    get = field if callable(field) else (lambda r: r[field])
    return [float(get(r)) for r in runs]
