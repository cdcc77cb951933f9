"""What a page module gives the build, and what the build gives a page module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator.figures.render import FigureJob

if TYPE_CHECKING:  # pragma: no cover
    from generator.config import BuildConfig
    from generator.train.trainer import TrainedRun


@dataclass(frozen=True, eq=False)
class BuildContext:
    """Everything computed before the pages: the inputs of each page's ``analyse``."""

    cfg: "BuildConfig"
    dataset: Any
    runs: list["TrainedRun"]
    #: Layer outputs and weights of the baseline model for the probe image.
    probe: dict
    #: Numbers of the pages analysed so far, in registry order (a later page may use them).
    pages: dict = field(default_factory=dict)

    @property
    def baseline(self) -> "TrainedRun":
        return self.runs[0]

    def runs_in(self, group: str) -> list["TrainedRun"]:
        """The runs of one experiment group, in registry order."""
        return [r for r in self.runs if r.spec.group == group]


@dataclass(frozen=True, eq=False)
class PageData:
    """A page's measured numbers (they go into report.json) and its figures."""

    numbers: dict
    figures: list[FigureJob] = field(default_factory=list)
    #: Extra ``.npz`` files to publish: docs-relative path → named arrays.
    arrays: dict[str, dict] = field(default_factory=dict)


def common_context(report: dict, slug: str) -> dict:
    """What every page's template gets: its numbers (``n``), the baseline run, the data,
    the probe image, the post's figures, the build settings and the layer table."""
    return {
        "n": report["pages"].get(slug, {}),
        "baseline": report["runs"][0],
        "dataset": report["dataset"],
        "probe": report["probe"],
        "post": report["post"],
        "generator": report["generator"],
        "layers": {row["name"]: row for row in report["model"]["layers"]},
        "full_mnist": report["dataset"]["name"] == "mnist",
    }


def schedule_note(spec, baseline_spec) -> dict:
    """How an experiment's schedule differs from the baseline's (for the pages' note on why
    experiments may use a larger learning rate over fewer steps)."""
    return {
        "learning_rate": float(spec.learning_rate),
        "steps": int(spec.steps),
        "baseline_learning_rate": float(baseline_spec.learning_rate),
        "baseline_steps": int(baseline_spec.steps),
        "learning_rate_ratio": float(spec.learning_rate) / float(baseline_spec.learning_rate),
        "higher_learning_rate": float(spec.learning_rate) > float(baseline_spec.learning_rate),
    }
