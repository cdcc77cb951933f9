"""The fully connected layer and dropout pages: experiment set-up, dropout's scaling (against
Keras), the fc analysis and unit ablation on the tiny model, figures, and both pages rendered
from a fake report (no model)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from generator.config import PROFILES, BuildConfig
from generator.experiments import RunSpec
from generator.experiments.dropout import RATES, run_id, runs
from generator.experiments.registry import (PROVIDERS, baseline_spec, experiment_budget,
                                            experiment_seeds, runs_for)
from generator.model.dropout import apply_dropout, dropout_mask
from generator.pages.render import TEMPLATES, pct, render_page
from generator.train.cache import run_key
from generator.train.trainer import TrainedRun
from tests.fakes import LAYERS, fake_context, fake_probe, fake_record

# ----------------------------------------------------------------------------- experiment set-up


@pytest.mark.parametrize("profile", ["quick", "standard", "full"])
def test_dropout_runs_cover_every_rate_and_seed(profile):
    cfg = BuildConfig(profile=PROFILES[profile], seed=3)
    specs = runs(cfg, 3600)
    seeds = experiment_seeds(cfg)
    assert seeds[0] == 3 and len(seeds) == PROFILES[profile].experiment_seeds
    assert [(s.dropout, s.seed) for s in specs] == [(r, s) for r in RATES for s in seeds]
    assert RATES == (0.0, 0.25, 0.5, 0.75)
    assert {s.group for s in specs} == {"dropout"}
    assert {s.conv_blocks for s in specs} == {2}
    assert {(s.steps, s.eval_every) for s in specs} == {experiment_budget(cfg, 3600)}
    ids = [s.id for s in specs]
    assert len(set(ids)) == len(ids)
    assert "dropout-0.25-s3" in ids and "dropout-0-s3" in ids and "dropout-0.5-s3" in ids


def test_run_ids_read_like_the_rate():
    assert run_id(0.25, 1) == "dropout-0.25-s1"
    assert run_id(0.0, 0) == "dropout-0-s0"
    assert run_id(0.75, 2) == "dropout-0.75-s2"


def test_cache_keys_differ_per_rate_and_seed():
    cfg = BuildConfig(profile=PROFILES["standard"])
    keys = [run_key(s.as_dict(), "fp", 1) for s in runs(cfg, 3600)]
    assert len(set(keys)) == len(keys) == len(RATES) * PROFILES["standard"].experiment_seeds


@pytest.mark.parametrize("epochs", [None, 3])
def test_post_rate_run_shares_the_baselines_cache_key_when_the_budgets_agree(epochs):
    # quick profile: baseline and experiments both take 8 steps; --epochs sets both alike
    cfg = BuildConfig(profile=PROFILES["quick"], epochs=epochs)
    base = baseline_spec(cfg, 400)
    post = next(s for s in runs(cfg, 400) if s.dropout == 0.5 and s.seed == cfg.seed)
    assert (base.steps, base.eval_every) == (post.steps, post.eval_every)
    assert run_key(post.as_dict(), "fp", 1) == run_key(base.as_dict(), "fp", 1)
    others = [s for s in runs(cfg, 400) if s.dropout != 0.5]
    assert all(run_key(s.as_dict(), "fp", 1) != run_key(base.as_dict(), "fp", 1) for s in others)


def test_standard_profile_baseline_and_dropout_runs_train_separately():
    cfg = BuildConfig(profile=PROFILES["standard"])
    base = baseline_spec(cfg, 3600)
    post = next(s for s in runs(cfg, 3600) if s.dropout == 0.5 and s.seed == cfg.seed)
    assert base.steps != post.steps
    assert run_key(post.as_dict(), "fp", 1) != run_key(base.as_dict(), "fp", 1)


def test_provider_is_registered_and_build_ids_stay_unique():
    assert "generator.experiments.dropout:runs" in PROVIDERS
    specs = runs_for(BuildConfig(profile=PROFILES["standard"]), 3600)
    assert [s.id for s in specs if s.group == "dropout"] == [s.id for s in runs(
        BuildConfig(profile=PROFILES["standard"]), 3600)]


# ----------------------------------------------------------------------------- dropout scaling


@pytest.mark.parametrize("rate", [0.25, 0.5, 0.75])
def test_numpy_dropout_scales_survivors_by_one_over_one_minus_p(rate):
    x = np.random.default_rng(1).uniform(0.1, 2.0, 20_000).astype(np.float32)
    keep = dropout_mask(x.shape, rate, seed=7)
    y = apply_dropout(x, rate, keep)
    assert y.dtype == x.dtype
    np.testing.assert_allclose(y[keep], x[keep] / (1 - rate), rtol=1e-6)
    assert np.all(y[~keep] == 0)
    assert abs(keep.mean() - (1 - rate)) < 0.02
    if rate == 0.5:  # a power of two: exact
        np.testing.assert_array_equal(y[keep], x[keep] * 2)
    np.testing.assert_array_equal(apply_dropout(x, rate, keep, training=False), x)


def test_numpy_dropout_mask_is_seeded():
    a, b, c = (dropout_mask(1024, 0.5, s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_numpy_dropout_rejects_bad_input():
    with pytest.raises(ValueError, match="rate"):
        dropout_mask(10, 1.0, 0)
    with pytest.raises(ValueError, match="keep"):
        apply_dropout(np.ones(3), 0.5)
    with pytest.raises(ValueError, match="shape"):
        apply_dropout(np.ones(3), 0.5, np.ones(4, bool))


@pytest.mark.parametrize("rate", [0.25, 0.5])
def test_keras_dropout_has_the_same_semantics(rate):
    from generator.train.trainer import import_keras

    keras, _ = import_keras()
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(2).uniform(0.1, 2.0, (4, 5000)).astype(np.float32)
    layer = keras.layers.Dropout(rate)
    y = np.asarray(layer(x, training=True))
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / (1 - rate), rtol=1e-6)
    assert abs(kept.mean() - (1 - rate)) < 0.02
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    # our NumPy version, given Keras' own mask, reproduces Keras' output
    np.testing.assert_allclose(apply_dropout(x, rate, kept), y, rtol=1e-6)


# ----------------------------------------------------------------------------- fc analysis (tiny model)


@pytest.fixture(scope="module")
def fc_result(tiny_run, tiny_dataset):
    from generator.probe.fc_analysis import fc_analysis

    return fc_analysis(tiny_run.model_path, tiny_dataset)


def test_probe_accuracies_are_fractions(fc_result):
    from generator.probe.fc_analysis import STAGES

    assert [str(s) for s in fc_result["stages"]] == list(STAGES)
    for key in ("probe_test_accuracy", "probe_train_accuracy"):
        acc = fc_result[key]
        assert acc.shape == (len(STAGES),)
        assert np.all((acc >= 0) & (acc <= 1))
    assert list(fc_result["probe_dims"]) == [784, 14 * 14 * 32, 7 * 7 * 64, 1024]


def test_embedding_shapes(fc_result, tiny_dataset):
    from generator.probe.fc_analysis import EMBEDDED, SETTINGS

    n = min(len(tiny_dataset.y_test), SETTINGS["max_embed"])
    assert fc_result["pca"].shape == (len(EMBEDDED), n, 2)
    assert fc_result["tsne"].shape == (len(EMBEDDED), n, 2)
    assert np.isfinite(fc_result["tsne"]).all()
    assert fc_result["pca_variance"].shape == (len(EMBEDDED), 2)
    np.testing.assert_array_equal(fc_result["embed_labels"], tiny_dataset.y_test[fc_result["embed_index"]])
    assert np.all(np.diff(fc_result["pca_variance"], axis=1) <= 1e-12)  # components by variance


def test_unit_statistics_match_the_fc1_activations(fc_result, tiny_run, tiny_dataset):
    from generator.probe.split_activations import split_activations

    fc1 = split_activations(tiny_run.model_path, tiny_dataset, "test", ("pool1", "pool2", "fc1"))["fc1"]
    np.testing.assert_allclose(fc_result["unit_firing"], (fc1 > 0).mean(axis=0))
    np.testing.assert_array_equal(fc_result["dead_units"], np.flatnonzero(fc1.max(axis=0) <= 0))
    np.testing.assert_array_equal(fc_result["active_per_image"], (fc1 > 0).sum(axis=1))
    for unit, idx, vals in zip(fc_result["sample_units"], fc_result["sample_top_index"],
                               fc_result["sample_top_values"]):
        np.testing.assert_allclose(vals, fc1[idx, unit])
        assert np.all(np.diff(vals) <= 0)
        assert vals[0] == pytest.approx(fc1[:, unit].max())
    purity = fc_result["unit_purity"]
    alive = ~np.isnan(purity)
    assert np.all((purity[alive] > 0) & (purity[alive] <= 1))
    assert 0 < float(fc_result["chance_purity"]) <= 1


def test_split_activations_agree_with_the_single_image_probe(tiny_run, tiny_dataset):
    from generator.probe.activations import probe_image
    from generator.probe.split_activations import split_activations

    acts = split_activations(tiny_run.model_path, tiny_dataset, "test", ("pool1", "pool2", "fc1"))
    one = probe_image(tiny_run.model_path, tiny_dataset.x_test[0], 0)
    np.testing.assert_allclose(acts["fc1"][0], one["fc1"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(acts["pool2"][0], one["pool2"], rtol=2e-3, atol=2e-3)  # stored as float16


def test_fc_analysis_is_cached_beside_the_model(fc_result, tiny_run, tiny_dataset, monkeypatch):
    import generator.probe.fc_analysis as fa

    path = fa.cache_path(tiny_run.model_path, tiny_dataset.fingerprint)
    assert path.parent == tiny_run.model_path.parent and path.is_file()
    monkeypatch.setattr(fa, "compute", lambda *a: pytest.fail("recomputed"))
    again = fa.fc_analysis(tiny_run.model_path, tiny_dataset)
    np.testing.assert_array_equal(again["probe_test_accuracy"], fc_result["probe_test_accuracy"])


def test_linear_probe_separates_separable_features():
    from generator.probe.fc_analysis import linear_probe

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 30)
    centres = rng.normal(0, 5, (10, 20))
    x = (centres[y] + rng.normal(0, 0.5, (len(y), 20))).astype(np.float32)
    res = linear_probe(x[::2], y[::2], x[1::2], y[1::2])
    assert res["test_accuracy"] == 1.0 and 0 < res["iterations"]


def test_top_images_and_majority_fraction():
    from generator.probe.fc_analysis import majority_fraction, top_images

    acts = np.array([[0.0, 3.0], [2.0, 3.0], [1.0, 0.0]])
    np.testing.assert_array_equal(top_images(acts, 2), [[1, 2], [0, 1]])
    np.testing.assert_allclose(majority_fraction(np.array([[1, 1, 2, 3], [5, 5, 5, 5]])), [0.5, 1.0])


# ----------------------------------------------------------------------------- unit ablation (tiny model)


def test_unit_ablation_on_the_tiny_model(tiny_run, tiny_dataset):
    from generator.probe.unit_ablation import DRAWS, FRACTIONS, cache_path, unit_ablation

    res = unit_ablation(tiny_run.model_path, tiny_dataset)
    assert res["accuracy"].shape == (DRAWS, len(FRACTIONS))
    assert np.all((res["accuracy"] >= 0) & (res["accuracy"] <= 1))
    # nothing zeroed: every draw gives the model's own test accuracy
    np.testing.assert_allclose(res["accuracy"][:, 0], float(res["test_accuracy"]))
    assert float(res["test_accuracy"]) == pytest.approx(tiny_run.record["test_accuracy"],
                                                        abs=1.01 / len(tiny_dataset.y_test))
    assert 0 <= float(res["train_accuracy"]) <= 1 and float(res["train_loss"]) > 0
    assert cache_path(tiny_run.model_path, tiny_dataset.fingerprint).is_file()


def test_ablation_zeroes_nested_unit_sets_the_same_for_every_model():
    from generator.probe.unit_ablation import ablation_accuracy, unit_orders

    a, b = unit_orders(1024), unit_orders(1024)
    np.testing.assert_array_equal(a, b)
    assert all(sorted(o) == list(range(1024)) for o in a)
    rng = np.random.default_rng(0)
    fc1 = np.abs(rng.normal(size=(60, 8))).astype(np.float32)
    kernel = rng.normal(size=(8, 10)).astype(np.float32)
    bias = np.zeros(10, np.float32)
    bias[3] = 1.0
    labels = (fc1 @ kernel + bias).argmax(axis=1)
    acc = ablation_accuracy(fc1, kernel, bias, labels, unit_orders(8, 2), fractions=(0.0, 1.0))
    np.testing.assert_allclose(acc[:, 0], 1.0)  # intact: labels are the model's own predictions
    np.testing.assert_allclose(acc[:, 1], (labels == 3).mean())  # all units off: the bias decides


# ----------------------------------------------------------------------------- figures


def _png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_draw(tmp_path):
    from generator.figures import dropout as fd
    from generator.figures import fc as ff

    rng = np.random.default_rng(0)
    ff.embeddings(rng.normal(size=(3, 40, 2)), rng.normal(size=(3, 40, 2)), rng.integers(0, 10, 40),
                  out=tmp_path / "emb.png", titles=["a", "b", "c"])
    ff.top_images(rng.integers(0, 256, (3, 4, 28, 28)), np.sort(rng.random((3, 4)))[:, ::-1],
                  np.array([1, 5, 9]), rng.integers(0, 10, (3, 4)), out=tmp_path / "top.png")
    firing = rng.random(64)
    firing[:5] = 0
    ff.unit_firing(firing, rng.integers(20, 40, 100), out=tmp_path / "fire.png", units=64)
    x = np.abs(rng.normal(size=100)).astype(np.float32)
    keep = dropout_mask(100, 0.5, 0)
    fd.in_action(x, keep.astype(np.float32), apply_dropout(x, 0.5, keep), out=tmp_path / "act.png", rate=0.5)
    curves = [rng.random((4, 2, 3)) for _ in range(4)]
    fd.learning_curves(*curves, np.array([12, 24, 30]), out=tmp_path / "curves.png",
                       rates=[0, 0.25, 0.5, 0.75])
    f = np.linspace(0, 0.9, 10)
    acc = rng.random((4, 10))
    fd.ablation(f, acc, acc * 0.1, acc[:, :1] - acc, acc * 0.1, out=tmp_path / "abl.png", rates=[0, 0.25, 0.5, 0.75])
    for name in ("emb", "top", "fire", "act", "curves", "abl"):
        assert _png(tmp_path / f"{name}.png"), name


def test_figures_reject_mismatched_shapes(tmp_path):
    from generator.figures import dropout as fd
    from generator.figures import fc as ff

    with pytest.raises(ValueError, match="Received"):
        ff.embeddings(np.zeros((3, 5, 2)), np.zeros((3, 6, 2)), np.zeros(5), out=tmp_path / "x.png",
                      titles=["a", "b", "c"])
    with pytest.raises(ValueError, match="Received"):
        fd.learning_curves(*[np.zeros((2, 1, 3))] * 4, np.arange(3), out=tmp_path / "y.png",
                           rates=[0, 0.5, 0.75])
    with pytest.raises(ValueError, match="step"):  # one step per evaluation point
        fd.learning_curves(*[np.zeros((3, 1, 3))] * 4, np.arange(2), out=tmp_path / "z.png",
                           rates=[0, 0.5, 0.75])


# ----------------------------------------------------------------------------- pages from a fake report


def fake_fc_analysis(dataset) -> dict:
    """Arrays shaped like :func:`generator.probe.fc_analysis.fc_analysis`'s, from synthetic fc1."""
    from generator.probe.fc_analysis import EMBEDDED, STAGES, unit_statistics

    rng = np.random.default_rng(0)
    n = len(dataset.y_test)
    fc1 = np.maximum(rng.normal(-0.2, 1.0, (n, 1024)), 0).astype(np.float32)
    fc1[:, :30] = 0  # 30 dead units
    out = {
        "stages": np.array(STAGES), "embedded": np.array(EMBEDDED),
        "probe_test_accuracy": np.array([0.8821, 0.9532, 0.9641, 0.9773]),
        "probe_train_accuracy": np.array([0.95, 1.0, 1.0, 0.99]),
        "probe_iterations": np.array([63, 25, 35, 100]),
        "probe_dims": np.array([784, 6272, 3136, 1024]),
        "probe_n_train": np.array(3600), "probe_n_test": np.array(n),
        "embed_index": np.arange(n), "embed_labels": dataset.y_test,
        "pca": rng.normal(size=(3, n, 2)).astype(np.float32),
        "tsne": rng.normal(size=(3, n, 2)).astype(np.float32),
        "pca_variance": np.array([[0.1, 0.07], [0.2, 0.12], [0.3, 0.2]]),
        "silhouette_pca": np.array([0.01, -0.02, 0.09]),
        "silhouette_tsne": np.array([0.15, 0.31, 0.44]),
        "silhouette_features": np.array([0.04, 0.09, 0.21]),
        "timing_names": np.array(["activations", "probes", "embeddings", "units"]),
        "timing_seconds": np.array([2.5, 6.0, 12.0, 0.1]),
    }
    out.update(unit_statistics(fc1, dataset.y_test))
    return out


