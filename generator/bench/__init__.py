"""``python -m generator bench``: training throughput and build times, measured on this machine."""

from generator.bench.run import run_bench

__all__ = ["run_bench"]
