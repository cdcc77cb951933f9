"""End to end: one `build --profile quick` into a temp project; the fully connected layer and
dropout pages, their figures, arrays and numbers are in the built site."""

import json

import numpy as np
import pytest



@pytest.fixture(scope="module")
def built(quick_site):
    return quick_site


@pytest.fixture(scope="module")
def report(built):
    return json.loads((built / "site" / "report.json").read_text())


def test_both_pages_are_in_the_site_in_both_languages(built):
    site = built / "site"
    for page in ("fc/index.html", "dropout/index.html", "zh-TW/fc/index.html", "zh-TW/dropout/index.html"):
        assert (site / page).is_file(), page
    nav = (site / "index.html").read_text()
    assert 'href="fc/"' in nav and 'href="dropout/"' in nav


def test_dropout_runs_are_recorded(report):
    runs = {r["id"]: r for r in report["runs"]}
    ids = [r["id"] for r in report["runs"] if r["group"] == "dropout"]
    assert ids == ["dropout-0-s0", "dropout-0.25-s0", "dropout-0.5-s0", "dropout-0.75-s0"]
    # quick profile: the p = 0.5 run has the baseline's settings and shares its cache entry
    assert runs["dropout-0.5-s0"]["config_hash"] == report["runs"][0]["config_hash"]
    for i in ids:
        assert runs[i]["history"]["step"][-1] == runs[i]["steps"]
        assert len(runs[i]["history"]["val_accuracy"]) == len(runs[i]["history"]["step"])
        assert 0 <= runs[i]["test_accuracy"] <= 1


def test_fc_numbers_and_page(built, report):
    n = report["pages"]["fc"]
    assert (n["fc1_inputs"], n["fc1_units"]) == (3136, 1024)
    assert n["fc1_share"] == pytest.approx(3_212_288 / report["model"]["params"])
    assert [r["stage"] for r in n["probe"]["rows"]] == ["pixels", "pool1", "pool2", "fc1"]
    assert all(0 <= r["test_accuracy"] <= 1 for r in n["probe"]["rows"])
    assert n["probe"]["n_test"] == report["dataset"]["test"]
    assert 0 <= n["units"]["dead_fraction"] <= 1
    html = (built / "site" / "fc" / "index.html").read_text()
    assert f"{100 * n['fc1_share']:.1f}%" in html
    assert f"{100 * n['probe']['rows'][3]['test_accuracy']:.1f}%" in html
    zh = (built / "site" / "zh-TW" / "fc" / "index.html").read_text()
    assert "全連接層" in zh and f"{100 * n['units']['dead_fraction']:.1f}%" in zh


def test_dropout_numbers_and_page(built, report):
    n = report["pages"]["dropout"]
    assert n["rates"] == [0.0, 0.25, 0.5, 0.75] and n["n_seeds"] == 1
    assert n["verdict"]["accuracy"] == "single_seed"
    assert n["demo"]["scale"] == 2.0 and n["demo"]["units"] == 1024
    for row in n["table"]:
        assert len(row["ablation_mean"]) == len(n["ablation_fractions"]) == 10
        assert all(0 <= a <= 1 for a in row["ablation_mean"])
    html = (built / "site" / "dropout" / "index.html").read_text()
    for row in n["table"]:
        assert f"{100 * row['test_accuracy']['mean']:.2f}%" in html


def test_figures_and_arrays_are_published(built):
    site = built / "site" / "figures"
    for name in ("fc/embeddings", "fc/top_images", "fc/unit_firing", "dropout/in_action",
                 "dropout/learning_curves", "dropout/ablation"):
        assert (site / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert (site / f"{name}.npz").is_file(), name
    with np.load(site / "fc" / "linear_probe.npz") as z:
        assert list(z["stage"]) == ["pixels", "pool1", "pool2", "fc1"]
        assert np.all((z["test_accuracy"] >= 0) & (z["test_accuracy"] <= 1))
    with np.load(site / "dropout" / "in_action.npz") as z:
        kept = z["keep"] > 0
        np.testing.assert_allclose(z["training"][kept], z["inference"][kept] * 2, rtol=1e-6)
        assert np.all(z["training"][~kept] == 0)
    with np.load(site / "dropout" / "dropout_runs.npz") as z:
        assert z["ablation_accuracy"].shape == (4, 10)
