"""The fully connected layer page: what fc1 receives and emits, its share of the parameters,
how the digits separate layer by layer (2-D embeddings, linear probes) and what single
fc1 units respond to over the test set."""

from __future__ import annotations

import math

import numpy as np

from generator.figures.render import FigureJob
from generator.pages.base import BuildContext, PageData, common_context

FIG = "figures/fc"
DRAW = "generator.figures.fc"
#: A unit counts as "selective" when at least this fraction of its top-k test images are one digit.
SELECTIVE = 0.75
#: A unit counts as "almost always on" when it fires on at least this fraction of test images.
ALWAYS_ON = 0.99

STAGE_TITLES = {"pixels": "pixels", "pool1": "pool1", "pool2": "pool2 (flattened)", "fc1": "fc1"}


def _rows_by_name(layers: list[dict]) -> dict[str, dict]:
    return {row["name"]: row for row in layers}


def parameters(layers: list[dict], total: int) -> dict:
    """fc1's inputs, units and parameters and each trainable layer's share, from the layer table."""
    rows = _rows_by_name(layers)
    inputs = int(math.prod(rows["flatten"]["output_shape"]))
    units = int(rows["fc1"]["output_shape"][0])
    trainable = [r for r in layers if r["params"] > 0]
    return {
        "pool2_shape": list(rows["pool2"]["output_shape"]),
        "fc1_inputs": inputs,
        "fc1_units": units,
        "fc1_weights": inputs * units,
        "fc1_biases": units,
        "fc1_params": int(rows["fc1"]["params"]),
        "total_params": int(total),
        "fc1_share": rows["fc1"]["params"] / total,
        "conv_params": int(sum(r["params"] for r in trainable if r["type"] == "Conv2D")),
        "conv_share": sum(r["params"] for r in trainable if r["type"] == "Conv2D") / total,
        "table": [{"name": r["name"], "type": r["type"], "params": int(r["params"]),
                   "share": r["params"] / total} for r in trainable],
    }


