"""Figures of the depth page: the ablation over conv blocks, receptive fields over the
probe image, and ILSVRC depth and error over the years.

Pure functions: numpy arrays in, one PNG out (``out``). No TensorFlow / Keras;
matplotlib is imported lazily through :mod:`generator.figures.style`. Text inside
the figures is short and in English; the pages carry the bilingual captions.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from . import style

PathLike = str | os.PathLike[str]

#: One colour per number of conv blocks (colour-blind safe, Okabe–Ito).
BLOCK_COLORS = {1: "#e69f00", 2: "#0072b2", 3: "#009e73"}
#: One colour per layer depth for the receptive-field squares.
LAYER_COLORS = ("#e69f00", "#56b4e9", "#d55e00", "#009e73", "#cc79a7", "#f0e442")
#: The post's network has 2 conv blocks.
POST_BLOCKS = 2


def _vector(value: Any, name: str, n: int | None = None) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim != 1 or a.size == 0 or (n is not None and a.size != n):
        want = f"({n},)" if n is not None else "(N,)"
        raise ValueError(f"Invalid {name}. Expected shape {want}. Received: shape={a.shape}")
    return a


def _matrix(value: Any, name: str, rows: int) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim != 2 or a.shape[0] != rows or a.shape[1] == 0:
        raise ValueError(f"Invalid {name}. Expected shape ({rows}, S). Received: shape={a.shape}")
    return a


def _label(blocks: int) -> str:
    word = "block" if blocks == 1 else "blocks"
    suffix = "\n(post)" if blocks == POST_BLOCKS else "\n(post's ablation)" if blocks == POST_BLOCKS - 1 else ""
    return f"{blocks} conv {word}{suffix}"


def _clean(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)


@style.styled
def ablation(conv_blocks: Any, test_accuracy: Any, params: Any, train_seconds: Any, out: PathLike) -> None:
    """Three panels per variant: test accuracy (each seed, mean ± sd), parameters, training time.

    ``conv_blocks``: ``(V,)``; ``test_accuracy`` and ``train_seconds``: ``(V, S)``, one
    column per seed, NaN where a variant has fewer seeds; ``params``: ``(V,)``.
    """
    blocks = _vector(conv_blocks, "conv_blocks").astype(int)
    v = blocks.size
    acc = _matrix(test_accuracy, "test_accuracy", v) * 100
    secs = _matrix(train_seconds, "train_seconds", v)
    par = _vector(params, "params", v)
    x = np.arange(v)
    colors = [BLOCK_COLORS.get(int(b), "#777777") for b in blocks]
    labels = [_label(int(b)) for b in blocks]

    fig = style.new_figure((10.0, 3.6))
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.3, 1, 1]})

    ax = axes[0]
    for i in range(v):
        seeds = acc[i][np.isfinite(acc[i])]
        jitter = np.linspace(-0.12, 0.12, seeds.size) if seeds.size > 1 else np.zeros(1)
        ax.scatter(i + jitter, seeds, s=16, color=colors[i], alpha=0.8, zorder=3, linewidths=0)
        sd = float(np.std(seeds, ddof=1)) if seeds.size > 1 else 0.0
        ax.errorbar(i + 0.25, seeds.mean(), yerr=sd, fmt="o", color=style.TEXT_COLOR, markersize=4,
                    capsize=3, linewidth=1.1, zorder=4)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, v - 0.3)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("test accuracy: seeds, mean ± sd")
    _clean(ax)

    ax = axes[1]
    ax.bar(x, par / 1e6, color=colors, width=0.6, zorder=2)
    for i, p in enumerate(par):
        ax.annotate(f"{p / 1e6:.2f} M", (i, p / 1e6), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, labels)
    ax.set_ylabel("parameters (millions)")
    ax.set_ylim(0, par.max() / 1e6 * 1.15)
    ax.set_title("parameters")
    _clean(ax)

    ax = axes[2]
    means = np.array([np.nanmean(r) for r in secs])
    sds = np.array([np.nanstd(r, ddof=1) if np.isfinite(r).sum() > 1 else 0.0 for r in secs])
    ax.bar(x, means, yerr=sds, color=colors, width=0.6, capsize=3, zorder=2,
           error_kw={"linewidth": 1.0, "ecolor": style.TEXT_COLOR})
    ax.set_xticks(x, labels)
    ax.set_ylabel("seconds per run")
    ax.set_title("training time (mean ± sd)")
    _clean(ax)
    for a in axes:
        a.tick_params(axis="x", labelsize=7.5, length=0)
    style.save(fig, out)


def _square(rf: int, size: int) -> tuple[float, int]:
    """Corner (imshow data coordinates) and side of a square centred on the image, clipped.

    Pixel ``i`` spans ``i - 0.5 .. i + 0.5``, so the image spans ``-0.5 .. size - 0.5``;
    squares of every side share the image's centre.
    """
    side = min(int(rf), size)
    return (size - side) / 2 - 0.5, side


@style.styled
def receptive_fields(image: Any, conv_blocks: Any, receptive_field: Any, out: PathLike, *,
                     layer_names: Sequence[str]) -> None:
    """The probe image once per variant, with a centred square per conv/pool layer.

    ``image``: ``(H, H)``; ``conv_blocks``: ``(V,)``; ``receptive_field``: ``(V, L)``
    receptive-field sides in input pixels, 0 where a variant lacks layer
    ``layer_names[l]``. Conv layers are solid, pooling layers dashed.
    """
    img = np.asarray(image, dtype=float)
    if img.ndim != 2 or img.shape[0] != img.shape[1] or img.size == 0:
        raise ValueError(f"Invalid image. Expected a square 2-D array. Received: shape={img.shape}")
    blocks = _vector(conv_blocks, "conv_blocks").astype(int)
    rf = _matrix(receptive_field, "receptive_field", blocks.size).astype(int)
    names = list(layer_names)
    if len(names) != rf.shape[1]:
        raise ValueError(f"Invalid layer_names. Expected {rf.shape[1]} names. Received: {len(names)}")
    size = img.shape[0]

    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    v = blocks.size
    fig = style.new_figure((3.0 * v + 0.4, 3.9))
    axes = np.atleast_1d(fig.subplots(1, v))
    for ax, b, row in zip(axes, blocks, rf):
        ax.imshow(img, cmap="gray", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(_label(int(b)).replace("\n", " "), fontsize=9)
        handles = []
        full = 0
        for k, (name, side) in enumerate(zip(names, row)):
            if side <= 0:
                continue
            colour = LAYER_COLORS[k % len(LAYER_COLORS)]
            dash = "--" if name.startswith("pool") else "-"
            corner, s = _square(side, size)
            # Squares that cover the whole image are drawn just inside its edge, one
            # inside the other, so none hides behind the frame or another square.
            inset = 0.6 + 0.8 * full if side >= size else 0.0
            full += side >= size
            ax.add_patch(Rectangle((corner + inset, corner + inset), s - 2 * inset, s - 2 * inset,
                                   fill=False, edgecolor=colour, linewidth=1.8, linestyle=dash))
            note = " (all)" if side >= size else ""
            handles.append(Line2D([], [], color=colour, linewidth=1.8, linestyle=dash,
                                  label=f"{name} {side} px{note}"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), frameon=False,
                  fontsize=7.5, ncol=2, handlelength=2.0, columnspacing=0.8)
    style.save(fig, out)


@style.styled
def ilsvrc_depth(year: Any, depth_layers: Any, top5_error_pct: Any, place: Any, out: PathLike, *,
                 entries: Sequence[str]) -> None:
    """ILSVRC classification entries: depth (log scale) and top-5 error by year.

    ``depth_layers`` is NaN where the data file gives no depth (marked "depth n/a");
    ``place`` 1 is drawn filled, other places hollow.
    """
    yr = _vector(year, "year")
    n = yr.size
    depth = _vector(depth_layers, "depth_layers", n)
    err = _vector(top5_error_pct, "top5_error_pct", n)
    plc = _vector(place, "place", n).astype(int)
    names = list(entries)
    if len(names) != n:
        raise ValueError(f"Invalid entries. Expected {n} names. Received: {len(names)}")

    from matplotlib.lines import Line2D

    fig = style.new_figure((9.6, 3.6))
    ax_d, ax_e = fig.subplots(1, 2)
    colour = "#0072b2"
    for ax, vals, ylabel, title in ((ax_d, depth, "layers with weights (log scale)", "depth"),
                                    (ax_e, err, "top-5 error (%)", "top-5 test error")):
        ok = np.isfinite(vals)
        first = ok & (plc == 1)
        ax.plot(yr[first], vals[first], color=colour, linewidth=1.0, alpha=0.5, zorder=2)
        for i in np.flatnonzero(ok):
            filled = plc[i] == 1
            ax.scatter(yr[i], vals[i], s=36, zorder=3, color=colour if filled else "white",
                       edgecolors=colour, linewidths=1.5)
            # Label above the point, or below it when another entry of that year is higher.
            below = bool(np.any(ok & (yr == yr[i]) & (vals > vals[i])))
            ax.annotate(names[i], (yr[i], vals[i]), xytext=(5, -11 if below else 4),
                        textcoords="offset points", fontsize=8, ha="left")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.set_xticks(np.arange(int(yr.min()), int(yr.max()) + 1))
        ax.set_xlim(yr.min() - 0.5, yr.max() + 1.3)
        _clean(ax)
    ax_d.set_yscale("log")
    finite = depth[np.isfinite(depth)]
    ax_d.set_ylim(finite.min() / 1.6, finite.max() * 2.2)
    ticks = [t for t in (5, 10, 20, 50, 100, 200) if finite.min() / 1.6 <= t <= finite.max() * 2.2]
    ax_d.set_yticks(ticks, [str(t) for t in ticks])
    ax_d.minorticks_off()
    for i in np.flatnonzero(~np.isfinite(depth)):
        ax_d.annotate(f"{names[i]}:\ndepth n/a", (yr[i], finite.min() / 1.3), ha="center", va="bottom",
                      fontsize=7.5, color="#555555")
    ax_e.set_ylim(0, err.max() * 1.15)
    legend = [Line2D([], [], marker="o", linestyle="", color=colour, label="1st place"),
              Line2D([], [], marker="o", linestyle="", markerfacecolor="white", color=colour, label="2nd place")]
    if (plc != 1).any():
        ax_e.legend(handles=legend, loc="upper right", frameon=False, fontsize=8)
    style.save(fig, out)
