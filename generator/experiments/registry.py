"""The registry of runs each page needs.

A :class:`RunSpec` fixes everything that changes a trained model's result except
the data, whose identity enters the cache key through its fingerprint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from generator.config import BuildConfig


@dataclass(frozen=True)
class RunSpec:
    """One training run."""

    #: Unique, readable id, e.g. ``baseline-s0``.
    id: str
    #: Which page(s) use this run: ``baseline``, ``dropout``, ``depth``.
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


def runs_for(cfg: BuildConfig, n_train: int) -> list[RunSpec]:
    """Every run the build needs, baseline first."""
    return [baseline_spec(cfg, n_train)]