def _float_or_none(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def analyse(ctx: BuildContext) -> PageData:
    from generator.probe.fc_analysis import SETTINGS, fc_analysis

    run = ctx.baseline
    res = fc_analysis(run.model_path, ctx.dataset)
    params = parameters(run.record["layers"], run.record["params"])
    stages = [str(s) for s in res["stages"]]
    embedded = [str(s) for s in res["embedded"]]
    test_acc = res["probe_test_accuracy"]
    probe_rows = [
        {"stage": s, "dims": int(d), "test_accuracy": float(a), "train_accuracy": float(t),
         "iterations": int(i)}
        for s, d, a, t, i in zip(stages, res["probe_dims"], test_acc, res["probe_train_accuracy"],
                                 res["probe_iterations"])
    ]
    acc = dict(zip(stages, (float(a) for a in test_acc)))
    embed_rows = [
        {"stage": s, "dims": int(res["probe_dims"][stages.index(s)]),
         "pca_variance": [float(v) for v in res["pca_variance"][i]],
         "pca_variance_total": float(res["pca_variance"][i].sum()),
         "silhouette_pca": _float_or_none(res["silhouette_pca"][i]),
         "silhouette_tsne": _float_or_none(res["silhouette_tsne"][i]),
         "silhouette_features": _float_or_none(res["silhouette_features"][i])}
        for i, s in enumerate(embedded)
    ]

    firing = res["unit_firing"]
    purity = res["unit_purity"]
    alive = ~np.isnan(purity)
    per_image = res["active_per_image"]
    units_total = int(firing.size)
    dead = res["dead_units"]
    labels = ctx.dataset.y_test
    sample = res["sample_units"]
    top_idx = res["sample_top_index"]
    top_labels = labels[top_idx] if top_idx.size else np.zeros((0, 0), int)
    sample_rows = []
    for r, unit in enumerate(sample):
        counts = np.bincount(top_labels[r], minlength=10)
        sample_rows.append({"unit": int(unit), "firing": float(firing[unit]),
                            "top_digit": int(counts.argmax()), "purity": float(purity[unit]),
                            "top_labels": [int(v) for v in top_labels[r]],
                            "top_values": [round(float(v), 4) for v in res["sample_top_values"][r]]})
    units = {
        "count": units_total,
        "test_images": int(len(per_image)),
        "dead": int(dead.size),
        "dead_fraction": dead.size / units_total,
        "zero_fraction": float(res["zero_fraction"]),
        "active_per_image_mean": float(per_image.mean()),
        "active_per_image_min": int(per_image.min()),
        "active_per_image_max": int(per_image.max()),
        "active_fraction_mean": float(per_image.mean()) / units_total,
        "firing_median_alive": float(np.median(firing[alive])) if alive.any() else 0.0,
        "always_on": int((firing >= ALWAYS_ON).sum()),
        "always_on_threshold": ALWAYS_ON,
        "top_k": int(top_idx.shape[1]) if top_idx.ndim == 2 and top_idx.size else int(SETTINGS["top_k"]),
        "purity_mean": float(purity[alive].mean()) if alive.any() else 0.0,
        "chance_purity": float(res["chance_purity"]),
        "selective_threshold": SELECTIVE,
        "selective": int((purity[alive] >= SELECTIVE).sum()),
        "selective_fraction_alive": float((purity[alive] >= SELECTIVE).mean()) if alive.any() else 0.0,
        "sample": sample_rows,
    }
    best = max(stages, key=lambda s: acc[s])
    numbers = {
        **params,
        "probe": {
            "rows": probe_rows,
            "n_train": int(res["probe_n_train"]),
            "n_test": int(res["probe_n_test"]),
            "C": SETTINGS["probe_C"],
            "max_iter": SETTINGS["probe_max_iter"],
            "best_stage": best,
            "gain_pixels_to_fc1_pp": 100 * (acc["fc1"] - acc["pixels"]),
            "gain_pool2_to_fc1_pp": 100 * (acc["fc1"] - acc["pool2"]),
            "fc1_beats_pool2": acc["fc1"] > acc["pool2"],
            "model_test_accuracy": float(run.record["test_accuracy"]),
            "model_fc1_probe_diff_pp": 100 * abs(float(run.record["test_accuracy"]) - acc["fc1"]),
            "model_above_probe": float(run.record["test_accuracy"]) >= acc["fc1"],
            "capped_iterations": sum(int(r["iterations"]) >= SETTINGS["probe_max_iter"] for r in probe_rows),
        },
        "embedding": {
            "n": int(len(res["embed_index"])),
            "rows": embed_rows,
            "tsne_pca_dims": SETTINGS["tsne_pca_dims"],
            "perplexity": float(min(SETTINGS["tsne_perplexity"], max(2.0, (len(res["embed_index"]) - 1) / 3))),
            "tsne_max_iter": SETTINGS["tsne_max_iter"],
            "seed": SETTINGS["seed"],
        },
        "units": units,
        "analysis_seconds": {str(k): float(v) for k, v in zip(res["timing_names"], res["timing_seconds"])},
    }

    dims = {r["stage"]: r["dims"] for r in probe_rows}
    top_images = ctx.dataset.x_test[top_idx] if top_idx.size else np.zeros((0, 0, 28, 28), np.uint8)
    figures = [
        FigureJob(f"{FIG}/embeddings.png", f"{DRAW}:embeddings",
                  {"pca": res["pca"], "tsne": res["tsne"], "labels": res["embed_labels"]},
                  {"titles": [f"{STAGE_TITLES[s]} · {dims[s]:,} values" for s in embedded]}),
        FigureJob(f"{FIG}/unit_firing.png", f"{DRAW}:unit_firing",
                  {"firing": firing, "active_per_image": per_image}, {"units": units_total}),
    ]
    if len(sample):
        figures.append(FigureJob(f"{FIG}/top_images.png", f"{DRAW}:top_images",
                                 {"images": top_images, "values": res["sample_top_values"],
                                  "units": sample, "labels": top_labels}))
    tables = {
        f"{FIG}/linear_probe.npz": {
            "stage": np.array(stages), "dims": res["probe_dims"], "test_accuracy": test_acc,
            "train_accuracy": res["probe_train_accuracy"], "iterations": res["probe_iterations"],
        },
        f"{FIG}/parameters.npz": {
            "layer": np.array([r["name"] for r in params["table"]]),
            "params": np.array([r["params"] for r in params["table"]]),
            "share": np.array([r["share"] for r in params["table"]]),
        },
        f"{FIG}/fc1_units.npz": {
            "firing": firing, "mean": res["unit_mean"], "max": res["unit_max"], "top_k_purity": purity,
            "dead_units": dead, "active_per_image": per_image, "test_labels": labels,
        },
        f"{FIG}/embedding_index.npz": {"test_index": res["embed_index"], "labels": res["embed_labels"]},
    }
    return PageData(numbers, figures, tables)


def context(report: dict) -> dict:
    return common_context(report, "fc")
