"""Tests for generator.figures: pure numpy-in / PNG-out figure functions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from generator.figures import layer2, style

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- inputs


def _arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    image = np.zeros((28, 28))
    image[6:22, 12:16] = 1.0  # a "1"
    pre = rng.normal(-0.2, 1.0, (14, 14, 64))
    relu = np.maximum(pre, 0.0)
    pool = relu.reshape(7, 2, 7, 2, 64).max(axis=(1, 3))
    return {
        "kernel": rng.normal(0.0, 0.05, (5, 5, 32, 64)),
        "image": image,
        "conv1": np.maximum(rng.normal(0.0, 1.0, (28, 28, 32)), 0.0),
        "pre": pre,
        "relu": relu,
        "pool": pool,
        "sparsity": (relu == 0).mean(axis=(0, 1)),
    }


A = _arrays()

#: name -> (callable(out), expected minimum (height, width) in pixels)
FIGURES = {
    "kernels_all": (lambda out: layer2.conv2_kernels_all(A["kernel"], out), (300, 700)),
    "kernels_channel0": (lambda out: layer2.conv2_kernels_channel0(A["kernel"], out), (400, 400)),
    "stage_pre": (lambda out: layer2.conv2_stage_maps(A["pre"], out, diverging=True), (400, 400)),
    "stage_relu": (lambda out: layer2.conv2_stage_maps(A["relu"], out, diverging=False), (400, 400)),
    "stage_pool": (lambda out: layer2.conv2_stage_maps(A["pool"], out, diverging=False), (400, 400)),
    "stages": (lambda out: layer2.conv2_stages(A["pre"], A["relu"], A["pool"], out), (250, 700)),
    "sparsity": (lambda out: layer2.sparsity_bars(A["sparsity"], out), (200, 600)),
    "layer1_vs_layer2": (
        lambda out: layer2.layer1_vs_layer2(A["image"], A["conv1"], A["relu"], 5, 14, out),
        (300, 700),
    ),
    "input_digit": (lambda out: layer2.input_digit(A["image"], out, label=1, predicted=1), (150, 150)),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Every figure rendered twice from the same arrays (for validity + determinism)."""
    root = tmp_path_factory.mktemp("figures")
    paths = {}
    for name, (render, _) in FIGURES.items():
        first, second = root / "a" / f"{name}.png", root / "b" / f"{name}.png"
        render(first)  # parent directory "a" does not exist yet: save() creates it
        render(second)
        paths[name] = (first, second)
    return paths


# --------------------------------------------------------------------------- outputs


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_writes_valid_png(rendered, name):
    import matplotlib.image as mpimg

    path = rendered[name][0]
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) < 400 * 1024, f"{name}: {len(data)} bytes"
    pixels = mpimg.imread(path)
    min_h, min_w = FIGURES[name][1]
    assert pixels.ndim == 3 and pixels.shape[2] in (3, 4)
    assert min_h <= pixels.shape[0] <= 1400
    assert min_w <= pixels.shape[1] <= 1400
    # Opaque white background: corner pixel white and fully opaque.
    assert np.allclose(pixels[0, 0, :3], 1.0)
    if pixels.shape[2] == 4:
        assert np.all(pixels[..., 3] == 1.0)
    # Not blank: a real picture has many distinct colours.
    rgb = np.round(pixels[..., :3] * 255).astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    assert len(np.unique(packed)) > 20


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_rendering_is_deterministic(rendered, name):
    first, second = rendered[name]
    assert first.read_bytes() == second.read_bytes()


def test_png_has_no_software_metadata(rendered):
    data = rendered["sparsity"][0].read_bytes()
    assert b"matplotlib" not in data.lower()


