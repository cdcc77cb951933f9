"""Named arrays cached as one ``.npz`` beside the model (the probe cache pattern).

A damaged file is deleted and treated as missing, so the caller recomputes it.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from generator.util.fsio import atomic_write_bytes, hash_obj


def settings_key(version: int, settings: dict, *extra: str) -> str:
    """Short hash of a probe's version constant, its settings and any extra identities."""
    return hash_obj({"version": version, "settings": settings, "extra": list(extra)})[:16]


def array_digest(*arrays: np.ndarray) -> str:
    """Content hash of arrays (dtype, shape and bytes), e.g. the test images a probe reads."""
    import hashlib

    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def load(path: Path) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when the file is missing or unreadable."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError):
        path.unlink(missing_ok=True)
        return None


def save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    atomic_write_bytes(path, buf.getvalue())


def cached(path: Path, compute) -> dict[str, np.ndarray]:
    """``load(path)``, or ``compute()`` saved to ``path`` when nothing usable is cached."""
    arrays = load(path)
    if arrays is None:
        arrays = compute()
        save(path, arrays)
    return arrays
