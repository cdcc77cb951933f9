"""--jobs: parallel training gives exactly the numbers of a serial run."""

import pytest

from generator.experiments import RunSpec
from generator.report import run_entry
from generator.train.cache import RunCache
from generator.train.parallel import default_jobs, train_all

TIMINGS = ("train_seconds", "train_images_per_second")


def specs():
    return [RunSpec(id=f"p-s{seed}", group="test", conv_blocks=blocks, dropout=0.5, seed=seed,
                    steps=2, eval_every=1, batch_size=100, learning_rate=1e-4)
            for seed, blocks in ((0, 2), (1, 1))] + [
        # same settings as the first under another id: shares its cache entry, trains once
        RunSpec(id="p-s0-again", group="other", conv_blocks=2, dropout=0.5, seed=0, steps=2,
                eval_every=1, batch_size=100, learning_rate=1e-4)]


def numbers(runs):
    return [{k: v for k, v in run_entry(r).items() if k not in TIMINGS} for r in runs]


@pytest.mark.slow
def test_parallel_equals_serial(tiny_dataset, tmp_path):
    serial_cache = RunCache(tmp_path / "serial", warn=pytest.fail)
    serial = train_all(specs(), tiny_dataset, serial_cache, tmp_path / "serial", jobs=1,
                       log=lambda m: None)
    par_cache = RunCache(tmp_path / "parallel", warn=pytest.fail)
    parallel = train_all(specs(), tiny_dataset, par_cache, tmp_path / "parallel", jobs=2,
                         log=lambda m: None)
    assert numbers(serial) == numbers(parallel)
    assert [r.spec.id for r in parallel] == ["p-s0", "p-s1", "p-s0-again"]
    assert parallel[0].key == parallel[2].key
    assert len(list((tmp_path / "parallel" / "runs").iterdir())) == 2
    assert all(r.trained_now for r in parallel)
    # and a third call trains nothing
    again = train_all(specs(), tiny_dataset, par_cache, tmp_path / "parallel", jobs=2,
                      log=lambda m: None)
    assert not any(r.trained_now for r in again)
    assert numbers(again) == numbers(parallel)


def test_default_jobs_is_sane():
    assert 1 <= default_jobs() <= 64
