"""The dropout page: dropout applied to one real fc1 vector, and an experiment over dropout
rates (learning curves, test accuracy over seeds, train–validation gap, accuracy when fc1
units are switched off at test time), ending in verdicts computed from those numbers."""

from __future__ import annotations

import math

import numpy as np

from generator.figures.render import FigureJob
from generator.pages.base import BuildContext, PageData, common_context, schedule_note

FIG = "figures/dropout"
DRAW = "generator.figures.dropout"
#: A train–validation accuracy gap below this (or below two standard errors of the validation
#: accuracy, if larger) counts as "little overfitting".
OVERFIT_GAP = 0.01
#: The two rates the verdicts compare: no dropout and the post's rate.
NO_DROPOUT, POST_RATE = 0.0, 0.5
#: Fraction of fc1 units zeroed at which the robustness verdict is taken.
ABLATION_AT = 0.5
METRICS = ("loss", "val_loss", "accuracy", "val_accuracy")


def mean_sd(values) -> dict:
    """Mean, sample standard deviation (None for one value), min and max."""
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else None,
            "min": float(v.min()), "max": float(v.max()), "n": int(v.size)}


def demo(fc1: np.ndarray, rate: float, seed: int) -> tuple[dict, dict]:
    """Dropout on one fc1 vector: numbers and the arrays of the figure."""
    from generator.model.dropout import apply_dropout, dropout_mask

    x = np.asarray(fc1, dtype=np.float32)
    keep = dropout_mask(x.shape, rate, seed)
    y = apply_dropout(x, rate, keep)
    active = x > 0
    numbers = {
        "rate": float(rate),
        "seed": int(seed),
        "scale": 1.0 / (1.0 - rate),
        "units": int(x.size),
        "active": int(active.sum()),
        "kept": int(keep.sum()),
        "kept_fraction": float(keep.mean()),
        "active_kept": int((active & keep).sum()),
        "active_dropped": int((active & ~keep).sum()),
        "sum_inference": float(x.sum()),
        "sum_training": float(y.sum()),
        "max_inference": float(x.max()),
        "max_training": float(y.max()),
        "inference_identity": bool(np.array_equal(apply_dropout(x, rate, training=False), x)),
    }
    arrays = {"inference": x, "keep": keep.astype(np.float32), "training": y.astype(np.float32)}
    return numbers, arrays


def _verdict(diff: float, threshold: float | None, names=("better", "worse", "tie")) -> str:
    if threshold is None:
        return "single_seed"
    if diff > threshold:
        return names[0]
    if diff < -threshold:
        return names[1]
    return names[2]


def validation_images(runs, default: int) -> int:
    """Validation images behind the runs' histories; they must agree between runs."""
    counts = {int(r.record.get("val_images", default)) for r in runs}
    if len(counts) != 1:
        raise ValueError(f"dropout runs were validated on different numbers of images: {sorted(counts)}")
    return counts.pop()


