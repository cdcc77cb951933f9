"""The depth page: a seeded ablation over 1, 2 (the post's network) and 3 conv blocks,
the receptive field of every layer, and the ILSVRC depth-over-time chart from a cited data file."""

from __future__ import annotations

import numpy as np

from generator.experiments.depth import GROUP
from generator.experiments.summary import MIN_DIFFERENCE, SE_FACTOR, compare, select, summarise, values
from generator.figures.render import FigureJob
from generator.pages.base import BuildContext, PageData, schedule_note
from generator.pages.data import load_ilsvrc
from generator.report import run_entry

FIG = "figures/depth"
DRAW = "generator.figures.depth"
#: Layer types that have a receptive field of their own (spatial layers).
SPATIAL = ("Conv2D", "MaxPooling2D")
#: The post's network has this many conv blocks; one fewer is the post's own ablation.
POST_BLOCKS = 2


def spatial_layers(layers: list[dict]) -> list[dict]:
    """The conv and pooling rows of a model's layer table, in forward order."""
    keep = ("name", "type", "output_shape", "params", "receptive_field")
    return [{k: row[k] for k in keep} for row in layers if row["type"] in SPATIAL]


def _row(layers: list[dict], name: str) -> dict:
    return next(row for row in layers if row["name"] == name)


def variants(runs: list[dict], layers_by_blocks: dict[int, list[dict]]) -> list[dict]:
    """One summary per number of conv blocks, from report-shaped run entries."""
    out = []
    for blocks in sorted({r["conv_blocks"] for r in runs}):
        rs = select(runs, conv_blocks=blocks)
        layers = layers_by_blocks[blocks]
        spatial = spatial_layers(layers)
        params = sorted({r["params"] for r in rs})
        if len(params) != 1:
            raise ValueError(f"depth runs with {blocks} block(s) disagree on the parameter count: {params}")
        last = spatial[-1]
        out.append({
            "conv_blocks": blocks,
            "post_network": blocks == POST_BLOCKS,
            "post_ablation": blocks == POST_BLOCKS - 1,
            "run_ids": [r["id"] for r in rs],
            "seeds": [r["seed"] for r in rs],
            "epochs": rs[0]["epochs"],
            "steps": rs[0]["steps"],
            "params": params[0],
            "fc1_params": _row(layers, "fc1")["params"],
            "fc1_units": _row(layers, "fc1")["output_shape"][0],
            "filters": [row["output_shape"][-1] for row in spatial if row["type"] == "Conv2D"],
            "fc1_inputs": _row(layers, "flatten")["output_shape"][0],
            "last_pool": last["name"],
            "last_pool_shape": last["output_shape"],
            "last_conv_shape": spatial[-2]["output_shape"],
            "final_receptive_field": last["receptive_field"],
            "layers": spatial,
            "test_accuracy": summarise(values(rs, "test_accuracy")),
            "train_seconds": summarise(values(rs, "train_seconds")),
            "images_per_second": summarise(values(rs, "train_images_per_second")),
        })
    return out


def steps_between(variant_rows: list[dict]) -> list[dict]:
    """Each added block: did mean test accuracy go up, down, or not clearly either way?"""
    steps = []
    for a, b in zip(variant_rows, variant_rows[1:]):
        c = compare(a["test_accuracy"], b["test_accuracy"])
        steps.append({
            "from_blocks": a["conv_blocks"],
            "to_blocks": b["conv_blocks"],
            **c,
            "difference_pp": None if c["difference"] is None else 100 * c["difference"],
            "threshold_pp": None if c["threshold"] is None else 100 * c["threshold"],
        })
    return steps


def receptive_field_table(variant_rows: list[dict], image_size: int) -> list[dict]:
    """Every spatial layer once, with its receptive field and the variants that have it.

    A layer's receptive field depends only on the layers before it, so it must be the
    same in every variant; a disagreement is an error.
    """
    table: dict[str, dict] = {}
    for v in variant_rows:
        for row in v["layers"]:
            entry = table.setdefault(row["name"], {"name": row["name"], "type": row["type"],
                                                   "receptive_field": row["receptive_field"],
                                                   "whole_image": row["receptive_field"] >= image_size,
                                                   "in_variants": []})
            if entry["receptive_field"] != row["receptive_field"]:
                raise ValueError(f"receptive field of {row['name']} differs between variants: "
                                 f"{entry['receptive_field']} vs {row['receptive_field']}")
            entry["in_variants"].append(v["conv_blocks"])
    return list(table.values())


def _layer2_vs_layer1(variant_rows: list[dict], image_size: int) -> dict | None:
    """Receptive fields and map sizes of conv1 and conv2 (from a variant that has conv2)."""
    v = next((v for v in variant_rows if any(r["name"] == "conv2" for r in v["layers"])), None)
    if v is None:
        return None
    conv1, conv2, pool1 = (_row(v["layers"], name) for name in ("conv1", "conv2", "pool1"))
    return {
        "conv1": conv1["receptive_field"], "conv2": conv2["receptive_field"],
        "conv1_map": conv1["output_shape"], "conv2_map": conv2["output_shape"],
        "pool1_shape": pool1["output_shape"],
        "spacing": image_size // conv2["output_shape"][0],
        "conv2_larger": conv2["receptive_field"] > conv1["receptive_field"],
        "area_ratio": (conv2["receptive_field"] / conv1["receptive_field"]) ** 2,
    }


