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
    epochs: int
    batch_size: int
    learning_rate: float

    def as_dict(self) -> dict:
        return asdict(self)


def baseline_spec(cfg: BuildConfig, n_train: int) -> RunSpec:
    """The post's network under the build's profile, seed and epochs."""
    epochs = cfg.epochs if cfg.epochs is not None else cfg.profile.epochs_for(n_train)
    return RunSpec(
        id=f"baseline-s{cfg.seed}",
        group="baseline",
        conv_blocks=2,
        dropout=0.5,
        seed=cfg.seed,
        epochs=epochs,
        batch_size=cfg.profile.batch_size,
        learning_rate=cfg.learning_rate,
    )


def experiment_epochs(cfg: BuildConfig, n_train: int) -> int:
    """Epochs of each experiment run: the profile's experiment budget (``--epochs`` overrides)."""
    if cfg.epochs is not None:
        return cfg.epochs
    return cfg.profile.epochs_for(n_train, cfg.profile.experiment_steps)


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
