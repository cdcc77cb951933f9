"""Typed build configuration: profiles and the frozen :class:`BuildConfig`.

Every field carries a docstring-like comment; the CLI validates raw input and
builds exactly one ``BuildConfig`` that every stage reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from generator.errors import UsageError

DATASETS = ("auto", "mnist", "mnist-5k")


@dataclass(frozen=True)
class Profile:
    """How much training a build does. Budgets are in optimizer steps so that
    a profile costs about the same time on the 5,000-digit subset and on full MNIST."""

    name: str
    #: Optimizer steps for the baseline model (a run may end mid-epoch).
    steps: int
    #: Optimizer steps for each run of an experiment (dropout rates, depth variants).
    experiment_steps: int = 0
    #: Seeds per experiment setting (mean ± sd over them where there are several).
    experiment_seeds: int = 1
    #: Adam's learning rate in experiment runs; None: the build's (the post's 1e-4). A short
    #: experiment budget needs a larger step to get near convergence.
    experiment_learning_rate: float | None = None
    #: Mini-batch size (the post used 50).
    batch_size: int = 50
    #: Cap on training images after the split (tiny test profile only).
    max_train: int | None = None
    #: Cap on test images after the split (tiny test profile only).
    max_test: int | None = None
    #: One-line description shown by ``--help`` and on the pages.
    description: str = ""


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        "quick", steps=8, experiment_steps=8, experiment_seeds=1, max_train=400, max_test=200,
        description="tests only: a few seconds, tiny data, meaningless accuracy",
    ),
    "standard": Profile(
        "standard", steps=600, experiment_steps=48, experiment_seeds=3, experiment_learning_rate=2e-3,
        description="the default: page-quality results in minutes on a 2-core CPU",
    ),
    "full": Profile(
        "full", steps=20000, experiment_steps=5000, experiment_seeds=3,
        description="the post's schedule: 20,000 steps of batch 50 (hours on a CPU)",
    ),
}


@dataclass(frozen=True)
class BuildConfig:
    """Everything one ``python -m generator build`` needs, validated once."""

    #: Training budget; see :data:`PROFILES`.
    profile: Profile = field(default_factory=lambda: PROFILES["standard"])
    #: ``auto`` (full MNIST, else the embedded subset), ``mnist`` or ``mnist-5k``.
    dataset: str = "auto"
    #: A folder of the four MNIST IDX files; overrides ``dataset``.
    data_dir: Path | None = None
    #: Seed for weight initialisation, shuffling and dropout masks.
    seed: int = 0
    #: Overrides the profile's epochs when set.
    epochs: int | None = None
    #: Learning rate of Adam (the post: 1e-4).
    learning_rate: float = 1e-4
    #: Index into the test set of the image the layer-2 page probes (the post: 0).
    image_index: int = 0
    #: Stop after report.json and docs/ (no MkDocs build).
    no_site: bool = False
    #: Retrain even when a cached model matches.
    force: bool = False
    #: Parallel training processes for independent runs (None: chosen from cores and memory).
    jobs: int | None = None
    #: The published site's URL (overrides mkdocs.yml's ``site_url``), e.g. a GitHub Pages sub-path.
    site_url: str | None = None
    #: Project root: holds mkdocs.yml, docs/, site/ and .cache/.
    root: Path = field(default_factory=Path.cwd)

    @property
    def cache_dir(self) -> Path:
        return self.root / ".cache"

    @property
    def docs_dir(self) -> Path:
        return self.root / "docs"

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    @property
    def mkdocs_yml(self) -> Path:
        return self.root / "mkdocs.yml"

    def with_(self, **changes) -> "BuildConfig":
        return replace(self, **changes)


def positive_int(name: str, value, *, allow_zero: bool = False) -> int:
    """Parse ``value`` as an integer > 0 (or >= 0) or raise a one-line UsageError."""
    flag = "--" + name.replace("_", "-")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise UsageError(
            f"Invalid {flag}. Expected an integer. Received: {name}={value!r}"
        ) from None
    if number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise UsageError(f"Invalid {flag}. Expected an integer {bound}. Received: {name}={number}")
    return number


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UsageError(
            f"Unknown profile. Expected one of {', '.join(PROFILES)}. Received: profile={name!r}"
        ) from None