def ilsvrc_numbers(rows: list[dict]) -> dict:
    with_depth = [r for r in rows if r["depth_layers"] is not None]
    first, deepest = with_depth[0], max(with_depth, key=lambda r: r["depth_layers"])
    return {
        "rows": rows,
        "first": first,
        "deepest": deepest,
        "depth_ratio": deepest["depth_layers"] / first["depth_layers"],
        "last": rows[-1],
        "missing_depth": [r["entry"] for r in rows if r["depth_layers"] is None],
    }


def analyse(ctx: BuildContext) -> PageData:
    runs = ctx.runs_in(GROUP)
    entries = [run_entry(r) for r in runs]
    layers_by_blocks = {}
    for r in runs:
        layers_by_blocks.setdefault(r.spec.conv_blocks, r.record["layers"])
    rows = variants(entries, layers_by_blocks)
    ilsvrc = ilsvrc_numbers(load_ilsvrc())
    image_size = int(ctx.dataset.x_test.shape[1])
    rf_table = receptive_field_table(rows, image_size)
    numbers = {
        "group": GROUP,
        "variants": rows,
        "steps": steps_between(rows),
        "seeds": sorted({r.spec.seed for r in runs}),
        "several_seeds": len({r.spec.seed for r in runs}) > 1,
        "schedule": ({k: entries[0][k] for k in ("epochs", "steps", "batch_size", "learning_rate", "dropout")}
                     if entries else None),
        "image_size": image_size,
        "receptive_fields": rf_table,
        "layer2_vs_layer1": _layer2_vs_layer1(rows, image_size),
        "rules": {"se_factor": SE_FACTOR, "difference_floor_pp": 100 * MIN_DIFFERENCE},
        "ilsvrc": ilsvrc,
        "schedule_note": schedule_note(runs[0].spec, ctx.baseline.spec) if runs else None,
    }
    figures = []
    if rows:
        figures += [_ablation_figure(rows), _rf_figure(ctx.probe["input"], rows)]
    figures.append(_ilsvrc_figure(ilsvrc["rows"]))
    return PageData(numbers, figures)


def _matrix(rows: list[dict], key: str) -> np.ndarray:
    width = max(len(v[key]["values"]) for v in rows)
    m = np.full((len(rows), width), np.nan)
    for i, v in enumerate(rows):
        m[i, : len(v[key]["values"])] = v[key]["values"]
    return m


def _ablation_figure(rows: list[dict]) -> FigureJob:
    arrays = {
        "conv_blocks": np.array([v["conv_blocks"] for v in rows], np.int64),
        "test_accuracy": _matrix(rows, "test_accuracy"),
        "params": np.array([v["params"] for v in rows], np.int64),
        "train_seconds": _matrix(rows, "train_seconds"),
    }
    return FigureJob(f"{FIG}/ablation.png", f"{DRAW}:ablation", arrays)


def _rf_figure(image: np.ndarray, rows: list[dict]) -> FigureJob:
    names = [row["name"] for row in receptive_field_table(rows, int(np.asarray(image).shape[0]))]
    rf = np.zeros((len(rows), len(names)), np.int64)  # 0: the variant has no such layer
    for i, v in enumerate(rows):
        for row in v["layers"]:
            rf[i, names.index(row["name"])] = row["receptive_field"]
    arrays = {
        "input": np.asarray(image, np.float32),
        "conv_blocks": np.array([v["conv_blocks"] for v in rows], np.int64),
        "receptive_field": rf,
    }
    return FigureJob(f"{FIG}/receptive_fields.png", f"{DRAW}:receptive_fields", arrays,
                     {"layer_names": names})


def _ilsvrc_figure(rows: list[dict]) -> FigureJob:
    arrays = {
        "year": np.array([r["year"] for r in rows], np.int64),
        "depth_layers": np.array([np.nan if r["depth_layers"] is None else r["depth_layers"] for r in rows]),
        "top5_error_pct": np.array([r["top5_error_pct"] for r in rows]),
        "place": np.array([r["place"] for r in rows], np.int64),
    }
    return FigureJob(f"{FIG}/ilsvrc_depth.png", f"{DRAW}:ilsvrc_depth", arrays,
                     {"entries": [r["entry"] for r in rows]})


def context(report: dict) -> dict:
    return {
        "n": report["pages"]["depth"],
        "runs": [r for r in report["runs"] if r["group"] == GROUP],
        "dataset": report["dataset"],
        "post": report["post"],
        "generator": report["generator"],
        "full_mnist": report["dataset"]["name"] == "mnist",
    }
