"""Shared helpers for the figure modules: house style, scales, mosaics, saving.

Everything here is cheap to import: numpy only. Matplotlib is imported lazily
inside the functions that need it, with the non-interactive ``Agg`` backend.

Figures are drawn on :class:`matplotlib.figure.Figure` objects created directly
(not through pyplot), so no global pyplot state is touched and nothing leaks if
a figure function raises. They use an opaque white background with dark text so
that they stay legible on both the light and the dark theme of the site. Text
inside figures is kept short and in English; captions live in the pages.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np

#: Resolution of every PNG the figure modules write.
DPI = 110
#: Colour map for signed values (weights, pre-activations), always zero-centred.
DIVERGING = "RdBu_r"
#: Colour map for non-negative values (activations after ReLU / pooling).
SEQUENTIAL = "viridis"
#: Colour of the NaN padding between mosaic tiles (the light gridlines).
GRID_COLOR = "#c4c4c4"
#: Text / axis colour: dark, on the opaque white figure background.
TEXT_COLOR = "#1a1a1a"
BACKGROUND = "white"

#: rcParams applied while a figure is built and saved (see :func:`styled`).
RC: dict[str, Any] = {
    "figure.facecolor": BACKGROUND,
    "axes.facecolor": BACKGROUND,
    "savefig.facecolor": BACKGROUND,
    "savefig.transparent": False,
    "text.color": TEXT_COLOR,
    "axes.labelcolor": TEXT_COLOR,
    "axes.edgecolor": "#444444",
    "xtick.color": TEXT_COLOR,
    "ytick.color": TEXT_COLOR,
    "xtick.labelcolor": TEXT_COLOR,
    "ytick.labelcolor": TEXT_COLOR,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7,
    "image.interpolation": "nearest",
    "image.resample": False,
}

F = TypeVar("F", bound=Callable[..., Any])


def _mpl():
    """Import matplotlib lazily and select the ``Agg`` backend.

    The backend is only selected when pyplot has not been imported yet, so an
    interactive session that already uses pyplot is never switched (switching
    would close its open figures).
    """
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    return matplotlib


def pyplot():
    """Return ``matplotlib.pyplot`` imported lazily with the ``Agg`` backend."""
    _mpl()
    import matplotlib.pyplot as plt

    return plt


def styled(func: F) -> F:
    """Decorator: run a figure function inside ``rc_context(RC)``.

    Both building and saving happen inside the decorated function, so the
    house style is in force for the whole draw and the caller's rcParams are
    left untouched afterwards.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mpl = _mpl()
        with mpl.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_figure(figsize: tuple[float, float], *, layout: str | None = "constrained"):
    """A fresh :class:`~matplotlib.figure.Figure` (not registered with pyplot)."""
    _mpl()
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, dpi=DPI, facecolor=BACKGROUND, layout=layout)


