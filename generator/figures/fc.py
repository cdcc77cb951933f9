"""Figures about the fully connected layer (fc1): class structure in 2-D, the test images
that excite single units most, and how often units fire.

Pure functions: numpy arrays in, one PNG out (``out``). No TensorFlow / Keras;
matplotlib is imported lazily through :mod:`generator.figures.style`. Text inside
figures is short and in English; the pages carry the bilingual captions.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from . import style

PathLike = str | os.PathLike[str]
#: Ten distinguishable digit colours (matplotlib's tab10).
DIGIT_CMAP = "tab10"


def _clean_axes(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


@style.styled
def embeddings(pca: Any, tsne: Any, labels: Any, out: PathLike, *, titles: Sequence[str]) -> None:
    """Rows PCA and t-SNE, one column per representation, points coloured by digit.

    ``pca`` and ``tsne``: ``(R, N, 2)``; ``labels``: ``(N,)`` digits; ``titles``: R strings.
    """
    p, t = style.finite_array(pca, "pca", 3), style.finite_array(tsne, "tsne", 3)
    y = np.asarray(labels).astype(int)
    if p.shape != t.shape or p.shape[2] != 2 or p.shape[1] != len(y) or len(titles) != p.shape[0]:
        raise ValueError(f"Invalid embeddings. Expected pca and tsne of shape (R, N, 2) with N = "
                         f"len(labels) and R = len(titles). Received: pca={p.shape}, tsne={t.shape}, "
                         f"labels={y.shape}, titles={len(titles)}")
    import matplotlib
    from matplotlib.lines import Line2D

    colours = matplotlib.colormaps[DIGIT_CMAP]
    n_rep = p.shape[0]
    fig = style.new_figure((3.3 * n_rep + 0.9, 6.6))
    axes = fig.subplots(2, n_rep, squeeze=False)
    size = 6 if len(y) > 500 else 12
    for row, (maps, method) in enumerate(((p, "PCA"), (t, "t-SNE"))):
        for col in range(n_rep):
            ax = axes[row, col]
            ax.scatter(maps[col, :, 0], maps[col, :, 1], c=colours(y % 10), s=size, linewidths=0,
                       alpha=0.8, rasterized=True)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(titles[col], fontsize=10)
            if col == 0:
                ax.set_ylabel(method, fontsize=10)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=6, color=colours(d), label=str(d))
               for d in range(10)]
    fig.legend(handles=handles, loc="outside right center", frameon=False, title="digit", fontsize=8)
    style.save(fig, out)


@style.styled
def top_images(images: Any, values: Any, units: Any, labels: Any, out: PathLike) -> None:
    """For each sampled fc1 unit (a row), its top-k test images, strongest first.

    ``images``: ``(U, K, 28, 28)``; ``values``: ``(U, K)`` activations; ``units``: ``(U,)``
    unit indices; ``labels``: ``(U, K)`` digit labels of the images.
    """
    img = style.finite_array(images, "images", 4)
    vals = style.finite_array(values, "values", 2)
    u, k = img.shape[:2]
    if vals.shape != (u, k) or np.shape(units) != (u,) or np.shape(labels) != (u, k):
        raise ValueError(f"Invalid top images. Expected values and labels of shape {(u, k)} and units "
                         f"of shape {(u,)}. Received: values={vals.shape}, labels={np.shape(labels)}, "
                         f"units={np.shape(units)}")
    labels = np.asarray(labels).astype(int)
    left, top, bottom, cell, gap_x, gap_y = 1.05, 0.05, 0.05, 0.62, 0.1, 0.24
    width = left + k * (cell + gap_x) + 0.05
    height = top + bottom + u * (cell + gap_y)
    fig = style.new_figure((width, height), layout=None)
    vmax = max(1.0, float(img.max()))
    for r in range(u):
        y0 = height - top - (r + 1) * (cell + gap_y)
        for c in range(k):
            ax = style.add_axes_inches(fig, left + c * (cell + gap_x), y0, cell, cell)
            ax.imshow(img[r, c], cmap="gray_r", vmin=0, vmax=vmax, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_color("#999999")
            ax.set_title(f"{labels[r, c]} · {vals[r, c]:.2g}", fontsize=7, pad=1.5)
        counts = np.bincount(labels[r], minlength=10)
        fig.text(0.06 / width, (y0 + cell / 2) / height,
                 f"unit {int(np.asarray(units)[r])}\n{int(counts.max())}/{k} are {int(counts.argmax())}",
                 ha="left", va="center", fontsize=8, linespacing=1.4)
    style.save(fig, out)


@style.styled
def unit_firing(firing: Any, active_per_image: Any, out: PathLike, *, units: int) -> None:
    """Left: how many fc1 units fire on a given fraction of the test images (dead units at 0).
    Right: how many units are active per test image.

    ``firing``: ``(units,)`` fractions in [0, 1]; ``active_per_image``: ``(N,)`` counts.
    """
    f = style.finite_array(firing, "firing", 1)
    a = style.finite_array(active_per_image, "active_per_image", 1)
    if f.min() < 0 or f.max() > 1:
        raise ValueError(f"Invalid firing. Expected fractions in [0, 1]. Received: min={f.min()}, max={f.max()}")
    fig = style.new_figure((9.0, 3.2))
    ax1, ax2 = fig.subplots(1, 2)
    dead = int((f == 0).sum())
    bins = np.linspace(0, 1, 21)
    ax1.hist(f[f > 0], bins=bins, color="#3d6fa8", zorder=2, label="fires on some images")
    ax1.bar([-0.025], [dead], width=0.04, color="#d95f02", zorder=2, label=f"dead: {dead}")
    ax1.set_xlim(-0.06, 1.01)
    ax1.set_xlabel("fraction of test images where the unit is > 0")
    ax1.set_ylabel("fc1 units")
    ax1.legend(frameon=False, fontsize=8)
    lo, hi = float(a.min()), float(a.max())
    step = max(1.0, np.ceil((hi - lo + 1) / 30))
    ax2.hist(a, bins=np.arange(lo - 0.5, hi + step + 0.5, step), color="#3d6fa8", zorder=2)
    mean = float(a.mean())
    ax2.axvline(mean, color="#d95f02", linestyle="--", linewidth=1.4, label=f"mean = {mean:.0f}")
    pad = max(5.0, 0.1 * (hi - lo))
    ax2.set_xlim(max(0.0, lo - pad), min(float(units), hi + pad))
    ax2.set_xlabel(f"active fc1 units per test image (of {units})")
    ax2.set_ylabel("test images")
    ax2.legend(frameon=False, fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
        _clean_axes(ax)
    style.save(fig, out)
