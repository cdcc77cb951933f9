"""Depth page and claims table: receptive fields and parameter counts of every variant (by
hand), the cited ILSVRC data file, verdicts recomputed from a report whose numbers vary,
templates in both languages, and one quick build that publishes both pages."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from generator.config import PROFILES, BuildConfig
from generator.experiments import RunSpec
from generator.pages import LANGUAGES, PAGES
from generator.pages.render import pct, render_page
from generator.train.trainer import TrainedRun
from tests.fakes import fake_probe, fake_record

# --------------------------------------------------------------------------- by-hand architecture

#: Receptive fields worked out by hand with r_out = r_in + (k − 1)·j, j_out = j·s, clipped at 28:
#: conv1 1 + 4·1 = 5; pool1 5 + 1·1 = 6 (j = 2); conv2 6 + 4·2 = 14; pool2 14 + 1·2 = 16 (j = 4);
#: conv3 16 + 4·4 = 32 → 28; pool3 32 + 1·4 = 36 → 28. Dense layers see the whole image.
RF_BY_HAND = {"conv1": 5, "conv1_relu": 5, "pool1": 6, "conv2": 14, "conv2_relu": 14, "pool2": 16,
              "conv3": 28, "conv3_relu": 28, "pool3": 28, "flatten": 28, "fc1": 28, "dropout": 28,
              "fc2": 28}
CONV1 = 5 * 5 * 1 * 32 + 32           # 832
CONV2 = 5 * 5 * 32 * 64 + 64          # 51,264
CONV3 = 5 * 5 * 64 * 128 + 128        # 204,928
FC2 = 1024 * 10 + 10                  # 10,250
PARAMS_BY_HAND = {
    1: CONV1 + (14 * 14 * 32 * 1024 + 1024) + FC2,                  # pool1 14×14×32 → fc1
    2: CONV1 + CONV2 + (7 * 7 * 64 * 1024 + 1024) + FC2,            # pool2 7×7×64 → fc1
    3: CONV1 + CONV2 + CONV3 + (3 * 3 * 128 * 1024 + 1024) + FC2,   # pool3 3×3×128 (7 // 2 = 3)
}


@pytest.fixture(scope="module")
def tables():
    """The layer table and parameter count of each variant's Keras model (no training)."""
    from generator.model.cnn import build_model, layer_table

    out = {}
    for blocks in (1, 2, 3):
        model = build_model(conv_blocks=blocks)
        out[blocks] = (layer_table(model), model.count_params())
    return out


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_receptive_field_of_every_layer_by_hand(tables, blocks):
    layers, _ = tables[blocks]
    names = [row["name"] for row in layers]
    assert sum(n.startswith("conv") and not n.endswith("relu") for n in names) == blocks
    for row in layers:
        assert row["receptive_field"] == RF_BY_HAND[row["name"]], row["name"]


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_parameter_count_by_hand(tables, blocks):
    layers, count = tables[blocks]
    assert count == PARAMS_BY_HAND[blocks]
    assert sum(row["params"] for row in layers) == PARAMS_BY_HAND[blocks]


def test_receptive_field_table_merges_variants(tables):
    from generator.pages.depth import receptive_field_table, spatial_layers

    rows = [{"conv_blocks": b, "layers": spatial_layers(tables[b][0])} for b in (1, 2, 3)]
    table = {r["name"]: r for r in receptive_field_table(rows, 28)}
    assert list(table) == ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3"]
    assert {n: r["receptive_field"] for n, r in table.items()} == {
        n: RF_BY_HAND[n] for n in table}
    assert table["conv2"]["in_variants"] == [2, 3] and table["conv1"]["in_variants"] == [1, 2, 3]
    assert {n: r["whole_image"] for n, r in table.items()} == {
        n: RF_BY_HAND[n] >= 28 for n in table}
    bad = copy.deepcopy(rows)
    bad[2]["layers"][2]["receptive_field"] = 13
    with pytest.raises(ValueError, match="conv2"):
        receptive_field_table(bad, 28)


# --------------------------------------------------------------------------- the experiment


