"""Breaking an image or a link on purpose makes the tests fail.

Two layers catch breakage: the strict MkDocs build (``validation:`` in mkdocs.yml, every
warning an error) for what the Markdown references, and the browser checks for what a reader
actually gets (images referenced from raw HTML, console errors, links to files). Each is shown
failing here on a deliberately broken page, and passing on a correct one.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from generator.errors import SiteError
from generator.publish.site import mkdocs_build
from tests.browser import checks
from tests.conftest import REPO, make_project

# A 2×2 grey PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADklEQVR4nGNoaGhgYAAABQgBAaL6tRMAAAAASUVORK5CYII=")


# --------------------------------------------------------------------------- the strict build


def tiny_docs(tmp_path: Path, index_md: str) -> Path:
    """A two-page copy of the site's configuration (the repo's mkdocs.yml, inherited, with its
    plugins and validation settings; only the nav is replaced) and a figure."""
    root = make_project(tmp_path / "tiny")
    (root / "mkdocs.yml").write_text(
        f"INHERIT: {(REPO / 'mkdocs.yml').as_posix()}\nnav:\n  - index.md\n  - other.md\n",
        encoding="utf-8")
    docs = root / "docs"
    (docs / "figures").mkdir(parents=True)
    (docs / "figures" / "ok.png").write_bytes(PNG)
    (docs / "index.md").write_text(index_md, encoding="utf-8")
    (docs / "other.md").write_text("# Other\n\n## A section\n\nText.\n", encoding="utf-8")
    return root


GOOD = "# Home\n\n![A grey square](figures/ok.png)\n\nSee [a section](other.md#a-section).\n"

BROKEN = {
    "image": ("# Home\n\n![A grey square](figures/missing.png)\n", "missing.png"),
    "link": ("# Home\n\nSee [nowhere](nowhere.md).\n", "nowhere.md"),
    "anchor": ("# Home\n\nSee [a section](other.md#no-such-section).\n", "no-such-section"),
}


def test_strict_build_passes_on_correct_docs(tmp_path):
    root = tiny_docs(tmp_path, GOOD)
    mkdocs_build(root / "mkdocs.yml", root / "docs", root / "site")
    assert (root / "site" / "figures" / "ok.png").is_file()
    assert (root / "site" / "zh-TW" / "index.html").is_file()


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_strict_build_fails_on_a_broken_reference(tmp_path, kind):
    index_md, culprit = BROKEN[kind]
    root = tiny_docs(tmp_path, index_md)
    with pytest.raises(SiteError) as err:
        mkdocs_build(root / "mkdocs.yml", root / "docs", root / "site")
    assert culprit in str(err.value), str(err.value)


# --------------------------------------------------------------------------- the browser checks

BROKEN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>
<body><article>
<p><img src="ok.png" alt="A grey square"> <img src="missing.png" alt="A missing figure">
<img src="ok.png" alt=" "></p>
<p><a href="../good/">fine</a> <a href="nowhere.html">gone</a> <a href="../good/#no-such-id">bad
anchor</a> <a href="../good/#here">good anchor</a></p>
</article><script>console.error("boom from the page")</script></body></html>"""

GOOD_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>
<body><article><h2 id="here">Here</h2><p><img src="../broken/ok.png" alt="A grey square"></p>
<p><a href="../broken/ok.png">the figure</a></p></article></body></html>"""


@pytest.fixture
def small_site(tmp_path):
    site = tmp_path / "small"
    for name, text in (("broken", BROKEN_PAGE), ("good", GOOD_PAGE)):
        (site / name).mkdir(parents=True)
        (site / name / "index.html").write_text(text, encoding="utf-8")
    (site / "broken" / "ok.png").write_bytes(PNG)
    with checks.serve(site, "sub") as base:
        yield site, base


@pytest.mark.browser
def test_browser_checks_flag_a_broken_page(browser, small_site):
    site, base = small_site
    reader = checks.Reader(browser, base, site)
    try:
        broken, good = reader.open("broken/"), reader.open("good/")
    finally:
        reader.close()
    assert broken.status == 200 and good.status == 200

    images = checks.image_problems("/broken/", broken)
    assert any("did not load: missing.png" in p for p in images), images
    assert any("without alt text: ok.png" in p for p in images), images
    assert not any("did not load: ok.png" in p for p in images), images
    assert checks.image_problems("/good/", good) == []

    console = checks.console_problems("/broken/", broken)
    assert any("boom from the page" in p for p in console), console
    assert any("404" in p and "missing.png" in p for p in console), console
    assert checks.console_problems("/good/", good) == []

    links = checks.LinkChecker(base)
    found = links.problems("/broken/", broken.links)
    assert any("nowhere.html (HTTP 404)" in p for p in found), found
    assert any("missing anchor" in p and "no-such-id" in p for p in found), found
    assert len(found) == 2, found  # the good link and the good anchor pass
    assert links.problems("/good/", good.links) == []


def test_translation_check_flags_english_on_a_chinese_page():
    english = "This paragraph was never translated and so it still reads in English here."
    visit = checks.Visit(url="u", status=200, lang="zh-TW",
                         paragraphs=[english, "第二層的卷積核不容易一個一個解讀。"])
    assert checks.translation_problems("/zh-TW/x/", visit, "zh-TW") == [
        f"/zh-TW/x/: untranslated paragraph: {english[:80]!r}"]
    visit.lang = "en"
    assert any("<html lang='en'>" in p for p in checks.translation_problems("/zh-TW/x/", visit,
                                                                          "zh-TW"))
