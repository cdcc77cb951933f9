"""Run the whole benchmark and print a table (or JSON)."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path


def full_mnist_estimate(images_per_second: float, profile: str = "standard", *,
                        inference_images_per_second: float | None = None) -> dict:
    """Training time of a profile on full MNIST (54,000 training, 6,000 validation and 10,000
    test images), estimated from the measured throughputs and the runs the build would train
    (shared runs counted once): the optimizer steps, and, when the inference throughput is
    given, each run's validation points and its test-set score."""
    from generator.config import PROFILES, BuildConfig
    from generator.experiments.registry import eval_points, runs_for
    from generator.train.trainer import MAX_VAL_IMAGES

    n_train, n_val, n_test = 54_000, 6_000, 10_000
    specs = runs_for(BuildConfig(profile=PROFILES[profile]), n_train)
    unique = {tuple(sorted((k, v) for k, v in s.as_dict().items() if k not in ("id", "group")))
              for s in specs}
    runs = [dict(u) for u in unique]
    images = sum(r["steps"] * r["batch_size"] for r in runs)
    scored = sum(eval_points(r["steps"], r["eval_every"]) * min(n_val, MAX_VAL_IMAGES) + n_test
                 for r in runs)
    seconds = images / images_per_second
    if inference_images_per_second:
        seconds += scored / inference_images_per_second
    return {"profile": profile, "runs": len(runs), "images": images,
            "scored_images": scored if inference_images_per_second else None,
            "estimated_training_seconds": round(seconds, 0)}


def run_bench(repo: Path, *, quick: bool = False, repeats: int = 3, log=print) -> dict:
    from generator import data

    dataset = data.load("mnist-5k", warn=log)
    n = 500 if quick else min(2000, len(dataset.x_train))
    from generator.bench import builds, throughput

    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "mode": "quick" if quick else "full",
        "throughput": throughput.measure(dataset.x_train[:n], dataset.y_train[:n],
                                         repeats=1 if quick else repeats, log=log),
    }
    result["builds"] = builds.measure(repo, profile="quick" if quick else "standard",
                                      dataset="mnist-5k", warm_repeats=1 if quick else repeats,
                                      log=log)
    result["full_mnist_estimate"] = full_mnist_estimate(
        result["throughput"]["train_images_per_second"],
        inference_images_per_second=result["throughput"]["inference_images_per_second"])
    return result


def table(result: dict) -> str:
    t, b, e = result["throughput"], result["builds"], result["full_mnist_estimate"]
    rows = [
        ("training, our trainer", f"{t['train_images_per_second']:.0f} img/s"),
        ("training, plain tf.function loop", f"{t['reference_images_per_second']:.0f} img/s"),
        ("training, keras fit (default)", f"{t['keras_fit_images_per_second']:.0f} img/s"),
        ("scoring (dropout off)", f"{t['inference_images_per_second']:.0f} img/s"
         if "inference_images_per_second" in t else "—"),
        ("ours / plain loop (medians)", f"{t['ratio']:.2f}×"),
        ("ours / plain loop (best runs)", f"{t['best']['ratio']:.2f}×" if "best" in t else "—"),
        (f"cold build ({b['profile']}, {b['dataset']})", f"{b['cold_build_seconds']:.1f} s"),
        ("warm build (nothing changed)", f"{b['warm_build_seconds']:.2f} s"),
        ("bare mkdocs build", f"{b['bare_mkdocs_build_seconds']:.2f} s"),
        ("warm / bare", f"{b['warm_over_bare']:.2f}×"),
        (f"{e['profile']} on full MNIST (estimate)",
         f"{e['estimated_training_seconds'] / 60:.0f} min training ({e['runs']} runs)"),
    ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(*, quick: bool, repeats: int, as_json: bool, repo: Path) -> None:
    result = run_bench(repo, quick=quick, repeats=repeats,
                       log=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(result, indent=2) if as_json else table(result))