def test_depth_provider_is_registered_and_seeded():
    from generator.experiments.depth import runs
    from generator.experiments.registry import (PROVIDERS, experiment_budget,
                                                experiment_learning_rate, experiment_seeds, runs_for)

    assert "generator.experiments.depth:runs" in PROVIDERS
    cfg = BuildConfig(profile=PROFILES["standard"], seed=4)
    specs = runs(cfg, 3600)
    seeds = experiment_seeds(cfg)
    assert [s.id for s in specs] == [f"depth-{b}conv-s{s}" for b in (1, 2, 3) for s in seeds]
    assert {s.group for s in specs} == {"depth"} and seeds == [4, 5, 6]
    assert {(s.steps, s.eval_every) for s in specs} == {experiment_budget(cfg, 3600)}
    assert {(s.dropout, s.batch_size, s.learning_rate) for s in specs} == {
        (0.5, 50, experiment_learning_rate(cfg))}
    assert [s.id for s in runs_for(cfg, 3600) if s.group == "depth"] == [s.id for s in specs]


def test_two_block_run_shares_the_baseline_cache_entry_when_schedules_agree():
    from generator.experiments.depth import runs
    from generator.experiments.registry import baseline_spec
    from generator.train.cache import run_key

    cfg = BuildConfig(profile=PROFILES["quick"])  # quick: baseline and experiments both 8 steps
    base = baseline_spec(cfg, 400)
    two = next(s for s in runs(cfg, 400) if s.conv_blocks == 2)
    assert run_key(two.as_dict(), "fp", 1) == run_key(base.as_dict(), "fp", 1)


# --------------------------------------------------------------------------- the ILSVRC data file


def test_ilsvrc_file_loads_with_a_source_for_every_row():
    from generator.pages.data import load_ilsvrc

    rows = load_ilsvrc()
    assert all(r["source"] for r in rows)
    by = {r["entry"]: r for r in rows}
    assert (by["AlexNet"]["year"], by["AlexNet"]["depth_layers"], by["AlexNet"]["top5_error_pct"]) == (2012, 8, 15.3)
    assert (by["GoogLeNet"]["depth_layers"], by["GoogLeNet"]["top5_error_pct"]) == (22, 6.67)
    assert (by["VGG"]["place"], by["VGG"]["depth_layers"], by["VGG"]["top5_error_pct"]) == (2, 19, 7.3)
    assert (by["ResNet"]["year"], by["ResNet"]["depth_layers"], by["ResNet"]["top5_error_pct"]) == (2015, 152, 3.57)
    assert by["SENet"]["depth_layers"] is None and by["SENet"]["top5_error_pct"] == 2.251
    assert "1409.4842" in by["GoogLeNet"]["source"] and "1512.03385" in by["ResNet"]["source"]


def test_ilsvrc_row_without_source_is_rejected(tmp_path):
    from generator.pages.data import ILSVRC_CSV, DataFileError, load_ilsvrc

    lines = ILSVRC_CSV.read_text(encoding="utf-8").splitlines()
    lines.append("2016,Unsourced,1,200,3.0,,")
    bad = tmp_path / "ilsvrc.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="source"):
        load_ilsvrc(bad)


# --------------------------------------------------------------------------- fakes (this module's own)

FAKE_LAYERS = {
    1: [
        {"name": "conv1", "type": "Conv2D", "output_shape": [28, 28, 32], "params": CONV1, "receptive_field": 5},
        {"name": "conv1_relu", "type": "ReLU", "output_shape": [28, 28, 32], "params": 0, "receptive_field": 5},
        {"name": "pool1", "type": "MaxPooling2D", "output_shape": [14, 14, 32], "params": 0, "receptive_field": 6},
        {"name": "flatten", "type": "Flatten", "output_shape": [6272], "params": 0, "receptive_field": 28},
        {"name": "fc1", "type": "Dense", "output_shape": [1024], "params": 6272 * 1024 + 1024, "receptive_field": 28},
        {"name": "dropout", "type": "Dropout", "output_shape": [1024], "params": 0, "receptive_field": 28},
        {"name": "fc2", "type": "Dense", "output_shape": [10], "params": FC2, "receptive_field": 28},
    ],
}


