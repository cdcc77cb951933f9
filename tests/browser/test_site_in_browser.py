"""The built site as a reader sees it, in headless Chromium: every page in every language.

Pages are discovered from the build (every index.html outside the asset folders), so new
pages are covered without editing this file. One tour opens each page once and does what a
reader does there (look, toggle the theme, zoom a figure, switch language); the tests below
then check what it recorded, each naming every page and thing that is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from tests.browser import checks

pytestmark = pytest.mark.browser

MODEL_PAGE = "layer2/"  # the page every build has: dark screenshot, search target


def show(path: str) -> str:
    return "/" + path


@dataclass
class Stop:
    visit: checks.Visit
    schemes: list[str] = field(default_factory=list)
    zoom: str | None = None
    switches: dict[str, tuple[str, str]] = field(default_factory=dict)  # locale -> (path, lang)


@pytest.fixture(scope="module")
def tour(browser, base_url, site, pages, prefixes, screenshots):
    """Every page, once: what it showed, a full-page screenshot (light theme), the palette
    toggle, a figure zoom and the language switch. The model page also gets a dark screenshot."""
    reader = checks.Reader(browser, base_url, site)
    page = reader.page
    stops = {}
    try:
        for path in pages:
            stop = stops[path] = Stop(reader.open(path))
            checks.RUN.record_ignored(stop.visit.ignored)
            light = screenshots / checks.screenshot_name(path, prefixes)
            dark = screenshots / checks.screenshot_name(path, prefixes, ".dark")
            checks.RUN.save_screenshot(reader, light)
            on_dark = (lambda: checks.RUN.save_screenshot(reader, dark)) if path == MODEL_PAGE else None
            stop.schemes = checks.toggle_palette(page, on_dark)
            stop.zoom = checks.zoom_problem(page)
            own = checks.page_locale(path, prefixes)
            for i, locale in enumerate(loc for loc in prefixes if loc != own):
                if i:
                    page.goto(reader.base + path)
                stop.switches[locale] = checks.switch_language(page, locale)
    finally:
        reader.close()
    return stops


def test_every_page_exists_in_every_language(pages, prefixes):
    missing = [f"{show(p)} has no {loc} version {show(checks.counterpart(p, loc, prefixes))}"
               for p in pages for loc in prefixes
               if checks.counterpart(p, loc, prefixes) not in pages]
    assert not missing, "\n".join(missing)
    assert MODEL_PAGE in pages and prefixes["zh-TW"] + MODEL_PAGE in pages


def test_every_page_answers_200(tour):
    bad = [f"{show(p)}: HTTP {s.visit.status}" for p, s in tour.items() if s.visit.status != 200]
    assert not bad, "\n".join(bad)


def test_no_console_errors_from_the_site(tour):
    problems = [msg for p, s in tour.items() for msg in checks.console_problems(show(p), s.visit)]
    assert not problems, "\n".join(problems)


def test_every_image_loaded_and_has_alt_text(tour):
    assert tour[MODEL_PAGE].visit.images, f"no <img> found on {show(MODEL_PAGE)}"
    problems = [msg for p, s in tour.items() for msg in checks.image_problems(show(p), s.visit)]
    assert not problems, "\n".join(problems)


def test_links_and_anchors_resolve(tour, base_url):
    links = checks.LinkChecker(base_url)
    problems = [msg for p, s in tour.items() for msg in links.problems(show(p), s.visit.links)]
    assert not problems, "\n".join(problems)


def test_pages_are_written_in_their_language(tour, prefixes):
    problems = [msg for p, s in tour.items() for msg in
                checks.translation_problems(show(p), s.visit, checks.page_locale(p, prefixes))]
    assert not problems, "\n".join(problems)


def test_language_switch_leads_to_the_same_page(tour, prefixes, base_url):
    root = urlsplit(base_url).path
    problems = []
    for path, stop in tour.items():
        for locale, (landed, lang) in stop.switches.items():
            expected = root + checks.counterpart(path, locale, prefixes)
            if landed != expected or lang != locale:
                problems.append(f"{show(path)} -> {locale}: landed on {landed} (lang={lang!r}), "
                                f"expected {expected}")
    assert all(tour[p].switches for p in tour), "some pages were not switched"
    assert not problems, "\n".join(problems)


def test_palette_toggle_switches_theme(tour):
    problems = [f"{show(p)}: data-md-color-scheme went {' -> '.join(map(str, s.schemes))}"
                for p, s in tour.items() if s.schemes != ["default", "slate", "default"]]
    assert not problems, "\n".join(problems)


def test_image_zoom_opens(tour):
    assert tour[MODEL_PAGE].zoom is not None, f"no figure to zoom on {show(MODEL_PAGE)}"
    problems = [f"{show(p)}: {s.zoom}" for p, s in tour.items() if s.zoom]
    assert not problems, "\n".join(problems)


SEARCHES = [
    ("en", "receptive"),   # English word on the model page
    ("zh-TW", "感受野"),    # "receptive field", segmented by jieba at build time
]


@pytest.mark.parametrize("locale,query", SEARCHES, ids=[s[0] for s in SEARCHES])
def test_search_finds_the_model_page(reader, site, prefixes, locale, query):
    """Type into Material's search box (a web worker over search/search_index.json) and wait
    for the results; the model page in that language must be among them."""
    expected = prefixes[locale] + MODEL_PAGE
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    text = " ".join(d["title"] + " " + d["text"] for d in index["docs"]
                    if d["location"].split("#")[0] == expected).replace("\u200b", "")
    assert query in text, (f"precondition: {show(expected)} no longer contains {query!r}; "
                           "pick a word the page does contain")
    page = reader.page
    page.goto(reader.base + prefixes[locale])
    placeholder = json.loads(page.inner_text("#__config"))["translations"][
        "search.result.placeholder"]
    page.click("input.md-search__input")
    page.fill("input.md-search__input", query)
    page.press("input.md-search__input", "End")  # Material reads the query on keyup
    page.wait_for_function(
        "p => { const m = document.querySelector('.md-search-result__meta');"
        " return m && m.textContent.trim() && m.textContent.trim() !== p; }", arg=placeholder)
    # the count is shown before the result list is rendered: wait for the list as well
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    want = urlsplit(reader.base).path + expected
    try:
        page.wait_for_function(
            "w => [...document.querySelectorAll('.md-search-result__item > a')]"
            ".some(a => new URL(a.href).pathname === w)", arg=want, timeout=15_000)
    except PlaywrightTimeout:  # reported by the assertion below, with what was found
        pass
    hrefs = page.eval_on_selector_all(".md-search-result__item > a", "els => els.map(e => e.href)")
    found = sorted({urlsplit(h).path for h in hrefs})
    assert urlsplit(reader.base).path + expected in found, (
        f"search for {query!r} on {show(prefixes[locale])} found "
        f"{found or page.inner_text('.md-search-result__meta')}, expected {show(expected)}")
