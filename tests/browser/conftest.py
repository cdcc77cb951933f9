"""Browser fixtures: Debian's Chromium driven by Playwright, one quick build served on 127.0.0.1.

* The browser tests skip, naming what is missing and how to install it, when the ``playwright``
  package or a Chromium binary is missing. Nothing is ever downloaded: Playwright drives the
  system Chromium (``/usr/bin/chromium``, or ``$LAYER2_CHROMIUM``) through ``executable_path``.
* The site is built once per session (``build --profile quick --dataset mnist-5k`` into a temp
  project) and served on 127.0.0.1 under ``/layer2-report/`` with ``--site-url`` set to match,
  as GitHub Pages serves a project site. ``$LAYER2_BROWSER_SITE`` names an already built
  ``site/`` folder (built without ``--site-url``) to test instead, served at ``/``.
* Full-page screenshots land in ``$LAYER2_ARTIFACTS/screenshots`` (default
  ``test-artifacts/screenshots`` in the repo); the folder is printed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser import checks
from tests.conftest import REPO, make_project

INSTALL = "sudo apt-get install chromium fonts-noto-cjk && pip install -e '.[test]'"


def chromium_path() -> str | None:
    wanted = os.environ.get("LAYER2_CHROMIUM")
    if wanted:
        return wanted if os.access(wanted, os.X_OK) else None
    found = ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
    for candidate in found:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def artifacts_dir() -> Path:
    root = os.environ.get("LAYER2_ARTIFACTS")
    return (Path(root) if root else REPO / "test-artifacts") / "screenshots"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test (skips, saying why, if it is missing)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("browser tests need the 'playwright' Python package (it drives Debian's "
                    f"Chromium; no browser download). Install: {INSTALL}")
    exe = chromium_path()
    if exe is None:
        where = os.environ.get("LAYER2_CHROMIUM") or "/usr/bin/chromium or on PATH"
        pytest.skip(f"browser tests need Chromium, not found at {where}. Install: {INSTALL} "
                    "(or set LAYER2_CHROMIUM=/path/to/chromium)")
    pw = sync_playwright().start()
    try:
        try:
            b = pw.chromium.launch(executable_path=exe, args=checks.CHROMIUM_ARGS, timeout=60_000)
        except Error as exc:
            pytest.fail(f"Chromium at {exe} is installed but did not start: "
                        f"{str(exc).strip().splitlines()[0]}", pytrace=False)
        yield b
        b.close()
    finally:
        pw.stop()


# Served like a GitHub Pages project site: http://127.0.0.1:PORT/layer2-report/
MOUNT = "layer2-report"


@pytest.fixture(scope="session")
def served(browser, tmp_path_factory):
    """(site folder, base URL): one quick build per session, served on 127.0.0.1 under
    /layer2-report/ and built with --site-url set to that URL, as the Pages workflow does.
    $LAYER2_BROWSER_SITE names a site built without --site-url to test instead (served at /)."""
    given = os.environ.get("LAYER2_BROWSER_SITE")
    if given:
        site = Path(given)
        assert (site / "index.html").is_file(), f"LAYER2_BROWSER_SITE={given} has no index.html"
        with checks.serve(site) as base:
            yield site, base
        return
    from generator.cli import main

    root = make_project(tmp_path_factory.mktemp("browser") / "project")
    with checks.serve(root / "site", MOUNT) as base:
        code = main(["build", "--profile", "quick", "--dataset", "mnist-5k",
                     "--site-url", base, "--root", str(root)])
        assert code == 0, "the quick build failed; see the output above"
        yield root / "site", base


@pytest.fixture(scope="session")
def site(served) -> Path:
    return served[0]


@pytest.fixture(scope="session")
def base_url(served) -> str:
    return served[1]


@pytest.fixture(scope="session")
def pages(site) -> list[str]:
    found = checks.discover_pages(site)
    assert "" in found, f"no home page in {site}"
    return found


@pytest.fixture(scope="session")
def prefixes(site, base_url) -> dict[str, str]:
    found = checks.locale_prefixes(site, base_url)
    assert len(found) >= 2, f"the home page's language selector lists {found}"
    outside = {loc: url for loc, url in found.items() if "://" in url}
    assert not outside, f"the home page's language selector leaves the site: {outside}"
    return found


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The screenshot folder, emptied of the previous run's PNGs."""
    folder = artifacts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture
def reader(browser, base_url, site):
    """A fresh browser context and tab (clean localStorage, light scheme) for one test."""
    r = checks.Reader(browser, base_url, site)
    yield r
    r.close()


def pytest_terminal_summary(terminalreporter):
    saved, ignored = checks.RUN.screenshots, checks.RUN.ignored
    if not (saved or ignored):
        return
    terminalreporter.write_sep("-", "browser tests")
    for folder in sorted({p.parent for p in saved}):
        n = sum(p.parent == folder for p in saved)
        terminalreporter.write_line(f"{n} full-page screenshot(s) in {folder}")
    for kind, n in sorted(ignored.items()):
        terminalreporter.write_line(f"ignored (not a site error): {n} x {kind}")