def _fake_layers(blocks: int) -> list[dict]:
    from tests.fakes import LAYERS

    if blocks == 1:
        return FAKE_LAYERS[1]
    if blocks == 2:
        return LAYERS
    head = [r for r in LAYERS if r["name"] not in ("flatten", "fc1", "dropout", "fc2")]
    return head + [
        {"name": "conv3", "type": "Conv2D", "output_shape": [7, 7, 128], "params": CONV3, "receptive_field": 28},
        {"name": "conv3_relu", "type": "ReLU", "output_shape": [7, 7, 128], "params": 0, "receptive_field": 28},
        {"name": "pool3", "type": "MaxPooling2D", "output_shape": [3, 3, 128], "params": 0, "receptive_field": 28},
        {"name": "flatten", "type": "Flatten", "output_shape": [1152], "params": 0, "receptive_field": 28},
        {"name": "fc1", "type": "Dense", "output_shape": [1024], "params": 1152 * 1024 + 1024, "receptive_field": 28},
        {"name": "dropout", "type": "Dropout", "output_shape": [1024], "params": 0, "receptive_field": 28},
        {"name": "fc2", "type": "Dense", "output_shape": [10], "params": FC2, "receptive_field": 28},
    ]


def _run(id_, group, blocks, dropout, seed, accuracy, *, steps=360, gap=0.02, seconds=12.5,
         learning_rate=1e-4):
    spec = RunSpec(id=id_, group=group, conv_blocks=blocks, dropout=dropout, seed=seed, steps=steps,
                   eval_every=72, batch_size=50, learning_rate=learning_rate)
    record = fake_record(spec, accuracy)
    record.update(params=PARAMS_BY_HAND[blocks], layers=_fake_layers(blocks), train_seconds=seconds,
                  history={"step": [72, steps], "loss": [0.5, 0.2], "val_loss": [0.5, 0.3], "accuracy": [0.9, 0.95 + gap],
                           "val_accuracy": [0.9, 0.95]})
    return TrainedRun(spec, hashlib.sha256(id_.encode()).hexdigest()[:20], Path("/nonexistent/model.keras"),
                      record, trained_now=False)


def fake_ablation_context(dataset, *, baseline=0.9731, depth=None, dropout_gaps=None,
                          experiment_learning_rate=1e-4):
    """A build context with a baseline, the depth ablation (``depth``: blocks → accuracies per
    seed) and optionally the dropout experiment (``dropout_gaps``: rate → gaps per seed)."""
    from generator.pages.base import BuildContext

    depth = depth or {1: [0.95, 0.952, 0.948], 2: [0.97, 0.972, 0.968], 3: [0.975, 0.977, 0.973]}
    cfg = BuildConfig(profile=PROFILES["standard"], dataset="mnist-5k", root=Path("/nonexistent"))
    runs = [_run("baseline-s0", "baseline", 2, 0.5, 0, baseline, steps=1224)]
    for blocks, accs in depth.items():
        runs += [_run(f"depth-{blocks}conv-s{s}", "depth", blocks, 0.5, s, a, seconds=10.0 * blocks + s,
                      learning_rate=experiment_learning_rate)
                 for s, a in enumerate(accs)]
    for rate, gaps in (dropout_gaps or {}).items():
        runs += [_run(f"dropout-{rate:g}-s{s}", "dropout", 2, rate, s, 0.97, gap=g) for s, g in enumerate(gaps)]
    return BuildContext(cfg, dataset, runs, fake_probe())


#: Pages whose numbers the fake report holds (other pages may need real models).
MY_PAGES = ("index", "layer2", "depth", "claims")


def fake_ablation_report(dataset, **kwargs) -> dict:
    from generator.report import assemble

    ctx = fake_ablation_context(dataset, **kwargs)
    numbers = {p.slug: p.load().analyse(ctx).numbers for p in PAGES if p.slug in MY_PAGES}
    return assemble(ctx, numbers, build_seconds=1.0)


def _verdicts(report: dict) -> dict:
    from generator.pages.claims import evaluate

    numbers = evaluate(report["runs"], report["model"]["layers"], report["dataset"], report["post"],
                       report["generator"]["profile"])
    return {row["id"]: row["verdict"] for row in numbers["rows"]}


@pytest.fixture(scope="module")
def report(tiny_dataset):
    return fake_ablation_report(tiny_dataset)


# --------------------------------------------------------------------------- depth numbers


