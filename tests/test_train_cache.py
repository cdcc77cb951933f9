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
