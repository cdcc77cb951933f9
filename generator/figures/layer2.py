"""Figures about the second convolutional layer (conv2) of the Deep-MNIST CNN.

Pure functions: numpy arrays in, one PNG out (``out``), nothing returned.
No TensorFlow / Keras here; the numbers (weights, activations, receptive-field
sizes) are computed elsewhere and passed in. Matplotlib is imported lazily, so
importing this module is cheap. Wrong input shapes raise ``ValueError`` with a
``Received: shape=...`` message.

Text inside the figures is short and in English (labels, numbers, filter
indices); the bilingual explanations are the captions in the pages.
"""

from __future__ import annotations

import numbers
import os
from typing import Any, Sequence

import numpy as np

from . import style

#: conv2 of the Deep-MNIST model: 5x5 kernels, 32 input channels, 64 filters.
KERNEL_SIZE = 5
IN_CHANNELS = 32
FILTERS = 64
IMAGE_SIZE = 28
#: Mosaic layout for 64 maps: 8 x 8.
GRID_COLS = 8
#: Background of the wide label bands between the channel-0 kernel tiles.
LABEL_BAND = "#e2e2e2"

PathLike = str | os.PathLike[str]


# --------------------------------------------------------------------------- validation


def _array(value: Any, name: str, expected: Sequence[int | None], text: str) -> np.ndarray:
    """``value`` as a finite float array of shape ``expected`` (``None`` = any size)."""
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        shape = getattr(value, "shape", None)
        raise ValueError(
            f"Invalid {name}. Expected a numeric array of shape {text}. Received: shape={shape}, "
            f"type={type(value).__name__}"
        ) from None
    ok = a.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, a.shape))
    if not ok or 0 in a.shape:
        raise ValueError(f"Invalid {name}. Expected shape {text}. Received: shape={a.shape}")
    bad = int(a.size - np.count_nonzero(np.isfinite(a)))
    if bad:
        raise ValueError(f"Invalid {name}. Expected finite values. Received: non_finite_values={bad}")
    return a


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise ValueError(f"Invalid {name}. Expected a positive integer. Received: {name}={value!r}")
    return int(value)


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"Invalid {name}. Expected an integer. Received: {name}={value!r}")
    return int(value)


def _kernel(kernel: Any) -> np.ndarray:
    shape = (KERNEL_SIZE, KERNEL_SIZE, IN_CHANNELS, FILTERS)
    return _array(kernel, "kernel", shape, str(shape))


def _stage(maps: Any, name: str) -> np.ndarray:
    return _array(maps, name, (None, None, FILTERS), f"(H, W, {FILTERS})")


# --------------------------------------------------------------------------- helpers


def _every(n: int, step: int = 8) -> list[int]:
    return list(range(0, n, step))


def _stage_panel(fig, ax, maps: np.ndarray, *, diverging: bool, labels: bool, cbar: dict[str, Any]):
    """One 8x8 mosaic of a conv2 stage on ``ax`` with its own shared scale."""
    n = maps.shape[2]
    f = style.auto_factor(maps.shape[0], maps.shape[1])
    big = style.upscale(maps, f)  # 7x7 pooled maps -> 14x14 tiles: same gridline weight
    h, w = big.shape[:2]
    grid = style.tile_grid(big, GRID_COLS)
    if diverging:
        name, norm = style.DIVERGING, style.diverging_norm(maps)
    else:
        name, norm = style.SEQUENTIAL, style.sequential_norm(maps)
    im = style.show_mosaic(ax, grid, cmap_name=name, norm=norm)
    if labels:
        style.label_tiles(ax, n, (h, w), GRID_COLS)
    style.colorbar(fig, im, ax, **cbar)
    return im


def _rf_square(rf: int, size: int = IMAGE_SIZE) -> tuple[float, int]:
    """Lower-left corner (in imshow data coords) and side of a centred RF square.

    The square covers whole pixels, ``side = min(rf, size)`` of them starting at
    ``(size - side) // 2``, so it is centred to within half a pixel and clipped
    to the image.
    """
    side = min(rf, size)
    start = (size - side) // 2
    return start - 0.5, side


# --------------------------------------------------------------------------- figures