def analyse(ctx: BuildContext) -> PageData:
    from generator.experiments.dropout import GROUP
    from generator.probe.unit_ablation import DRAWS, unit_ablation

    runs = ctx.runs_in(GROUP)
    if not runs:
        raise ValueError(f"the dropout page needs the runs of group {GROUP!r}; add "
                         f"'generator.experiments.dropout:runs' to PROVIDERS")
    rates = sorted({float(r.spec.dropout) for r in runs})
    seeds = sorted({int(r.spec.seed) for r in runs})
    for needed in (NO_DROPOUT, POST_RATE):
        if needed not in rates:
            raise ValueError(f"the dropout experiment must include rate {needed}. Received: rates={rates}")

    run_rows = []
    curves = {m: [] for m in METRICS}
    fractions = None
    for rate in rates:
        group = [r for r in runs if float(r.spec.dropout) == rate]
        per_seed = {m: [] for m in METRICS}
        for run in group:
            hist, rec = run.record["history"], run.record
            abl = unit_ablation(run.model_path, ctx.dataset)
            fractions = [float(f) for f in abl["fractions"]]
            curve = abl["accuracy"].mean(axis=0)
            run_rows.append({
                "id": run.spec.id, "rate": rate, "seed": int(run.spec.seed),
                "config_hash": run.key,
                "test_accuracy": float(rec["test_accuracy"]),
                "val_accuracy": float(hist["val_accuracy"][-1]),
                "val_loss": float(hist["val_loss"][-1]),
                "train_accuracy_dropout_on": float(hist["accuracy"][-1]),
                "train_loss_dropout_on": float(hist["loss"][-1]),
                "train_accuracy": float(abl["train_accuracy"]),
                "train_loss": float(abl["train_loss"]),
                "gap": float(abl["train_accuracy"]) - float(hist["val_accuracy"][-1]),
                "loss_gap": float(hist["val_loss"][-1]) - float(abl["train_loss"]),
                "gap_dropout_on": float(hist["accuracy"][-1]) - float(hist["val_accuracy"][-1]),
                "ablation_accuracy": [float(a) for a in curve],
                "ablation_drop": [float(curve[0] - a) for a in curve],
                "ablation_draw_sd": [float(s) for s in abl["accuracy"].std(axis=0)],
                "ablation_n_train": int(abl["n_train"]),
            })
            for m in METRICS:
                per_seed[m].append([float(v) for v in hist[m]])
        for m in METRICS:
            curves[m].append(per_seed[m])

    table = []
    for rate in rates:
        rows = [r for r in run_rows if r["rate"] == rate]
        abl = np.array([r["ablation_accuracy"] for r in rows])
        drop = np.array([r["ablation_drop"] for r in rows])
        if len(rows) > 1:
            spread, drop_spread, spread_kind = abl.std(axis=0, ddof=1), drop.std(axis=0, ddof=1), "seeds"
        else:
            # one seed: the spread over the random choices of units (the intact accuracy is
            # the same for every choice, so accuracy and drop share it)
            spread = drop_spread = np.array(rows[0]["ablation_draw_sd"])
            spread_kind = "unit draws"
        table.append({
            "rate": rate,
            "ids": [r["id"] for r in rows],
            **{key: mean_sd([r[key] for r in rows]) for key in (
                "test_accuracy", "val_accuracy", "val_loss", "train_accuracy", "train_loss", "gap",
                "loss_gap", "train_accuracy_dropout_on", "gap_dropout_on")},
            "ablation_mean": [float(v) for v in abl.mean(axis=0)],
            "ablation_spread": [float(v) for v in spread],
            "ablation_drop_mean": [float(v) for v in drop.mean(axis=0)],
            "ablation_drop_spread": [float(v) for v in drop_spread],
            "ablation_spread_kind": spread_kind,
        })
    by_rate = {row["rate"]: row for row in table}
    base, post = by_rate[NO_DROPOUT], by_rate[POST_RATE]
    n_seeds = len(seeds)
    diff = post["test_accuracy"]["mean"] - base["test_accuracy"]["mean"]
    acc_spread = (max(post["test_accuracy"]["sd"], base["test_accuracy"]["sd"]) if n_seeds > 1 else None)
    at = fractions.index(ABLATION_AT) if ABLATION_AT in fractions else len(fractions) // 2
    # positive: the model trained with dropout loses less accuracy than the one without
    rob_diff = base["ablation_drop_mean"][at] - post["ablation_drop_mean"][at]
    rob_spread = max(post["ablation_drop_spread"][at], base["ablation_drop_spread"][at])
    best = max(table, key=lambda row: row["test_accuracy"]["mean"])
    n_test = len(ctx.dataset.y_test)
    # a gap counts as overfitting only above 1 point and above the validation set's sampling noise
    # the validation images each run's history was scored on (records before the cap: all)
    n_val = int(validation_images(runs, len(ctx.dataset.y_val)))
    val_acc = base["val_accuracy"]["mean"]
    val_se = math.sqrt(max(val_acc * (1 - val_acc), 0.0) / n_val)
    overfit_threshold = max(OVERFIT_GAP, 2 * val_se)
    verdict = {
        "accuracy": _verdict(diff, acc_spread),
        "accuracy_diff_pp": 100 * diff,
        "accuracy_diff_abs_pp": 100 * abs(diff),
        "accuracy_spread_pp": None if acc_spread is None else 100 * acc_spread,
        "one_test_image_pp": 100 / n_test,
        "robustness_diff_abs_pp": 100 * abs(rob_diff),
        "robustness_spread_pp": 100 * rob_spread,
        "gap_no_dropout_pp": 100 * base["gap"]["mean"],
        "gap_post_rate_pp": 100 * post["gap"]["mean"],
        "best_is_post_rate": best["rate"] == POST_RATE,
        "best_is_no_dropout": best["rate"] == NO_DROPOUT,
        "accuracy_diff": diff,
        "accuracy_spread": acc_spread,
        "one_test_image": 1.0 / n_test,
        "best_rate": best["rate"],
        "best_accuracy": best["test_accuracy"]["mean"],
        "gap_no_dropout": base["gap"]["mean"],
        "gap_post_rate": post["gap"]["mean"],
        "overfitting": ("none" if base["gap"]["mean"] <= 0 else
                        "little" if base["gap"]["mean"] < overfit_threshold else "clear"),
        "overfit_threshold": overfit_threshold,
        "overfit_threshold_pp": 100 * overfit_threshold,
        "overfit_floor_pp": 100 * OVERFIT_GAP,
        "val_images": n_val,
        "val_se_pp": 100 * val_se,
        "gap_smaller_with_dropout": bool(post["gap"]["mean"] < base["gap"]["mean"]),
        "robustness": _verdict(rob_diff, rob_spread, ("more_robust", "less_robust", "similar")),
        "robustness_at": fractions[at],
        "robustness_diff": rob_diff,
        "robustness_spread": rob_spread,
        "robustness_spread_kind": post["ablation_spread_kind"],
        "robust_no_dropout": base["ablation_mean"][at],
        "robust_post_rate": post["ablation_mean"][at],
        "intact_no_dropout": base["ablation_mean"][0],
        "intact_post_rate": post["ablation_mean"][0],
        "lost_no_dropout_pp": 100 * base["ablation_drop_mean"][at],
        "lost_post_rate_pp": 100 * post["ablation_drop_mean"][at],
        "robust_last_no_dropout": base["ablation_mean"][-1],
        "robust_last_post_rate": post["ablation_mean"][-1],
        "lost_last_no_dropout_pp": 100 * base["ablation_drop_mean"][-1],
        "lost_last_post_rate_pp": 100 * post["ablation_drop_mean"][-1],
        "post_rate": POST_RATE,
        "no_dropout_rate": NO_DROPOUT,
        "acc_post_rate": post["test_accuracy"]["mean"],
        "acc_no_dropout": base["test_accuracy"]["mean"],
    }

    baseline_rate = float(ctx.baseline.spec.dropout) or POST_RATE
    demo_numbers, demo_arrays = demo(ctx.probe["fc1"], baseline_rate, ctx.cfg.seed)
    first = runs[0]
    numbers = {
        "rates": rates,
        "seeds": seeds,
        "n_seeds": n_seeds,
        "several_seeds": n_seeds > 1,
        "epochs": float(first.record["epochs"]),
        "eval_every": int(first.spec.eval_every),
        "schedule_note": schedule_note(first.spec, ctx.baseline.spec),
        "steps": int(first.record["steps"]),
        "batch_size": int(first.spec.batch_size),
        "learning_rate": float(first.spec.learning_rate),
        "shares_baseline": [r["id"] for r in run_rows if r["config_hash"] == ctx.baseline.key],
        "runs": run_rows,
        "table": table,
        "ablation_fractions": fractions,
        "ablation_draws": DRAWS,
        "ablation_train_images": run_rows[0]["ablation_n_train"],
        "verdict": verdict,
        "demo": demo_numbers,
    }
    curve_arrays = {m: np.array(curves[m], dtype=np.float32) for m in METRICS}
    curve_arrays["step"] = np.array(first.record["history"]["step"], dtype=np.int64)
    figures = [
        FigureJob(f"{FIG}/in_action.png", f"{DRAW}:in_action", demo_arrays, {"rate": baseline_rate}),
        FigureJob(f"{FIG}/learning_curves.png", f"{DRAW}:learning_curves", curve_arrays, {"rates": rates}),
        FigureJob(f"{FIG}/ablation.png", f"{DRAW}:ablation",
                  {"fractions": np.array(fractions),
                   "accuracy": np.array([row["ablation_mean"] for row in table]),
                   "spread": np.array([row["ablation_spread"] for row in table]),
                   "drop": np.array([row["ablation_drop_mean"] for row in table]),
                   "drop_spread": np.array([row["ablation_drop_spread"] for row in table])},
                  {"rates": rates}),
    ]
    tables = {
        f"{FIG}/dropout_runs.npz": {
            "id": np.array([r["id"] for r in run_rows]),
            "rate": np.array([r["rate"] for r in run_rows]),
            "seed": np.array([r["seed"] for r in run_rows]),
            **{key: np.array([r[key] for r in run_rows]) for key in (
                "test_accuracy", "val_accuracy", "val_loss", "train_accuracy", "train_loss", "gap",
                "loss_gap", "train_accuracy_dropout_on", "gap_dropout_on")},
            "ablation_fractions": np.array(fractions),
            "ablation_accuracy": np.array([r["ablation_accuracy"] for r in run_rows]),
            "ablation_drop": np.array([r["ablation_drop"] for r in run_rows]),
        },
    }
    return PageData(numbers, figures, tables)


def context(report: dict) -> dict:
    return common_context(report, "dropout")
