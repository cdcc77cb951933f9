"""The depth ablation: 1, 2 (the post's network) and 3 conv blocks under one schedule.

With :func:`generator.model.cnn.build_model`, ``conv_blocks=1`` is exactly the
post's own ablation (layer 2 removed, fc1 fed by pool1's 14×14×32 output), so
that variant is not trained twice. Every variant keeps dropout 0.5 after fc1, the
post's optimizer and batch size, and the experiment schedule of the profile
(:func:`experiment_budget`) over the profile's seeds (:func:`experiment_seeds`).
"""

from __future__ import annotations

from generator.config import BuildConfig
from generator.experiments.registry import (RunSpec, experiment_budget, experiment_learning_rate,
                                            experiment_seeds)

GROUP = "depth"
#: Conv blocks of each variant, in page order; 2 is the post's network.
BLOCKS = (1, 2, 3)
#: The post's dropout rate after fc1, kept in every variant.
DROPOUT = 0.5


def run_id(blocks: int, seed: int) -> str:
    return f"{GROUP}-{blocks}conv-s{seed}"


def runs(cfg: BuildConfig, n_train: int) -> list[RunSpec]:
    """One run per variant and seed, variants in :data:`BLOCKS` order."""
    steps, eval_every = experiment_budget(cfg, n_train)
    return [
        RunSpec(
            id=run_id(blocks, seed),
            group=GROUP,
            conv_blocks=blocks,
            dropout=DROPOUT,
            seed=seed,
            steps=steps, eval_every=eval_every,
            batch_size=cfg.profile.batch_size,
            learning_rate=experiment_learning_rate(cfg),
        )
        for blocks in BLOCKS
        for seed in experiment_seeds(cfg)
    ]
