"""The dropout experiment: the post's network trained with several dropout rates after fc1.

Every rate is trained once per experiment seed, with the profile's experiment
budget (:func:`experiment_budget`). Only the rate and the seed differ between
runs, so the p = 0.5 run with the build's seed is the baseline whenever the
epochs agree (for instance under ``--epochs``, or on the quick profile) and the
cache trains it once.
"""

from __future__ import annotations

from generator.config import BuildConfig
from generator.experiments.registry import (RunSpec, experiment_budget, experiment_learning_rate,
                                            experiment_seeds)

#: Dropout rates after fc1 (fraction of units switched off in training); the post used 0.5.
RATES: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)
GROUP = "dropout"


def run_id(rate: float, seed: int) -> str:
    """``dropout-0.25-s1``: the rate as written in :data:`RATES` (``0`` for no dropout)."""
    return f"{GROUP}-{rate:g}-s{seed}"


def runs(cfg: BuildConfig, n_train: int) -> list[RunSpec]:
    """One run per rate and experiment seed, rates outermost."""
    steps, eval_every = experiment_budget(cfg, n_train)
    return [
        RunSpec(id=run_id(rate, seed), group=GROUP, conv_blocks=2, dropout=float(rate), seed=seed,
                steps=steps, eval_every=eval_every, batch_size=cfg.profile.batch_size,
                learning_rate=experiment_learning_rate(cfg))
        for rate in RATES
        for seed in experiment_seeds(cfg)
    ]
