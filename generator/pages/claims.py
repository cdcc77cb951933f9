"""The claims table: every factual claim of the post next to our measurement and a verdict.

The verdicts are decided here by explicit rules on measured numbers. :func:`evaluate`
reads only report-shaped data (``report["runs"]``, ``report["model"]["layers"]``,
``report["dataset"]``, ``report["post"]``), so the table can be recomputed from the
published report.json alone.

Rules (accuracies are fractions; "pp" = percentage points):

* **Absolute accuracy** (≈ 99.2 % with the full model, 98.88 % without layer 2):
  *confirmed* if ``|our mean − post| <= max(2·sd, 0.3 pp)``; otherwise *depends on
  data* when our data are not full MNIST, *inconclusive: shorter training* when our
  runs took fewer steps than the post's, else *not reproduced*.
* **Layer 2 reacts to smaller features than layer 1**: *confirmed* if conv2's
  receptive field is smaller than conv1's, else *not reproduced* (architecture only).
* **Dropout prevents overfitting**: the overfitting gap (final training accuracy −
  final validation accuracy) of the dropout experiment's runs without dropout
  against those at the post's rate; *confirmed* if the gap shrinks by more than
  ``max(2·se, 0.1 pp)``; otherwise *depends on data* off full MNIST, else *not
  reproduced*; *not measured in this build* without those runs.
* **More layers give better accuracy**: each added conv block of the depth ablation
  (1→2, 2→3) is *higher*, *lower* or *unclear* by :func:`compare`; *confirmed* if
  every step is higher, *partly confirmed* if some are, otherwise *depends on data*
  off full MNIST, else *not reproduced*.
"""

from __future__ import annotations

from generator.experiments.summary import MIN_DIFFERENCE, SE_FACTOR, compare, select, summarise, values
from generator.pages.base import BuildContext, PageData

#: Tolerance floor for an absolute accuracy claim: 0.3 percentage points.
ACCURACY_FLOOR = 0.003
#: Our tolerance is at least this many standard deviations of our runs.
SD_FACTOR = 2.0
#: Every verdict, in the order the page explains them.
VERDICTS = ("confirmed", "partly_confirmed", "not_reproduced", "depends_on_data",
            "inconclusive_short_training", "not_measured")
#: The claims, in table order.
CLAIMS = ("accuracy_full_model", "accuracy_without_layer2", "layer2_smaller_features",
          "dropout_prevents_overfitting", "more_layers_better")
FULL_MNIST = "mnist"


def _data(dataset: dict, profile: str, runs: list[dict]) -> dict:
    """Where a row's numbers came from: the data set, the profile and the runs' schedule."""
    return {
        "dataset": dataset["name"],
        "train": dataset["train"],
        "test": dataset["test"],
        "full_mnist": dataset["name"] == FULL_MNIST,
        "profile": profile,
        "runs": len(runs),
        "run_ids": [r["id"] for r in runs],
        "seeds": sorted({r["seed"] for r in runs}),
        "steps": sorted({r["steps"] for r in runs}),
    }


def _not_measured(claim: str, post_value, data: dict) -> dict:
    return {"id": claim, "post": post_value, "ours": None, "data": data, "verdict": "not_measured"}


def _fallback(full_mnist: bool, steps: list[int] | None = None, post_steps: int | None = None) -> str:
    """The verdict when the measurement disagrees with the post."""
    if not full_mnist:
        return "depends_on_data"
    if steps is not None and post_steps is not None and max(steps) < post_steps:
        return "inconclusive_short_training"
    return "not_reproduced"


def accuracy_claim(claim: str, post_value: float, runs: list[dict], dataset: dict, profile: str,
                   post_steps: int) -> dict:
    data = _data(dataset, profile, runs)
    if not runs:
        return _not_measured(claim, post_value, data)
    acc = summarise(values(runs, "test_accuracy"))
    tolerance = max(SD_FACTOR * acc["sd"], ACCURACY_FLOOR)
    difference = acc["mean"] - post_value
    verdict = ("confirmed" if abs(difference) <= tolerance
               else _fallback(data["full_mnist"], data["steps"], post_steps))
    return {
        "id": claim, "post": post_value, "data": data, "verdict": verdict,
        "ours": {"test_accuracy": acc, "difference": difference, "tolerance": tolerance,
                 "difference_pp": 100 * difference, "tolerance_pp": 100 * tolerance},
    }


def _receptive_field(layers: list[dict], name: str) -> int | None:
    return next((int(r["receptive_field"]) for r in layers if r["name"] == name), None)


def layer2_claim(layers: list[dict], dataset: dict, profile: str) -> dict:
    rf1, rf2 = _receptive_field(layers, "conv1"), _receptive_field(layers, "conv2")
    data = {**_data(dataset, profile, []), "architecture_only": True}
    if rf1 is None or rf2 is None:
        return _not_measured("layer2_smaller_features", "smaller", data)
    return {
        "id": "layer2_smaller_features", "post": "smaller", "data": data,
        "verdict": "confirmed" if rf2 < rf1 else "not_reproduced",
        "ours": {"conv1": rf1, "conv2": rf2, "ratio": rf2 / rf1},
    }