def test_different_inputs_give_different_files(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    layer2.conv2_stage_maps(A["relu"], a, diverging=False)
    layer2.conv2_stage_maps(_arrays(seed=1)["relu"], b, diverging=False)
    assert a.read_bytes() != b.read_bytes()


def test_rcparams_are_left_untouched(tmp_path):
    import matplotlib

    before = dict(matplotlib.rcParams)
    layer2.sparsity_bars(A["sparsity"], tmp_path / "s.png")
    after = dict(matplotlib.rcParams)
    changed = {k for k in before if k != "backend" and before[k] != after[k]}
    assert not changed


# --------------------------------------------------------------------------- style helpers


@pytest.mark.parametrize(
    "values, expected",
    [
        ([-3.0, 1.0, 2.0], 3.0),
        ([0.5, 2.0], 2.0),  # all positive: still centred on zero
        ([-0.25, -4.0], 4.0),  # all negative
        (np.zeros((3, 3)), 1.0),  # all zero: guarded, not (0, 0)
        ([np.nan, -2.0, 1.0], 2.0),  # NaN ignored
    ],
)
def test_diverging_limits_are_zero_centred(values, expected):
    vmin, vmax = style.diverging_limits(values)
    assert vmin == -vmax
    assert vmax == expected


def test_diverging_norm_maps_zero_to_the_middle():
    norm = style.diverging_norm(np.array([-1.0, 5.0]))
    assert (norm.vmin, norm.vmax) == (-5.0, 5.0)
    assert norm(0.0) == pytest.approx(0.5)


def test_sequential_limits():
    assert style.sequential_limits([0.0, 2.5, 1.0]) == (0.0, 2.5)
    assert style.sequential_limits(np.zeros(4)) == (0.0, 1.0)


def test_tile_grid_places_tiles_in_reading_order():
    h, w, n = 2, 3, 5
    maps = np.arange(h * w * n, dtype=float).reshape(h, w, n)
    grid = style.tile_grid(maps, cols=2, pad=1)
    rows = 3
    assert grid.shape == (rows * (h + 1) + 1, 2 * (w + 1) + 1) == (10, 9)
    # tile k at grid row k // 2, column k % 2
    for k in range(n):
        r0, c0 = 1 + (k // 2) * (h + 1), 1 + (k % 2) * (w + 1)
        assert style.tile_origin(k, (h, w), 2, 1) == (r0, c0)
        np.testing.assert_array_equal(grid[r0 : r0 + h, c0 : c0 + w], maps[:, :, k])
    # exact values of tile 3 (row 1, column 1)
    np.testing.assert_array_equal(grid[4:6, 5:8], [[3, 8, 13], [18, 23, 28]])
    # padding and the unused 6th slot are NaN; every real value appears once
    assert np.isnan(grid[0]).all() and np.isnan(grid[:, 0]).all() and np.isnan(grid[3]).all()
    assert np.isnan(grid[7:9, 5:8]).all()
    assert np.count_nonzero(~np.isnan(grid)) == maps.size


def test_tile_grid_without_padding():
    maps = np.arange(8, dtype=float).reshape(2, 2, 2)
    grid = style.tile_grid(maps, cols=2, pad=0)
    # maps[:, :, 0] == [[0, 2], [4, 6]], maps[:, :, 1] == [[1, 3], [5, 7]]
    np.testing.assert_array_equal(grid, [[0, 2, 1, 3], [4, 6, 5, 7]])


@pytest.mark.parametrize("bad", [np.zeros((4, 4)), np.zeros((0, 3, 2))])
def test_tile_grid_rejects_bad_shapes(bad):
    with pytest.raises(ValueError, match="Received: shape="):
        style.tile_grid(bad, cols=2)


def test_upscale_repeats_pixels():
    maps = np.arange(4.0).reshape(2, 2, 1)
    big = style.upscale(maps, 2)
    assert big.shape == (4, 4, 1)
    np.testing.assert_array_equal(big[:, :, 0], [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])


def test_rf_square_is_centred_and_clipped():
    assert layer2._rf_square(5) == (10.5, 5)  # pixels 11..15 of 0..27
    assert layer2._rf_square(14) == (6.5, 14)  # pixels 7..20
    assert layer2._rf_square(40) == (-0.5, 28)  # clipped to the image


# --------------------------------------------------------------------------- validation

K = A["kernel"]
BAD_SHAPES = {
    "kernels_all 3-d": lambda out: layer2.conv2_kernels_all(K[:, :, 0, :], out),
    "kernels_all transposed": lambda out: layer2.conv2_kernels_all(K.transpose(3, 2, 0, 1), out),
    "kernels_channel0": lambda out: layer2.conv2_kernels_channel0(np.zeros((3, 3, 32, 64)), out),
    "stage 32 filters": lambda out: layer2.conv2_stage_maps(np.zeros((14, 14, 32)), out, diverging=True),
    "stage 2-d": lambda out: layer2.conv2_stage_maps(np.zeros((14, 14)), out, diverging=False),
    "stages preact": lambda out: layer2.conv2_stages(np.zeros((14, 64)), A["relu"], A["pool"], out),
    "stages relu != preact": lambda out: layer2.conv2_stages(A["pre"], A["pool"], A["pool"], out),
    "stages pool": lambda out: layer2.conv2_stages(A["pre"], A["relu"], np.zeros((7, 7, 10)), out),
    "sparsity": lambda out: layer2.sparsity_bars(np.zeros(32), out),
    "sparsity 2-d": lambda out: layer2.sparsity_bars(np.zeros((8, 8)), out),
    "l1l2 image": lambda out: layer2.layer1_vs_layer2(np.zeros((28, 27)), A["conv1"], A["relu"], 5, 14, out),
    "l1l2 conv1": lambda out: layer2.layer1_vs_layer2(A["image"], A["relu"], A["relu"], 5, 14, out),
    "l1l2 conv2": lambda out: layer2.layer1_vs_layer2(A["image"], A["conv1"], A["pool"], 5, 14, out),
    "input_digit": lambda out: layer2.input_digit(np.zeros((1, 28, 28)), out, label=1, predicted=1),
}


@pytest.mark.parametrize("name", sorted(BAD_SHAPES))
def test_wrong_shapes_raise_value_error(tmp_path, name):
    out = tmp_path / "x.png"
    with pytest.raises(ValueError, match=r"Received: shape=\("):
        BAD_SHAPES[name](out)
    assert not out.exists()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda out: layer2.sparsity_bars(np.full(64, 1.5), out), "Expected fractions in"),
        (lambda out: layer2.conv2_stage_maps(np.full((7, 7, 64), np.nan), out, diverging=False), "finite"),
        (lambda out: layer2.layer1_vs_layer2(A["image"], A["conv1"], A["relu"], 0, 14, out), "rf1=0"),
        (lambda out: layer2.layer1_vs_layer2(A["image"], A["conv1"], A["relu"], 5, 14.0, out), "rf2=14.0"),
        (lambda out: layer2.input_digit(A["image"], out, label="7", predicted=7), "label='7'"),
    ],
)
def test_bad_values_raise_value_error(tmp_path, call, match):
    with pytest.raises(ValueError, match=match):
        call(tmp_path / "x.png")


# --------------------------------------------------------------------------- import cost


def test_import_does_not_load_pyplot():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    code = "import generator.figures.layer2, sys; print('matplotlib.pyplot' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
