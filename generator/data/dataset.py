"""The :class:`Dataset` record, its fingerprint, and the assembly step every source shares.

A source (Keras cache, embedded subset, IDX folder) yields a :class:`SourceData`:
a training pool and a test set. :func:`build_dataset` turns it into a
:class:`Dataset` the same way for every source: stratified validation split,
optional stratified shrinking, canonical dtypes, read-only arrays, fingerprint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from generator.data.split import stratified_split, stratified_subset
from generator.errors import DataError

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
#: When ``max_train`` shrinks the data, keep at least this many validation images per class.
MIN_VALIDATION_PER_CLASS = 10
#: The six arrays of a :class:`Dataset`, in fingerprint order.
ARRAY_FIELDS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def _array() -> np.ndarray:
    """A dataclass field for a (large) array: kept out of ``repr``."""
    return field(repr=False)


@dataclass(frozen=True)
class SourceData:
    """What a source yields: a training pool (split later) and the test set, plus where it came from."""

    x_train: np.ndarray = _array()
    y_train: np.ndarray = _array()
    x_test: np.ndarray = _array()
    y_test: np.ndarray = _array()
    #: Human-readable origin, e.g. ``"IDX files in /data/mnist"``.
    source: str


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images (uint8, N×28×28, read-only) and labels (int64) split into train / validation / test."""

    name: str
    source: str
    x_train: np.ndarray = _array()
    y_train: np.ndarray = _array()
    x_val: np.ndarray = _array()
    y_val: np.ndarray = _array()
    x_test: np.ndarray = _array()
    y_test: np.ndarray = _array()
    split_seed: int
    #: sha256 of the name, split seed and all six arrays: the identity of the data *and* the split.
    fingerprint: str

    def summary(self) -> dict:
        """A JSON-able description: origin, sizes, per-class counts, image shape."""
        parts = {"train": self.y_train, "validation": self.y_val, "test": self.y_test}
        return {
            "name": self.name,
            "source": self.source,
            "split_seed": self.split_seed,
            "fingerprint": self.fingerprint,
            **{part: int(len(y)) for part, y in parts.items()},
            "class_counts": {
                part: np.bincount(y, minlength=NUM_CLASSES).tolist() for part, y in parts.items()
            },
            "image_shape": list(self.x_train.shape[1:]),
        }


def compute_fingerprint(name: str, split_seed: int, arrays: dict[str, np.ndarray]) -> str:
    """sha256 hex over the name, split seed and each array's key, dtype, shape and bytes."""
    digest = hashlib.sha256(f"{name}\0{split_seed}\0".encode())
    for key, array in arrays.items():
        array = np.ascontiguousarray(array)
        digest.update(f"{key}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array)
    return digest.hexdigest()


def build_dataset(name: str, data: SourceData, *, split_seed: int, validation_fraction: float,
                  max_train: int | None = None, max_test: int | None = None) -> Dataset:
    """Split ``data``'s training pool into train/validation, shrink if asked, and fingerprint.

    The test set keeps the source's order. ``max_train`` / ``max_test`` take
    stratified subsets (see :func:`stratified_subset`) after the split; the
    validation set then shrinks in proportion to train, keeping at least
    :data:`MIN_VALIDATION_PER_CLASS` images per class where available.
    """
    train_idx, val_idx = stratified_split(data.y_train, validation_fraction, split_seed)
    if len(train_idx) == 0 or len(val_idx) == 0:
        raise DataError(
            f"validation_fraction={validation_fraction} leaves {len(train_idx)} training and "
            f"{len(val_idx)} validation images out of {len(data.y_train)}. "
            f"Choose a fraction that keeps both non-empty, e.g. 0.1."
        )
    test_idx = np.arange(len(data.y_test))
    if max_train is not None and max_train < len(train_idx):
        n_classes = len(np.unique(data.y_train[val_idx]))
        n_val = max(round(len(val_idx) * max_train / len(train_idx)), MIN_VALIDATION_PER_CLASS * n_classes)
        train_idx = train_idx[stratified_subset(data.y_train[train_idx], max_train, split_seed)]
        val_idx = val_idx[stratified_subset(data.y_train[val_idx], n_val, split_seed)]
    if max_test is not None and max_test < len(test_idx):
        test_idx = stratified_subset(data.y_test, max_test, split_seed)

    arrays = {
        "x_train": _images(data.x_train[train_idx]),
        "y_train": _labels(data.y_train[train_idx]),
        "x_val": _images(data.x_train[val_idx]),
        "y_val": _labels(data.y_train[val_idx]),
        "x_test": _images(data.x_test[test_idx]),
        "y_test": _labels(data.y_test[test_idx]),
    }
    return Dataset(name=name, source=data.source, split_seed=split_seed,
                   fingerprint=compute_fingerprint(name, split_seed, arrays), **arrays)


def check_labels(y: np.ndarray, where: str, fix: str) -> None:
    """Raise :class:`DataError` unless ``y`` is a 1-D integer vector of digits 0-9."""
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{where} has labels of shape {y.shape} and dtype {y.dtype}, "
                        f"expected a 1-D integer vector. {fix}")
    bad = np.flatnonzero((y < 0) | (y >= NUM_CLASSES))
    if bad.size:
        raise DataError(f"{where} contains label {int(y[bad[0]])} at index {int(bad[0])}; "
                        f"MNIST labels are 0-9. {fix}")


def check_images_labels(x: np.ndarray, y: np.ndarray, where: str, fix: str) -> None:
    """Raise :class:`DataError` unless ``x`` is uint8 N×28×28 and ``y`` holds N digit labels."""
    if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
        raise DataError(f"{where} has images of shape {x.shape[1:]}, expected {IMAGE_SHAPE}. {fix}")
    if x.dtype != np.uint8:
        raise DataError(f"{where} has pixels of dtype {x.dtype}, expected uint8. {fix}")
    check_labels(y, where, fix)
    if len(y) != len(x):
        raise DataError(f"{where} has {len(x)} images but {len(y)} labels. {fix}")


def describe(exc: BaseException) -> str:
    """``"Type: message"`` squeezed onto one line (and capped), for embedding in an error message."""
    text = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _images(x: np.ndarray) -> np.ndarray:
    """A fresh (fancy-indexed) image array as read-only, C-contiguous uint8."""
    return _frozen(np.ascontiguousarray(x, dtype=np.uint8))


def _labels(y: np.ndarray) -> np.ndarray:
    """A fresh (fancy-indexed) label array as read-only int64."""
    return _frozen(np.ascontiguousarray(y, dtype=np.int64))


def _frozen(array: np.ndarray) -> np.ndarray:
    """Mark ``array`` read-only so the data can't drift from its fingerprint."""
    array.setflags(write=False)
    return array
