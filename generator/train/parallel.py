"""Train many runs: serially, or in parallel worker processes (``--jobs N``).

Results do not depend on the number of jobs: each run is seeded, TensorFlow's
op determinism is on, and every worker keeps TensorFlow's default thread count
(a different intra-op thread count changes the last bits of the evaluation's
reductions), as checked by ``tests/test_parallel.py``. Runs already in the cache are never
sent to a worker, and runs that share a cache key train once.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from generator.experiments import RunSpec
from generator.train.cache import RunCache


def default_jobs() -> int:
    """One job per two cores (TensorFlow already uses two threads well), bounded by memory
    (about 3 GiB per training process)."""
    cores = os.cpu_count() or 1
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gib = 4.0
    return max(1, min(cores // 2, int(mem_gib // 3)))


def _worker_init() -> None:
    import signal

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Ctrl-C reaches the whole process group: the parent handles it (and stops the workers);
    # a worker would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Terminate the workers at once (a run being written is left as a .tmp-<pid> folder,
    which the cache never reads and the next build removes)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _train_in_worker(spec: RunSpec, dataset, cache_root: Path, force: bool) -> str:
    import sys

    from generator.train.trainer import import_keras, train_or_load

    import_keras()
    cache = RunCache(cache_root, warn=lambda m: print(m, file=sys.stderr))
    run = train_or_load(spec, dataset, cache, force=force, log=lambda m: print(m, file=sys.stderr))
    return run.key


def train_all(specs: list[RunSpec], dataset, cache: RunCache, cache_root: Path, *, jobs: int = 1,
              force: bool = False, log: Callable[[str], None] = print):
    """Train or load every spec; returns TrainedRuns in ``specs`` order."""
    from generator.model.cnn import MODEL_CODE_VERSION
    from generator.train.cache import run_key
    from generator.train.trainer import TrainedRun, train_or_load

    keys = [run_key(s.as_dict(), dataset.fingerprint, MODEL_CODE_VERSION) for s in specs]
    missing: dict[str, RunSpec] = {}
    found = {}  # key → verified cache entry (each model file is checked once per build)
    for spec, key in zip(specs, keys):
        if key in missing or key in found:
            continue
        entry = None if force else cache.get(key)
        if entry is None:
            missing[key] = spec
        else:
            found[key] = entry
    trained: set[str] = set()
    if jobs > 1 and len(missing) > 1:
        workers = min(jobs, len(missing))
        log(f"train: {len(missing)} run(s) in {workers} parallel process(es)")
        import multiprocessing

        from concurrent.futures.process import BrokenProcessPool

        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init)
        try:
            futures = [pool.submit(_train_in_worker, spec, dataset, cache_root, force)
                       for spec in missing.values()]
            for future in futures:
                future.result()
        except BrokenProcessPool:
            _stop(pool)
            from generator.errors import TrainingError

            raise TrainingError("a training process died (out of memory?). Rerun the build with "
                                "--jobs 1; finished runs are kept in the cache.") from None
        except BaseException:  # Ctrl-C, SIGTERM, a failed run: stop the others now, not later
            _stop(pool)
            raise
        pool.shutdown()
        trained.update(missing)
        missing = {}
    runs = []
    for spec, key in zip(specs, keys):
        if key in missing:
            train_or_load(missing.pop(key), dataset, cache, force=True, log=log)
            trained.add(key)
        entry = found.get(key) or cache.get(key)
        if entry is None:
            from generator.errors import TrainingError

            raise TrainingError(f"run {spec.id} left no cache entry. Rerun the build with --jobs 1.")
        runs.append(TrainedRun(spec, key, entry.model_path, entry.record, trained_now=key in trained))
    return runs
