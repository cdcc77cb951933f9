"""The run cache: hit, miss, key sensitivity, damaged entries, --force."""

import json

import numpy as np
import pytest

from generator.experiments import RunSpec
from generator.train.cache import RunCache, run_key

SPEC = RunSpec(id="t", group="baseline", conv_blocks=2, dropout=0.5, seed=0, steps=4,
               eval_every=2, batch_size=50, learning_rate=1e-4)


def test_key_ignores_display_fields_but_not_settings():
    base = run_key(SPEC.as_dict(), "fp", 1)
    assert run_key(dict(SPEC.as_dict(), id="other", group="depth"), "fp", 1) == base
    for change in ({"seed": 1}, {"steps": 5}, {"eval_every": 1}, {"dropout": 0.25}, {"conv_blocks": 3},
                   {"learning_rate": 1e-3}, {"batch_size": 100}):
        assert run_key(dict(SPEC.as_dict(), **change), "fp", 1) != base, change
    assert run_key(SPEC.as_dict(), "other-data", 1) != base
    assert run_key(SPEC.as_dict(), "fp", 2) != base


def _fake_put(cache, key, payload=b"model-bytes"):
    return cache.put(key, lambda p: p.write_bytes(payload), {"history": {}})


def test_put_then_get(tmp_path):
    cache = RunCache(tmp_path, warn=pytest.fail)
    assert cache.get("k1") is None
    entry = _fake_put(cache, "k1")
    again = cache.get("k1")
    assert again is not None and again.model_path.read_bytes() == b"model-bytes"
    assert entry.record["model_sha256"] == again.record["model_sha256"]
    assert not list((tmp_path / "runs").glob(".tmp-*"))


def test_truncated_model_is_set_aside(tmp_path):
    warnings = []
    cache = RunCache(tmp_path, warn=warnings.append)
    entry = _fake_put(cache, "k2")
    entry.model_path.write_bytes(b"model")  # truncated
    assert cache.get("k2") is None
    assert len(warnings) == 1 and "truncated" in warnings[0]
    assert list((tmp_path / "runs").glob("k2.damaged-*"))


def test_failed_write_leaves_no_entry(tmp_path):
    cache = RunCache(tmp_path, warn=pytest.fail)

    def boom(path):
        path.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        cache.put("k3", boom, {})
    assert cache.get("k3") is None
    assert not list((tmp_path / "runs").iterdir())


def test_second_train_is_a_cache_hit_and_force_retrains(tiny_dataset, tmp_path, monkeypatch):
    from generator.train import trainer

    cache = RunCache(tmp_path, warn=pytest.fail)
    spec = RunSpec(id="c", group="baseline", conv_blocks=2, dropout=0.5, seed=3, steps=2,
                   eval_every=1, batch_size=100, learning_rate=1e-4)
    first = trainer.train_or_load(spec, tiny_dataset, cache, log=lambda m: None)
    assert first.trained_now
    record = json.loads((first.model_path.parent / "run.json").read_text())
    assert record["spec"]["seed"] == 3 and record["history"]["step"] == [1, 2]
    assert 0.0 <= record["test_accuracy"] <= 1.0

    calls = []
    real_train = trainer._train
    monkeypatch.setattr(trainer, "_train", lambda *a, **k: calls.append(a) or real_train(*a, **k))
    second = trainer.train_or_load(spec, tiny_dataset, cache, log=lambda m: None)
    assert not second.trained_now and calls == []
    assert second.record["test_accuracy"] == first.record["test_accuracy"]
    third = trainer.train_or_load(spec, tiny_dataset, cache, force=True, log=lambda m: None)
    assert third.trained_now and len(calls) == 1
    # seeded and deterministic: retraining gives the same numbers
    assert third.record["test_accuracy"] == first.record["test_accuracy"]
    np.testing.assert_allclose(third.record["history"]["loss"], first.record["history"]["loss"])


def test_a_run_stops_mid_epoch_and_records_each_evaluation_point(tiny_dataset):
    """Budgets are steps: 6 steps of 50 on 200 images is 1.5 passes, evaluated at 4 and 6."""
    from generator.model.cnn import build_model
    from generator.train import loop
    from generator.train.trainer import as_input, import_keras

    keras, _ = import_keras()
    keras.utils.set_random_seed(0)
    model = build_model()
    x, y = as_input(tiny_dataset.x_train), tiny_dataset.y_train.astype("int64")
    assert len(x) == 200
    seen: list[int] = []
    history = loop.fit(model, x, y, as_input(tiny_dataset.x_val), tiny_dataset.y_val.astype("int64"),
                       steps=6, eval_every=4, batch_size=50, seed=0, learning_rate=1e-4,
                       on_batch=seen.append)
    assert seen == [1, 2, 3, 4, 5, 6]
    assert history["step"] == [4, 6]
    assert all(len(history[k]) == 2 for k in ("loss", "accuracy", "val_loss", "val_accuracy"))
    with pytest.raises(ValueError, match="Received: steps=0"):
        loop.fit(model, x, y, x, y, steps=0, eval_every=1, batch_size=50, seed=0, learning_rate=1e-4)


def test_budgets_are_steps_and_epochs_override_them():
    from generator.config import PROFILES, BuildConfig
    from generator.experiments.registry import (baseline_spec, eval_interval, experiment_budget,
                                                steps_per_epoch)

    assert steps_per_epoch(3600, 50) == 72 and steps_per_epoch(54_000, 50) == 1080
    assert steps_per_epoch(3601, 50) == 73
    # at most one evaluation per epoch; short runs still get several points
    assert eval_interval(600, 3600, 50) == 72
    assert eval_interval(48, 3600, 50) == 12
    assert eval_interval(600, 54_000, 50) == 150
    cfg = BuildConfig(profile=PROFILES["standard"])
    for n_train in (3600, 54_000):  # the same budget on either data set
        assert baseline_spec(cfg, n_train).steps == PROFILES["standard"].steps
        assert experiment_budget(cfg, n_train)[0] == PROFILES["standard"].experiment_steps
    two = cfg.with_(epochs=2)
    assert baseline_spec(two, 3600).steps == 144 and experiment_budget(two, 54_000)[0] == 2160


def test_learning_curves_score_a_capped_stratified_validation_subset(tiny_dataset, tmp_path, monkeypatch):
    from generator.train import trainer

    monkeypatch.setattr(trainer, "MAX_VAL_IMAGES", 10)
    spec = RunSpec(id="v", group="baseline", conv_blocks=1, dropout=0.5, seed=0, steps=1,
                   eval_every=1, batch_size=50, learning_rate=1e-4)
    run = trainer.train_or_load(spec, tiny_dataset, RunCache(tmp_path, warn=pytest.fail),
                                log=lambda m: None)
    assert len(tiny_dataset.y_val) > 10 and run.record["val_images"] == 10
    # the validation accuracy is a fraction of those 10 images
    assert round(run.record["history"]["val_accuracy"][0] * 10, 6) % 1 == 0
