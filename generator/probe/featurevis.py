"""Activation maximisation: the 28×28 input each filter (or class) responds to most.

For every target of a group — the 32 ``conv1`` filters, the 64 ``conv2`` filters,
the 10 classes — gradient ascent on the input, from one seeded starting image,
with all targets of the group optimised together in ONE batch (input ``b`` is
scored on target ``b`` only, so the gradients do not mix).

Objectives (what is maximised):

* ``conv1`` / ``conv2``: the mean over the whole map of the filter's output
  **after ReLU** (``conv1_relu`` / ``conv2_relu``); this is the value recorded
  for the start and the optimised image. A filter whose map is zero everywhere
  on the starting image (``dead_at_start``) would get no gradient through ReLU,
  so the gradient followed is that of the mean after ReLU plus ``leak`` times
  the mean before ReLU (``conv1`` / ``conv2``).
* ``classes``: the pre-softmax score (logit) of the class, built from ``fc1``'s
  output and ``fc2``'s weights, dropout off.

Each step: jitter (roll the batch by a seeded random shift of up to
``jitter`` pixels), gradient of the objective, divided by its RMS per input
(so every target moves at the same pace), minus an L2 pull towards black and a
total-variation (smoothness) term, then clip to [0, 1]; every ``blur_every``
steps a small Gaussian blur. The result is cached as an ``.npz`` beside the
model, keyed by :data:`FEATUREVIS_VERSION` and the settings; a warm build never
imports TensorFlow.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from generator.probe import npzcache

#: Bump when the optimisation changes its results: part of the cache file name.
FEATUREVIS_VERSION = 2

#: Target groups, in the order they are optimised.
GROUPS = ("conv1", "conv2", "classes")
#: The layer whose output each group maximises.
OBJECTIVE_LAYER = {"conv1": "conv1_relu", "conv2": "conv2_relu", "classes": "fc2 logits"}


@dataclass(frozen=True)
class Settings:
    """Everything that changes the optimised images (all part of the cache key)."""

    seed: int = 0
    #: Gradient-ascent steps.
    steps: int = 80
    #: Step size in pixel units (the objective's gradient is RMS-normalised).
    lr: float = 0.03
    #: Largest random shift (pixels, each axis) applied before each step.
    jitter: int = 1
    #: Blur every this many steps (0: never), with this Gaussian sigma (pixels).
    blur_every: int = 4
    blur_sigma: float = 0.5
    #: Weight of the L2 pull towards 0 (black background) per step.
    l2: float = 0.35
    #: Weight of the total-variation (squared neighbour differences) smoothing per step.
    tv: float = 0.1
    #: Weight of the mean pre-activation added to the objective whose gradient is followed
    #: (keeps a gradient for filters that are zero everywhere on the starting image).
    leak: float = 0.05
    #: Starting image: uniform noise in [start_mean - start_spread, start_mean + start_spread].
    start_mean: float = 0.3
    start_spread: float = 0.1


DEFAULT = Settings()


def cache_path(model_path: Path, settings: Settings = DEFAULT) -> Path:
    key = npzcache.settings_key(FEATUREVIS_VERSION, asdict(settings))
    return model_path.parent / f"featurevis-v{FEATUREVIS_VERSION}-{key}.npz"


def start_image(settings: Settings = DEFAULT) -> np.ndarray:
    """The seeded starting image (28×28, float32 in [0, 1]) shared by every target."""
    rng = np.random.default_rng(settings.seed)
    x = settings.start_mean + rng.uniform(-settings.start_spread, settings.start_spread, (28, 28))
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of a batch ``(B, H, W)``, edges replicated."""
    radius = max(1, int(np.ceil(2 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k /= k.sum()
    p = np.pad(x, ((0, 0), (radius, radius), (radius, radius)), mode="edge")
    h, w = x.shape[1:]
    rows = sum(k[i] * p[:, i:i + h, :] for i in range(len(k)))
    return sum(k[i] * rows[:, :, i:i + w] for i in range(len(k))).astype(x.dtype)


def tv_gradient(x: np.ndarray) -> np.ndarray:
    """Gradient of the sum of squared differences between 4-neighbours, per image ``(B, H, W)``."""
    g = np.zeros_like(x)
    dy = x[:, 1:, :] - x[:, :-1, :]
    dx = x[:, :, 1:] - x[:, :, :-1]
    g[:, 1:, :] += 2 * dy
    g[:, :-1, :] -= 2 * dy
    g[:, :, 1:] += 2 * dx
    g[:, :, :-1] -= 2 * dx
    return g


def objective_functions(model, leak: float = 0.0):
    """``{group: (n_targets, f)}`` where ``f(x)`` maps a batch ``(n, 28, 28, 1)`` to
    ``(value, ascent)``, each of shape ``(n,)``: the objective of input ``b`` on target ``b``
    and the quantity whose gradient is followed (for the conv groups the value plus
    ``leak`` times the mean pre-activation). Keras/TF objects inside."""
    import keras
    import tensorflow as tf

    conv = keras.Model(model.inputs, [model.get_layer("conv1").output,
                                      model.get_layer("conv2").output])
    fc1 = keras.Model(model.inputs, model.get_layer("fc1").output)
    w2, b2 = (tf.constant(w) for w in model.get_layer("fc2").get_weights())
    n1 = int(model.get_layer("conv1").filters)
    n2 = int(model.get_layer("conv2").filters)

    def conv_objective(index: int, n: int):
        eye = tf.eye(n)

        def f(x):
            pre = conv(x, training=False)[index]  # (n, H, W, n), before ReLU
            own = tf.reduce_sum(pre * eye[:, None, None, :], axis=-1)
            value = tf.reduce_mean(tf.nn.relu(own), axis=(1, 2))
            return value, value + leak * tf.reduce_mean(own, axis=(1, 2))

        return f

    def logits(x):
        return tf.matmul(fc1(x, training=False), w2) + b2

    def class_objective(x):
        value = tf.reduce_sum(logits(x) * tf.eye(10), axis=-1)
        return value, value

    return {
        "conv1": (n1, conv_objective(0, n1)),
        "conv2": (n2, conv_objective(1, n2)),
        "classes": (10, class_objective),
    }, logits


def _ascend(f, n: int, settings: Settings, rng: np.random.Generator, *, relu: bool):
    """Gradient ascent for ``n`` targets in one batch; returns (images, start, final, dead)."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def value_and_grad(x, shift):
        with tf.GradientTape() as tape:
            tape.watch(x)
            moved = tf.roll(x, shift=shift, axis=[1, 2])
            value, ascent = f(moved[..., None])
            total = tf.reduce_sum(ascent)
        return value, tape.gradient(total, x)

    x0 = np.repeat(start_image(settings)[None], n, axis=0)
    zero = tf.constant([0, 0], tf.int32)
    start, _ = value_and_grad(tf.constant(x0), zero)
    start = np.asarray(start, np.float64)
    dead = start <= 0 if relu else np.zeros(n, bool)  # a ReLU map that is zero everywhere
    x = x0.copy()
    for step in range(settings.steps):
        shift = rng.integers(-settings.jitter, settings.jitter + 1, size=2).astype(np.int32)
        _, g = value_and_grad(tf.constant(x), tf.constant(shift))
        g = np.asarray(g, np.float32)
        rms = np.sqrt((g ** 2).mean(axis=(1, 2), keepdims=True))
        g = np.where(rms > 0, g / np.maximum(rms, 1e-12), 0.0)
        x = x + settings.lr * (g - settings.l2 * x - settings.tv * tv_gradient(x))
        if settings.blur_every and (step + 1) % settings.blur_every == 0:
            x = gaussian_blur(x, settings.blur_sigma)
        x = np.clip(x, 0.0, 1.0).astype(np.float32)
    final, _ = value_and_grad(tf.constant(x), zero)
    return x, start, np.asarray(final, np.float64), dead


def maximise(model_path: Path, settings: Settings = DEFAULT) -> dict[str, np.ndarray]:
    """Optimised inputs and their objective values for every group, cached beside the model.

    Keys per group ``g`` in :data:`GROUPS`: ``g_images`` (n, 28, 28), ``g_start`` and
    ``g_final`` (n,) objective values on the starting and the optimised image,
    ``g_dead_at_start`` (n,) bool; plus ``start`` (28, 28), ``classes_predicted``
    (10,) the class the model predicts for each optimised class image and
    ``classes_probability`` (10,) its softmax probability of the target class.
    """
    path = cache_path(model_path, settings)
    cached = npzcache.load(path)
    if cached is not None:
        return cached
    from generator.train.trainer import import_keras

    keras, tf = import_keras()
    tf.config.experimental.enable_op_determinism()
    from generator.probe import model as model_file

    model = model_file.load(model_path)
    functions, logits = objective_functions(model, settings.leak)
    rng = np.random.default_rng(settings.seed + 1)
    arrays: dict[str, np.ndarray] = {"start": start_image(settings)}
    for group in GROUPS:
        n, f = functions[group]
        began = time.perf_counter()
        images, start, final, dead = _ascend(f, n, settings, rng, relu=group != "classes")
        arrays.update({f"{group}_images": images, f"{group}_start": start,
                       f"{group}_final": final, f"{group}_dead_at_start": dead,
                       f"{group}_seconds": np.float64(time.perf_counter() - began)})
    out = np.asarray(logits(tf.constant(arrays["classes_images"][..., None])), np.float64)
    probs = np.exp(out - out.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    arrays["classes_predicted"] = out.argmax(axis=1)
    arrays["classes_probability"] = probs[np.arange(10), np.arange(10)]
    npzcache.save(path, arrays)
    return arrays
