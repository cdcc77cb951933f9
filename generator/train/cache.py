"""Content-hash cache of trained runs (reuse only when the hash matches and the files are whole).

Layout: ``.cache/runs/<key>/model.keras`` and ``run.json``. ``run.json`` is written
last and holds the model file's SHA-256, so a truncated or foreign model file is
detected. Entries are assembled in a temporary folder (``.tmp-<pid>-<key>``) and
renamed into place: the cache never holds a half-written entry, and a temporary
folder left by a killed build is never read (the next build removes it, see
:func:`generator.util.fsio.remove_stale`).
"""

from __future__ import annotations

import os
import platform
import shutil
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

from generator.util.fsio import hash_obj, read_json, sha256_file, stable_json, temp_name

MODEL_FILE = "model.keras"
RECORD_FILE = "run.json"


def library_versions() -> dict[str, str]:
    """Versions that can change a trained result, read without importing the libraries."""
    versions = {"python": platform.python_version()}
    for dist in ("keras", "tensorflow", "numpy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "missing"
    return versions


def run_key(spec_fields: dict, data_fingerprint: str, code_version: int) -> str:
    """Hash of everything that changes a trained model (not its display id)."""
    fields = {k: v for k, v in spec_fields.items() if k not in ("id", "group")}
    return hash_obj({
        "spec": fields,
        "data": data_fingerprint,
        "versions": library_versions(),
        "code": code_version,
    })[:20]


@dataclass(frozen=True)
class CacheEntry:
    key: str
    path: Path

    @property
    def model_path(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def record(self) -> dict:
        return read_json(self.path / RECORD_FILE)


class RunCache:
    """The ``runs/`` folder of the build cache."""

    def __init__(self, root: Path, warn: Callable[[str], None]):
        self.root = root / "runs"
        self.warn = warn

    def entry_path(self, key: str) -> Path:
        return self.root / key

    def get(self, key: str) -> CacheEntry | None:
        """The complete entry for ``key``, or None. A damaged entry is set aside with a warning."""
        path = self.entry_path(key)
        if not path.exists():
            return None
        problem = self._check(path)
        if problem is None:
            return CacheEntry(key, path)
        aside = path.with_name(f"{key}.damaged-{int(time.time())}")
        os.replace(path, aside)
        self.warn(f"warning: cached run {key} is unusable ({problem}); "
                  f"set aside as {aside.name}, retraining.")
        return None

    @staticmethod
    def _check(path: Path) -> str | None:
        record_path = path / RECORD_FILE
        if not record_path.is_file():
            return "run.json missing"
        try:
            record = read_json(record_path)
            expected = record["model_sha256"]
        except (ValueError, KeyError, OSError):
            return "run.json unreadable"
        model = path / MODEL_FILE
        if not model.is_file():
            return "model.keras missing"
        try:
            actual = sha256_file(model)
        except OSError as exc:
            return f"model.keras unreadable: {exc.strerror or exc}"
        if actual != expected:
            return "model.keras truncated or changed"
        return None

    def put(self, key: str, write_model: Callable[[Path], None], record: dict) -> CacheEntry:
        """Write the model and record into a temp folder, then rename it into place."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / temp_name(key)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            write_model(tmp / MODEL_FILE)
            record = dict(record, model_sha256=sha256_file(tmp / MODEL_FILE))
            (tmp / RECORD_FILE).write_text(stable_json(record), encoding="utf-8")
            final = self.entry_path(key)
            if final.exists():
                old = self.root / temp_name(f"old-{key}")
                os.replace(final, old)
                shutil.rmtree(old, ignore_errors=True)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return CacheEntry(key, final)
