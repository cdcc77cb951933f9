"""Figures about dropout: one activation vector in training vs inference mode, learning
curves per dropout rate, and accuracy as fc1 units are switched off at test time.

Pure functions: numpy arrays in, one PNG out (``out``). No TensorFlow / Keras;
matplotlib is imported lazily. Text inside figures is short and in English.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from . import style

PathLike = str | os.PathLike[str]
#: One colour per dropout rate (colour-blind friendly, Okabe–Ito).
RATE_COLOURS = ("#000000", "#e69f00", "#0072b2", "#cc79a7", "#009e73", "#d55e00")


def _square(v: np.ndarray) -> np.ndarray:
    side = int(np.ceil(np.sqrt(v.size)))
    grid = np.full(side * side, np.nan)
    grid[: v.size] = v
    return grid.reshape(side, side)


def _clean_axes(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(color="#e4e4e4", linewidth=0.6, zorder=0)


@style.styled
def in_action(inference: Any, keep: Any, training: Any, out: PathLike, *, rate: float) -> None:
    """The fc1 vector at inference (identity), the seeded keep-mask, and the training output
    (kept units × 1/(1−p)), each as a square of units; right: training vs inference value per unit.

    ``inference``, ``keep``, ``training``: ``(units,)``.
    """
    x = style.finite_array(inference, "inference", 1)
    m = style.finite_array(keep, "keep", 1)
    y = style.finite_array(training, "training", 1)
    if not (x.shape == m.shape == y.shape):
        raise ValueError(f"Invalid vectors. Expected equal shapes. Received: inference={x.shape}, "
                         f"keep={m.shape}, training={y.shape}")
    scale = 1.0 / (1.0 - float(rate))
    fig = style.new_figure((11.0, 3.3))
    axes = fig.subplots(1, 4, width_ratios=[1, 1, 1, 1.15])
    norm = style.sequential_norm(np.concatenate([x, y]))
    panels = [
        (x, "inference: fc1 as is", style.SEQUENTIAL, norm),
        (m, f"mask: {int(m.sum())} of {m.size} kept (grey)", "Greys", None),
        (y, f"training: kept × {scale:g}", style.SEQUENTIAL, norm),
    ]
    for ax, (v, title, cmap_name, nrm) in zip(axes[:3], panels):
        if nrm is None:
            im = ax.imshow(_square(v), cmap=style.cmap(cmap_name), vmin=0, vmax=1.6, interpolation="nearest")
        else:
            im = ax.imshow(_square(v), cmap=style.cmap(cmap_name), norm=nrm, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    style.colorbar(fig, im, list(axes[:3]), label="activation", fraction=0.02, pad=0.01)
    ax = axes[3]
    kept = m > 0
    ax.scatter(x[kept], y[kept], s=7, color="#0072b2", label="kept", zorder=3, linewidths=0)
    ax.scatter(x[~kept], y[~kept], s=7, color="#d55e00", label="dropped", zorder=3, linewidths=0)
    top = float(max(x.max(), 1e-6))
    ax.plot([0, top], [0, top * scale], color="#666666", linewidth=0.9, linestyle="--",
            label=f"y = {scale:g}·x", zorder=2)
    ax.plot([0, top], [0, top], color="#aaaaaa", linewidth=0.9, linestyle=":", label="y = x (inference)",
            zorder=2)
    ax.set_xlabel("inference value")
    ax.set_ylabel("training value")
    ax.legend(frameon=False, fontsize=7, loc="upper left")
    _clean_axes(ax)
    style.save(fig, out)


@style.styled
def learning_curves(loss: Any, val_loss: Any, accuracy: Any, val_accuracy: Any, step: Any,
                    out: PathLike, *, rates: Sequence[float]) -> None:
    """Loss and accuracy during training for each dropout rate: training (solid, measured with
    dropout on) and validation (dashed). Arrays ``(R, S, E)``: rates × seeds × evaluation points;
    ``step`` ``(E,)`` is the training step of each point. The line is the mean over seeds, the
    band its min–max."""
    arrays = [style.finite_array(a, n, 3) for a, n in ((loss, "loss"), (val_loss, "val_loss"),
                                            (accuracy, "accuracy"), (val_accuracy, "val_accuracy"))]
    shape = arrays[0].shape
    steps = np.asarray(step).reshape(-1)
    if any(a.shape != shape for a in arrays) or shape[0] != len(rates) or steps.shape != shape[2:]:
        raise ValueError(f"Invalid curves. Expected four arrays of one shape (R, S, E) with R = "
                         f"len(rates) and E = len(step). Received: shapes="
                         f"{[a.shape for a in arrays]}, rates={len(rates)}, step={steps.shape}")
    from matplotlib.lines import Line2D

    fig = style.new_figure((10.0, 3.8))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, (train, val), name in ((ax_loss, arrays[:2], "loss"), (ax_acc, arrays[2:], "accuracy")):
        for i, rate in enumerate(rates):
            colour = RATE_COLOURS[i % len(RATE_COLOURS)]
            for data, dash, face in ((train[i], "-", colour), (val[i], "--", "white")):
                marker = ("o" if dash == "-" else "s") if shape[2] <= 30 else None
                ax.plot(steps, data.mean(axis=0), color=colour, linestyle=dash, linewidth=1.5,
                        marker=marker, markersize=4, markerfacecolor=face, zorder=3)
                if shape[1] > 1:
                    ax.fill_between(steps, data.min(axis=0), data.max(axis=0), color=colour,
                                    alpha=0.12, linewidth=0, zorder=2)
        ax.set_xlabel("training step")
        ax.set_ylabel(name)
        if shape[2] <= 12:
            ax.set_xticks(steps)
        _clean_axes(ax)
    handles = [Line2D([], [], color=RATE_COLOURS[i % len(RATE_COLOURS)], linewidth=2, label=f"p = {r:g}")
               for i, r in enumerate(rates)]
    handles += [Line2D([], [], color="#555555", linestyle="-", marker="o", markersize=4,
                       label="train (dropout on)"),
                Line2D([], [], color="#555555", linestyle="--", marker="s", markersize=4,
                       markerfacecolor="white", label="validation")]
    fig.legend(handles=handles, loc="outside right center", frameon=False, fontsize=8)
    style.save(fig, out)


@style.styled
def ablation(fractions: Any, accuracy: Any, spread: Any, drop: Any, drop_spread: Any, out: PathLike, *,
             rates: Sequence[float]) -> None:
    """Left: test accuracy (``(R, F)``) against the fraction of fc1 units zeroed at inference, one
    line per training dropout rate, band ± ``spread``. Right: accuracy lost relative to the intact
    model (``drop``, band ± ``drop_spread``), in percentage points."""
    f = style.finite_array(fractions, "fractions", 1)
    arrays = [style.finite_array(a, n, 2) for a, n in ((accuracy, "accuracy"), (spread, "spread"), (drop, "drop"),
                                            (drop_spread, "drop_spread"))]
    if any(a.shape != (len(rates), f.size) for a in arrays):
        raise ValueError(f"Invalid accuracy. Expected shape {(len(rates), f.size)}. Received: "
                         f"shapes={[a.shape for a in arrays]}")
    acc, sd, lost, lost_sd = arrays
    fig = style.new_figure((10.0, 3.8))
    ax_acc, ax_lost = fig.subplots(1, 2)
    for i, rate in enumerate(rates):
        colour = RATE_COLOURS[i % len(RATE_COLOURS)]
        for ax, y, band in ((ax_acc, acc[i], sd[i]), (ax_lost, 100 * lost[i], 100 * lost_sd[i])):
            ax.plot(f, y, color=colour, marker="o", markersize=3.5, linewidth=1.6,
                    label=f"trained with p = {rate:g}", zorder=3)
            if np.any(band > 0):
                ax.fill_between(f, y - band, y + band, color=colour, alpha=0.12, linewidth=0, zorder=2)
    for ax in (ax_acc, ax_lost):
        ax.set_xlabel("fraction of fc1 units set to 0 at test time")
        ax.set_xticks(f)
        ax.set_xticklabels([f"{v:.0%}" for v in f], fontsize=7)
        _clean_axes(ax)
    ax_acc.set_ylabel("test accuracy")
    ax_lost.set_ylabel("accuracy lost (percentage points)")
    ax_acc.legend(frameon=False, fontsize=8, loc="lower left")
    style.save(fig, out)
