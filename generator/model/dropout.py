"""Dropout in NumPy, with the semantics of ``keras.layers.Dropout`` ("inverted" dropout).

In training, each unit is kept with probability ``1 - rate`` and the kept units
are divided by ``1 - rate``, so the expected value of every unit is unchanged;
the dropped units are exactly 0. At inference the layer is the identity. No
TensorFlow here: the dropout page draws its mask with these functions, and a
test checks them against Keras.
"""

from __future__ import annotations

import numpy as np


def _check_rate(rate: float) -> float:
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"Invalid rate. Expected 0 <= rate < 1. Received: rate={rate}")
    return rate


def dropout_mask(shape, rate: float, seed: int) -> np.ndarray:
    """A seeded boolean mask: True = kept (probability ``1 - rate``)."""
    rate = _check_rate(rate)
    return np.random.default_rng(seed).random(shape) >= rate


def apply_dropout(x: np.ndarray, rate: float, keep: np.ndarray | None = None, *,
                  training: bool = True) -> np.ndarray:
    """``x * keep / (1 - rate)`` in training (``keep`` from :func:`dropout_mask`), ``x`` at inference."""
    rate = _check_rate(rate)
    x = np.asarray(x)
    if not training or rate == 0.0:
        return x.copy()
    if keep is None:
        raise ValueError("Invalid keep. Expected a boolean mask in training mode. Received: keep=None")
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != x.shape:
        raise ValueError(f"Invalid keep. Expected shape {x.shape}. Received: shape={keep.shape}")
    scale = np.asarray(1.0 / (1.0 - rate), dtype=x.dtype if x.dtype.kind == "f" else np.float64)
    return np.where(keep, x * scale, np.zeros((), dtype=scale.dtype))
