"""Gather every number of the build into one JSON-able report (the only source of page numbers)."""

from __future__ import annotations

import datetime as _dt
import json
from importlib import metadata

from generator import __version__
from generator.util.fsio import stable_json

#: The original post, cited wherever its numbers appear.
POST = {
    "title": "TensorFlow 學習筆記 Day 10 (2016): Deep MNIST, layer 2",
    "test_accuracy": 0.992,
    "test_accuracy_without_layer2": 0.9888,
    "steps": 20000,
    "batch_size": 50,
    # The post's training code (TensorFlow's Deep MNIST tutorial) feeds keep_prob 0.5 to the
    # dropout after fc1, i.e. dropout rate 0.5; it says dropout is there to prevent overfitting.
    "dropout": 0.5,
    "dataset": "MNIST (TensorFlow tutorial input_data: 55,000 train / 5,000 validation / 10,000 test)",
    "train_images": 55000,
    "validation_images": 5000,
    "test_images": 10000,
}


def _versions(base: dict) -> dict:
    out = dict(base)
    for dist in ("jinja2", "matplotlib", "mkdocs", "mkdocs-material", "mkdocs-static-i18n"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def _command(cfg) -> str:
    from generator.cli import command_for

    return command_for(cfg)


def run_entry(run) -> dict:
    rec = run.record
    spec = rec["spec"]
    return {
        "id": run.spec.id,
        "group": run.spec.group,
        "config_hash": run.key,
        **{k: spec[k] for k in ("conv_blocks", "dropout", "seed", "steps", "eval_every", "batch_size",
                                "learning_rate")},
        # passes over the training images (fractional: a run may stop mid-epoch)
        "epochs": rec["epochs"],
        "params": rec["params"],
        "test_accuracy": rec["test_accuracy"],
        "test_loss": rec["test_loss"],
        "val_images": rec.get("val_images"),
        "history": rec["history"],
        "train_seconds": rec["train_seconds"],
        "train_images_per_second": rec["train_images_per_second"],
    }


def assemble(ctx, pages: dict, *, build_seconds: float) -> dict:
    """The report as plain JSON data (round-tripped, so pages see exactly what is published)."""
    cfg, baseline = ctx.cfg, ctx.baseline
    idx = cfg.image_index
    probs = ctx.probe["fc2"]
    report = {
        "generator": {
            "version": __version__,
            "profile": cfg.profile.name,
            "profile_description": cfg.profile.description,
            "profile_steps": cfg.profile.steps,
            "built_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "build_seconds": round(build_seconds, 2),
        },
        "versions": _versions(baseline.record["versions"]),
        "dataset": ctx.dataset.summary(),
        "settings": {
            "dataset": cfg.dataset,
            "data_dir": str(cfg.data_dir) if cfg.data_dir else None,
            "seed": cfg.seed,
            "image_index": idx,
            "epochs_override": cfg.epochs,
            "learning_rate": cfg.learning_rate,
            # What reproduces these numbers: the command (with dataset.fingerprint, versions and
            # runs[].config_hash to check that the data, libraries and settings match).
            "dataset_requested": "idx" if cfg.data_dir is not None else cfg.dataset,
            "command": _command(cfg),
        },
        "model": {
            "name": "deep-mnist",
            "params": baseline.record["params"],
            "layers": baseline.record["layers"],
        },
        "runs": [run_entry(r) for r in ctx.runs],
        "probe": {
            "image_index": idx,
            "label": int(ctx.dataset.y_test[idx]),
            "predicted": int(probs.argmax()),
            "confidence": float(probs.max()),
        },
        "post": POST,
        "pages": pages,
    }
    return json.loads(stable_json(report))


def to_bytes(report: dict) -> bytes:
    return stable_json(report).encode("utf-8")