def test_depth_numbers_are_computed_from_the_runs(report):
    n = report["pages"]["depth"]
    assert [v["conv_blocks"] for v in n["variants"]] == [1, 2, 3]
    one, two, three = n["variants"]
    assert one["post_ablation"] and two["post_network"] and not three["post_network"]
    assert two["test_accuracy"]["mean"] == pytest.approx(0.97)
    assert two["test_accuracy"]["sd"] == pytest.approx(float(np.std([0.97, 0.972, 0.968], ddof=1)))
    assert [v["params"] for v in n["variants"]] == [PARAMS_BY_HAND[b] for b in (1, 2, 3)]
    assert [v["fc1_inputs"] for v in n["variants"]] == [6272, 3136, 1152]
    assert three["train_seconds"]["mean"] == pytest.approx(31.0)
    assert [s["outcome"] for s in n["steps"]] == ["higher", "higher"]
    assert n["layer2_vs_layer1"]["conv1"] == 5 and n["layer2_vs_layer1"]["conv2"] == 14
    assert n["layer2_vs_layer1"]["conv2_larger"] is True
    ids = [r["id"] for r in report["runs"] if r["group"] == "depth"]
    assert ids == [f"depth-{b}conv-s{s}" for b in (1, 2, 3) for s in range(3)]
    assert n["ilsvrc"]["depth_ratio"] == pytest.approx(152 / 8)
    assert n["ilsvrc"]["missing_depth"] == ["SENet"]


# --------------------------------------------------------------------------- claims verdicts


def test_claims_in_the_report_are_recomputable_from_report_json(report):
    from generator.pages.claims import CLAIMS, evaluate

    rows = report["pages"]["claims"]["rows"]
    assert [r["id"] for r in rows] == list(CLAIMS)
    again = evaluate(report["runs"], report["model"]["layers"], report["dataset"], report["post"],
                     report["generator"]["profile"])
    assert json.loads(json.dumps(again["rows"])) == rows


def test_accuracy_verdicts_flip_with_the_numbers(report):
    rep = copy.deepcopy(report)
    assert _verdicts(rep)["accuracy_full_model"] == "depends_on_data"   # mnist-5k, 97.31%
    rep["runs"][0]["test_accuracy"] = 0.9905                             # within 0.3 pp of 99.2%
    assert _verdicts(rep)["accuracy_full_model"] == "confirmed"
    rep["runs"][0]["test_accuracy"] = 0.985
    rep["dataset"]["name"] = "mnist"                                     # the post's data ...
    assert _verdicts(rep)["accuracy_full_model"] == "inconclusive_short_training"
    rep["runs"][0]["steps"] = 20000                                      # ... and schedule
    assert _verdicts(rep)["accuracy_full_model"] == "not_reproduced"
    for r in rep["runs"]:
        if r["group"] == "depth" and r["conv_blocks"] == 1:
            r["test_accuracy"] = 0.9880
    assert _verdicts(rep)["accuracy_without_layer2"] == "confirmed"


def test_tolerance_grows_with_the_spread_over_seeds(tiny_dataset):
    # 1-block mean 98.2%: 0.68 pp below 98.88% — outside 0.3 pp, inside 2·sd when seeds scatter.
    tight = fake_ablation_report(tiny_dataset, depth={1: [0.982, 0.9821, 0.9819], 2: [0.97] * 3})
    loose = fake_ablation_report(tiny_dataset, depth={1: [0.975, 0.982, 0.989], 2: [0.97] * 3})
    assert _verdicts(tight)["accuracy_without_layer2"] == "depends_on_data"
    assert _verdicts(loose)["accuracy_without_layer2"] == "confirmed"
    assert tight["pages"]["claims"]["rows"][1]["ours"]["tolerance_pp"] == pytest.approx(0.3)
    assert loose["pages"]["claims"]["rows"][1]["ours"]["tolerance_pp"] == pytest.approx(1.4)


def test_layer2_verdict_follows_the_receptive_fields(report):
    rep = copy.deepcopy(report)
    assert _verdicts(rep)["layer2_smaller_features"] == "not_reproduced"
    next(r for r in rep["model"]["layers"] if r["name"] == "conv2")["receptive_field"] = 3
    assert _verdicts(rep)["layer2_smaller_features"] == "confirmed"