@style.styled
def conv2_kernels_all(kernel: Any, out: PathLike) -> None:
    """All 32 x 64 conv2 kernels as one mosaic on one zero-centred scale.

    ``kernel``: shape ``(5, 5, 32, 64)`` (Keras layout ``(kh, kw, in, out)``).
    Rows are the 32 input channels, columns the 64 filters.
    """
    k = _kernel(kernel)
    kh, kw, cin, cout = k.shape
    # reshape keeps C order: tile index = in_channel * cout + filter. No NaN
    # padding here: 2048 tiles of 5x5 are drawn at ~2.5 screen pixels per
    # weight, so the separators are thin vector lines instead (even widths).
    grid = style.tile_grid(k.reshape(kh, kw, cin * cout), cols=cout, pad=0)

    fig = style.new_figure((10.0, 5.0))
    ax = fig.add_subplot()
    im = style.show_mosaic(ax, grid, cmap_name=style.DIVERGING, norm=style.diverging_norm(k), ticks=True)
    style.tile_lines(ax, cin, cout, (kh, kw), every=8)
    xs = [o * kw + (kw - 1) / 2 for o in _every(cout)]
    ys = [i * kh + (kh - 1) / 2 for i in _every(cin)]
    ax.set_xticks(xs, [str(o) for o in _every(cout)])
    ax.set_yticks(ys, [str(i) for i in _every(cin)])
    ax.tick_params(length=2, pad=2)
    ax.set_xlabel("filter (output channel)")
    ax.set_ylabel("input channel")
    style.colorbar(fig, im, ax, label="weight", fraction=0.025, aspect=25)
    style.save(fig, out)


@style.styled
def conv2_kernels_channel0(kernel: Any, out: PathLike) -> None:
    """The 64 conv2 kernels for input channel 0 only, as an 8 x 8 grid.

    ``kernel``: shape ``(5, 5, 32, 64)``. One zero-centred scale computed from
    channel 0; the filter index is written above each tile.
    """
    k0 = _kernel(kernel)[:, :, 0, :]
    kh, kw, n = k0.shape
    pad = 2  # room above each 5x5 tile for its index
    grid = style.tile_grid(k0, GRID_COLS, pad=pad)

    fig = style.new_figure((7.0, 6.2))
    ax = fig.add_subplot()
    im = style.show_mosaic(ax, grid, cmap_name=style.DIVERGING, norm=style.diverging_norm(k0), bad=LABEL_BAND)
    style.label_tiles(ax, n, (kh, kw), GRID_COLS, pad, fontsize=7, where="above")
    style.colorbar(fig, im, ax, label="weight")
    style.save(fig, out)


@style.styled
def conv2_stage_maps(maps: Any, out: PathLike, *, diverging: bool) -> None:
    """One conv2 stage (64 maps) as an 8 x 8 mosaic in filter-index order.

    ``maps``: shape ``(H, W, 64)`` - pre-ReLU 14x14, after ReLU 14x14 or after
    max-pool 7x7. One scale for the whole stage: zero-centred diverging when
    ``diverging`` (use it when negatives exist), else sequential from 0 to max.
    """
    m = _stage(maps, "maps")
    fig = style.new_figure((7.6, 6.8))
    ax = fig.add_subplot()
    _stage_panel(fig, ax, m, diverging=bool(diverging), labels=True, cbar={"label": "activation"})
    style.save(fig, out)


@style.styled
def conv2_stages(preact: Any, relu: Any, pool: Any, out: PathLike) -> None:
    """Overview: pre-ReLU, after ReLU and after max-pool side by side.

    ``preact`` and ``relu``: shape ``(H, W, 64)`` (14x14); ``pool``: shape
    ``(H', W', 64)`` (7x7). Each stage has its own shared scale; pre-ReLU is
    zero-centred diverging, the other two sequential from 0.
    """
    pre = _stage(preact, "preact")
    rel = _stage(relu, "relu")
    poo = _stage(pool, "pool")
    if rel.shape != pre.shape:
        raise ValueError(
            f"Invalid relu. Expected the same shape as preact {pre.shape}. Received: shape={rel.shape}"
        )

    fig = style.new_figure((10.0, 4.0))
    axes = fig.subplots(1, 3)
    stages = [
        (pre, "pre-ReLU", True),
        (rel, "after ReLU", False),
        (poo, "after max-pool", False),
    ]
    for ax, (m, title, div) in zip(axes, stages):
        _stage_panel(
            fig, ax, m, diverging=div, labels=False,
            cbar={"orientation": "horizontal", "fraction": 0.05, "pad": 0.03, "aspect": 25},
        )
        ax.set_title(f"{title} · {m.shape[0]}×{m.shape[1]}", fontsize=9)
    style.save(fig, out)


@style.styled
def sparsity_bars(sparsity: Any, out: PathLike) -> None:
    """Per-filter fraction of zero activations after ReLU, with the mean.

    ``sparsity``: shape ``(64,)``, values in ``[0, 1]``.
    """
    s = _array(sparsity, "sparsity", (FILTERS,), f"({FILTERS},)")
    if s.min() < 0.0 or s.max() > 1.0:
        raise ValueError(
            f"Invalid sparsity. Expected fractions in [0, 1]. Received: min={s.min():.4g}, max={s.max():.4g}"
        )
    mean = float(s.mean())

    fig = style.new_figure((9.0, 3.0))
    ax = fig.add_subplot()
    x = np.arange(FILTERS)
    ax.bar(x, s, width=0.8, color="#3d6fa8", zorder=2)
    ax.axhline(mean, color="#d95f02", linewidth=1.4, linestyle="--", zorder=3, label=f"mean = {mean:.2f}")
    ax.set_xlim(-0.8, FILTERS - 0.2)
    ax.set_ylim(0.0, 1.0)
    ax.set_xticks(_every(FILTERS))
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("filter")
    ax.set_ylabel("fraction zero")
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 1.12), frameon=False, fontsize=8)
    style.save(fig, out)


