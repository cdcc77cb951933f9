"""End to end: `build --profile quick` into a temp project, strict MkDocs build included."""

import json
import math

import numpy as np
import pytest

from generator.cli import main


@pytest.fixture(scope="module")
def built(quick_site):
    return quick_site


def test_site_pages_exist_in_both_languages(built):
    site = built / "site"
    for page in ("index.html", "layer2/index.html", "zh-TW/index.html", "zh-TW/layer2/index.html"):
        assert (site / page).is_file(), page
    assert (site / "report.json").is_file()


def test_figures_and_arrays_published(built):
    figs = built / "site" / "figures" / "layer2"
    pngs = sorted(p.name for p in figs.glob("*.png"))
    assert len(pngs) >= 8
    for png in figs.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.with_suffix(".npz").is_file()
    with np.load(figs / "layer2.npz") as z:
        assert z["input"].shape == (28, 28)
        assert z["pool1"].shape == (14, 14, 32)
        assert z["conv2_kernel"].shape == (5, 5, 32, 64)
        assert z["conv2_bias"].shape == (64,)
        assert z["conv2_preact"].shape == (14, 14, 64)
        assert z["conv2_relu"].shape == (14, 14, 64)
        assert z["pool2"].shape == (7, 7, 64)
        np.testing.assert_allclose(z["conv2_relu"], np.maximum(z["conv2_preact"], 0), atol=1e-6)


def test_report_numbers_are_on_the_pages(built):
    report = json.loads((built / "site" / "report.json").read_text())
    assert report["dataset"]["name"] == "mnist-5k"
    assert report["dataset"]["train"] == 400 and report["dataset"]["test"] == 200
    run = report["runs"][0]
    assert run["params"] == 3_274_634 and 0 <= run["test_accuracy"] <= 1
    # one history point every eval_every steps and one after the last step
    assert run["history"]["step"][-1] == run["steps"]
    assert len(run["history"]["loss"]) == math.ceil(run["steps"] / run["eval_every"])
    assert run["epochs"] == pytest.approx(run["steps"] * run["batch_size"] / 400, abs=1e-3)
    for key in ("python", "keras", "tensorflow"):
        assert report["versions"][key]
    html = (built / "site" / "index.html").read_text()
    assert f"{100 * run['test_accuracy']:.2f}%" in html
    zh = (built / "site" / "zh-TW" / "layer2" / "index.html").read_text()
    assert f"{100 * report['pages']['layer2']['relu_zero_fraction']:.1f}%" in zh
    assert "hreflang=\"en\"" in zh  # the language switcher


def test_second_build_retrains_and_redraws_nothing(built, monkeypatch):
    import generator.figures.render as render
    import generator.train.trainer as trainer

    before = {p: p.stat().st_mtime_ns for p in (built / "docs").rglob("*") if p.is_file()}
    monkeypatch.setattr(trainer, "_train", lambda *a, **k: pytest.fail("retrained"))
    monkeypatch.setattr(render, "drawing_function", lambda f: pytest.fail(f"redrew {f}"))
    assert main(["build", "--profile", "quick", "--dataset", "mnist-5k", "--root", str(built)]) == 0
    after = {p: p.stat().st_mtime_ns for p in (built / "docs").rglob("*") if p.is_file()}
    changed = [p.name for p in before if before[p] != after[p]]
    assert changed == ["report.json"]  # its build time; every other file keeps its bytes
