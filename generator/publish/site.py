"""Stage, build, then write: nothing in docs/ or site/ changes unless the strict build passed.

1. Copy docs/ into a staging folder and overlay the generated files.
2. ``mkdocs build --strict`` (in-process) from the staging docs into a staging site.
3. Write the generated files into docs/ (only files whose bytes changed; stale
   generated files removed, tracked by a manifest) and swap the new site/ in
   with renames, so the previous site stays whole until the new one is complete.

:func:`preflight` runs before any training: it checks that the output folders are
writable and mkdocs.yml is valid (fail fast), and tidies up after a build that was
killed (a site/ caught between the two renames of a swap is restored; temporary
files and staging folders of dead processes are removed).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from generator.errors import SiteError
from generator.util.fsio import (pid_alive, read_json, remove_stale, stable_json, temp_name,
                                 write_if_changed)

MANIFEST = "generated.json"
#: Build-time folders in the cache: ``staging-<pid>-...`` (docs + site being built) and
#: ``site-old-<pid>-...`` (the previous site during a non-atomic swap).
_STAGING = re.compile(r"^(?:staging|site-old)-(\d+)-")
_SITE_OLD = re.compile(r"^site-old-(\d+)-")
#: The figure cache's temporary PNGs (``.<key>.<pid>.tmp.png``, see generator.figures.render).
_FIGURE_TMP = re.compile(r"^\.[^.]+\.(\d+)\.tmp\.png$")


@dataclass(frozen=True)
class PublishResult:
    written: int
    unchanged: int
    removed: int
    site_seconds: float | None


def publish(outputs: dict[str, bytes], *, root: Path, docs_dir: Path, site_dir: Path,
            mkdocs_yml: Path, cache_dir: Path, build_site: bool = True,
            site_url: str | None = None) -> PublishResult:
    cache_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = cache_dir / MANIFEST
    previous = _previous_manifest(manifest_path)
    stale = sorted(set(previous) - set(outputs))
    site_seconds = None
    with tempfile.TemporaryDirectory(prefix=f"staging-{os.getpid()}-", dir=cache_dir) as tmp:
        staging = Path(tmp)
        if build_site:
            stage_docs = staging / "docs"
            if docs_dir.is_dir():
                shutil.copytree(docs_dir, stage_docs)
            for rel in stale:
                (stage_docs / rel).unlink(missing_ok=True)
            for rel, data in outputs.items():
                target = stage_docs / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            start = time.perf_counter()
            mkdocs_build(mkdocs_yml, stage_docs, staging / "site", site_url=site_url)
            site_seconds = time.perf_counter() - start
        written = removed = 0
        for rel, data in outputs.items():
            written += write_if_changed(docs_dir / rel, data)
        for rel in stale:
            path = docs_dir / rel
            if path.is_file():
                path.unlink()
                removed += 1
        write_if_changed(manifest_path, stable_json(sorted(outputs)))
        if build_site:
            swap_in(staging / "site", site_dir, cache_dir)
    return PublishResult(written, len(outputs) - written, removed, site_seconds)


def _previous_manifest(path: Path) -> list[str]:
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return []
    return [p for p in data if isinstance(p, str) and ".." not in Path(p).parts]


def preflight(*, root: Path, docs_dir: Path, site_dir: Path, cache_dir: Path, mkdocs_yml: Path,
              build_site: bool = True, log: Callable[[str], None] = print) -> None:
    """Before any work: recover from a killed build, check the output folders, check mkdocs.yml.

    Raises OSError (a folder that cannot be written) or SiteError (mkdocs.yml missing or invalid).
    """
    if build_site and not mkdocs_yml.is_file():  # before creating any folder in the wrong place
        raise SiteError(f"{mkdocs_yml} not found. Run from the project folder (the one with mkdocs.yml).")
    recover_site(site_dir, cache_dir, log)
    remove_stale(cache_dir, _STAGING, recursive=False)
    remove_stale(cache_dir / "figures", _FIGURE_TMP, recursive=False)
    for folder in (cache_dir, docs_dir):
        remove_stale(folder)
    # Folders we write into (root: site/ is renamed there). An OSError names the path.
    for folder in (cache_dir, docs_dir) + ((root,) if build_site else ()):
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "exists but is a file, not a folder", str(folder))
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / temp_name("write-check")
        probe.write_bytes(b"")
        probe.unlink()
    if build_site:
        load_mkdocs_config(mkdocs_yml, docs_dir, cache_dir / temp_name("site-check"))


def recover_site(site_dir: Path, cache_dir: Path, log: Callable[[str], None] = print) -> bool:
    """If a killed build left no site/ but its previous site in the cache, put it back."""
    if site_dir.exists() or not cache_dir.is_dir():
        return False
    olds = sorted((p for p in cache_dir.iterdir() if (m := _SITE_OLD.match(p.name)) and p.is_dir()
                   and not pid_alive(int(m.group(1)))), key=lambda p: p.stat().st_mtime_ns)
    if not olds:
        return False
    os.replace(olds[-1], site_dir)
    log("warning: a build was interrupted while replacing site/; restored the previous site/.")
    return True


def swap_in(new_site: Path, site_dir: Path, cache_dir: Path) -> None:
    """Replace ``site_dir`` with ``new_site`` by renames: never a half-written site.

    On Linux the two folders are exchanged in one atomic ``renameat2(RENAME_EXCHANGE)``.
    Elsewhere it is two renames with SIGINT/SIGTERM held back in between; a SIGKILL
    between them leaves the old site in ``cache_dir``, where :func:`recover_site` finds it.
    """
    if site_dir.exists() and _exchange(new_site, site_dir):
        shutil.rmtree(new_site, ignore_errors=True)  # now the previous site
        return
    old = None
    with _signals_deferred():
        if site_dir.exists():
            old = cache_dir / f"site-old-{os.getpid()}-{time.time_ns()}"
            os.replace(site_dir, old)
        try:
            os.replace(new_site, site_dir)
        except OSError:
            if old is not None:
                os.replace(old, site_dir)
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


@contextlib.contextmanager
def _signals_deferred():
    """Hold SIGINT and SIGTERM back until the block is done, then deliver them.

    Python-level (a per-thread signal mask would not do: TensorFlow's threads could take
    the signal and Python would still run its handler at once in the main thread).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, lambda signum, frame: pending.append(signum))
                for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        # One line: MkDocs lists e.g. the pages missing from nav on the lines that follow.
        text = " ".join(record.getMessage().replace(":\n", ": ").split())
        self.messages.append(text if len(text) <= 300 else text[:297] + "...")