def save(fig, path: str | os.PathLike[str]) -> None:
    """Write ``fig`` as a deterministic PNG at ``path`` and release it.

    The PNG carries no ``Software`` (matplotlib version) metadata, so the same
    arrays always give byte-identical files. Parent directories are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(
            path,
            format="png",
            dpi=DPI,
            metadata={"Software": None},
            facecolor=BACKGROUND,
        )
    finally:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:  # only matters for figures made through pyplot
            plt.close(fig)


# --------------------------------------------------------------------------- scales


def diverging_limits(values: Any) -> tuple[float, float]:
    """Zero-centred limits ``(-m, m)`` with ``m = max(|min|, |max|)``.

    NaNs are ignored. An all-zero (or empty / all-NaN) input gives ``(-1, 1)``
    so the colour bar is still valid and everything maps to the centre colour.
    """
    a = np.asarray(values, dtype=float)
    finite = a[np.isfinite(a)]
    m = float(np.max(np.abs(finite))) if finite.size else 0.0
    if m == 0.0:
        m = 1.0
    return -m, m


def sequential_limits(values: Any) -> tuple[float, float]:
    """Limits ``(0, max)`` for non-negative data; ``(0, 1)`` when ``max <= 0``."""
    a = np.asarray(values, dtype=float)
    finite = a[np.isfinite(a)]
    m = float(np.max(finite)) if finite.size else 0.0
    if m <= 0.0:
        m = 1.0
    return 0.0, m


def diverging_norm(values: Any):
    """A :class:`matplotlib.colors.Normalize` from :func:`diverging_limits`."""
    from matplotlib.colors import Normalize

    vmin, vmax = diverging_limits(values)
    return Normalize(vmin=vmin, vmax=vmax)


def sequential_norm(values: Any):
    """A :class:`matplotlib.colors.Normalize` from :func:`sequential_limits`."""
    from matplotlib.colors import Normalize

    vmin, vmax = sequential_limits(values)
    return Normalize(vmin=vmin, vmax=vmax)


def cmap(name: str, bad: str = GRID_COLOR):
    """The named colour map with NaN ("bad") drawn as the light grid colour."""
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad=bad)


# --------------------------------------------------------------------------- mosaics


def grid_rows(n: int, cols: int) -> int:
    """Number of rows needed for ``n`` tiles in ``cols`` columns."""
    return max(1, math.ceil(n / cols))


def tile_origin(k: int, tile_hw: tuple[int, int], cols: int, pad: int = 1) -> tuple[int, int]:
    """Top-left ``(row, col)`` of tile ``k`` inside a :func:`tile_grid` mosaic."""
    h, w = tile_hw
    r, c = divmod(k, cols)
    return pad + r * (h + pad), pad + c * (w + pad)


def upscale(maps: Any, factor: int) -> np.ndarray:
    """Repeat each pixel of ``(H, W, ...)`` maps ``factor`` times along H and W.

    Used before :func:`tile_grid` so that small maps (7x7, 5x5) get the same
    relative gridline width as larger ones; the values are unchanged.
    """
    a = np.asarray(maps)
    f = int(factor)
    if f < 1:
        raise ValueError(f"Invalid factor. Expected a positive integer. Received: factor={factor}")
    return a if f == 1 else np.repeat(np.repeat(a, f, axis=0), f, axis=1)


def auto_factor(h: int, w: int, min_px: int = 12) -> int:
    """Smallest integer upscale factor that makes a ``h x w`` tile at least ``min_px``."""
    return max(1, math.ceil(min_px / max(1, min(h, w))))


def tile_grid(maps: Any, cols: int, pad: int = 1) -> np.ndarray:
    """Lay ``maps`` of shape ``(H, W, C)`` out as one 2-D mosaic.

    Tile ``k`` (``maps[:, :, k]``) goes to grid row ``k // cols`` and grid column
    ``k % cols``, in reading order. Tiles are separated, and framed, by ``pad``
    pixels of NaN, which :func:`cmap` draws as light gridlines; unused slots of
    the last row are NaN too. The result has shape
    ``(rows * (H + pad) + pad, cols * (W + pad) + pad)`` with
    ``rows = ceil(C / cols)``, and is meant for a single ``imshow`` (much faster
    than one subplot per map).
    """
    a = np.asarray(maps, dtype=float)
    if a.ndim != 3 or 0 in a.shape:
        raise ValueError(
            f"Invalid maps. Expected a non-empty array of shape (H, W, C). Received: shape={a.shape}"
        )
    if int(cols) < 1 or int(pad) < 0:
        raise ValueError(f"Invalid mosaic layout. Expected cols >= 1 and pad >= 0. Received: cols={cols}, pad={pad}")
    cols, pad = int(cols), int(pad)
    h, w, n = a.shape
    rows = grid_rows(n, cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), np.nan)
    for k in range(n):
        r0, c0 = tile_origin(k, (h, w), cols, pad)
        grid[r0 : r0 + h, c0 : c0 + w] = a[:, :, k]
    return grid


def tile_centers(n: int, tile_hw: tuple[int, int], cols: int, pad: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Data coordinates ``(x, y)`` of the centres of tiles ``0..n-1`` in a mosaic."""
    h, w = tile_hw
    origins = np.array([tile_origin(k, (h, w), cols, pad) for k in range(n)], dtype=float)
    return origins[:, 1] + (w - 1) / 2, origins[:, 0] + (h - 1) / 2


def show_mosaic(ax, grid: np.ndarray, *, cmap_name: str, norm, ticks: bool = False, bad: str = GRID_COLOR):
    """One ``imshow`` of a mosaic with the house settings; returns the image."""
    im = ax.imshow(grid, cmap=cmap(cmap_name, bad), norm=norm, interpolation="nearest")
    if not ticks:
        ax.set_xticks([])
        ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return im


