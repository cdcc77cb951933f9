"""Cold and warm ``python -m generator build`` times against a bare ``mkdocs build``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _project(repo: Path, root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(repo / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(repo / "docs" / "stylesheets", root / "docs" / "stylesheets")
    return root


def _timed(cmd: list[str], cwd: Path) -> float:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", TF_CPP_MIN_LOG_LEVEL="3")
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        raise RuntimeError(f"{' '.join(cmd[1:4])} failed: {tail[0]}")
    return seconds


def measure(repo: Path, *, profile: str, dataset: str, warm_repeats: int = 3, log=print) -> dict:
    """One cold build in a fresh project, then warm builds and bare mkdocs builds (medians)."""
    import statistics

    with tempfile.TemporaryDirectory(prefix="layer2-bench-") as tmp:
        root = _project(repo, Path(tmp) / "project")
        build = [sys.executable, "-m", "generator", "build", "--profile", profile,
                 "--dataset", dataset, "--root", str(root)]
        log(f"bench: cold build ({profile}, {dataset}) …")
        cold = _timed(build, repo)
        warm = [_timed(build, repo) for _ in range(warm_repeats)]
        bare_cmd = [sys.executable, "-m", "mkdocs", "build", "--quiet", "--config-file",
                    str(root / "mkdocs.yml"), "--site-dir", str(Path(tmp) / "bare-site")]
        bare = [_timed(bare_cmd, root) for _ in range(warm_repeats)]
    warm_s, bare_s = statistics.median(warm), statistics.median(bare)
    return {
        "profile": profile,
        "dataset": dataset,
        "cold_build_seconds": round(cold, 2),
        "warm_build_seconds": round(warm_s, 2),
        "bare_mkdocs_build_seconds": round(bare_s, 2),
        "warm_over_bare": round(warm_s / bare_s, 2),
        "samples": {"warm": [round(s, 2) for s in warm], "bare": [round(s, 2) for s in bare]},
    }
