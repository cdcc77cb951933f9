"""Dataset evidence for conv2's filters: where on the test set each filter responds most.

One batched pass of the test set through a Keras sub-model (``conv2_relu`` and
the class probabilities) keeps, per image and filter, the map's maximum, its
position (row-major arg-max, as ``np.argmax``), its mean and its fraction of
zeros — never the full maps, so memory stays small on full MNIST. From those:

* the **top patches** of each filter: the ``top_k`` largest map values over the
  test set, at most one per image (else neighbouring positions of one image
  would fill the list), each cropped from its test image to the unit's
  receptive field in input pixels;
* the model's prediction for every test image (for choosing saliency examples).

The crop box of map position ``i`` is ``rows i·jump + offset … i·jump + offset
+ rf − 1`` (same for columns), with ``rf``, ``jump`` and ``offset`` computed
from the layers' kernels, strides and paddings (:func:`unit_geometry`); for
conv2 of the post's model that is ``2i − 6 … 2i + 7``. Boxes that reach past
the image border are filled with 0 (black background).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.probe import npzcache

#: Bump when the evidence changes: part of the cache file name.
EVIDENCE_VERSION = 1
#: The layer whose maps are searched.
LAYER = "conv2_relu"
#: Patches kept per filter.
TOP_K = 9
#: Images per forward pass.
BATCH = 250


@dataclass(frozen=True)
class Spatial:
    """Kernel, stride and padding of one spatial layer (TensorFlow-free)."""

    kernel: int
    stride: int
    padding: str  # "same" or "valid"


def unit_geometry(chain: list[Spatial]) -> tuple[int, int, int]:
    """``(rf, jump, offset)`` of a unit after ``chain``: its box in input pixels starts at
    ``i * jump + offset`` and is ``rf`` wide.

    ``rf`` grows by ``(kernel - 1) * jump``; ``offset`` moves back by the padding
    added before each layer, ``pad_before * jump`` (``same`` with stride 1 pads
    ``(kernel - 1) // 2`` before; ``valid`` pads nothing).
    """
    rf, jump, offset = 1, 1, 0
    for layer in chain:
        if layer.padding == "same":
            if layer.stride != 1:
                raise ValueError(f"'same' padding with stride {layer.stride} is not supported")
            pad_before = (layer.kernel - 1) // 2
        elif layer.padding == "valid":
            pad_before = 0
        else:
            raise ValueError(f"unknown padding {layer.padding!r}")
        offset -= pad_before * jump
        rf += (layer.kernel - 1) * jump
        jump *= layer.stride
    return rf, jump, offset


def crop_box(i: int, j: int, rf: int, jump: int, offset: int) -> tuple[int, int, int, int]:
    """``(row0, row1, col0, col1)``, inclusive, of map position ``(i, j)`` in input pixels."""
    r0, c0 = i * jump + offset, j * jump + offset
    return r0, r0 + rf - 1, c0, c0 + rf - 1


def crop(image: np.ndarray, i: int, j: int, rf: int, jump: int, offset: int) -> np.ndarray:
    """The ``rf × rf`` patch of ``image`` (H, W) seen by map position ``(i, j)``; 0 outside."""
    r0, _, c0, _ = crop_box(i, j, rf, jump, offset)
    padded = np.pad(image, rf)
    return padded[r0 + rf:r0 + 2 * rf, c0 + rf:c0 + 2 * rf]


def chain_of(model, layer_name: str) -> list[Spatial]:
    """The spatial layers (conv / pool) of ``model`` up to and including ``layer_name``'s input side."""
    chain = []
    for layer in model.layers:
        cfg = layer.get_config()
        if "kernel_size" in cfg or "pool_size" in cfg:
            size = cfg.get("kernel_size", cfg.get("pool_size"))
            chain.append(Spatial(int(size[0]), int(cfg["strides"][0]), str(cfg["padding"]).lower()))
        if layer.name == layer_name:
            break
    return chain


def cache_path(model_path: Path, x_test: np.ndarray) -> Path:
    key = npzcache.settings_key(EVIDENCE_VERSION, {"layer": LAYER, "top_k": TOP_K},
                                npzcache.array_digest(x_test))
    return model_path.parent / f"evidence-v{EVIDENCE_VERSION}-{key}.npz"


def top_per_filter(image_max: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """``(filters, k)`` image indices with the largest per-image maximum, best first;
    ties broken by the lower image index."""
    order = np.argsort(-image_max, axis=0, kind="stable")
    return order[:k].T.copy()


def collect(model_path: Path, x_test: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image statistics, predictions and top patches for conv2, cached beside the model.

    Keys: ``image_max``, ``image_argmax`` (flat row-major map position), ``image_mean``,
    ``image_zero_fraction`` — each (N, 64); ``probabilities`` (N, 10); ``map_shape`` (2,);
    ``geometry`` (3,) = rf, jump, offset; ``top_images``, ``top_rows``, ``top_cols``,
    ``top_values`` (64, k); ``top_patches`` (64, k, rf, rf) float32 in [0, 1]; ``seconds``
    the wall time of the computation (model loading included) when it was computed.
    """
    return npzcache.cached(cache_path(model_path, x_test), lambda: _collect(model_path, x_test))


def _collect(model_path: Path, x_test: np.ndarray) -> dict[str, np.ndarray]:
    from generator.train.trainer import as_input, import_keras

    keras, _ = import_keras()
    began = time.perf_counter()  # model loading included, TensorFlow's import not
    from generator.probe import model as model_file

    model = model_file.load(model_path)
    sub = keras.Model(model.inputs, [model.get_layer(LAYER).output, model.output])
    rf, jump, offset = unit_geometry(chain_of(model, LAYER.removesuffix("_relu")))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("max", "argmax", "mean", "zero", "prob")}
    for start in range(0, len(x_test), BATCH):
        maps, probs = sub([as_input(x_test[start:start + BATCH])], training=False)
        maps = np.asarray(maps)
        n, h, w, c = maps.shape
        flat = maps.reshape(n, h * w, c)
        parts["max"].append(flat.max(axis=1))
        parts["argmax"].append(flat.argmax(axis=1).astype(np.int32))
        parts["mean"].append(flat.mean(axis=1))
        parts["zero"].append((flat <= 0).mean(axis=1).astype(np.float32))
        parts["prob"].append(np.asarray(probs, np.float32))
    image_max = np.concatenate(parts["max"])
    image_argmax = np.concatenate(parts["argmax"])
    top_images = top_per_filter(image_max)
    filters = np.arange(image_max.shape[1])[:, None]
    flat_pos = image_argmax[top_images, filters]
    rows, cols = np.divmod(flat_pos, w)
    images = as_input(x_test)[..., 0]
    patches = np.stack([
        np.stack([crop(images[top_images[f, t]], rows[f, t], cols[f, t], rf, jump, offset)
                  for t in range(top_images.shape[1])])
        for f in range(top_images.shape[0])
    ]).astype(np.float32)
    arrays = {
        "image_max": image_max,
        "image_argmax": image_argmax,
        "image_mean": np.concatenate(parts["mean"]),
        "image_zero_fraction": np.concatenate(parts["zero"]),
        "probabilities": np.concatenate(parts["prob"]),
        "map_shape": np.array([h, w]),
        "geometry": np.array([rf, jump, offset]),
        "top_images": top_images,
        "top_rows": rows,
        "top_cols": cols,
        "top_values": image_max[top_images, filters],
        "top_patches": patches,
        "seconds": np.float64(time.perf_counter() - began),
    }
    return arrays