def _history(rate: float, seed: int, epochs: int = 3) -> dict:
    base = 0.9 - 0.05 * rate + 0.002 * seed
    return {"step": [72 * (e + 1) for e in range(epochs)],
            "loss": [1.0 / (e + 1) + rate for e in range(epochs)],
            "val_loss": [1.1 / (e + 1) for e in range(epochs)],
            "accuracy": [base - 0.1 * rate - 0.02 * (epochs - e) for e in range(epochs)],
            "val_accuracy": [base - 0.03 * (epochs - e) for e in range(epochs)]}


def fake_dropout_context(dataset, *, seeds=(0, 1, 2), accuracy=None, lost=None, learning_rate=1e-4):
    """A build context with a fake dropout experiment. ``accuracy(rate, seed)`` gives each run's
    test accuracy; ``lost(rate)`` the accuracy each model loses with half its fc1 units off."""
    accuracy = accuracy or (lambda rate, seed: 0.95 + 0.01 * rate + 0.001 * seed)
    lost = lost or (lambda rate: 0.05 - 0.04 * rate)
    base = fake_context(dataset)
    runs = [base.baseline]
    ablations = {}
    for rate in RATES:
        for seed in seeds:
            spec = RunSpec(id=run_id(rate, seed), group="dropout", conv_blocks=2, dropout=rate, seed=seed,
                           steps=216, eval_every=72, batch_size=50, learning_rate=learning_rate)
            record = dict(fake_record(spec, accuracy(rate, seed)), history=_history(rate, seed))
            key = "f" * 20 if (rate == 0.5 and seed == 0) else f"{spec.id:0<20}"[:20]
            path = Path(f"/nonexistent/{spec.id}/model.keras")
            runs.append(TrainedRun(spec, key, path, record, trained_now=False))
            acc0 = accuracy(rate, seed)
            f = np.round(np.arange(10) / 10, 1)
            curve = acc0 - lost(rate) * f / 0.5 * (1 + 0.01 * seed)
            ablations[spec.id] = {
                "fractions": f, "accuracy": np.stack([curve + d * 1e-4 * (f > 0) for d in range(5)]),
                "test_accuracy": np.array(acc0), "train_accuracy": np.array(0.99 - 0.02 * rate),
                "train_loss": np.array(0.05 + 0.05 * rate), "n_train": np.array(3600),
            }
    from generator.pages.base import BuildContext

    return BuildContext(base.cfg, dataset, runs, fake_probe()), ablations