def test_dropout_verdict_handles_a_missing_and_a_present_experiment(tiny_dataset, report):
    assert _verdicts(report)["dropout_prevents_overfitting"] == "not_measured"
    helps = fake_ablation_report(tiny_dataset, dropout_gaps={0.0: [0.05, 0.052, 0.048],
                                                              0.5: [0.01, 0.012, 0.008]})
    assert _verdicts(helps)["dropout_prevents_overfitting"] == "confirmed"
    row = next(r for r in helps["pages"]["claims"]["rows"] if r["id"] == "dropout_prevents_overfitting")
    assert row["ours"]["gap_reduction_pp"] == pytest.approx(4.0)
    same = copy.deepcopy(helps)
    for r in same["runs"]:
        if r["group"] == "dropout":
            r["history"]["accuracy"][-1] = 0.97
    assert _verdicts(same)["dropout_prevents_overfitting"] == "depends_on_data"
    same["dataset"]["name"] = "mnist"
    assert _verdicts(same)["dropout_prevents_overfitting"] == "not_reproduced"


def test_depth_verdict_flips_with_the_ablation(report):
    rep = copy.deepcopy(report)
    assert _verdicts(rep)["more_layers_better"] == "confirmed"        # 95 → 97 → 97.5%

    def set_blocks(blocks, acc):
        for r in rep["runs"]:
            if r["group"] == "depth" and r["conv_blocks"] == blocks:
                r["test_accuracy"] = acc + 0.001 * r["seed"]

    set_blocks(3, 0.969)
    assert _verdicts(rep)["more_layers_better"] == "partly_confirmed"
    set_blocks(1, 0.9705)
    set_blocks(3, 0.9705)
    assert _verdicts(rep)["more_layers_better"] == "depends_on_data"
    rep["dataset"]["name"] = "mnist"
    assert _verdicts(rep)["more_layers_better"] == "not_reproduced"


# --------------------------------------------------------------------------- templates

VERDICT_WORDS = {"en": ("confirmed", "not reproduced", "depends on data", "not measured in this build"),
                 "zh-TW": ("確認", "未能重現", "取決於資料", "本次建置未測量")}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_depth_page_renders_report_numbers(report, lang):
    page = next(p for p in PAGES if p.slug == "depth")
    text = render_page("depth", lang, page.load().context(report))
    assert text.startswith("# ") and "{{" not in text and "{%" not in text
    n = report["pages"]["depth"]
    for v in n["variants"]:
        assert pct(v["test_accuracy"]["mean"]) in text and f"{v['params']:,}" in text
    for fig in ("ablation", "receptive_fields", "ilsvrc_depth"):
        assert f"figures/depth/{fig}.png" in text and f"figures/depth/{fig}.npz" in text
    for row in n["ilsvrc"]["rows"]:
        assert row["source"] in text
    assert "**mnist-5k**" in text
    assert "14×14" in text and "5×5" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_depth_page_explains_a_larger_experiment_learning_rate(tiny_dataset, report, lang):
    page = next(p for p in PAGES if p.slug == "depth")
    same = render_page("depth", lang, page.load().context(report))
    faster = fake_ablation_report(tiny_dataset, experiment_learning_rate=2e-3)
    note = faster["pages"]["depth"]["schedule_note"]
    assert note["higher_learning_rate"] and note["learning_rate_ratio"] == pytest.approx(20.0)
    assert (note["steps"], note["baseline_steps"]) == (360, 1224)
    text = render_page("depth", lang, page.load().context(faster))
    marker = {"en": "Why a larger learning rate", "zh-TW": "為什麼學習率比基準模型大"}[lang]
    assert marker not in same and f"\n\n**{marker}" in text
    assert "20" in text.split(marker)[1].split("\n")[0] and "1,224" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_claims_page_renders_translated_verdicts(tiny_dataset, report, lang):
    page = next(p for p in PAGES if p.slug == "claims")
    text = render_page("claims", lang, page.load().context(report))
    assert text.startswith("# ") and "{{" not in text and "{%" not in text
    confirmed, not_reproduced, depends, not_measured = VERDICT_WORDS[lang]
    assert f"**{not_reproduced}**" in text       # layer 2 smaller features
    assert f"**{depends}**" in text              # accuracy on mnist-5k
    assert f"**{not_measured}**" in text         # no dropout runs
    assert f"**{confirmed}**" in text            # more layers
    assert pct(report["runs"][0]["test_accuracy"]) in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + 5  # header + one row per claim
    helps = fake_ablation_report(tiny_dataset, dropout_gaps={0.0: [0.05] * 3, 0.5: [0.01] * 3})
    text2 = render_page("claims", lang, page.load().context(helps))
    assert f"**{not_measured}**" not in text2