def overfitting_gap(run: dict) -> float:
    """Final training accuracy − final validation accuracy (Keras: training accuracy is
    measured with dropout active, validation accuracy without)."""
    h = run["history"]
    return float(h["accuracy"][-1]) - float(h["val_accuracy"][-1])


def dropout_claim(runs: list[dict], post_rate: float, dataset: dict, profile: str,
                  fair_gaps: dict[str, float] | None = None) -> dict:
    """``fair_gaps`` (run id → training accuracy with dropout *off* − validation accuracy, from
    the dropout page) replaces Keras' training accuracy, measured with dropout on, when given."""
    group = select(runs, group="dropout")
    without, with_ = select(group, dropout=0.0), select(group, dropout=post_rate)
    data = _data(dataset, profile, without + with_)
    if not without or not with_:
        return _not_measured("dropout_prevents_overfitting", post_rate, data)
    fair = bool(fair_gaps) and all(r["id"] in fair_gaps for r in without + with_)
    gap = (lambda r: fair_gaps[r["id"]]) if fair else overfitting_gap
    gap_without = summarise(values(without, gap))
    gap_with = summarise(values(with_, gap))
    c = compare(gap_with, gap_without)  # "higher": the gap is larger without dropout
    verdict = "confirmed" if c["outcome"] == "higher" else _fallback(data["full_mnist"])
    return {
        "id": "dropout_prevents_overfitting", "post": post_rate, "data": data, "verdict": verdict,
        "ours": {
            "rate": post_rate,
            "gap_dropout_off": fair,
            "gap_without": gap_without, "gap_with": gap_with,
            "gap_reduction": c["difference"], "threshold": c["threshold"], "outcome": c["outcome"],
            "gap_reduction_pp": 100 * c["difference"], "threshold_pp": 100 * c["threshold"],
            "accuracy_without": summarise(values(without, "test_accuracy")),
            "accuracy_with": summarise(values(with_, "test_accuracy")),
        },
    }


def depth_claim(runs: list[dict], dataset: dict, profile: str) -> dict:
    group = select(runs, group="depth")
    data = _data(dataset, profile, group)
    blocks = sorted({r["conv_blocks"] for r in group})
    if len(blocks) < 2:
        return _not_measured("more_layers_better", "better", data)
    acc = {b: summarise(values(select(group, conv_blocks=b), "test_accuracy")) for b in blocks}
    steps = []
    for a, b in zip(blocks, blocks[1:]):
        c = compare(acc[a], acc[b])
        steps.append({"from_blocks": a, "to_blocks": b, **c, "difference_pp": 100 * c["difference"],
                      "threshold_pp": 100 * c["threshold"]})
    higher = sum(s["outcome"] == "higher" for s in steps)
    verdict = ("confirmed" if higher == len(steps) else "partly_confirmed" if higher
               else _fallback(data["full_mnist"]))
    return {
        "id": "more_layers_better", "post": "better", "data": data, "verdict": verdict,
        "ours": {"variants": [{"conv_blocks": b, "test_accuracy": acc[b]} for b in blocks],
                 "steps": steps, "higher_steps": higher},
    }


def evaluate(runs: list[dict], layers: list[dict], dataset: dict, post: dict, profile: str,
             fair_gaps: dict[str, float] | None = None) -> dict:
    """Every claim's row from report-shaped data; see the module docstring for the rules."""
    full = select(runs, group="baseline")
    without_layer2 = select(runs, group="depth", conv_blocks=1)
    rows = [
        accuracy_claim("accuracy_full_model", post["test_accuracy"], full, dataset, profile, post["steps"]),
        accuracy_claim("accuracy_without_layer2", post["test_accuracy_without_layer2"], without_layer2,
                       dataset, profile, post["steps"]),
        layer2_claim(layers, dataset, profile),
        dropout_claim(runs, post["dropout"], dataset, profile, fair_gaps),
        depth_claim(runs, dataset, profile),
    ]
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    return {
        "rows": rows,
        "counts": counts,
        "rules": {"accuracy_floor": ACCURACY_FLOOR, "accuracy_floor_pp": 100 * ACCURACY_FLOOR,
                  "sd_factor": SD_FACTOR, "se_factor": SE_FACTOR, "difference_floor": MIN_DIFFERENCE,
                  "difference_floor_pp": 100 * MIN_DIFFERENCE},
    }


def analyse(ctx: BuildContext) -> PageData:
    from generator.report import POST, run_entry

    runs = [run_entry(r) for r in ctx.runs]
    dropout_rows = ctx.pages.get("dropout", {}).get("runs", [])
    fair_gaps = {row["id"]: row["gap"] for row in dropout_rows}
    return PageData(evaluate(runs, ctx.baseline.record["layers"], ctx.dataset.summary(), POST,
                             ctx.cfg.profile.name, fair_gaps))


def context(report: dict) -> dict:
    return {
        "n": report["pages"]["claims"],
        "c": {row["id"]: row for row in report["pages"]["claims"]["rows"]},
        "dataset": report["dataset"],
        "post": report["post"],
        "generator": report["generator"],
        "full_mnist": report["dataset"]["name"] == FULL_MNIST,
    }