@contextlib.contextmanager
def _mkdocs_logging(*, quiet_jieba: bool = False):
    """Collect MkDocs warnings (strict mode: each one is an error) instead of printing them."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    if quiet_jieba:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        try:
            import jieba  # noqa: F401  (silence its start-up lines if the search plugin loads it)
            jieba.setLogLevel(logging.WARNING)
        except ImportError:
            pass
    mk_logger = logging.getLogger("mkdocs")
    handler = _Collect()
    mk_logger.addHandler(handler)
    old_level, old_propagate = mk_logger.level, mk_logger.propagate
    mk_logger.setLevel(logging.WARNING)
    mk_logger.propagate = False
    try:
        yield handler
    finally:
        mk_logger.removeHandler(handler)
        mk_logger.setLevel(old_level)
        mk_logger.propagate = old_propagate


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _yaml_problem(exc: BaseException) -> str | None:
    """``"YAML syntax error at line L, column C: <problem>"`` if a YAML error is behind ``exc``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            problem = getattr(exc, "problem", None) or _first_line(exc)
            return f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {problem}"
        exc = exc.__cause__ or exc.__context__
    return None


def load_mkdocs_config(config_file: Path, docs_dir: Path, site_dir: Path, *,
                       site_url: str | None = None):
    """Load and validate mkdocs.yml (strict: a warning is an error); any problem is one SiteError line."""
    try:
        from mkdocs.config import load_config
    except ImportError as exc:
        raise SiteError(f"MkDocs is not installed ({exc}). Install it: pip install -e .") from None
    if not config_file.is_file():
        raise SiteError(f"{config_file} not found. Run from the project folder (the one with mkdocs.yml).")
    with _mkdocs_logging() as handler:
        try:
            overrides = {"site_url": site_url} if site_url else {}
            return load_config(str(config_file), docs_dir=str(docs_dir), site_dir=str(site_dir),
                               strict=True, **overrides)
        except OSError:
            raise
        except Exception as exc:  # MkDocsException, yaml errors, plugins: assorted types
            detail = _yaml_problem(exc) or (handler.messages[0] if handler.messages else _first_line(exc))
            more = f" (and {len(handler.messages) - 1} more)" if len(handler.messages) > 1 else ""
            raise SiteError(f"{config_file.name} is invalid: {detail.rstrip('.')}{more}. "
                            f"Fix {config_file}.") from None


def mkdocs_build(config_file: Path, docs_dir: Path, site_dir: Path, *,
                 site_url: str | None = None) -> None:
    """``mkdocs build --strict`` in-process; any warning or error becomes one SiteError line."""
    config = load_mkdocs_config(config_file, docs_dir, site_dir, site_url=site_url)
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    with _mkdocs_logging(quiet_jieba=True) as handler:
        try:
            build(config)
        except OSError:
            raise  # disk full, permissions: the CLI names the path
        except MkDocsException as exc:
            first = handler.messages[0] if handler.messages else ""
            raise SiteError(f"mkdocs build failed: {_first_line(exc)}{' — ' + first if first else ''}. "
                            f"Fix {config_file.name} or the page named above.") from None
        except Exception as exc:  # plugin failures surface as assorted types
            raise SiteError(f"mkdocs build failed: {type(exc).__name__}: {_first_line(exc)}. "
                            f"Check {config_file.name}.") from None
    if handler.messages:
        raise SiteError(f"mkdocs build --strict: {handler.messages[0]} "
                        f"({len(handler.messages)} warning(s)). Fix the page or link named.")
