"""Figures of the features page: optimised inputs, top patches, per-filter statistics,
saliency and Grad-CAM.

Pure functions: numpy arrays in, one PNG out (``out``), nothing returned; no
TensorFlow / Keras. Text inside the figures is short and in English.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from . import style

PathLike = str | os.PathLike[str]
GRAY = "gray"
#: Colour of the optimised-input markers (start: grey).
ACCENT = "#d95f02"
BAR = "#3d6fa8"


def _array(value: Any, name: str, ndim: int) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim != ndim or 0 in a.shape:
        raise ValueError(f"Invalid {name}. Expected a non-empty {ndim}-D array. Received: shape={a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"Invalid {name}. Expected finite values.")
    return a


def _plain(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


@style.styled
def optimised_grid(images: Any, out: PathLike, *, cols: int = 8) -> None:
    """Optimised inputs ``(n, H, W)`` in [0, 1] as a mosaic in index order, index in each tile."""
    a = _array(images, "images", 3)
    n, h, w = a.shape
    grid = style.tile_grid(a.transpose(1, 2, 0), cols, pad=2)
    rows = style.grid_rows(n, cols)
    fig = style.new_figure((0.82 * cols + 0.3, 0.82 * rows + 0.2))
    ax = fig.add_subplot()
    from matplotlib.colors import Normalize

    style.show_mosaic(ax, grid, cmap_name=GRAY, norm=Normalize(0.0, 1.0))
    style.label_tiles(ax, n, (h, w), cols, 2, fontsize=6.5)
    style.save(fig, out)


@style.styled
def class_grid(images: Any, probability: Any, predicted: Any, out: PathLike) -> None:
    """The 10 optimised class inputs ``(10, H, W)``, each titled with its class, the class
    the model predicts for it and the probability of the target class."""
    a = _array(images, "images", 3)
    p = _array(probability, "probability", 1)
    pred = np.asarray(predicted).astype(int)
    fig = style.new_figure((8.4, 1.45))
    axes = fig.subplots(1, len(a))
    for k, ax in enumerate(np.atleast_1d(axes)):
        ax.imshow(a[k], cmap=GRAY, vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"class {k}\npred {pred[k]} · p={p[k]:.2f}", fontsize=7.5)
    style.save(fig, out)


@style.styled
def gain_plot(start: Any, final: Any, out: PathLike) -> None:
    """Per filter: the objective on the starting image and on the optimised input."""
    s = _array(start, "start", 1)
    f = _array(final, "final", 1)
    x = np.arange(len(s))
    fig = style.new_figure((9.0, 2.8))
    ax = fig.add_subplot()
    ax.vlines(x, s, f, color="#bbbbbb", linewidth=0.8, zorder=1)
    ax.scatter(x, s, s=10, color="#777777", label="start image", zorder=2)
    ax.scatter(x, f, s=12, color=ACCENT, label="optimised input", zorder=3)
    ax.set_xlim(-1, len(s))
    ax.set_xticks(list(range(0, len(s), 8)))
    ax.set_xlabel("conv2 filter")
    ax.set_ylabel("mean activation")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
    _plain(ax)
    ax.legend(loc="upper right", frameon=False, fontsize=8, ncols=2, bbox_to_anchor=(1.0, 1.15))
    style.save(fig, out)


def _patch_tiles(patches: np.ndarray) -> np.ndarray:
    """(filters, k, r, r) → (T, T, filters): each filter's k patches as a √k × √k mosaic
    with 1-pixel separators (NaN)."""
    n, k, r, _ = patches.shape
    side = int(round(np.sqrt(k)))
    tiles = [style.tile_grid(p.transpose(1, 2, 0), side, pad=1)[1:-1, 1:-1] for p in patches]
    return np.stack(tiles, axis=-1)


@style.styled
def patch_grid(patches: Any, labels: Any, images: Any, out: PathLike, *, cols: int = 8) -> None:
    """For each filter, its top patches ``(filters, k, r, r)`` as a small mosaic, best
    first in reading order; filters in index order with the index above each mosaic.
    ``labels`` and ``images`` ``(filters, k)`` (digit and test index of each patch) are
    published with the figure, not drawn."""
    p = _array(patches, "patches", 4)
    tiles = _patch_tiles(p)
    t = tiles.shape[0]
    n = p.shape[0]
    pad = 9
    grid = style.tile_grid(tiles, cols, pad=pad)
    rows = style.grid_rows(n, cols)
    fig = style.new_figure((9.2, 9.2 * rows / cols + 0.1))
    ax = fig.add_subplot()
    from matplotlib.colors import Normalize

    style.show_mosaic(ax, grid, cmap_name=GRAY, norm=Normalize(0.0, 1.0), bad="white")
    style.label_tiles(ax, n, (t, t), cols, pad, fontsize=7, where="above")
    style.save(fig, out)


@style.styled
def filter_stats(mean_activation: Any, sparsity: Any, out: PathLike) -> None:
    """Two bar panels over the filters: mean activation and fraction of zeros (test set)."""
    m = _array(mean_activation, "mean_activation", 1)
    s = _array(sparsity, "sparsity", 1)
    x = np.arange(len(m))
    fig = style.new_figure((9.0, 4.2))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.bar(x, m, width=0.8, color=BAR, zorder=2)
    top.set_ylabel("mean activation")
    bottom.bar(x, s, width=0.8, color=BAR, zorder=2)
    bottom.axhline(float(s.mean()), color=ACCENT, linestyle="--", linewidth=1.2, zorder=3,
                   label=f"mean = {s.mean():.2f}")
    bottom.set_ylim(0.0, 1.0)
    bottom.set_ylabel("fraction zero")
    bottom.set_xlabel("conv2 filter")
    bottom.set_xticks(list(range(0, len(m), 8)))
    bottom.set_xlim(-0.8, len(m) - 0.2)
    bottom.legend(loc="upper right", frameon=False, fontsize=8)
    for ax in (top, bottom):
        ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
        _plain(ax)
    style.save(fig, out)


@style.styled
def digit_heatmap(heat: Any, relative: Any, out: PathLike) -> None:
    """Two heatmaps (10 digits × filters), each column divided by its maximum: ``heat``,
    the mean activation per digit; ``relative``, the same divided, digit by digit, by the
    mean over all filters. Each panel's colour scale runs from its own minimum to 1."""
    panels = [(_array(heat, "heat", 2), "mean activation per digit (÷ filter max)"),
              (_array(relative, "relative", 2), "relative to all filters (÷ filter max)")]
    digits, n = panels[0][0].shape
    fig = style.new_figure((9.0, 4.6))
    axes = fig.subplots(2, 1, sharex=True)
    from matplotlib.colors import Normalize

    for ax, (h, title) in zip(axes, panels):
        low = float(h.min()) if float(h.min()) < 1.0 else 0.0
        im = ax.imshow(h, cmap=style.SEQUENTIAL, norm=Normalize(low, 1.0), aspect="auto",
                       interpolation="nearest")
        ax.set_yticks(range(digits))
        ax.set_ylabel("digit")
        ax.set_title(title, fontsize=9)
        ax.tick_params(length=2)
        style.colorbar(fig, im, ax, fraction=0.02, aspect=12)
    axes[-1].set_xticks(list(range(0, n, 8)))
    axes[-1].set_xlabel("conv2 filter")
    style.save(fig, out)


