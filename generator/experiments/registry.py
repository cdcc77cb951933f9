"""The registry of runs each page needs.

A :class:`RunSpec` fixes everything that changes a trained model's result except
the data, whose identity enters the cache key through its fingerprint. The
display ``id`` and ``group`` are not part of the key, so two groups that need the
same model (say the dropout experiment's p = 0.5 and the depth experiment's
2-block run) share one cache entry and train once.

Each experiment module contributes its specs through a provider named in
:data:`PROVIDERS` (``"module:function"``, called as ``function(cfg, n_train) ->
list[RunSpec]``); the baseline comes first.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import asdict, dataclass
from typing import Callable

from generator.config import BuildConfig


@dataclass(frozen=True)
class RunSpec:
    """One training run."""

    #: Unique, readable id, e.g. ``baseline-s0``, ``dropout-0.25-s1``.
    id: str
    #: Which experiment the run belongs to: ``baseline``, ``dropout``, ``depth``.
    group: str
    #: Number of conv blocks (the post: 2).
    conv_blocks: int
    #: Dropout rate after fc1 (the post: 0.5).
    dropout: float
    seed: int
    #: Optimizer steps (mini-batches); an epoch boundary may fall anywhere in between.
    steps: int
    #: Validation (and a training-metrics point) every this many steps, and after the last.
    eval_every: int
    batch_size: int
    learning_rate: float

    def as_dict(self) -> dict:
        return asdict(self)


#: Points on each run's learning curve, at most (and at most one per epoch).
CURVE_POINTS = 4


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Mini-batches in one pass over ``n_train`` images (the last one may be smaller)."""
    return max(1, math.ceil(n_train / batch_size))


def eval_interval(steps: int, n_train: int, batch_size: int) -> int:
    """Steps between validations: every epoch, or more often when a run is shorter than
    :data:`CURVE_POINTS` epochs, so that every run has a learning curve."""
    return max(1, min(steps_per_epoch(n_train, batch_size), math.ceil(steps / CURVE_POINTS)))


def eval_points(steps: int, eval_every: int) -> int:
    """Points on a run's learning curve: every ``eval_every`` steps, and after the last."""
    return math.ceil(steps / eval_every)


def budget(cfg: BuildConfig, n_train: int, profile_steps: int) -> tuple[int, int]:
    """``(steps, eval_every)`` of a run: the profile's steps, or ``--epochs`` whole epochs."""
    batch = cfg.profile.batch_size
    steps = (cfg.epochs * steps_per_epoch(n_train, batch) if cfg.epochs is not None
             else profile_steps)
    return steps, eval_interval(steps, n_train, batch)


def baseline_spec(cfg: BuildConfig, n_train: int) -> RunSpec:
    """The post's network under the build's profile, seed and budget."""
    steps, eval_every = budget(cfg, n_train, cfg.profile.steps)
    return RunSpec(
        id=f"baseline-s{cfg.seed}",
        group="baseline",
        conv_blocks=2,
        dropout=0.5,
        seed=cfg.seed,
        steps=steps,
        eval_every=eval_every,
        batch_size=cfg.profile.batch_size,
        learning_rate=cfg.learning_rate,
    )


def experiment_budget(cfg: BuildConfig, n_train: int) -> tuple[int, int]:
    """``(steps, eval_every)`` of each experiment run: the profile's experiment budget
    (``--epochs`` overrides it as it does the baseline's)."""
    return budget(cfg, n_train, cfg.profile.experiment_steps)


def experiment_learning_rate(cfg: BuildConfig) -> float:
    """Adam's learning rate in each experiment run: the profile's, else the build's."""
    rate = cfg.profile.experiment_learning_rate
    return cfg.learning_rate if rate is None else rate


def experiment_seeds(cfg: BuildConfig) -> list[int]:
    """Seeds of each experiment setting, starting at the build's ``--seed``."""
    return [cfg.seed + i for i in range(cfg.profile.experiment_seeds)]


#: Experiment providers, in page order: ``"module:function"``.
PROVIDERS: tuple[str, ...] = (
    "generator.experiments.depth:runs",
    "generator.experiments.dropout:runs",
)


def _provider(path: str) -> Callable[[BuildConfig, int], list[RunSpec]]:
    module, _, func = path.partition(":")
    return getattr(importlib.import_module(module), func)


def runs_for(cfg: BuildConfig, n_train: int) -> list[RunSpec]:
    """Every run the build needs, baseline first; ids are unique."""
    specs = [baseline_spec(cfg, n_train)]
    for path in PROVIDERS:
        specs.extend(_provider(path)(cfg, n_train))
    ids = [s.id for s in specs]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"run ids must be unique. Received duplicates: {sorted(duplicates)}")
    return specs
