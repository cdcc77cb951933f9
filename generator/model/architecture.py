"""Architecture arithmetic that needs no TensorFlow: receptive fields and layer tables.

The receptive field of a unit is the side, in input pixels, of the input square
that can influence it. For a stack of layers with kernel ``k`` and stride ``s``::

    r_out = r_in + (k - 1) * j_in        j_out = j_in * s

starting from ``r = 1, j = 1`` at the input (``j`` is the distance, in input
pixels, between neighbouring units).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerGeometry:
    """Kernel and stride of one spatial layer, as read from the model's config."""

    name: str
    kernel: int
    stride: int


def receptive_fields(layers: list[LayerGeometry], input_size: int = 28) -> dict[str, int]:
    """Receptive field side in input pixels after each layer (clipped to the input)."""
    r, j = 1, 1
    out: dict[str, int] = {}
    for layer in layers:
        r = r + (layer.kernel - 1) * j
        j = j * layer.stride
        out[layer.name] = min(r, input_size)
    return out


def unclipped_receptive_fields(layers: list[LayerGeometry]) -> dict[str, int]:
    """Like :func:`receptive_fields` but without clipping to the image."""
    return receptive_fields(layers, input_size=10**9)
