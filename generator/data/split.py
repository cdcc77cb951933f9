"""Deterministic, class-stratified index selection.

Both helpers work on a label vector and return *indices* into it, so the same
selection can be applied to images and labels alike. Determinism comes from
``np.random.default_rng(seed)``: the same labels and seed always give the same
indices.
"""

from __future__ import annotations

import numpy as np


def class_quotas(counts: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` over classes in proportion to ``counts`` (largest-remainder rounding).

    Every class gets ``floor(total * count / N)``; the leftover units go to the
    classes with the largest remainders, ties broken in a seeded random order so
    no digit is systematically favoured. Integer arithmetic keeps it exact.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    scaled = counts * int(total)
    quotas, remainders = scaled // n, scaled % n
    leftover = int(total) - int(quotas.sum())
    tie_order = rng.permutation(len(counts))
    by_remainder = tie_order[np.argsort(-remainders[tie_order], kind="stable")]
    quotas[by_remainder[:leftover]] += 1
    return quotas


def stratified_split(y: np.ndarray, second: int | float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split indices of ``y`` into ``(first, second)`` with every class proportionally represented.

    ``second`` is the size of the second part: an ``int`` count, or a ``float``
    fraction in (0, 1) of ``len(y)`` (rounded). Each class contributes its
    largest-remainder share of the second part, picked at random; both index
    arrays come back in a shuffled (classes interleaved) but seed-deterministic order.
    """
    y = np.asarray(y)
    n = len(y)
    if isinstance(second, float):
        if not 0.0 < second < 1.0:
            raise ValueError(f"A float `second` must be in (0, 1). Received: second={second}")
        n_second = round(second * n)
    else:
        n_second = int(second)
        if not 0 <= n_second <= n:
            raise ValueError(f"`second` must be between 0 and len(y)={n}. Received: second={second}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    quotas = class_quotas(counts, n_second, rng) if n else counts
    first: list[np.ndarray] = []
    chosen: list[np.ndarray] = []
    for cls, quota in zip(classes, quotas):
        members = rng.permutation(np.flatnonzero(y == cls))
        chosen.append(members[:quota])
        first.append(members[quota:])
    return _shuffled(first, rng), _shuffled(chosen, rng)


def stratified_subset(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Pick ``size`` indices of ``y`` round-robin over the classes; return them in ascending order.

    The classes are visited in a seeded random order, taking one image per visit,
    so class counts differ by at most one (until a class runs out). Within a
    class, images are taken in their current order: on an already shuffled
    array that is a random pick, and on a file-ordered test set it keeps the
    first images (e.g. test image 0). Ascending output preserves the array's order.
    """
    y = np.asarray(y)
    size = min(int(size), len(y))
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    visit_order = rng.permutation(len(classes))
    # Sort key: (position of the image within its class, the class's turn in the round).
    rank_in_class = np.empty(len(y), dtype=np.int64)
    turn = np.empty(len(y), dtype=np.int64)
    for cls, cls_turn in zip(classes, visit_order):
        members = np.flatnonzero(y == cls)
        rank_in_class[members] = np.arange(len(members))
        turn[members] = cls_turn
    picked = np.lexsort((turn, rank_in_class))[:size]
    return np.sort(picked)


def _shuffled(parts: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Concatenate index arrays and shuffle the result."""
    if not parts:
        return np.empty(0, dtype=np.int64)
    return rng.permutation(np.concatenate(parts).astype(np.int64, copy=False))
