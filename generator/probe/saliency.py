"""Saliency and Grad-CAM on conv2 for a few test images, cached beside the model.

* **Saliency**: ``|∂ score / ∂ input|``, the absolute gradient of the predicted
  class's pre-softmax score (logit) with respect to each input pixel.
* **Grad-CAM on conv2**: with ``A`` the ``conv2_relu`` maps (14×14×64) and
  ``α_k`` the spatial mean of ``∂ score / ∂ A_k``, the map ``ReLU(Σ_k α_k A_k)``
  (14×14); each map position covers the 2×2 input pixels ``2i, 2i+1`` at the
  centre of its receptive field, so it is shown upsampled ×2.

The logit is built from ``fc1``'s output and ``fc2``'s weights (dropout off).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from generator.probe import npzcache

#: Bump when the outputs change: part of the cache file name.
SALIENCY_VERSION = 1


def cache_path(model_path: Path, indices: list[int], images: np.ndarray) -> Path:
    key = npzcache.settings_key(SALIENCY_VERSION, {"indices": [int(i) for i in indices]},
                                npzcache.array_digest(images))
    return model_path.parent / f"saliency-v{SALIENCY_VERSION}-{key}.npz"


def explain(model_path: Path, indices: list[int], images: np.ndarray) -> dict[str, np.ndarray]:
    """For test images ``images`` (k, 28, 28) uint8 (test indices ``indices``):
    ``saliency`` (k, 28, 28), ``gradcam`` (k, 14, 14), ``predicted`` (k,), ``score`` (k,)
    the predicted class's logit, ``indices`` (k,) and ``seconds`` (wall time when computed)."""
    return npzcache.cached(cache_path(model_path, indices, images),
                           lambda: _explain(model_path, indices, images))


def _explain(model_path: Path, indices: list[int], images: np.ndarray) -> dict[str, np.ndarray]:
    from generator.train.trainer import as_input, import_keras

    keras, tf = import_keras()
    began = time.perf_counter()  # model loading included, TensorFlow's import not
    from generator.probe import model as model_file

    model = model_file.load(model_path)
    conv = keras.Model(model.inputs, model.get_layer("conv2_relu").output)
    head_input = keras.Input(shape=conv.output.shape[1:])
    x = head_input
    for name in ("pool2", "flatten", "fc1"):
        x = model.get_layer(name)(x)
    head = keras.Model(head_input, x)
    w2, b2 = (tf.constant(w) for w in model.get_layer("fc2").get_weights())

    inputs = tf.constant(as_input(images))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(inputs)
        maps = conv(inputs, training=False)
        logits = tf.matmul(head(maps, training=False), w2) + b2
        predicted = tf.argmax(logits, axis=1)
        score = tf.reduce_sum(logits * tf.one_hot(predicted, 10), axis=1)
        total = tf.reduce_sum(score)
    grad_input = np.asarray(tape.gradient(total, inputs))[..., 0]
    grad_maps = np.asarray(tape.gradient(total, maps))
    del tape
    maps = np.asarray(maps)
    alpha = grad_maps.mean(axis=(1, 2))  # (k, 64)
    cam = np.maximum(np.einsum("bhwc,bc->bhw", maps, alpha), 0.0)
    arrays = {
        "indices": np.asarray(indices, np.int64),
        "saliency": np.abs(grad_input).astype(np.float32),
        "gradcam": cam.astype(np.float32),
        "predicted": np.asarray(predicted, np.int64),
        "score": np.asarray(score, np.float64),
        "seconds": np.float64(time.perf_counter() - began),
    }
    return arrays
