"""Which trained models the pages need: a registry of :class:`RunSpec`."""

from generator.experiments.registry import RunSpec, baseline_spec, runs_for

__all__ = ["RunSpec", "baseline_spec", "runs_for"]