@style.styled
def layer1_vs_layer2(
    image: Any, conv1: Any, conv2: Any, rf1: int, rf2: int, out: PathLike
) -> None:
    """Input digit, the 32 conv1 maps and the 64 conv2 maps (after ReLU).

    ``image``: ``(28, 28)``; ``conv1``: ``(28, 28, 32)``; ``conv2``:
    ``(14, 14, 64)``. ``rf1`` / ``rf2``: receptive-field sides in input pixels
    (computed from the model elsewhere), drawn as two centred squares on the
    digit, clipped to the image.
    """
    img = _array(image, "image", (IMAGE_SIZE, IMAGE_SIZE), f"({IMAGE_SIZE}, {IMAGE_SIZE})")
    c1 = _array(conv1, "conv1", (IMAGE_SIZE, IMAGE_SIZE, IN_CHANNELS), f"({IMAGE_SIZE}, {IMAGE_SIZE}, {IN_CHANNELS})")
    c2 = _array(conv2, "conv2", (14, 14, FILTERS), f"(14, 14, {FILTERS})")
    rf1 = _positive_int(rf1, "rf1")
    rf2 = _positive_int(rf2, "rf2")

    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    # Explicit layout in inches (fixed-aspect mosaics; faster and steadier than
    # constrained layout here). conv2 maps are upscaled x2 so that both mosaics
    # have 28-pixel tiles and the same gridline weight.
    mosaics = [
        (style.tile_grid(c1, 4), c1, "conv1 (ReLU)"),
        (style.tile_grid(style.upscale(c2, IMAGE_SIZE // c2.shape[0]), GRID_COLS), c2, "conv2 (ReLU)"),
    ]
    fig_w, fig_h = 10.0, 4.9
    margin, gap, top, bottom = 0.15, 0.3, 0.32, 0.55
    mosaic_h = fig_h - top - bottom
    widths = [mosaic_h * g.shape[1] / g.shape[0] for g, _, _ in mosaics]
    img_w = min(2.8, fig_w - 2 * margin - 2 * gap - sum(widths))

    fig = style.new_figure((fig_w, fig_h), layout=None)

    # Input digit with the two receptive-field squares.
    img_left = margin + (fig_w - 2 * margin - 2 * gap - sum(widths) - img_w) / 2
    ax_img = style.add_axes_inches(fig, img_left, fig_h - top - img_w, img_w, img_w)
    ax_img.imshow(img, cmap="gray", interpolation="nearest")
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    ax_img.set_title("input", fontsize=9)
    handles = []
    for rf, name, colour, dash in ((rf1, "conv1", "#e69f00", "-"), (rf2, "conv2", "#56b4e9", "--")):
        corner, side = _rf_square(rf)
        ax_img.add_patch(
            Rectangle((corner, corner), side, side, fill=False, edgecolor=colour, linewidth=2.0, linestyle=dash)
        )
        handles.append(Line2D([], [], color=colour, linewidth=2.0, linestyle=dash, label=f"RF {name} = {rf} px"))
    ax_img.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02),
                  frameon=False, fontsize=8, handlelength=2.4)

    # The two mosaics, each with its own 0..max scale and a colour bar below.
    left = margin + (fig_w - 2 * margin - 2 * gap - sum(widths)) + gap
    for (grid, maps, title), width in zip(mosaics, widths):
        ax = style.add_axes_inches(fig, left, bottom, width, mosaic_h)
        im = style.show_mosaic(ax, grid, cmap_name=style.SEQUENTIAL, norm=style.sequential_norm(maps))
        ax.set_title(f"{title} · {maps.shape[2]} maps", fontsize=9)
        cax = style.add_axes_inches(fig, left, bottom - 0.24, width, 0.1)
        style.colorbar(fig, im, cax=cax, orientation="horizontal")
        left += width + gap
    style.save(fig, out)


@style.styled
def input_digit(image: Any, out: PathLike, *, label: int, predicted: int) -> None:
    """The test image in gray, small, titled ``label 7 · predicted 7``.

    ``image``: shape ``(28, 28)``.
    """
    img = _array(image, "image", (IMAGE_SIZE, IMAGE_SIZE), f"({IMAGE_SIZE}, {IMAGE_SIZE})")
    label = _int(label, "label")
    predicted = _int(predicted, "predicted")

    fig = style.new_figure((2.6, 2.85))
    ax = fig.add_subplot()
    ax.imshow(img, cmap="gray", interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"label {label} · predicted {predicted}", fontsize=9)
    style.save(fig, out)
