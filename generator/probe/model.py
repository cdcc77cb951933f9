"""Load a cached ``.keras`` model once per build for every probe that reads it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


def load(model_path: Path):
    """The Keras model at ``model_path`` (not compiled). Probes only read it, so one instance is
    shared; the file's size and mtime are part of the key, so a retrained model is reloaded."""
    stat = Path(model_path).stat()
    return _load(str(model_path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _load(path: str, size: int, mtime_ns: int):
    from generator.train.trainer import import_keras

    keras, _ = import_keras()
    return keras.saving.load_model(path, compile=False)
