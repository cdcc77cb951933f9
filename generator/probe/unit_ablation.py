"""How a trained model copes when fc1 units are switched off at inference, and how well it
fits its training data with dropout off (the dropout page's per-model measurements).

* **Ablation**: the test set's fc1 activations are computed once; then a growing
  fraction (:data:`FRACTIONS`) of the 1,024 units is set to zero and fc2 (read
  from the model) turns what is left into a prediction. The surviving units are
  *not* rescaled. Which units go is a seeded random choice, the same for every
  model: for each of :data:`DRAWS` seeded permutations of the units, the first
  ``round(f * units)`` are zeroed, so the sets are nested as ``f`` grows.
* **Training fit**: loss and accuracy on (a seeded subset of) the training images in
  inference mode, so they compare fairly with the validation numbers; Keras'
  per-epoch training metrics are measured with dropout on.

Cached as an ``.npz`` beside each model, keyed by :data:`UNIT_ABLATION_VERSION`,
the data fingerprint and the settings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generator.probe import npzcache
from generator.util.fsio import hash_obj

#: Bump when the measurement changes: part of the cache key.
UNIT_ABLATION_VERSION = 1
#: Fractions of fc1 units zeroed at inference.
FRACTIONS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: Seeded random unit orders averaged over.
DRAWS = 5
SEED = 0
#: Training images used for the inference-mode fit (seeded subset when there are more).
MAX_TRAIN = 2_000


def cache_path(model_path: Path, fingerprint: str) -> Path:
    tag = hash_obj({"version": UNIT_ABLATION_VERSION, "data": fingerprint, "fractions": FRACTIONS,
                    "draws": DRAWS, "seed": SEED, "max_train": MAX_TRAIN})[:16]
    return Path(model_path).parent / f"unit-ablation-v{UNIT_ABLATION_VERSION}-{tag}.npz"


def unit_orders(units: int, draws: int = DRAWS, seed: int = SEED) -> np.ndarray:
    """(draws, units) seeded permutations: the same for every model with ``units`` fc1 units."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(units) for _ in range(draws)])


def ablation_accuracy(fc1: np.ndarray, kernel: np.ndarray, bias: np.ndarray, labels: np.ndarray,
                      orders: np.ndarray, fractions=FRACTIONS) -> np.ndarray:
    """(draws, fractions) accuracy of ``argmax(fc1 * mask @ kernel + bias)`` with the first
    ``round(f * units)`` units of each order zeroed."""
    units = fc1.shape[1]
    acc = np.zeros((len(orders), len(fractions)))
    for i, order in enumerate(orders):
        for j, f in enumerate(fractions):
            mask = np.ones(units, dtype=fc1.dtype)
            mask[order[: int(round(f * units))]] = 0
            logits = (fc1 * mask) @ kernel + bias
            acc[i, j] = float((logits.argmax(axis=1) == labels).mean())
    return acc


def cross_entropy(probs: np.ndarray, labels: np.ndarray) -> float:
    p = probs[np.arange(len(labels)), labels].astype(np.float64)
    return float(-np.log(np.clip(p, 1e-7, 1.0)).mean())


def unit_ablation(model_path: Path, dataset) -> dict[str, np.ndarray]:
    """The measurements for the model at ``model_path`` (cached beside it)."""
    return npzcache.cached(cache_path(model_path, dataset.fingerprint),
                           lambda: compute(model_path, dataset))


def compute(model_path: Path, dataset) -> dict[str, np.ndarray]:
    from generator.probe.split_activations import forward_model, load_model, subset_indices

    model = load_model(model_path)
    kernel, bias = (np.asarray(w, dtype=np.float32) for w in model.get_layer("fc2").get_weights())
    test = forward_model(model, dataset.x_test, ("fc1", "fc2"))
    train_idx = subset_indices(len(dataset.x_train), MAX_TRAIN, SEED)
    train = forward_model(model, dataset.x_train[train_idx], ("fc2",))
    y_test, y_train = dataset.y_test, dataset.y_train[train_idx]
    orders = unit_orders(test["fc1"].shape[1])
    return {
        "fractions": np.array(FRACTIONS),
        "accuracy": ablation_accuracy(test["fc1"], kernel, bias, y_test, orders),
        "orders": orders,
        "test_accuracy": np.array(float((test["fc2"].argmax(axis=1) == y_test).mean())),
        "test_loss": np.array(cross_entropy(test["fc2"], y_test)),
        "train_accuracy": np.array(float((train["fc2"].argmax(axis=1) == y_train).mean())),
        "train_loss": np.array(cross_entropy(train["fc2"], y_train)),
        "n_train": np.array(len(y_train)),
    }
