"""Render figures through a content-hash cache, so unchanged figures are never redrawn.

A figure's key covers the drawing function's name, the source of its module and
of ``style.py``, its keyword arguments and the bytes of every input array. A warm
build therefore reads PNGs from ``.cache/figures/`` without importing matplotlib.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True, eq=False)
class FigureJob:
    """One PNG: ``func`` (``"module:function"``) called as ``func(*arrays.values(), out=png, **kwargs)``.

    The named arrays are also published beside the PNG as an ``.npz`` (see :func:`npz_bytes`).
    """

    #: Path of the PNG relative to docs/, e.g. ``figures/layer2/conv2_kernels.png``.
    name: str
    func: str
    arrays: dict = field(default_factory=dict)
    kwargs: dict = field(default_factory=dict)

    @property
    def npz_name(self) -> str:
        return self.name.removesuffix(".png") + ".npz"


def _module_source_hash(module: str) -> bytes:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return b""
    return Path(spec.origin).read_bytes()


def job_key(job: FigureJob) -> str:
    module, _, func = job.func.partition(":")
    h = hashlib.sha256()
    h.update(job.func.encode())
    h.update(_module_source_hash(module))
    h.update(_module_source_hash("generator.figures.style"))
    h.update(json.dumps(job.kwargs, sort_keys=True, default=str).encode())
    for name, arr in job.arrays.items():
        arr = np.ascontiguousarray(arr)
        h.update(str((name, arr.dtype.str, arr.shape)).encode())
        h.update(arr.tobytes())
    return h.hexdigest()[:24]


def drawing_function(path: str):
    """Import ``"module:function"`` (this is where matplotlib gets imported)."""
    module, _, func = path.partition(":")
    return getattr(importlib.import_module(module), func)


def render(job: FigureJob, cache_dir: Path) -> bytes:
    """The PNG bytes of ``job``, drawn only when the cache has no matching file."""
    path = cache_dir / "figures" / f"{job_key(job)}.png"
    if path.is_file() and path.stat().st_size > 0:
        return path.read_bytes()
    draw = drawing_function(job.func)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.png")
    try:
        draw(*job.arrays.values(), out=tmp, **job.kwargs)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def npz_bytes(arrays: dict) -> bytes:
    """A compressed ``.npz`` of ``arrays``; the same arrays give the same bytes."""
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return buf.getvalue()


def table_csv(arrays: dict) -> bytes | None:
    """The 1-D columns of ``arrays`` that share the most common length, as CSV (None if
    fewer than two such columns: not a table). Published beside a table's ``.npz``."""
    import csv
    import io
    from collections import Counter

    columns = {k: np.asarray(v) for k, v in arrays.items() if np.asarray(v).ndim == 1}
    if not columns:
        return None
    length, count = Counter(len(v) for v in columns.values()).most_common(1)[0]
    if count < 2:
        return None
    names = [k for k, v in columns.items() if len(v) == length]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for i in range(length):
        writer.writerow([_cell(columns[k][i]) for k in names])
    return buf.getvalue().encode("utf-8")


def _cell(value) -> str:
    if isinstance(value, (np.floating, float)):
        return repr(float(value))
    if isinstance(value, (np.integer, int, np.bool_)):
        return str(int(value))
    return str(value)
