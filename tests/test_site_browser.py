"""The built site in headless Chromium, served on localhost with no network.

Every request that is not to the local server is blocked and reported, so a
page that needs a CDN fails here as it would on a closed classroom network.
For every page of _toc.yml: it loads, no local request fails, the console
shows no error, the math is typeset by MathJax, the saved ipywidgets render,
and every image has alt text (and, outside the widgets, sits in a figure with a
caption), and no display equation is wider than the text column at 1280 pixels.
Search returns results. Screenshots of key
pages go to test-artifacts/.

Needs Debian's Chromium (``apt-get install -y chromium``) and the Python
package ``playwright`` (its own browser download is not used).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.site_support import REPO, serve, toc_pages

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

PAGES = toc_pages()
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOT_PAGES = {
    "chapters/intro": "site-intro.png",
    "chapters/02_convolution": "site-02-convolution.png",
    "chapters/03_padding_stride": "site-03-padding-stride.png",
    "chapters/06_softmax_cross_entropy": "site-06-softmax.png",
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium not found: apt-get install -y chromium (or set CHROMIUM=/path)")


@pytest.fixture(scope="module")
def site_url(book_build):
    assert (book_build.html / "index.html").is_file(), f"no site was built; see {book_build.log}"
    with serve(book_build.html) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        # Playwright gives the browser a fresh temporary profile (user data dir).
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageLog:
    """Everything a page did wrong while it loaded."""

    def __init__(self, page, base: str):
        self.base = base
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        page.route("**/*", self._route)
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.console.append(f"uncaught: {exc}"))
        page.on("requestfailed", lambda req: self.failed.append(f"{req.url} ({req.failure})"))
        page.on("response", self._on_response)

    def _local(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in {"data", "blob", "about"} or url.startswith(self.base)

    def _route(self, route):
        if self._local(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def _on_console(self, msg):
        if msg.type == "error":
            self.console.append(f"{msg.text} @ {msg.location.get('url', '')}")

    def _on_response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url} -> HTTP {response.status}")

    def problems(self) -> list[str]:
        out = [f"blocked non-local request: {u}" for u in self.blocked]
        out += [f"failed request: {f}" for f in self.failed if not _is_blocked(f, self.blocked)]
        out += [f"console error: {c}" for c in self.console if "ERR_BLOCKED_BY_CLIENT" not in c]
        return out


def _is_blocked(failure: str, blocked: list[str]) -> bool:
    return any(failure.startswith(u) for u in blocked)


def _open(browser, url: str, base: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    log = PageLog(page, base)
    page.goto(url, wait_until="load", timeout=60_000)
    return context, page, log


# JavaScript run in the page -------------------------------------------------

WAIT_FOR_MATHJAX = """async () => {
    if (!document.querySelector('.math')) return 'no math';
    for (let i = 0; i < 600 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
        await new Promise(r => setTimeout(r, 50));
    if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return 'MathJax did not start';
    await MathJax.startup.promise;
    return 'typeset';
}"""

MATH_REPORT = """() => {
    const maths = [...document.querySelectorAll('.math')];
    return {
        math: maths.length,
        untypeset: maths.filter(m => !m.querySelector('mjx-container') && m.tagName !== 'MJX-CONTAINER')
                        .map(m => m.textContent.slice(0, 80)),
        containers: document.querySelectorAll('mjx-container').length,
        errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
    };
}"""

WIDGET_REPORT = """() => {
    const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
    return {
        views: views.length,
        unrendered: views.filter(s => !(s.parentElement && s.parentElement.querySelector('.jupyter-widgets')))
                         .map(s => s.textContent.slice(0, 120)),
        widgets: document.querySelectorAll('.jupyter-widgets').length,
        images: [...document.querySelectorAll('.jupyter-widgets img')]
                 .map(i => ({ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth})),
        controls: document.querySelectorAll('.widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-radio').length,
    };
}"""

# Sphinx falls back to the image's path as alt text: that counts as missing.
IMAGES_WITHOUT_ALT = """() => [...document.querySelectorAll('img')]
    .filter(i => i.getAttribute('role') !== 'presentation' && i.getAttribute('aria-hidden') !== 'true')
    .filter(i => { const alt = (i.getAttribute('alt') || '').trim();
                   return !alt || alt === i.getAttribute('src')
                          || /^[^ ]*\\.(png|svg|jpe?g|gif|webp)$/i.test(alt); })
    .map(i => (i.className ? i.className + ' ' : '') + (i.getAttribute('src') || '').slice(0, 80))"""

FIGURES_WITHOUT_CAPTION = """() => [...document.querySelectorAll('article img')]
    .filter(i => !i.closest('.jupyter-widgets'))
    .filter(i => { const f = i.closest('figure');
                   const c = f && f.querySelector('figcaption');
                   return !(c && c.textContent.trim()); })
    .map(i => (i.getAttribute('alt') || i.getAttribute('src') || '').slice(0, 80))"""

# A display equation wider than the text column is cut off or needs a scrollbar
# (at the 1280-pixel viewport of _open); long ones are split over several lines.
CLIPPED_EQUATIONS = """() => [...document.querySelectorAll('mjx-container[display="true"]')]
    .filter(m => { const box = m.closest('.math') || m;
                   return m.scrollWidth > m.clientWidth + 2 || box.scrollWidth > box.clientWidth + 2; })
    .map(m => m.textContent.slice(0, 80))"""

# A code cell whose lines do not fit the column hides its ends (often the shape
# comments) behind a scrollbar; _static/code-width.css sizes code input to fit.
OVERFLOWING_CODE = """() => [...document.querySelectorAll('div.cell_input div.highlight pre')]
    .filter(p => p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), ''))"""

BROKEN_IMAGES = """() => [...document.querySelectorAll('img')]
    .filter(i => i.complete && i.naturalWidth === 0 && i.getAttribute('src'))
    .map(i => (i.getAttribute('src') || '').slice(0, 80))"""


@pytest.mark.parametrize("docname", PAGES)
def test_page_loads_offline_complete(browser, site_url, docname):
    context, page, log = _open(browser, f"{site_url}{docname}.html", site_url)
    try:
        assert page.evaluate(WAIT_FOR_MATHJAX) in {"no math", "typeset"}, "MathJax never started"
        math = page.evaluate(MATH_REPORT)
        has_widgets = page.locator(
            'script[type="application/vnd.jupyter.widget-view+json"]'
        ).count()
        if has_widgets:
            page.wait_for_function(
                """n => document.querySelectorAll('.jupyter-widgets').length >= n""",
                arg=has_widgets,
                timeout=30_000,
            )
            page.wait_for_function(
                """() => [...document.querySelectorAll('.jupyter-widgets img')]
                        .every(i => i.complete && i.naturalWidth > 0)""",
                timeout=30_000,
            )
        widgets = page.evaluate(WIDGET_REPORT)
        page.wait_for_load_state("networkidle", timeout=30_000)
        no_alt = page.evaluate(IMAGES_WITHOUT_ALT)
        broken = page.evaluate(BROKEN_IMAGES)
        uncaptioned = page.evaluate(FIGURES_WITHOUT_CAPTION)
        clipped = page.evaluate(CLIPPED_EQUATIONS)
        overflowing = page.evaluate(OVERFLOWING_CODE)
        if docname in SCREENSHOT_PAGES:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / SCREENSHOT_PAGES[docname]), full_page=True)
        problems = log.problems()
        problems += [f"math not typeset: {t!r}" for t in math["untypeset"]]
        problems += [f"MathJax error: {t!r}" for t in math["errors"]]
        problems += [f"widget not rendered: {t}" for t in widgets["unrendered"]]
        problems += [f"widget image did not load: {i}" for i in widgets["images"] if not i["ok"]]
        problems += [f"image without alt text: {s}" for s in no_alt]
        problems += [f"broken image: {s}" for s in broken]
        problems += [f"image outside a captioned figure: {s}" for s in uncaptioned]
        problems += [f"display equation wider than the column: {t!r}" for t in clipped]
        problems += [f"code line wider than the column: {t!r}" for t in overflowing]
        assert not problems, f"{docname}:\n" + "\n".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize(
    "docname",
    [
        "chapters/02_convolution",
        "chapters/03_padding_stride",
        "chapters/04_pooling",
        "chapters/06_softmax_cross_entropy",
    ],
)
def test_explorer_widget_renders_from_saved_state(browser, site_url, docname):
    """The four explorers show their controls and a real picture without a kernel."""
    context, page, log = _open(browser, f"{site_url}{docname}.html", site_url)
    try:
        page.wait_for_selector(".jupyter-widgets img", timeout=30_000)
        page.wait_for_function(
            """() => [...document.querySelectorAll('.jupyter-widgets img')]
                    .some(i => i.complete && i.naturalWidth > 100)""",
            timeout=30_000,
        )
        widgets = page.evaluate(WIDGET_REPORT)
        assert widgets["controls"] >= 1, f"{docname}: no slider/dropdown/toggle control: {widgets}"
        assert not log.problems(), log.problems()
    finally:
        context.close()


def test_math_is_typeset_on_the_math_pages(browser, site_url):
    typeset = {}
    for docname in PAGES:
        context, page, _ = _open(browser, f"{site_url}{docname}.html", site_url)
        try:
            page.evaluate(WAIT_FOR_MATHJAX)
            typeset[docname] = page.evaluate(MATH_REPORT)["containers"]
        finally:
            context.close()
    assert sum(1 for n in typeset.values() if n > 0) >= 3, typeset
    assert typeset.get("chapters/06_softmax_cross_entropy", 0) > 10, typeset


@pytest.mark.parametrize("query", ["convolution", "softmax", "padding"])
def test_search_returns_results(browser, site_url, query):
    context, page, log = _open(browser, f"{site_url}search.html?q={query}", site_url)
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        results = page.locator("#search-results ul.search li")
        assert results.count() >= 1
        hrefs = [
            results.nth(i).locator("a").first.get_attribute("href") for i in range(results.count())
        ]
        assert any("chapters/" in (h or "") for h in hrefs), hrefs
        if query == "convolution":
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "site-search.png"), full_page=True)
        assert not log.problems(), log.problems()
    finally:
        context.close()


def test_the_checks_catch_a_broken_page(browser, tmp_path):
    """The page checks above can fail: a CDN script, a missing file, a console error, no alt."""
    (tmp_path / "ok.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
        )
    )
    (tmp_path / "bad.html").write_text(
        "<html><body><article>"
        '<img src="ok.png" alt="ok.png"><img src="missing.png" alt="a missing picture">'
        '<figure><img src="ok.png" alt="a dot"><figcaption>A dot.</figcaption></figure>'
        '<script src="https://cdn.jsdelivr.net/npm/nothing.js"></script>'
        '<script>console.error("boom")</script>'
        "</article></body></html>"
    )
    with serve(tmp_path) as base:
        context, page, log = _open(browser, f"{base}bad.html", base)
        try:
            page.wait_for_load_state("networkidle")
            problems = "\n".join(log.problems())
            assert "blocked non-local request: https://cdn.jsdelivr.net/npm/nothing.js" in problems
            assert "missing.png -> HTTP 404" in problems
            assert "console error: boom" in problems
            assert page.evaluate(IMAGES_WITHOUT_ALT) == ["ok.png"]
            assert page.evaluate(BROKEN_IMAGES) == ["missing.png"]
            assert page.evaluate(FIGURES_WITHOUT_CAPTION) == ["ok.png", "a missing picture"]
        finally:
            context.close()