@pytest.fixture
def patched(monkeypatch):
    """Replace the model-reading probes with fakes keyed by run id."""
    import generator.probe.fc_analysis as fa
    import generator.probe.unit_ablation as ua

    state = {}
    monkeypatch.setattr(ua, "unit_ablation", lambda path, ds: state["ablations"][Path(path).parent.name])
    monkeypatch.setattr(fa, "fc_analysis", lambda path, ds: fake_fc_analysis(ds))
    return state


def fake_pages_report(dataset, patched, **kwargs) -> dict:
    from generator.pages import fc as fc_page
    from generator.pages import dropout as dropout_page
    from generator.report import assemble

    ctx, patched["ablations"] = fake_dropout_context(dataset, **kwargs)
    numbers = {"fc": fc_page.analyse(ctx).numbers, "dropout": dropout_page.analyse(ctx).numbers}
    return assemble(ctx, numbers, build_seconds=1.0)


def _render(report, slug, lang):
    import importlib

    return render_page(slug, lang, importlib.import_module(f"generator.pages.{slug}").context(report))


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_fc_page_renders_the_reports_numbers(tiny_dataset, patched, lang):
    report = fake_pages_report(tiny_dataset, patched)
    n = report["pages"]["fc"]
    assert n["fc1_inputs"] == 3136 and n["fc1_units"] == 1024
    assert n["fc1_params"] == 3136 * 1024 + 1024
    assert n["fc1_share"] == pytest.approx(3_212_288 / 3_274_634)
    assert n["units"]["dead"] == 30
    text = _render(report, "fc", lang)
    assert text.startswith("# ") and "{{" not in text and "{%" not in text
    for value in ("98.1%", "3,136", "1,024", "3,211,264", "88.2%", "97.7%", "30 "):
        assert value in text, value
    for fig in ("embeddings.png", "top_images.png", "unit_firing.png", "linear_probe.npz"):
        assert f"figures/fc/{fig}" in text
    assert "stopped at the iteration cap" in text or "停在迭代上限" in text  # fc1 probe hit 100


