"""A build context and report made without any model: for page and template tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generator.config import PROFILES, BuildConfig
from generator.experiments import RunSpec
from generator.train.trainer import TrainedRun

LAYERS = [
    {"name": "conv1", "type": "Conv2D", "output_shape": [28, 28, 32], "params": 832, "receptive_field": 5},
    {"name": "conv1_relu", "type": "ReLU", "output_shape": [28, 28, 32], "params": 0, "receptive_field": 5},
    {"name": "pool1", "type": "MaxPooling2D", "output_shape": [14, 14, 32], "params": 0, "receptive_field": 6},
    {"name": "conv2", "type": "Conv2D", "output_shape": [14, 14, 64], "params": 51264, "receptive_field": 14},
    {"name": "conv2_relu", "type": "ReLU", "output_shape": [14, 14, 64], "params": 0, "receptive_field": 14},
    {"name": "pool2", "type": "MaxPooling2D", "output_shape": [7, 7, 64], "params": 0, "receptive_field": 16},
    {"name": "flatten", "type": "Flatten", "output_shape": [3136], "params": 0, "receptive_field": 28},
    {"name": "fc1", "type": "Dense", "output_shape": [1024], "params": 3212288, "receptive_field": 28},
    {"name": "dropout", "type": "Dropout", "output_shape": [1024], "params": 0, "receptive_field": 28},
    {"name": "fc2", "type": "Dense", "output_shape": [10], "params": 10250, "receptive_field": 28},
]


def fake_record(spec: RunSpec, accuracy: float) -> dict:
    return {
        "id": spec.id, "key": "f" * 20, "spec": spec.as_dict(), "data_fingerprint": "fp",
        "versions": {"python": "3.11.7", "keras": "3.0", "tensorflow": "2.0", "numpy": "2.0"},
        "code_version": 1, "steps": spec.steps, "epochs": spec.steps * 50 / 3600,
        "history": {"step": [spec.eval_every, spec.steps],
                    **{k: [0.5, 0.25] for k in ("loss", "accuracy", "val_loss", "val_accuracy")}},
        "test_accuracy": accuracy, "test_loss": 0.1234, "train_seconds": 12.5,
        "train_images_per_second": 345.6, "params": 3274634, "layers": LAYERS,
    }


def fake_probe(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    pre = rng.normal(0, 1, (14, 14, 64)).astype(np.float32)
    pre[..., 5] = -1.0  # one filter silent on this image
    relu = np.maximum(pre, 0)
    fc2 = np.full(10, 0.01, np.float32)
    fc2[7] = 0.91
    conv1_relu = np.maximum(rng.normal(0, 1, (28, 28, 32)), 0).astype(np.float32)
    return {
        "input": rng.random((28, 28), dtype=np.float32),
        "conv1": rng.normal(0, 1, (28, 28, 32)).astype(np.float32),
        "conv1_relu": conv1_relu,
        "pool1": conv1_relu.reshape(14, 2, 14, 2, 32).max(axis=(1, 3)),
        "conv1_kernel": rng.normal(0, 0.1, (5, 5, 1, 32)).astype(np.float32),
        "conv1_bias": np.zeros(32, np.float32),
        "conv2_kernel": rng.normal(0, 0.05, (5, 5, 32, 64)).astype(np.float32),
        "conv2_bias": rng.normal(0, 0.01, 64).astype(np.float32),
        "conv2_preact": pre,
        "conv2_relu": relu,
        "pool2": relu.reshape(7, 2, 7, 2, 64).max(axis=(1, 3)),
        "fc1": np.maximum(rng.normal(0, 1, 1024), 0).astype(np.float32),
        "fc2": fc2,
    }


def fake_context(dataset, root: Path | None = None, accuracy: float = 0.9731):
    from generator.pages.base import BuildContext

    cfg = BuildConfig(profile=PROFILES["standard"], dataset="mnist-5k", root=root or Path("/nonexistent"))
    spec = RunSpec(id="baseline-s0", group="baseline", conv_blocks=2, dropout=0.5, seed=0, steps=1224,
                   eval_every=72, batch_size=50, learning_rate=1e-4)
    run = TrainedRun(spec, "f" * 20, Path("/nonexistent/model.keras"), fake_record(spec, accuracy),
                     trained_now=False)
    return BuildContext(cfg, dataset, [run], fake_probe())


def fake_report(dataset, accuracy: float = 0.9731) -> dict:
    from generator.pages import PAGES
    from generator.report import assemble

    ctx = fake_context(dataset, accuracy=accuracy)
    numbers = {p.slug: p.load().analyse(ctx).numbers for p in PAGES if p.slug in ("index", "layer2")}
    return assemble(ctx, numbers, build_seconds=1.0)
