"""Small filesystem helpers: content hashes, atomic writes, write-if-changed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

#: Every temporary file or folder the generator creates is named ``.tmp-<pid>-...``, so an
#: entry left behind by a killed build is recognisable (and never mistaken for a finished one).
TEMP_PREFIX = ".tmp-"
_TEMP_PID = re.compile(r"^\.tmp-(\d+)-")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stable_json(obj) -> str:
    """JSON with sorted keys and fixed separators: the same object, the same bytes."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def hash_obj(obj) -> str:
    return sha256_bytes(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_name(path.name) + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes | str) -> bool:
    """Write ``data`` only when the file's bytes differ; return True if written.

    Keeps ``mkdocs serve`` calm (no rebuild loops) and diffs clean.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(path, data)
    return True


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def temp_name(tag: str) -> str:
    """``.tmp-<pid>-<tag>``: a temporary name that records which process owns it."""
    return f"{TEMP_PREFIX}{os.getpid()}-{tag}"


def pid_alive(pid: int) -> bool:
    """True if process ``pid`` may still be running (when unsure, assume it is)."""
    if pid == os.getpid():
        return True
    if os.name != "posix" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        return True
    return True


def remove_stale(directory: Path, pattern: re.Pattern = _TEMP_PID, *, recursive: bool = True) -> list[Path]:
    """Remove entries of ``directory`` whose name matches ``pattern`` (group 1: the owner's pid)
    and whose owner process is gone: the leftovers of an interrupted or killed build.

    Entries of a process that is still running (a concurrent build) are left alone.
    """
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for dirpath, dirnames, filenames in os.walk(directory):
        for name in sorted(dirnames + filenames):
            match = pattern.match(name)
            if match is None or pid_alive(int(match.group(1))):
                continue
            path = Path(dirpath) / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                dirnames.remove(name)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
        if not recursive:
            break
    return removed
