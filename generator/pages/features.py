"""The features page: what did layer 2 learn? Evidence for all 64 conv2 filters.

Four kinds of evidence, all computed from the baseline model of this build:
activation maximisation (``probe/featurevis.py``), the test patches each filter
responds to most and per-filter statistics over the test set
(``probe/filter_evidence.py``), and saliency / Grad-CAM for a few test images
(``probe/saliency.py``). Every statement the page makes about particular
filters is selected here by numbers, never typed into the templates.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from generator.figures.render import FigureJob
from generator.pages.base import BuildContext, PageData, common_context

FIG = "figures/features"
DRAW = "generator.figures.features"
#: Test images explained by saliency and Grad-CAM.
N_EXAMPLES = 4
#: Orientation bins of strokes (degrees from horizontal, counter-clockwise).
ORIENTATIONS = ("horizontal", "rising", "vertical", "falling")
#: A dominant orientation counts as clear at or above this structure-tensor coherence.
COHERENCE = 0.2
#: Two orientations agree when they differ by at most this many degrees (chance: 1/3).
AGREE_DEGREES = 30.0
#: Pixels left out at each border of an optimised input when measuring its orientation
#: (the L2 pull and the zero padding darken a frame that is not part of the pattern).
FRAME = 4
#: A filter is "digit-specific" in its top patches when at least this many of the 9 share a label.
PURE_TOP = 6
#: An optimised input whose mean pixel value exceeds this is "almost white" (ink everywhere).
SATURATED = 0.9
#: How many filters the prose names in each ranked list.
NAMED = 3
#: Thresholds that choose between sentences of the prose (never typed-in results):
#: the share of agreeing orientations that we call well above chance (chance: 1/3),
#: with at least MIN_CLEAR filters measured;
BEATS_CHANCE = 0.5
MIN_CLEAR = 5
#: the digit-ink correlation above which we say the raw per-digit means follow ink;
INK_CORRELATION = 0.8
#: the median selectivity below which we say most filters are not digit detectors;
WEAK_SELECTIVITY = 1.5
#: the median number of different digits among a filter's top patches from which we
#: say filters detect parts shared by several digits.
SHARED_DIGITS = 3


def choose_examples(predicted: np.ndarray, labels: np.ndarray, probabilities: np.ndarray,
                    first: int, n: int = N_EXAMPLES) -> list[int]:
    """Test indices to explain: ``first`` (the layer-2 page's image), the most confidently
    misclassified image if there is one, then the first correctly classified images of
    digits not shown yet (then any others) until there are ``n``."""
    chosen = [int(first)]
    wrong = np.flatnonzero(predicted != labels)
    if wrong.size:
        confidence = probabilities[wrong, predicted[wrong]]
        worst = int(wrong[np.argmax(confidence)])
        if worst not in chosen:
            chosen.append(worst)
    for i in range(len(labels)):
        if len(chosen) >= n:
            break
        if predicted[i] == labels[i] and i not in chosen and labels[i] not in labels[chosen]:
            chosen.append(i)
    for i in range(len(labels)):
        if len(chosen) >= n:
            break
        if i not in chosen:
            chosen.append(i)
    return chosen


def orientation(stack: np.ndarray) -> tuple[float, float]:
    """Dominant stroke orientation of images ``(n, H, W)`` from their summed structure
    tensor: the angle of the strokes in degrees [0, 180), counter-clockwise from
    horizontal (90 = vertical), and the coherence in [0, 1] (0: no preferred orientation)."""
    gy, gx = np.gradient(np.asarray(stack, np.float64), axis=(1, 2))
    jxx, jyy, jxy = (gx * gx).sum(), (gy * gy).sum(), (gx * gy).sum()
    total = jxx + jyy
    if total <= 0:
        return 0.0, 0.0
    coherence = float(np.hypot(jxx - jyy, 2 * jxy) / total)
    gradient_angle = 0.5 * np.degrees(np.arctan2(2 * jxy, jxx - jyy))  # image axes, y down
    stroke = (-(gradient_angle + 90.0)) % 180.0  # strokes run across the gradient; y up
    return float(stroke), coherence


def angle_difference(a: float, b: float) -> float:
    """Difference of two orientations in degrees, in [0, 90]."""
    d = abs(a - b) % 180.0
    return min(d, 180.0 - d)


def orientation_bin(angle: float) -> str:
    """Nearest of 0° (horizontal), 45° (rising), 90° (vertical), 135° (falling)."""
    return ORIENTATIONS[int(np.round(angle / 45.0)) % 4]


def _ratio(final: np.ndarray, start: np.ndarray) -> np.ndarray:
    return np.where(start > 0, final / np.where(start > 0, start, 1.0), np.inf)


def _maximisation_numbers(fv: dict, group: str) -> dict:
    start, final = fv[f"{group}_start"], fv[f"{group}_final"]
    dead = fv[f"{group}_dead_at_start"].astype(bool)
    live = ~dead
    ratio = _ratio(final, start)[live & (start > 0)]
    return {
        "targets": int(len(start)),
        "dead_at_start": [int(i) for i in np.flatnonzero(dead)],
        "live": int(live.sum()),
        "raised": int((final > start).sum()),
        "raised_live": int((final[live] > start[live]).sum()),
        "revived": int((dead & (final > 0)).sum()),
        "median_ratio": float(np.median(ratio)) if ratio.size else None,
        "min_ratio": float(ratio.min()) if ratio.size else None,
        "median_start": float(np.median(start)),
        "median_final": float(np.median(final)),
        "ink": float(fv[f"{group}_images"].mean()),
        "saturated": int((fv[f"{group}_images"].mean(axis=(1, 2)) > SATURATED).sum()),
        "saturated_threshold": SATURATED,
        "seconds": round(float(fv[f"{group}_seconds"]), 2),
    }


def _digit_means(image_mean: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(filters, 10) mean activation per digit; 0 for a digit absent from the test set."""
    out = np.zeros((image_mean.shape[1], 10))
    for d in range(10):
        rows = image_mean[labels == d]
        if len(rows):
            out[:, d] = rows.mean(axis=0)
    return out


def _normalise_rows(a: np.ndarray) -> np.ndarray:
    """Each row divided by its maximum (rows whose maximum is not positive: zeros)."""
    top = a.max(axis=1, keepdims=True)
    return np.where(top > 0, a / np.where(top > 0, top, 1.0), 0.0)


def _by_digit_ink(x_test: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean pixel value (ink) of the test images of each digit; 0 for an absent digit."""
    ink = (x_test.astype(np.float64) / 255.0).mean(axis=(1, 2))
    return np.array([ink[labels == d].mean() if np.any(labels == d) else 0.0 for d in range(10)])


def analyse(ctx: BuildContext) -> PageData:
    from generator.probe import featurevis, filter_evidence, saliency

    model_path = ctx.baseline.model_path
    x_test, y_test = ctx.dataset.x_test, np.asarray(ctx.dataset.y_test, np.int64)
    fv = featurevis.maximise(model_path)
    ev = filter_evidence.collect(model_path, x_test)
    probabilities = ev["probabilities"]
    predicted = probabilities.argmax(axis=1)
    examples = choose_examples(predicted, y_test, probabilities, ctx.cfg.image_index)
    sal = saliency.explain(model_path, examples, x_test[examples])

    # --- per-filter statistics over the test set
    image_mean, image_zero, image_max = ev["image_mean"], ev["image_zero_fraction"], ev["image_max"]
    n_filters = image_mean.shape[1]
    mean_act = image_mean.mean(axis=0)
    sparsity = image_zero.mean(axis=0)
    dead = image_max.max(axis=0) <= 0
    live = np.flatnonzero(~dead)
    by_digit = _digit_means(image_mean, y_test)  # (filters, 10)
    heat = _normalise_rows(by_digit)
    preferred = by_digit.argmax(axis=1)
    # relative to what every filter does for that digit (removes e.g. the amount of ink)
    layer_digit = by_digit[live].mean(axis=0) if live.size else np.ones(10)
    relative = by_digit / np.where(layer_digit > 0, layer_digit, 1.0)[None, :]
    relative_heat = _normalise_rows(relative)
    rel_preferred = relative.argmax(axis=1)
    rel_avg = relative.mean(axis=1)
    selectivity = np.where(rel_avg > 0, relative.max(axis=1) / np.where(rel_avg > 0, rel_avg, 1.0), 0.0)
    by_selectivity = live[np.argsort(-selectivity[live], kind="stable")]
    by_sparsity = live[np.argsort(-sparsity[live], kind="stable")]
    prefer_count = np.bincount(preferred[live], minlength=10)
    rel_prefer_count = np.bincount(rel_preferred[live], minlength=10)
    digit_ink = _by_digit_ink(x_test, y_test)
    present = np.array([np.any(y_test == d) for d in range(10)])
    ink_corr = float(np.corrcoef(layer_digit[present], digit_ink[present])[0, 1]) \
        if present.sum() > 2 and np.std(layer_digit[present]) > 0 else 0.0

    # --- top patches
    top_images, top_patches = ev["top_images"], ev["top_patches"]
    top_labels = y_test[top_images]
    mode_label = np.array([np.bincount(row, minlength=10).argmax() for row in top_labels])
    mode_count = np.array([np.bincount(row, minlength=10).max() for row in top_labels])
    rf, jump, offset = (int(v) for v in ev["geometry"])
    h_map, w_map = (int(v) for v in ev["map_shape"])
    r0 = ev["top_rows"] * jump + offset
    c0 = ev["top_cols"] * jump + offset
    size = x_test.shape[1]
    outside = (r0 < 0) | (c0 < 0) | (r0 + rf > size) | (c0 + rf > size)
    ink_top = top_patches.mean(axis=(1, 2, 3))
    pure = [int(k) for k in live if mode_count[k] >= PURE_TOP]

    # --- stroke orientation: optimised input (centre) vs top patches
    opt = fv["conv2_images"][:, FRAME:-FRAME, FRAME:-FRAME]
    opt_orient = [orientation(opt[k][None]) for k in range(n_filters)]
    patch_orient = [orientation(top_patches[k]) for k in range(n_filters)]
    clear = np.array([opt_orient[k][1] >= COHERENCE and patch_orient[k][1] >= COHERENCE
                      and not dead[k] for k in range(n_filters)])
    diff = np.array([angle_difference(opt_orient[k][0], patch_orient[k][0]) for k in range(n_filters)])
    agree = clear & (diff <= AGREE_DEGREES)
    patch_clear = np.array([patch_orient[k][1] >= COHERENCE and not dead[k] for k in range(n_filters)])
    patch_bins = {name: 0 for name in ORIENTATIONS}
    for k in np.flatnonzero(patch_clear):
        patch_bins[orientation_bin(patch_orient[k][0])] += 1
    agreeing = np.flatnonzero(agree)
    coherence_sum = np.array([opt_orient[k][1] + patch_orient[k][1] for k in range(n_filters)])
    best_agreeing = agreeing[np.argsort(-coherence_sum[agreeing], kind="stable")][:NAMED]
    ratio2 = _ratio(fv["conv2_final"], fv["conv2_start"])

    # --- the layer-2 page's image: its most active filters, followed here
    probe_mean = ctx.probe["conv2_relu"].mean(axis=(0, 1))
    probe_top = [int(i) for i in np.argsort(-probe_mean, kind="stable")[:NAMED]]

    def filter_facts(k: int) -> dict:
        k = int(k)
        return {
            "filter": k,
            "mean": round(float(mean_act[k]), 4),
            "sparsity": round(float(sparsity[k]), 4),
            "preferred_digit": int(preferred[k]),
            "relative_digit": int(rel_preferred[k]),
            "selectivity": round(float(selectivity[k]), 3),
            "top_label": int(mode_label[k]),
            "top_label_count": int(mode_count[k]),
            "top_value": round(float(ev["top_values"][k, 0]), 4),
            "ink_top": round(float(ink_top[k]), 4),
            "opt_start": round(float(fv["conv2_start"][k]), 4),
            "opt_final": round(float(fv["conv2_final"][k]), 4),
            "opt_ratio": round(float(ratio2[k]), 2) if np.isfinite(ratio2[k]) else None,
            "opt_orientation": round(opt_orient[k][0]),
            "opt_coherence": round(opt_orient[k][1], 3),
            "patch_orientation": round(patch_orient[k][0]),
            "patch_coherence": round(patch_orient[k][1], 3),
            "patch_orientation_name": orientation_bin(patch_orient[k][0]),
            "orientation_agrees": bool(agree[k]),
            "dead": bool(dead[k]),
        }

    correct = predicted == y_test
    example_rows = []
    for b, idx in enumerate(examples):
        ink = x_test[idx] > 127
        s = sal["saliency"][b]
        example_rows.append({
            "index": int(idx),
            "label": int(y_test[idx]),
            "predicted": int(sal["predicted"][b]),
            "confidence": float(probabilities[idx, predicted[idx]]),
            "correct": bool(sal["predicted"][b] == y_test[idx]),
            "saliency_on_ink": round(float(s[ink].sum() / s.sum()) if s.sum() > 0 else 0.0, 4),
            "ink_area": round(float(ink.mean()), 4),
            "gradcam_zero": bool(sal["gradcam"][b].max() <= 0),
        })

    frame_mask = np.ones(fv["conv2_images"].shape[1:], bool)
    frame_mask[FRAME:-FRAME, FRAME:-FRAME] = False
    test_ink = float((x_test.astype(np.float64) / 255.0).mean())
    share_clear = float(agree.sum() / clear.sum()) if clear.any() else 0.0
    median_selectivity = float(np.median(selectivity[live])) if live.size else 0.0
    distinct_median = float(np.median([len(set(row)) for row in top_labels.tolist()]))
    last = offset + rf - 1
    box = f"{jump}i {'−' if offset < 0 else '+'} {abs(offset)} … {jump}i {'−' if last < 0 else '+'} {abs(last)}"

    numbers = {
        "filters": int(n_filters),
        "active_filters": int(live.size),
        "rf_conv1": int(next((row["receptive_field"] for row in ctx.baseline.record["layers"]
                              if row["name"] == "conv1"), 0)),
        "start_range": [round(max(0.0, featurevis.DEFAULT.start_mean - featurevis.DEFAULT.start_spread), 3),
                        round(min(1.0, featurevis.DEFAULT.start_mean + featurevis.DEFAULT.start_spread), 3)],
        "frame_ink": float(fv["conv2_images"][:, frame_mask].mean()),
        "centre_ink": float(fv["conv2_images"][:, ~frame_mask].mean()),
        "frame_darker": bool(fv["conv2_images"][:, frame_mask].mean()
                             < fv["conv2_images"][:, ~frame_mask].mean()),
        "more_ink_than_digits": bool(fv["conv2_images"].mean() > test_ink),
        "test_images": int(len(y_test)),
        "settings": asdict(featurevis.DEFAULT),
        "objective": dict(featurevis.OBJECTIVE_LAYER),
        "conv1": _maximisation_numbers(fv, "conv1"),
        "conv2": _maximisation_numbers(fv, "conv2"),
        "classes": {
            **_maximisation_numbers(fv, "classes"),
            "recognised": int((fv["classes_predicted"] == np.arange(10)).sum()),
            "probability_min": float(fv["classes_probability"].min()),
        },
        "test_ink": round(test_ink, 4),
        "stats": {
            "mean_sparsity": float(sparsity.mean()),
            "mean_activation": float(mean_act.mean()),
            "dead": [int(k) for k in np.flatnonzero(dead)],
            "most_sparse": [filter_facts(k) for k in by_sparsity[:NAMED]],
            "least_sparse": [filter_facts(k) for k in by_sparsity[::-1][:NAMED]],
            "most_selective": [filter_facts(k) for k in by_selectivity[:NAMED]],
            "preferred_count": [int(c) for c in prefer_count],
            "most_preferred_digit": int(prefer_count.argmax()),
            "most_preferred_count": int(prefer_count.max()),
            "relative_count": [int(c) for c in rel_prefer_count],
            "relative_digits_used": int((rel_prefer_count > 0).sum()),
            "median_selectivity": median_selectivity,
            "weakly_selective": bool(median_selectivity < WEAK_SELECTIVITY),
            "weak_threshold": WEAK_SELECTIVITY,
            "ink_digit_most": int(digit_ink.argmax()),
            "ink_digit_least": int(np.where(present, digit_ink, np.inf).argmin()),
            "ink_correlation": round(ink_corr, 3),
            "ink_explains": bool(ink_corr >= INK_CORRELATION),
        },
        "patches": {
            "k": int(top_images.shape[1]),
            "receptive_field": rf,
            "jump": jump,
            "offset": offset,
            "last_start": (h_map - 1) * jump + offset,
            "map_shape": [h_map, w_map],
            "outside_fraction": float(outside.mean()),
            "pure_threshold": PURE_TOP,
            "pure_filters": [filter_facts(k) for k in pure],
            "distinct_labels_median": distinct_median,
            "shared_by_digits": bool(distinct_median >= SHARED_DIGITS),
            "box_rows": box,
            "ink_top_mean": float(ink_top.mean()),
        },
        "orientation": {
            "coherence": COHERENCE,
            "agree_degrees": AGREE_DEGREES,
            "frame": FRAME,
            "clear_both": int(clear.sum()),
            "agree": int(agree.sum()),
            "agree_share": share_clear,
            "beats_chance": bool(clear.sum() >= MIN_CLEAR and share_clear >= BEATS_CHANCE),
            "patch_clear": int(patch_clear.sum()),
            "patch_bins": patch_bins,
            "examples": [filter_facts(k) for k in best_agreeing],
        },
        "probe_filters": [filter_facts(k) for k in probe_top],
        "examples": example_rows,
        "misclassified": int((~correct).sum()),
        "misclassified_shown": bool(any(not r["correct"] for r in example_rows)),
        "gradcam_zero": [r["index"] for r in example_rows if r["gradcam_zero"]],
        "saliency_favours_ink": bool(all(r["saliency_on_ink"] > r["ink_area"] for r in example_rows)),
        "saliency_off_ink": bool(any(r["saliency_on_ink"] < 0.9 for r in example_rows)),
        "table": [filter_facts(k) for k in range(n_filters)],
        "seconds": {
            "featurevis": round(sum(float(fv[f"{g}_seconds"]) for g in featurevis.GROUPS), 2),
            "evidence": round(float(ev["seconds"]), 2),
            "saliency": round(float(sal["seconds"]), 2),
        },
    }

    cam_up = np.repeat(np.repeat(sal["gradcam"], 2, axis=1), 2, axis=2)
    example_images = x_test[examples].astype(np.float32) / 255.0
    figures = [
        FigureJob(f"{FIG}/conv2_optimised.png", f"{DRAW}:optimised_grid",
                  {"images": fv["conv2_images"]}, {"cols": 8}),
        FigureJob(f"{FIG}/conv1_optimised.png", f"{DRAW}:optimised_grid",
                  {"images": fv["conv1_images"]}, {"cols": 8}),
        FigureJob(f"{FIG}/classes_optimised.png", f"{DRAW}:class_grid",
                  {"images": fv["classes_images"], "probability": fv["classes_probability"],
                   "predicted": fv["classes_predicted"]}),
        FigureJob(f"{FIG}/conv2_gain.png", f"{DRAW}:gain_plot",
                  {"start": fv["conv2_start"], "final": fv["conv2_final"]}),
        FigureJob(f"{FIG}/top_patches.png", f"{DRAW}:patch_grid",
                  {"patches": top_patches, "labels": top_labels, "images": top_images}),
        FigureJob(f"{FIG}/filter_stats.png", f"{DRAW}:filter_stats",
                  {"mean_activation": mean_act, "sparsity": sparsity}),
        FigureJob(f"{FIG}/digit_heatmap.png", f"{DRAW}:digit_heatmap",
                  {"heat": heat.T, "relative": relative_heat.T}),
        FigureJob(f"{FIG}/saliency.png", f"{DRAW}:saliency_rows",
                  {"images": example_images, "saliency": sal["saliency"], "gradcam": cam_up},
                  {"titles": [f"#{r['index']}: label {r['label']}, pred {r['predicted']}"
                              for r in example_rows]}),
    ]
    published = {
        "start": fv["start"],
        "conv1_images": fv["conv1_images"], "conv2_images": fv["conv2_images"],
        "classes_images": fv["classes_images"],
        "conv1_start": fv["conv1_start"], "conv1_final": fv["conv1_final"],
        "conv2_start": fv["conv2_start"], "conv2_final": fv["conv2_final"],
        "classes_start": fv["classes_start"], "classes_final": fv["classes_final"],
        "mean_activation": mean_act, "sparsity": sparsity, "digit_means": by_digit,
        "digit_relative": relative,
        "top_images": top_images, "top_rows": ev["top_rows"], "top_cols": ev["top_cols"],
        "top_values": ev["top_values"], "top_patches": top_patches,
        "examples": np.asarray(examples), "saliency": sal["saliency"], "gradcam": sal["gradcam"],
    }
    return PageData(numbers, figures, {f"{FIG}/features.npz": published})


def context(report: dict) -> dict:
    return common_context(report, "features")