def test_fc_probe_rows_are_in_stage_order(tiny_dataset, patched):
    report = fake_pages_report(tiny_dataset, patched)
    probe = report["pages"]["fc"]["probe"]
    assert [r["stage"] for r in probe["rows"]] == ["pixels", "pool1", "pool2", "fc1"]
    assert probe["best_stage"] == "fc1" and probe["fc1_beats_pool2"] is True
    assert probe["capped_iterations"] == 1
    assert all(0 <= r["test_accuracy"] <= 1 for r in probe["rows"])


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_dropout_page_explains_a_larger_experiment_learning_rate_in_its_own_paragraph(
        tiny_dataset, patched, lang):
    marker = {"en": "**Why a larger learning rate", "zh-TW": "**為什麼學習率比基準模型大"}[lang]
    assert marker not in _render(fake_pages_report(tiny_dataset, patched), "dropout", lang)
    report = fake_pages_report(tiny_dataset, patched, learning_rate=2e-3)
    assert report["pages"]["dropout"]["schedule_note"]["higher_learning_rate"]
    text = _render(report, "dropout", lang)
    assert f"\n\n{marker}" in text  # a paragraph of its own, not glued to the one before


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_dropout_page_renders_the_table_and_verdicts(tiny_dataset, patched, lang):
    report = fake_pages_report(tiny_dataset, patched)
    n = report["pages"]["dropout"]
    assert n["rates"] == list(RATES) and n["seeds"] == [0, 1, 2]
    assert n["shares_baseline"] == ["dropout-0.5-s0"]
    row = next(r for r in n["table"] if r["rate"] == 0.5)
    assert row["test_accuracy"]["mean"] == pytest.approx(0.955 + 0.001)
    assert row["test_accuracy"]["sd"] == pytest.approx(0.001)
    text = _render(report, "dropout", lang)
    assert "{{" not in text and "{%" not in text
    assert f"{pct(row['test_accuracy']['mean'])}** ± {pct(row['test_accuracy']['sd'])}" in text
    assert n["verdict"]["accuracy"] == "better"  # +0.5 pp against a 0.1 pp seed spread
    base = next(r for r in n["table"] if r["rate"] == 0.0)
    a, n_val = base["val_accuracy"]["mean"], len(tiny_dataset.y_val)
    assert n["verdict"]["overfit_threshold"] == pytest.approx(max(0.01, 2 * (a * (1 - a) / n_val) ** 0.5))
    assert n["verdict"]["overfitting"] == ("clear" if base["gap"]["mean"] > n["verdict"]["overfit_threshold"]
                                           else "little")
    assert n["verdict"]["robustness"] == "more_robust"
    assert ("**helped**" in text) or ("**有幫助**" in text)
    for fig in ("in_action.png", "learning_curves.png", "ablation.png", "dropout_runs.npz"):
        assert f"figures/dropout/{fig}" in text