def tile_lines(ax, rows: int, cols: int, tile_hw: tuple[int, int], *, every: int = 0) -> None:
    """Thin vector gridlines between the tiles of a ``pad=0`` mosaic.

    For very dense mosaics (thousands of 5x5 tiles) NaN padding would be drawn
    at a non-integer pixel scale and look uneven; antialiased lines do not.
    With ``every > 0`` each ``every``-th boundary is drawn a little darker.
    """
    from matplotlib.collections import LineCollection

    h, w = tile_hw
    height, width = rows * h, cols * w
    minor: list = []
    major: list = []
    for c in range(1, cols):
        x = c * w - 0.5
        (major if every and c % every == 0 else minor).append([(x, -0.5), (x, height - 0.5)])
    for r in range(1, rows):
        y = r * h - 0.5
        (major if every and r % every == 0 else minor).append([(-0.5, y), (width - 0.5, y)])
    ax.add_collection(LineCollection(minor, colors=GRID_COLOR, linewidths=0.5))
    if major:
        ax.add_collection(LineCollection(major, colors="#8c8c8c", linewidths=0.7))


def label_tiles(
    ax,
    n: int,
    tile_hw: tuple[int, int],
    cols: int,
    pad: int = 1,
    *,
    fontsize: float = 7.0,
    where: str = "inside",
) -> None:
    """Write the tile index ``k`` at the top-left of each of ``n`` tiles.

    ``where="inside"``: in the tile's corner, dark text with a white halo so it
    reads on any colour. ``where="above"``: in the padding just above the tile
    (needs a ``pad`` tall enough for the font), leaving the tile uncovered.
    """
    from matplotlib import patheffects

    h, w = tile_hw
    halo = [patheffects.withStroke(linewidth=1.6, foreground="white")]
    for k in range(n):
        r0, c0 = tile_origin(k, (h, w), cols, pad)
        x, y = c0 - 0.5, r0 - 0.5  # pixel edges of the tile's top-left corner
        if where == "inside":
            ax.annotate(
                str(k), (x, y), xytext=(1.2, -1.0), textcoords="offset points",
                ha="left", va="top", fontsize=fontsize, color=TEXT_COLOR,
                path_effects=halo, annotation_clip=False, in_layout=False,
            )
        elif where == "above":
            ax.annotate(
                str(k), (x, y), xytext=(0.5, 0.8), textcoords="offset points",
                ha="left", va="bottom", fontsize=fontsize, color=TEXT_COLOR,
                annotation_clip=False, in_layout=False,
            )
        else:
            raise ValueError(f"Invalid where. Expected 'inside' or 'above'. Received: where={where!r}")


def colorbar(fig, im, ax=None, *, cax=None, label: str | None = None, orientation: str = "vertical", **kwargs: Any):
    """A slim colour bar for ``im``: next to ``ax`` (or a list of axes), or in ``cax``."""
    if cax is not None:
        cb = fig.colorbar(im, cax=cax, orientation=orientation)
    else:
        defaults = {"fraction": 0.046, "pad": 0.02, "aspect": 30}
        defaults.update(kwargs)
        cb = fig.colorbar(im, ax=ax, orientation=orientation, **defaults)
    cb.ax.tick_params(labelsize=7, length=2)
    cb.outline.set_linewidth(0.5)
    if label:
        cb.set_label(label, fontsize=8)
    return cb


def add_axes_inches(fig, left: float, bottom: float, width: float, height: float):
    """Add axes at an explicit rectangle given in inches from the lower-left corner."""
    fw, fh = fig.get_size_inches()
    return fig.add_axes((left / fw, bottom / fh, width / fw, height / fh))


def finite_array(a, name: str, ndim: int) -> np.ndarray:
    """``a`` as a non-empty float array of ``ndim`` dimensions with finite values, or ValueError."""
    arr = np.asarray(a, dtype=float)
    if arr.ndim != ndim or 0 in arr.shape:
        raise ValueError(f"Invalid {name}. Expected a non-empty {ndim}-D array. Received: shape={arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"Invalid {name}. Expected finite values. Received: "
                         f"non_finite_values={int((~np.isfinite(arr)).sum())}")
    return arr