@style.styled
def saliency_rows(images: Any, saliency: Any, gradcam: Any, out: PathLike, *,
                  titles: Sequence[str]) -> None:
    """One row per test image: the digit, |gradient| saliency, Grad-CAM over the digit.

    ``images``, ``saliency`` and ``gradcam`` (upsampled): ``(k, 28, 28)``; each
    saliency and Grad-CAM map is scaled to its own maximum."""
    img = _array(images, "images", 3)
    sal = _array(saliency, "saliency", 3)
    cam = _array(gradcam, "gradcam", 3)
    k = len(img)
    fig = style.new_figure((6.0, 2.05 * k))
    axes = np.atleast_2d(fig.subplots(k, 3))
    for b in range(k):
        a0, a1, a2 = axes[b]
        a0.imshow(img[b], cmap=GRAY, vmin=0, vmax=1, interpolation="nearest")
        a1.imshow(sal[b] / max(sal[b].max(), 1e-12), cmap="magma", vmin=0, vmax=1, interpolation="nearest")
        a2.imshow(img[b], cmap=GRAY, vmin=0, vmax=1, interpolation="nearest")
        a2.imshow(cam[b] / max(cam[b].max(), 1e-12), cmap="jet", vmin=0, vmax=1, alpha=0.45,
                  interpolation="nearest")
        a0.set_ylabel(titles[b] if b < len(titles) else "", fontsize=7.5)
        for ax in (a0, a1, a2):
            ax.set_xticks([])
            ax.set_yticks([])
        if b == 0:
            a0.set_title("input", fontsize=9)
            a1.set_title("saliency |∂score/∂x|", fontsize=9)
            a2.set_title("Grad-CAM (conv2)", fontsize=9)
    style.save(fig, out)