@pytest.mark.parametrize("case, accuracy, expected, en, zh", [
    ("tie", lambda r, s: 0.95 + 0.0001 * r + 0.004 * s, "tie", "**no measurable difference**", "**沒有可量測的差別**"),
    ("worse", lambda r, s: 0.95 - 0.02 * r + 0.0005 * s, "worse", "**cost accuracy**", "**讓準確率下降**"),
])
def test_dropout_verdict_follows_the_numbers(tiny_dataset, patched, case, accuracy, expected, en, zh):
    report = fake_pages_report(tiny_dataset, patched, accuracy=accuracy, lost=lambda rate: 0.05)
    v = report["pages"]["dropout"]["verdict"]
    assert v["accuracy"] == expected
    assert v["robustness"] == "similar"
    assert en in _render(report, "dropout", "en")
    assert zh in _render(report, "dropout", "zh-TW")


def test_dropout_single_seed_says_it_cannot_tell(tiny_dataset, patched):
    report = fake_pages_report(tiny_dataset, patched, seeds=(0,))
    n = report["pages"]["dropout"]
    assert n["verdict"]["accuracy"] == "single_seed"
    assert all(r["test_accuracy"]["sd"] is None for r in n["table"])
    assert n["verdict"]["robustness_spread_kind"] == "unit draws"
    text = _render(report, "dropout", "en")
    assert "one seed per rate" in text
    row = n["table"][0]
    assert f"{pct(row['test_accuracy']['mean'])}**" in text and f"{pct(row['test_accuracy']['mean'])} ±" not in text


