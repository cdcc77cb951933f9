"""What a reader's browser sees, as plain data: serve a folder, open a page, list its problems.

The checks here return lists of problems (strings naming the page and the thing that is wrong)
instead of asserting, so the same code is used on the real site and on deliberately broken
pages (tests/browser/test_checks_catch_breakage.py proves each check can fail).
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

# Chromium flags for a machine without network. Playwright adds --headless itself (the new
# headless mode since Chromium 132; repeated here to be explicit) and gives every launch a fresh
# temporary profile (it refuses --user-data-dir in launch(); that flag is for persistent contexts).
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
    # Only 127.0.0.1 resolves: the tests run offline, and a page that reaches for another host
    # (a CDN font, analytics) fails fast instead of waiting for a network timeout.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# Folders of the built site that hold assets, not pages.
NOT_PAGES = {"assets", "search", "figures", "stylesheets", "javascripts"}

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# --------------------------------------------------------------------------- serving


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    mount = ""  # serve the folder under /<mount>/ (as GitHub Pages serves a project site)

    def translate_path(self, path):
        if self.mount:
            head = f"/{self.mount}"
            if path != head and not path.startswith(head + "/"):
                return str(Path(self.directory) / "__outside_the_mount__")
            path = path[len(head):] or "/"
        return super().translate_path(path)

    def log_message(self, *args):  # keep the test output clean
        pass


@contextlib.contextmanager
def serve(folder: Path, mount: str = ""):
    """Serve ``folder`` on 127.0.0.1 with an ephemeral port, under ``/<mount>/`` if given.

    Yields the base URL ending in '/'. The folder need not exist yet (a build can fill it).
    """
    handler = type("Handler", (_QuietHandler,), {"mount": mount.strip("/")})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    path = f"/{mount.strip('/')}/" if mount.strip("/") else "/"
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- the site's pages


def discover_pages(site: Path) -> list[str]:
    """URL paths (relative to the site root, '' for the home page) of every page in the build."""
    pages = []
    for index in sorted(site.rglob("index.html")):
        rel = index.parent.relative_to(site)
        if any(part in NOT_PAGES for part in rel.parts):
            continue
        pages.append("" if rel == Path(".") else rel.as_posix() + "/")
    return pages


def locale_prefixes(site: Path, base: str) -> dict[str, str]:
    """{locale: path prefix below ``base``} from the home page's language selector,
    e.g. {'en': '', 'zh-TW': 'zh-TW/'}. A link that leaves ``base`` is reported as it is."""
    home = (site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]*)" hreflang="([^"]+)" class="md-select__link"', home)
    prefixes = {}
    for href, locale in links:
        url = urljoin(base, html.unescape(href))
        prefixes[locale] = url[len(base):] if url.startswith(base) else url
    return prefixes


def page_locale(path: str, prefixes: dict[str, str]) -> str:
    """The locale a page path belongs to (the longest matching prefix; '' is the default)."""
    best = max((p for p in prefixes.items() if path.startswith(p[1])), key=lambda p: len(p[1]))
    return best[0]


def counterpart(path: str, target: str, prefixes: dict[str, str]) -> str:
    """The same page in another locale: 'layer2/' -> 'zh-TW/layer2/' and back."""
    own = prefixes[page_locale(path, prefixes)]
    return prefixes[target] + path[len(own):]


def screenshot_name(path: str, prefixes: dict[str, str], suffix: str = "") -> str:
    locale = page_locale(path, prefixes)
    slug = path[len(prefixes[locale]):].strip("/").replace("/", "_") or "index"
    return f"{locale}-{slug}{suffix}.png"


# --------------------------------------------------------------------------- visiting a page


@dataclass
class Visit:
    """What one page load showed: status, console errors, images, links and text."""
    url: str
    status: int | None
    lang: str = ""
    errors: list[str] = field(default_factory=list)     # console errors / exceptions from the site
    ignored: list[str] = field(default_factory=list)    # not counted: see Reader
    images: list[dict] = field(default_factory=list)    # article <img>: src, width, alt
    links: list[str] = field(default_factory=list)      # absolute hrefs of the article's links
    paragraphs: list[str] = field(default_factory=list)  # article <p> texts


_IMAGES_JS = """async () => {
  const imgs = [...document.querySelectorAll('article img')];
  await Promise.all(imgs.map(img => {
    img.loading = 'eager';
    if (img.complete) return null;
    return new Promise(done => {
      img.addEventListener('load', done, {once: true});
      img.addEventListener('error', done, {once: true});
      setTimeout(done, 10000);
    });
  }));
  return imgs.map(img => ({src: img.getAttribute('src') || '', url: img.currentSrc || img.src,
                           width: img.naturalWidth, alt: img.getAttribute('alt')}));
}"""

_LINKS_JS = "() => [...document.querySelectorAll('article a[href]')].map(a => a.href)"
_PARAS_JS = "() => [...document.querySelectorAll('article p')].map(p => p.innerText.trim())"


class Reader:
    """One browser tab that records console errors, blocks other hosts and opens pages.

    Counted as errors: console messages of type 'error' and uncaught exceptions, from the
    site's own origin. Not counted (listed in ``Visit.ignored`` instead):
      * anything about another host: other hosts do not resolve (the tests run offline, see
        CHROMIUM_ARGS), so their failures cannot count against the site;
      * 404s for ``<page>/sitemap.xml``: Material fetches ``sitemap.xml`` relative to every
        ``<link rel="alternate">``, and mkdocs-static-i18n points those links at the page in
        each language rather than at the language root (mkdocs-material issue #6582). Material
        catches the failure and the language switch still works; the browser logs the 404.
    """

    def __init__(self, browser, base: str, site: Path | None = None, *, dark: bool = False):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US",
                                      color_scheme="dark" if dark else "light")
        context.set_default_timeout(15_000)
        self.context = context
        self.base = base
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
        self.site = site
        self.page = context.new_page()
        self._errors: list[str] = []
        self._ignored: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self._errors.append(f"uncaught exception: {exc}"))
        self.page.on("requestfailed", self._failed)

    def _failed(self, request):
        if not request.url.startswith((self.origin + "/", "data:", "blob:")):
            self._ignored.append(f"request to another host failed (offline): {request.url}")

    def _console(self, msg):
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "") or ""
        text = f"{msg.text} [{where}]" if where else msg.text
        if where and not where.startswith(self.origin + "/"):
            self._ignored.append(f"error about another host: {text}")
        elif where.endswith("/sitemap.xml") and self._is_alternate_sitemap_probe(where):
            self._ignored.append(f"Material's alternate-language sitemap probe: {text}")
        else:
            self._errors.append(text)

    def _is_alternate_sitemap_probe(self, url: str) -> bool:
        if not url.startswith(self.base):
            return False
        folder = url[len(self.base): -len("sitemap.xml")]
        if self.site is None or not folder:
            return False
        return ((self.site / folder / "index.html").is_file()
                and not (self.site / folder / "sitemap.xml").is_file())

    def close(self):
        self.context.close()

    def open(self, path: str) -> Visit:
        """Load a page, let it settle, and record what it showed."""
        self._errors.clear()
        self._ignored.clear()
        url = urljoin(self.base, path)
        response = self.page.goto(url, wait_until="load")
        # Material's search worker and sitemap probes run after 'load'; let them finish.
        self.page.wait_for_load_state("networkidle")
        visit = Visit(url=url, status=response.status if response else None)
        visit.lang = self.page.evaluate("document.documentElement.lang")
        visit.images = self.page.evaluate(_IMAGES_JS)
        visit.links = self.page.evaluate(_LINKS_JS)
        visit.paragraphs = self.page.evaluate(_PARAS_JS)
        visit.errors = list(self._errors)
        visit.ignored = list(self._ignored)
        return visit

    def screenshot(self, out: Path) -> Path:
        out.parent.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("document.fonts.ready.then(() => true)")
        self.page.screenshot(path=str(out), full_page=True, animations="disabled")
        return out


# --------------------------------------------------------------------------- this run's record


@dataclass
class _Run:
    """Screenshots saved and errors ignored during this pytest run (printed in its summary)."""
    screenshots: list[Path] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)

    def save_screenshot(self, reader: Reader, out: Path) -> Path:
        self.screenshots.append(reader.screenshot(out))
        return out

    def record_ignored(self, messages: list[str]) -> None:
        for msg in messages:
            kind = msg.split(":", 1)[0]
            self.ignored[kind] = self.ignored.get(kind, 0) + 1


RUN = _Run()


# --------------------------------------------------------------------------- problems


def image_problems(name: str, visit: Visit) -> list[str]:
    problems = []
    for img in visit.images:
        if not img["width"]:
            problems.append(f"{name}: image did not load: {img['src']}")
        if not (img["alt"] or "").strip():
            problems.append(f"{name}: image without alt text: {img['src']}")
    return problems


def console_problems(name: str, visit: Visit) -> list[str]:
    return [f"{name}: console error: {e}" for e in visit.errors]


class LinkChecker:
    """HTTP status (and #anchor) of same-origin links, fetched once each."""

    def __init__(self, base: str):
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
        self._pages: dict[str, tuple[int, str]] = {}

    def _fetch(self, url: str) -> tuple[int, str]:
        if url not in self._pages:
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    kind = resp.headers.get_content_type()
                    body = resp.read().decode("utf-8", "replace") if kind == "text/html" else ""
                    self._pages[url] = (resp.status, body)
            except urllib.error.HTTPError as exc:
                self._pages[url] = (exc.code, "")
            except OSError as exc:
                self._pages[url] = (0, str(exc))
        return self._pages[url]

    def problems(self, name: str, links: list[str]) -> list[str]:
        out = []
        for link in dict.fromkeys(links):
            if not link.startswith(self.origin + "/"):
                continue  # other hosts (none expected offline) and mailto: are not checked
            target, fragment = urldefrag(link)
            target = target.split("?", 1)[0]
            status, body = self._fetch(target)
            shown = link[len(self.origin):]
            if status != 200:
                out.append(f"{name}: broken link {shown} (HTTP {status})")
            elif fragment and body and not _has_id(body, unquote(fragment)):
                out.append(f"{name}: link to a missing anchor {shown}")
        return out


def _has_id(body: str, anchor: str) -> bool:
    return re.search(r'\bid="{}"'.format(re.escape(html.escape(anchor, quote=True))), body) is not None


def translation_problems(name: str, visit: Visit, locale: str) -> list[str]:
    """zh-TW pages must not carry English paragraphs (a missing translation falls back to
    English under zh-TW/); English pages must not be mostly Chinese."""
    problems = []
    if visit.lang.lower() != locale.lower():
        problems.append(f"{name}: <html lang={visit.lang!r}>, expected {locale!r}")
    for text in visit.paragraphs:
        han = len(HAN.findall(text))
        letters = sum(ch.isalpha() for ch in text)
        if locale.startswith("zh") and han == 0 and len(re.findall(r"[A-Za-z]{3,}", text)) >= 8:
            problems.append(f"{name}: untranslated paragraph: {text[:80]!r}")
        elif not locale.startswith("zh") and letters and han / letters > 0.3:
            problems.append(f"{name}: Chinese paragraph on an English page: {text[:40]!r}")
    return problems


# --------------------------------------------------------------------------- interactions

SCHEME_JS = "document.body.getAttribute('data-md-color-scheme')"
PALETTE_TOGGLE = "form[data-md-component=palette] label:not([hidden])"


def toggle_palette(page, on_dark=None) -> list[str]:
    """Click the header's palette toggle twice; the schemes seen (expected default, slate,
    default). ``on_dark()`` runs while the page is dark (for a screenshot)."""
    seen = [page.evaluate(SCHEME_JS)]
    for want in ("slate", "default"):
        page.click(PALETTE_TOGGLE)
        try:
            page.wait_for_function(f"{SCHEME_JS} === '{want}'", timeout=5_000)
        except Exception:  # playwright's TimeoutError: report what the page shows instead
            pass
        seen.append(page.evaluate(SCHEME_JS))
        if want == "slate" and seen[-1] == "slate" and on_dark is not None:
            on_dark()
    return seen


def zoom_problem(page) -> str | None:
    """Click the article's first figure: '' if glightbox showed it, a problem otherwise,
    None if the page has no images."""
    if page.locator("article img").count() == 0:
        return None
    link = page.locator("article a.glightbox").first
    if link.count() == 0:
        return "figures are not wrapped for zooming (no a.glightbox)"
    href = link.get_attribute("href").rsplit("/", 1)[-1]
    link.click()
    shown = page.locator(".glightbox-container .gslide.current img")
    try:
        shown.wait_for(state="visible", timeout=5_000)
    except Exception:
        return "clicking the first figure opened no lightbox"
    width, src = shown.evaluate("img => [img.naturalWidth, img.src]")
    page.keyboard.press("Escape")
    page.locator(".glightbox-container").wait_for(state="detached", timeout=5_000)
    if not width or not src.endswith("/" + href):
        return f"the lightbox shows {src} (width {width}), expected {href}"
    return ""


def switch_language(page, locale: str) -> tuple[str, str]:
    """Hover Material's language selector and click ``locale``.

    Returns (the URL path landed on, its <html lang>)."""
    page.hover(".md-header .md-select")
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.click(f".md-header .md-select a[hreflang='{locale}']")
    return urlsplit(page.url).path, page.evaluate("document.documentElement.lang")
