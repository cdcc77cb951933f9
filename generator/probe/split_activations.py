"""Layer outputs for many images (a data split, or a seeded subset of it) through a Keras
sub-model, in batches, cached as an ``.npz`` beside the model.

The cache file name carries :data:`SPLIT_ACTIVATIONS_VERSION` and a hash of the data
fingerprint, the split, the layers and the chosen image indices, so a different
data set, subset or layer list never reads a stale file. The big convolutional
feature maps (``pool1``, ``pool2``) are stored as float16 to keep the cache small
(they feed linear probes and embeddings after standardisation); every other
layer is stored as float32, exactly as the model computed it. Arrays are returned
as float32.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from generator.util.fsio import atomic_write_bytes, hash_obj, sha256_bytes

#: Bump when the stored outputs change: part of the cache key.
SPLIT_ACTIVATIONS_VERSION = 1
#: Images per forward pass.
BATCH_SIZE = 500
#: Layers stored as float16 in the cache (large maps used only after standardisation).
HALF_PRECISION = frozenset({"pool1", "pool2", "conv1_relu", "conv2_relu"})

SPLITS = ("train", "val", "test")


def subset_indices(n: int, limit: int | None, seed: int) -> np.ndarray:
    """All of ``range(n)``, or ``limit`` of them chosen without replacement (seeded), sorted."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def cache_path(model_path: Path, fingerprint: str, split: str, layers, indices: np.ndarray) -> Path:
    tag = hash_obj({
        "version": SPLIT_ACTIVATIONS_VERSION,
        "data": fingerprint,
        "split": split,
        "layers": list(layers),
        "indices": sha256_bytes(np.ascontiguousarray(indices, dtype=np.int64).tobytes()),
    })[:16]
    return Path(model_path).parent / f"acts-{split}-v{SPLIT_ACTIVATIONS_VERSION}-{tag}.npz"


def split_activations(model_path: Path, dataset, split: str, layers, *,
                      indices: np.ndarray | None = None, cache: bool = True) -> dict[str, np.ndarray]:
    """``{layer: (N, ...) float32}`` for the images ``dataset.x_<split>[indices]`` (all by default),
    computed in inference mode (dropout off). With ``cache=False`` nothing is written."""
    if split not in SPLITS:
        raise ValueError(f"Invalid split. Expected one of {SPLITS}. Received: split={split!r}")
    layers = tuple(layers)
    images = getattr(dataset, f"x_{split}")
    indices = np.arange(len(images)) if indices is None else np.asarray(indices, dtype=np.int64)
    path = cache_path(model_path, dataset.fingerprint, split, layers, indices)
    if cache and path.is_file():
        try:
            with np.load(path) as data:
                if set(data.files) == set(layers):
                    return {k: data[k].astype(np.float32) for k in layers}
        except (OSError, ValueError):
            pass
        path.unlink(missing_ok=True)
    arrays = _forward(model_path, images[indices], layers)
    if cache:
        stored = {k: v.astype(np.float16) if k in HALF_PRECISION else v for k, v in arrays.items()}
        buf = io.BytesIO()
        np.savez(buf, **stored)
        atomic_write_bytes(path, buf.getvalue())
        arrays = {k: v.astype(np.float32) for k, v in stored.items()}
    return arrays


def load_model(model_path: Path):
    from generator.probe import model as model_file

    return model_file.load(model_path)


def forward_model(model, images: np.ndarray, layers) -> dict[str, np.ndarray]:
    """Outputs of ``layers`` for uint8 ``images`` (N, 28, 28) through a loaded Keras model."""
    from generator.train.trainer import as_input, import_keras

    keras, _ = import_keras()
    sub = keras.Model(model.inputs, {name: model.get_layer(name).output for name in layers})
    parts: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    for start in range(0, len(images), BATCH_SIZE):
        out = sub([as_input(images[start:start + BATCH_SIZE])], training=False)
        for name in layers:
            parts[name].append(keras.ops.convert_to_numpy(out[name]).astype(np.float32))
    return {name: np.concatenate(chunks) if chunks else np.zeros((0,), np.float32)
            for name, chunks in parts.items()}


def _forward(model_path: Path, images: np.ndarray, layers) -> dict[str, np.ndarray]:
    return forward_model(load_model(model_path), images, layers)