def test_dropout_demo_uses_the_probe_vector(tiny_dataset, patched):
    report = fake_pages_report(tiny_dataset, patched)
    demo = report["pages"]["dropout"]["demo"]
    fc1 = fake_probe()["fc1"]
    keep = dropout_mask(fc1.shape, 0.5, 0)
    assert demo["units"] == 1024 and demo["kept"] == int(keep.sum())
    assert demo["scale"] == 2.0 and demo["inference_identity"] is True
    assert demo["sum_training"] == pytest.approx(float(2 * fc1[keep].sum()), rel=1e-5)


def test_missing_dropout_runs_is_a_clear_error(tiny_dataset):
    from generator.pages import dropout as dropout_page

    with pytest.raises(ValueError, match="PROVIDERS"):
        dropout_page.analyse(fake_context(tiny_dataset))


def test_parameter_share_comes_from_the_layer_table():
    from generator.pages.fc import parameters

    p = parameters(LAYERS, 3_274_634)
    assert [r["name"] for r in p["table"]] == ["conv1", "conv2", "fc1", "fc2"]
    assert sum(r["share"] for r in p["table"]) == pytest.approx(1.0)
    assert p["conv_params"] == 832 + 51264


SIMPLIFIED = re.compile("[这们个来为说时会过还对数据络经练习图层权输从后现样问题实验长选择机种试类别码览载将让给带]")


@pytest.mark.parametrize("slug", ["fc", "dropout"])
def test_zh_tw_templates_use_traditional_characters(slug):
    text = (TEMPLATES / "zh-TW" / f"{slug}.md.j2").read_text(encoding="utf-8")
    prose = re.sub(r"\{[{%].*?[%}]\}|`[^`]*`|\([^)]*\.(png|npz|json|md)\)", "", text)
    assert not SIMPLIFIED.findall(prose)
    for term in ("神经网络", "数据", "程序", "默认", "文件", "缓存", "构建", "运行", "过拟合", "参数"):
        assert term not in prose
