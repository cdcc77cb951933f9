"""Stage, build, then write: nothing in docs/ or site/ changes unless the strict build passed.

1. Copy docs/ into a staging folder and overlay the generated files.
2. ``mkdocs build --strict`` (in-process) from the staging docs into a staging site.
3. Write the generated files into docs/ (only files whose bytes changed; stale
   generated files removed, tracked by a manifest) and swap the new site/ in
   with renames, so the previous site stays whole until the new one is complete.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from generator.errors import SiteError
from generator.util.fsio import read_json, stable_json, write_if_changed

MANIFEST = "generated.json"


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
    with tempfile.TemporaryDirectory(prefix="staging-", dir=cache_dir) as tmp:
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


def swap_in(new_site: Path, site_dir: Path, cache_dir: Path) -> None:
    """Replace ``site_dir`` with ``new_site`` by renames: never a half-written site."""
    old = None
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


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage().strip().splitlines()[0])


def mkdocs_build(config_file: Path, docs_dir: Path, site_dir: Path, *,
                 site_url: str | None = None) -> None:
    """``mkdocs build --strict`` in-process; any warning or error becomes one SiteError line."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("jieba").setLevel(logging.WARNING)
    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import MkDocsException
    except ImportError as exc:
        raise SiteError(f"MkDocs is not installed ({exc}). Install it: pip install -e .") from None
    if not config_file.is_file():
        raise SiteError(f"{config_file} not found. Run from the project folder (the one with mkdocs.yml).")
    mk_logger = logging.getLogger("mkdocs")
    handler = _Collect()
    mk_logger.addHandler(handler)
    old_level, old_propagate = mk_logger.level, mk_logger.propagate
    mk_logger.setLevel(logging.WARNING)
    mk_logger.propagate = False
    try:
        import jieba  # noqa: F401  (silence its start-up lines if the search plugin loads it)
        jieba.setLogLevel(logging.WARNING)
    except ImportError:
        pass
    try:
        overrides = {"site_url": site_url} if site_url else {}
        config = load_config(str(config_file), docs_dir=str(docs_dir), site_dir=str(site_dir),
                             strict=True, **overrides)
        build(config)
    except MkDocsException as exc:
        first = handler.messages[0] if handler.messages else ""
        detail = f"{exc}".strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SiteError(f"mkdocs build failed: {detail}{' — ' + first if first else ''}. "
                        f"Fix {config_file.name} or the page named above.") from None
    except Exception as exc:  # yaml errors and plugin failures surface as assorted types
        raise SiteError(f"mkdocs build failed: {type(exc).__name__}: "
                        f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}. "
                        f"Check {config_file.name}.") from None
    finally:
        mk_logger.removeHandler(handler)
        mk_logger.setLevel(old_level)
        mk_logger.propagate = old_propagate
    if handler.messages:
        raise SiteError(f"mkdocs build --strict: {handler.messages[0]} "
                        f"({len(handler.messages)} warning(s)). Fix the page or link named.")