# --------------------------------------------------------------------------- figures


def test_depth_figures_draw_and_validate(tmp_path):
    from generator.figures import depth as fig

    fig.ablation(np.array([1, 2, 3]), np.array([[0.9, 0.91], [0.95, np.nan], [0.96, 0.97]]),
                 np.array([6e6, 3e6, 1e6]), np.array([[10, 11], [20, np.nan], [30, 31]]),
                 out=tmp_path / "a.png")
    fig.receptive_fields(np.zeros((28, 28)), np.array([1, 2]), np.array([[5, 6, 0, 0], [5, 6, 14, 16]]),
                         out=tmp_path / "r.png", layer_names=["conv1", "pool1", "conv2", "pool2"])
    fig.ilsvrc_depth(np.array([2012, 2014, 2017]), np.array([8, 22, np.nan]), np.array([15.3, 6.67, 2.25]),
                     np.array([1, 1, 1]), out=tmp_path / "i.png", entries=["A", "B", "C"])
    for name in ("a", "r", "i"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="Received"):
        fig.receptive_fields(np.zeros((28, 28)), np.array([1]), np.array([[5, 6]]), out=tmp_path / "x.png",
                             layer_names=["conv1"])


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_quick_build_publishes_depth_and_claims(quick_site):
    site = quick_site / "site"
    for page in ("depth/index.html", "claims/index.html", "zh-TW/depth/index.html", "zh-TW/claims/index.html"):
        assert (site / page).is_file(), page
    report = json.loads((site / "report.json").read_text())
    depth_runs = [r for r in report["runs"] if r["group"] == "depth"]
    assert [r["id"] for r in depth_runs] == ["depth-1conv-s0", "depth-2conv-s0", "depth-3conv-s0"]
    for r in depth_runs:
        assert r["params"] == PARAMS_BY_HAND[r["conv_blocks"]] and 0 <= r["test_accuracy"] <= 1
    for name in ("ablation", "receptive_fields", "ilsvrc_depth"):
        assert (site / "figures" / "depth" / f"{name}.png").is_file()
        assert (site / "figures" / "depth" / f"{name}.npz").is_file()
    with np.load(site / "figures" / "depth" / "receptive_fields.npz") as z:
        assert z["receptive_field"].tolist() == [[5, 6, 0, 0, 0, 0], [5, 6, 14, 16, 0, 0], [5, 6, 14, 16, 28, 28]]
    html = (site / "depth" / "index.html").read_text()
    assert pct(depth_runs[0]["test_accuracy"]) in html
    zh = (site / "zh-TW" / "claims" / "index.html").read_text()
    assert "未能重現" in zh and len(report["pages"]["claims"]["rows"]) == 5


def test_dropout_claim_prefers_the_dropout_off_gap():
    from generator.pages.claims import dropout_claim

    def run(rid, rate, train_acc):
        return {"id": rid, "group": "dropout", "dropout": rate, "conv_blocks": 2, "seed": 0,
                "test_accuracy": 0.9, "epochs": 2, "steps": 144,
                "history": {"accuracy": [train_acc], "val_accuracy": [0.85]}}

    # Keras' training accuracy (dropout on) is low for p = 0.5, so that gap looks small ...
    runs = [run("a", 0.0, 0.95), run("b", 0.5, 0.86)]
    dataset = {"name": "mnist-5k", "train": 3600, "validation": 400, "test": 1000}
    keras_gap = dropout_claim(runs, 0.5, dataset, "standard")
    assert keras_gap["verdict"] == "confirmed" and not keras_gap["ours"]["gap_dropout_off"]
    # ... but with dropout off both models fit the training set equally well: not confirmed
    fair = dropout_claim(runs, 0.5, dataset, "standard", {"a": 0.10, "b": 0.10})
    assert fair["ours"]["gap_dropout_off"] and fair["verdict"] != "confirmed"
    assert fair["ours"]["gap_with"]["mean"] == pytest.approx(0.10)
