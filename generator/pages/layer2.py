"""The layer-2 page: conv2's filters and its maps for one test image, before ReLU,
after ReLU and after max-pooling, next to layer 1."""

from __future__ import annotations

import numpy as np

from generator.figures.render import FigureJob
from generator.pages.base import BuildContext, PageData, common_context

FIG = "figures/layer2"
DRAW = "generator.figures.layer2"

#: The arrays the issue asks to publish for layer 2, in one file.
PUBLISHED = ("input", "pool1", "conv2_kernel", "conv2_bias", "conv2_preact", "conv2_relu", "pool2")


def receptive_field(layers: list[dict], name: str) -> int:
    for row in layers:
        if row["name"] == name:
            return int(row["receptive_field"])
    raise KeyError(f"layer {name!r} not in the model table")


def analyse(ctx: BuildContext) -> PageData:
    p = ctx.probe
    kernel, bias = p["conv2_kernel"], p["conv2_bias"]
    pre, relu, pool = p["conv2_preact"], p["conv2_relu"], p["pool2"]
    layers = ctx.baseline.record["layers"]
    rf1, rf2 = receptive_field(layers, "conv1"), receptive_field(layers, "conv2")
    sparsity = (relu <= 0).mean(axis=(0, 1))
    mean_act = relu.mean(axis=(0, 1))
    order = np.argsort(-mean_act, kind="stable")
    conv1_zero = float((p["conv1_relu"] <= 0).mean())
    numbers = {
        "kernel_shape": list(kernel.shape),
        "kernel_abs_max": float(np.abs(kernel).max()),
        "kernel_channel0_abs_max": float(np.abs(kernel[:, :, 0, :]).max()),
        "kernel_mean": float(kernel.mean()),
        "bias_min": float(bias.min()),
        "bias_max": float(bias.max()),
        "preact_min": float(pre.min()),
        "preact_max": float(pre.max()),
        "preact_negative_fraction": float((pre < 0).mean()),
        "relu_max": float(relu.max()),
        "relu_zero_fraction": float((relu <= 0).mean()),
        "conv1_zero_fraction": conv1_zero,
        "pool_max": float(pool.max()),
        "pool_zero_fraction": float((pool <= 0).mean()),
        "pool_shape": list(pool.shape),
        "map_shape": list(relu.shape),
        "sparsity": [round(float(s), 4) for s in sparsity],
        "silent_filters": [int(i) for i in np.flatnonzero(sparsity >= 1.0)],
        "most_active_filters": [int(i) for i in order[:3]],
        "receptive_field": {"conv1": rf1, "conv2": rf2},
    }
    arrays_pre = {"conv2_preact": pre}
    figures = [
        FigureJob(f"{FIG}/input.png", f"{DRAW}:input_digit", {"input": p["input"]},
                  {"label": int(ctx.dataset.y_test[ctx.cfg.image_index]),
                   "predicted": int(p["fc2"].argmax())}),
        FigureJob(f"{FIG}/conv2_kernels_all.png", f"{DRAW}:conv2_kernels_all", {"conv2_kernel": kernel}),
        FigureJob(f"{FIG}/conv2_kernels_channel0.png", f"{DRAW}:conv2_kernels_channel0",
                  {"conv2_kernel": kernel}),
        FigureJob(f"{FIG}/conv2_preact.png", f"{DRAW}:conv2_stage_maps", arrays_pre, {"diverging": True}),
        FigureJob(f"{FIG}/conv2_relu.png", f"{DRAW}:conv2_stage_maps", {"conv2_relu": relu},
                  {"diverging": False}),
        FigureJob(f"{FIG}/pool2.png", f"{DRAW}:conv2_stage_maps", {"pool2": pool}, {"diverging": False}),
        FigureJob(f"{FIG}/conv2_sparsity.png", f"{DRAW}:sparsity_bars",
                  {"sparsity": sparsity.astype(np.float32)}),
        FigureJob(f"{FIG}/layer1_vs_layer2.png", f"{DRAW}:layer1_vs_layer2",
                  {"input": p["input"], "conv1_relu": p["conv1_relu"], "conv2_relu": relu},
                  {"rf1": rf1, "rf2": rf2}),
    ]
    return PageData(numbers, figures, {f"{FIG}/layer2.npz": {k: p[k] for k in PUBLISHED}})


def context(report: dict) -> dict:
    return common_context(report, "layer2")
