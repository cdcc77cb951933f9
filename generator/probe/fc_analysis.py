"""What the fully connected layer does, measured over the data (the fc page's heavy work).

For the baseline model this computes, from the layer outputs of whole splits
(:mod:`generator.probe.split_activations`):

* **linear probes**: a logistic regression on frozen, standardised features at
  each stage (pixels, pool1, pool2, fc1), fit on training images and scored on
  every test image;
* **2-D embeddings** (PCA and t-SNE) of a seeded subsample of the test set, for
  pixels, flattened pool2 features and fc1 activations, with the silhouette
  score of the digit labels in each map;
* **fc1 statistics** over the test set: per-unit firing frequency, dead units,
  sparsity, and for every unit the test images that activate it most (top-k),
  with how often they share one digit (compared with random sets of images).

The result is a dict of arrays, cached as an ``.npz`` beside the model and keyed by
:data:`FC_ANALYSIS_VERSION`, the data fingerprint and :data:`SETTINGS`; a warm
build reads it without importing TensorFlow or scikit-learn.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np

from generator.probe import npzcache
from generator.util.fsio import hash_obj

#: Bump when the analysis changes: part of the cache key.
FC_ANALYSIS_VERSION = 1
#: Stages probed, in forward order; ``pixels`` is the input image itself.
STAGES = ("pixels", "pool1", "pool2", "fc1")
#: Stages embedded in 2-D.
EMBEDDED = ("pixels", "pool2", "fc1")

SETTINGS = {
    "seed": 0,
    #: Training images the probes are fit on (a seeded subset when there are more).
    "max_probe_train": 10_000,
    #: Test points embedded (t-SNE is quadratic-ish; a seeded subset when there are more).
    "max_embed": 1_000,
    #: Logistic regression: L2 strength and iteration cap (lbfgs, standardised features).
    "probe_C": 1.0,
    "probe_max_iter": 100,
    #: t-SNE: inputs reduced to this many principal components first; perplexity cap.
    "tsne_pca_dims": 50,
    "tsne_perplexity": 30.0,
    "tsne_max_iter": 500,
    #: Top-k images per unit, units shown in the grid, random sets for the chance level.
    "top_k": 8,
    "sample_units": 8,
    "chance_draws": 2_000,
}


def cache_path(model_path: Path, fingerprint: str) -> Path:
    tag = hash_obj({"version": FC_ANALYSIS_VERSION, "data": fingerprint, "settings": SETTINGS})[:16]
    return Path(model_path).parent / f"fc-analysis-v{FC_ANALYSIS_VERSION}-{tag}.npz"


def fc_analysis(model_path: Path, dataset) -> dict[str, np.ndarray]:
    """The analysis arrays for the model at ``model_path`` on ``dataset`` (cached)."""
    return npzcache.cached(cache_path(model_path, dataset.fingerprint),
                           lambda: compute(model_path, dataset))


def compute(model_path: Path, dataset) -> dict[str, np.ndarray]:
    """Everything, uncached. scikit-learn runs on one BLAS/OpenMP thread: on a shared 2-core
    machine that is several times faster than two competing threads (and the results are the same)."""
    # Import scikit-learn first: threadpool_limits only reaches the BLAS/OpenMP libraries
    # already loaded when it is entered (scikit-learn brings its own OpenMP and SciPy's BLAS).
    import sklearn.decomposition  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.manifold  # noqa: F401
    import sklearn.metrics  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _compute(model_path, dataset)


def _compute(model_path: Path, dataset) -> dict[str, np.ndarray]:
    from generator.probe.split_activations import split_activations, subset_indices

    s = SETTINGS
    timings = {}
    t0 = time.perf_counter()
    train_idx = subset_indices(len(dataset.x_train), s["max_probe_train"], s["seed"])
    layers = ("pool1", "pool2", "fc1")
    train = split_activations(model_path, dataset, "train", layers, indices=train_idx)
    test = split_activations(model_path, dataset, "test", layers)
    train["pixels"] = dataset.x_train[train_idx].astype(np.float32) / 255.0
    test["pixels"] = dataset.x_test.astype(np.float32) / 255.0
    train = {k: v.reshape(len(v), -1) for k, v in train.items()}
    test = {k: v.reshape(len(v), -1) for k, v in test.items()}
    y_train, y_test = dataset.y_train[train_idx], dataset.y_test
    timings["activations"] = time.perf_counter() - t0

    out: dict[str, np.ndarray] = {"stages": np.array(STAGES), "embedded": np.array(EMBEDDED)}
    t0 = time.perf_counter()
    probes = [linear_probe(train[k], y_train, test[k], y_test) for k in STAGES]
    out["probe_test_accuracy"] = np.array([p["test_accuracy"] for p in probes])
    out["probe_train_accuracy"] = np.array([p["train_accuracy"] for p in probes])
    out["probe_iterations"] = np.array([p["iterations"] for p in probes])
    out["probe_dims"] = np.array([train[k].shape[1] for k in STAGES])
    out["probe_n_train"] = np.array(len(y_train))
    out["probe_n_test"] = np.array(len(y_test))
    timings["probes"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    embed_idx = subset_indices(len(y_test), s["max_embed"], s["seed"])
    emb = [embed_2d(test[k][embed_idx], y_test[embed_idx]) for k in EMBEDDED]
    out["embed_index"] = embed_idx
    out["embed_labels"] = y_test[embed_idx]
    for key in ("pca", "tsne", "pca_variance", "silhouette_pca", "silhouette_tsne", "silhouette_features"):
        out[key] = np.stack([e[key] for e in emb])
    timings["embeddings"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    out.update(unit_statistics(test["fc1"], y_test))
    timings["units"] = time.perf_counter() - t0
    out["timing_names"] = np.array(list(timings))
    out["timing_seconds"] = np.array([round(v, 2) for v in timings.values()])
    return out


def linear_probe(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                 y_test: np.ndarray) -> dict:
    """Logistic regression on standardised features: accuracy on train and test, iterations used."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    s = SETTINGS
    scaler = StandardScaler().fit(x_train)
    clf = LogisticRegression(C=s["probe_C"], max_iter=s["probe_max_iter"], random_state=s["seed"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(scaler.transform(x_train), y_train)
    return {
        "train_accuracy": float(clf.score(scaler.transform(x_train), y_train)),
        "test_accuracy": float(clf.score(scaler.transform(x_test), y_test)),
        "iterations": int(np.max(clf.n_iter_)),
    }


def embed_2d(x: np.ndarray, labels: np.ndarray) -> dict:
    """PCA and t-SNE maps of ``x`` (N, D), the PCA variance ratios and silhouette scores."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from sklearn.metrics import silhouette_score

    s = SETTINGS
    x = x.astype(np.float64)
    n = len(x)
    pca = PCA(n_components=2, random_state=s["seed"]).fit(x)
    dims = int(min(s["tsne_pca_dims"], n - 1, x.shape[1]))
    reduced = PCA(n_components=dims, random_state=s["seed"]).fit_transform(x)
    perplexity = float(min(s["tsne_perplexity"], max(2.0, (n - 1) / 3.0)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto",
                max_iter=s["tsne_max_iter"], random_state=s["seed"]).fit_transform(reduced)
    two_classes = len(np.unique(labels)) > 1
    pca_map = pca.transform(x)
    return {
        "pca": pca_map.astype(np.float32),
        "tsne": tsne.astype(np.float32),
        "pca_variance": pca.explained_variance_ratio_.astype(np.float64),
        "silhouette_pca": silhouette_score(pca_map, labels) if two_classes else np.nan,
        "silhouette_tsne": silhouette_score(tsne, labels) if two_classes else np.nan,
        "silhouette_features": silhouette_score(x, labels) if two_classes else np.nan,
    }


def top_images(acts: np.ndarray, k: int) -> np.ndarray:
    """(units, k) indices of the images with the highest activation of each unit, highest first
    (ties: lower image index first)."""
    order = np.argsort(-acts, axis=0, kind="stable")
    return order[:k].T


def majority_fraction(labels: np.ndarray) -> np.ndarray:
    """For each row of labels, the fraction taken by its most common label."""
    labels = np.asarray(labels)
    counts = np.stack([(labels == d).sum(axis=1) for d in range(10)], axis=1)
    return counts.max(axis=1) / labels.shape[1]


def unit_statistics(fc1: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """fc1 over the test set: firing frequency, dead units, sparsity, top-k images per unit."""
    s = SETTINGS
    k = int(min(s["top_k"], len(fc1)))
    active = fc1 > 0
    firing = active.mean(axis=0)
    alive = np.flatnonzero(active.any(axis=0))
    top = top_images(fc1, k)
    purity = np.full(fc1.shape[1], np.nan)
    if alive.size:
        purity[alive] = majority_fraction(labels[top[alive]])
    rng = np.random.default_rng(s["seed"])
    sets = np.stack([rng.choice(len(labels), size=k, replace=False) for _ in range(s["chance_draws"])])
    chance = float(majority_fraction(labels[sets]).mean())
    n_sample = int(min(s["sample_units"], alive.size))
    sample = np.sort(rng.choice(alive, size=n_sample, replace=False)) if n_sample else np.zeros(0, int)
    return {
        "unit_firing": firing,
        "unit_mean": fc1.mean(axis=0),
        "unit_max": fc1.max(axis=0),
        "active_per_image": active.sum(axis=1),
        "zero_fraction": np.array(1.0 - active.mean()),
        "dead_units": np.flatnonzero(~active.any(axis=0)),
        "unit_purity": purity,
        "chance_purity": np.array(chance),
        "sample_units": sample,
        "sample_top_index": top[sample],
        "sample_top_values": np.take_along_axis(fc1[:, sample], top[sample].T, axis=0).T,
    }
