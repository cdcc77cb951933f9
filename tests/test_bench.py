"""The benchmark in short mode: it runs and reports every number (no timing assertions)."""

import pytest

from generator.bench import builds, throughput
from generator.bench.run import full_mnist_estimate, table
from tests.conftest import REPO


@pytest.mark.slow
def test_bench_short_mode(tiny_dataset):
    t = throughput.measure(tiny_dataset.x_train[:100], tiny_dataset.y_train[:100], repeats=1,
                           log=lambda m: None)
    for key in ("train_images_per_second", "reference_images_per_second",
                "keras_fit_images_per_second", "inference_images_per_second"):
        assert t[key] > 0
    assert t["best"]["train_images_per_second"] >= t["train_images_per_second"]
    assert t["ratio"] == pytest.approx(t["train_images_per_second"] / t["reference_images_per_second"],
                                       rel=1e-2)
    b = builds.measure(REPO, profile="quick", dataset="mnist-5k", warm_repeats=1, log=lambda m: None)
    assert b["cold_build_seconds"] > 0 and b["warm_build_seconds"] > 0
    assert b["warm_over_bare"] == pytest.approx(
        b["warm_build_seconds"] / b["bare_mkdocs_build_seconds"], rel=2e-2)
    result = {"throughput": t, "builds": b, "full_mnist_estimate": full_mnist_estimate(100.0)}
    text = table(result)
    assert "ours / plain loop" in text and "warm / bare" in text


def test_full_mnist_estimate_counts_each_run_once():
    est = full_mnist_estimate(1000.0, "standard")
    assert est["runs"] >= 1
    assert est["estimated_training_seconds"] == round(est["images"] / 1000.0, 0)
    # steps × batch for each distinct run, however large the training set is
    from generator.config import PROFILES

    p = PROFILES["standard"]
    assert est["images"] < 54_000 * est["runs"]
    assert est["images"] % p.batch_size == 0 and est["images"] >= p.steps * p.batch_size
    # with the scoring throughput, every run's validation points and test score are added
    both = full_mnist_estimate(1000.0, "standard", inference_images_per_second=2000.0)
    assert both["scored_images"] >= est["runs"] * 10_000
    assert both["estimated_training_seconds"] == round(
        est["images"] / 1000.0 + both["scored_images"] / 2000.0, 0)
