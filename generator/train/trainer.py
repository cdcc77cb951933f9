"""Train one :class:`RunSpec` on a :class:`Dataset`, or reuse the cached result."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from generator.data.split import stratified_subset
from generator.errors import MissingDependencyError, TrainingError
from generator.experiments import RunSpec
from generator.model.cnn import MODEL_CODE_VERSION
from generator.train.cache import CacheEntry, RunCache, library_versions, run_key


#: Validation images scored at each point of a run's learning curve (a stratified, seeded
#: subset when there are more). On full MNIST, scoring all 6,000 at four points would cost
#: more than a short experiment run's training.
MAX_VAL_IMAGES = 2_000


@dataclass(frozen=True)
class TrainedRun:
    spec: RunSpec
    key: str
    model_path: Path
    #: The cached record: spec, history, test metrics, layer table, timings.
    record: dict
    #: True when this build trained it (False: reused from the cache).
    trained_now: bool


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence what TensorFlow's C++ start-up writes straight to file descriptor 2 (absl and
    CUDA-probe lines that TF_CPP_MIN_LOG_LEVEL does not reach) while it is imported."""
    if "tensorflow" in sys.modules:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras():
    """Import Keras (TensorFlow backend) quietly, or say how to install it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    try:
        with _quiet_native_stderr():
            import keras  # noqa: F401
            import tensorflow as tf  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"Keras/TensorFlow is needed to train ({exc}). Install it: pip install -e ."
        ) from None
    return keras, tf


def as_input(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) → float32 (N, 28, 28, 1) in [0, 1]."""
    return (x.astype(np.float32) / 255.0)[..., None]


def train_or_load(spec: RunSpec, dataset, cache: RunCache, *, force: bool = False,
                  log: Callable[[str], None] = print) -> TrainedRun:
    key = run_key(spec.as_dict(), dataset.fingerprint, MODEL_CODE_VERSION)
    entry = None if force else cache.get(key)
    if entry is not None:
        return TrainedRun(spec, key, entry.model_path, entry.record, trained_now=False)
    entry = _train(spec, dataset, cache, key, log)
    return TrainedRun(spec, key, entry.model_path, entry.record, trained_now=True)


def _train(spec: RunSpec, dataset, cache: RunCache, key: str, log) -> CacheEntry:
    keras, tf = import_keras()
    from generator.model.cnn import build_model, layer_table
    from generator.train import loop
    from generator.train.progress import Progress

    keras.utils.set_random_seed(spec.seed)
    tf.config.experimental.enable_op_determinism()

    model = build_model(conv_blocks=spec.conv_blocks, dropout=spec.dropout)
    x_train, y_train = as_input(dataset.x_train), dataset.y_train.astype(np.int64)
    val_idx = stratified_subset(dataset.y_val, MAX_VAL_IMAGES, seed=0)
    x_val, y_val = as_input(dataset.x_val[val_idx]), dataset.y_val[val_idx].astype(np.int64)
    x_test, y_test = as_input(dataset.x_test), dataset.y_test.astype(np.int64)

    start = time.perf_counter()
    try:
        with Progress(spec.id, spec.steps, len(x_train) / spec.batch_size) as progress:
            history = loop.fit(model, x_train, y_train, x_val, y_val, steps=spec.steps,
                               eval_every=spec.eval_every, batch_size=spec.batch_size,
                               seed=spec.seed, learning_rate=spec.learning_rate,
                               on_batch=progress.on_batch, on_eval=progress.on_eval)
    except (tf.errors.OpError, ValueError) as exc:
        raise TrainingError(f"training {spec.id} failed: {exc}".splitlines()[0]) from None
    train_seconds = time.perf_counter() - start
    test_loss, test_accuracy = loop.evaluate(model, x_test, y_test)

    record = {
        "id": spec.id,
        "key": key,
        "spec": spec.as_dict(),
        "data_fingerprint": dataset.fingerprint,
        "versions": library_versions(),
        "code_version": MODEL_CODE_VERSION,
        "steps": spec.steps,
        "epochs": round(spec.steps * spec.batch_size / len(x_train), 3),
        # the history's validation numbers are over this many validation images
        "val_images": int(len(val_idx)),
        "history": history,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "train_seconds": round(train_seconds, 2),
        "train_images_per_second": round(spec.steps * spec.batch_size / train_seconds, 1),
        "params": int(model.count_params()),
        "layers": layer_table(model),
    }
    log(f"trained {spec.id}: test accuracy {test_accuracy:.4f} in {train_seconds:.0f} s")
    return cache.put(key, lambda p: model.save(p), record)
