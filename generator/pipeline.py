"""The build, stage by stage: data → train → probe → pages' numbers and figures →
report.json → Markdown → site. Gather everything first; write last."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable

from generator.config import BuildConfig
from generator.errors import UsageError


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class BuildResult:
    report: dict
    outputs: dict
    trained: list[str]
    seconds: float


def build(cfg: BuildConfig, log: Callable[[str], None] = _stderr) -> BuildResult:
    from generator import data
    from generator.experiments import runs_for
    from generator.figures.render import npz_bytes, render, table_csv
    from generator.pages import LANGUAGES, PAGES
    from generator.pages.base import BuildContext
    from generator.pages.render import render_page
    from generator.probe.activations import probe_image
    from generator.report import assemble, to_bytes
    from generator.publish.site import preflight, publish
    from generator.train.cache import RunCache
    from generator.train.parallel import default_jobs, train_all

    start = time.perf_counter()
    # Fail fast (unwritable folders, invalid mkdocs.yml) and tidy up after a killed build.
    preflight(root=cfg.root, docs_dir=cfg.docs_dir, site_dir=cfg.site_dir, cache_dir=cfg.cache_dir,
              mkdocs_yml=cfg.mkdocs_yml, build_site=not cfg.no_site, log=log)
    dataset = data.load(cfg.dataset, cfg.data_dir, max_train=cfg.profile.max_train,
                        max_test=cfg.profile.max_test, warn=log)
    n_test = len(dataset.x_test)
    if not 0 <= cfg.image_index < n_test:
        raise UsageError(f"Invalid --image-index. Expected 0 <= index < {n_test} (test images in "
                         f"{dataset.name}). Received: image_index={cfg.image_index}")
    log(f"data: {dataset.name} — {len(dataset.x_train)} train / {len(dataset.x_val)} validation / "
        f"{n_test} test images")

    cache = RunCache(cfg.cache_dir, warn=log)
    specs = runs_for(cfg, len(dataset.x_train))
    jobs = cfg.jobs or default_jobs()
    runs = train_all(specs, dataset, cache, cfg.cache_dir, jobs=jobs, force=cfg.force, log=log)
    trained = [r.spec.id for r in runs if r.trained_now]
    if not trained:
        log(f"train: {len(runs)} run(s) reused from the cache")

    probe = probe_image(runs[0].model_path, dataset.x_test[cfg.image_index], cfg.image_index)
    ctx = BuildContext(cfg, dataset, runs, probe)

    outputs: dict[str, bytes] = {}
    numbers: dict[str, dict] = {}
    for page in PAGES:
        page_data = page.load().analyse(ctx)
        numbers[page.slug] = ctx.pages[page.slug] = page_data.numbers
        for job in page_data.figures:
            outputs[job.name] = render(job, cfg.cache_dir)
            outputs[job.npz_name] = npz_bytes(job.arrays)
        for name, arrays in page_data.arrays.items():
            outputs[name] = npz_bytes(arrays)
            csv = table_csv(arrays)
            if csv is not None:
                outputs[name.removesuffix(".npz") + ".csv"] = csv

    report = assemble(ctx, numbers, build_seconds=time.perf_counter() - start)
    outputs["report.json"] = to_bytes(report)
    for page in PAGES:
        module = page.load()
        page_context = module.context(report)
        for lang in LANGUAGES:
            outputs[page.markdown_name(lang)] = render_page(page.slug, lang, page_context).encode()

    result = publish(outputs, root=cfg.root, docs_dir=cfg.docs_dir, site_dir=cfg.site_dir,
                     mkdocs_yml=cfg.mkdocs_yml, cache_dir=cfg.cache_dir, build_site=not cfg.no_site,
                     site_url=cfg.site_url)
    seconds = time.perf_counter() - start
    where = "docs/ only (--no-site)" if cfg.no_site else f"site/ in {result.site_seconds:.1f} s"
    log(f"wrote {result.written} changed file(s), {result.unchanged} unchanged, "
        f"{result.removed} removed; {where}; total {seconds:.1f} s")
    return BuildResult(report, outputs, trained, seconds)


def clean(cfg: BuildConfig, log: Callable[[str], None] = _stderr) -> None:
    """Remove site/, the generated docs files and the build cache (trained models included)."""
    import shutil

    from generator.publish.site import MANIFEST, _previous_manifest

    for rel in _previous_manifest(cfg.cache_dir / MANIFEST):
        (cfg.docs_dir / rel).unlink(missing_ok=True)
    for path in (cfg.site_dir, cfg.cache_dir):
        if path.exists():
            shutil.rmtree(path)
            log(f"removed {path}")


def deploy(cfg: BuildConfig, *, message: str | None = None, remote: str = "origin",
           branch: str = "gh-pages", log: Callable[[str], None] = _stderr) -> None:
    """Publish the built docs/ to GitHub Pages with ``mkdocs gh-deploy``."""
    import os
    import subprocess

    from generator.errors import SiteError

    if not (cfg.docs_dir / "report.json").is_file():
        raise SiteError("docs/report.json not found: nothing has been built yet. "
                        "Run: python -m generator build")
    cmd = [sys.executable, "-m", "mkdocs", "gh-deploy", "--strict", "--force",
           "--config-file", str(cfg.mkdocs_yml), "--remote-name", remote, "--remote-branch", branch]
    if message:
        cmd += ["--message", message]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    if cfg.site_url:
        env["SITE_URL"] = cfg.site_url
    log("running: " + " ".join(cmd[2:]))
    proc = subprocess.run(cmd, cwd=cfg.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        lines = [l for l in proc.stdout.splitlines() if l.strip()]
        last = lines[-1].strip() if lines else f"exit code {proc.returncode}"
        raise SiteError(f"mkdocs gh-deploy failed: {last}. Check that {cfg.root} is a git "
                        f"repository with a '{remote}' remote you can push to.")
    log(f"deployed to branch {branch} of {remote}")
