"""The built web book in a real browser, cut off from everything but loopback.

Serves _build/html on 127.0.0.1 and opens every page in Debian's chromium
(driven by Playwright; no browser is ever downloaded) with every request to
another host blocked, then checks what a reader would see: no outside
request, no failed request, no JavaScript error, maths typeset, and every
stepper moving to another step when its slider is moved and when Play runs.

`make test` builds the book first and sets BOOK_REQUIRED=1, so a missing build
fails there; run alone without a build, the module is skipped.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest

HTML = Path(os.environ.get("BOOK_HTML", Path(__file__).resolve().parent.parent / "_build" / "html"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# Console messages of the stock theme that are not errors of the page: on a
# first visit the theme finds no stored colour mode and says so, at error level.
KNOWN_CONSOLE = [re.compile(r"^Got invalid theme mode: \. Resetting to auto\.$")]

if not (HTML / "index.html").is_file():
    if os.environ.get("BOOK_REQUIRED"):
        raise RuntimeError(f"no built book at {HTML}: run `make book`")
    pytest.skip("the book is not built (make book)", allow_module_level=True)

if not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
    raise RuntimeError(f"{CHROMIUM} not found: apt-get install chromium (see .ci/run)")

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

PAGES = sorted(
    str(p.relative_to(HTML))
    for p in HTML.rglob("*.html")
    if not p.relative_to(HTML).parts[0].startswith("_")
)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        yield browser
        browser.close()


class Visit:
    """A page opened with outside requests blocked and every problem recorded."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.context = browser.new_context()
        self.page: Page = self.context.new_page()
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        loopback = re.compile(r"^(http://127\.0\.0\.1[:/]|file://|data:|blob:|about:)")

        def route(route):  # type: ignore[no-untyped-def]
            if loopback.match(route.request.url):
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()

        self.context.route("**/*", route)
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("console", self._console)
        self.page.goto(url, wait_until="load")

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error" and not any(p.match(message.text) for p in KNOWN_CONSOLE):
            self.errors.append(f"console error: {message.text}")

    def close(self) -> None:
        self.context.close()


def wait_for_maths(page: Page) -> None:
    """Every maths element of the page ends up typeset by MathJax."""
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")
    untypeset = page.evaluate(
        """() => Array.from(document.querySelectorAll('.math'))
                 .filter(el => !el.querySelector('mjx-container') && el.tagName !== 'MJX-CONTAINER')
                 .map(el => el.textContent.slice(0, 60))"""
    )
    assert untypeset == [], f"maths left as source: {untypeset[:5]}"


def current_step(stepper) -> int:  # type: ignore[no-untyped-def]
    return int(stepper.locator(".bp-page").first.get_attribute("data-step"))


@pytest.mark.parametrize("path", PAGES)
def test_page_is_clean_offline(browser: Browser, server: str, path: str) -> None:
    visit = Visit(browser, f"{server}/{path}")
    try:
        page = visit.page
        if page.locator(".math").count():
            wait_for_maths(page)
        if page.locator("script[type='application/vnd.jupyter.widget-state+json']").count():
            page.locator(".bp-stepper .bp-page").first.wait_for(timeout=15000)
        page.wait_for_timeout(300)  # late requests and errors
        assert visit.outside == [], f"requests to outside hosts: {visit.outside}"
        assert visit.failed == [], f"failed requests: {visit.failed}"
        assert visit.errors == [], "\n".join(visit.errors)
    finally:
        visit.close()


WIDGET_PAGES = [
    p for p in PAGES if "application/vnd.jupyter.widget-state+json" in (HTML / p).read_text(encoding="utf-8")
]


def test_there_are_widget_pages() -> None:
    assert WIDGET_PAGES, "no page carries widget state: the steppers were not embedded"


@pytest.mark.parametrize("path", WIDGET_PAGES)
def test_every_stepper_steps_without_a_kernel(browser: Browser, server: str, path: str) -> None:
    visit = Visit(browser, f"{server}/{path}")
    try:
        page = visit.page
        steppers = page.locator(".bp-stepper")
        steppers.first.locator(".bp-page").wait_for(timeout=15000)
        count = steppers.count()
        assert count >= 1
        for n in range(count):
            stepper = steppers.nth(n)
            stepper.scroll_into_view_if_needed()
            start = current_step(stepper)
            # The slider, moved as a reader would: focus its handle, press the arrow key.
            stepper.locator(".noUi-handle").first.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "([el, s]) => el.querySelector('.bp-page').dataset.step !== String(s)",
                arg=[stepper.element_handle(), start],
                timeout=5000,
            )
            after_slider = current_step(stepper)
            assert after_slider == start + 1
            # The step's maths is typeset too.
            stepper.locator(".bp-page mjx-container").first.wait_for(timeout=10000)
            # Play runs on from there.
            stepper.locator(".widget-play button").first.click()
            page.wait_for_function(
                "([el, s]) => el.querySelector('.bp-page').dataset.step !== String(s)",
                arg=[stepper.element_handle(), after_slider],
                timeout=10000,
            )
            assert current_step(stepper) != after_slider
            stepper.locator(".widget-play button").nth(1).click()  # pause
        assert visit.errors == [], "\n".join(visit.errors)
        assert visit.outside == [] and visit.failed == []
    finally:
        visit.close()


def test_book_opens_from_disk(browser: Browser) -> None:
    """index.html and a widget page opened as files, with no server at all."""
    assert WIDGET_PAGES
    visit = Visit(browser, (HTML / WIDGET_PAGES[0]).as_uri())
    try:
        stepper = visit.page.locator(".bp-stepper").first
        stepper.locator(".bp-page").wait_for(timeout=15000)
        stepper.locator(".noUi-handle").first.focus()
        visit.page.keyboard.press("ArrowRight")
        visit.page.wait_for_function(
            "el => el.querySelector('.bp-page').dataset.step === '1'", arg=stepper.element_handle(), timeout=5000
        )
        wait_for_maths(visit.page)
        assert visit.outside == []
        assert visit.errors == [], "\n".join(visit.errors)
    finally:
        visit.close()


def test_search_works_offline(browser: Browser, server: str) -> None:
    visit = Visit(browser, f"{server}/search.html?q=delta")
    try:
        visit.page.locator("#search-results li").first.wait_for(timeout=10000)
        assert visit.page.locator("#search-results li").count() > 0
        assert visit.outside == [] and visit.errors == []
    finally:
        visit.close()


CONTRAST = """el => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                              .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let bg = null;
  for (let a = el; a; a = a.parentElement) {
    const c = rgb(getComputedStyle(a).backgroundColor);
    if (c.length >= 3 && (c.length === 3 || c[3] > 0.5)) { bg = c.slice(0, 3); break; }
  }
  bg = bg || [255, 255, 255];
  const fg = rgb(getComputedStyle(el).color).slice(0, 3);
  const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_stepper_reads_well_in_both_themes(browser: Browser, server: str, theme: str) -> None:
    """The stepper's text against whatever background is really behind it (WCAG AA: 4.5)."""
    context = browser.new_context()
    context.add_init_script(f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}');")
    page = context.new_page()
    try:
        page.goto(f"{server}/{WIDGET_PAGES[0]}", wait_until="load")
        assert page.evaluate("() => document.documentElement.dataset.theme") == theme
        stepper = page.locator(".bp-stepper").first
        stepper.locator(".bp-page").wait_for(timeout=15000)
        for selector in [".bp-page", ".widget-label", ".widget-readout"]:
            ratio = stepper.locator(selector).first.evaluate(CONTRAST)
            assert ratio >= 4.5, f"{theme} theme: {selector} has contrast {ratio:.2f} against its background"
    finally:
        context.close()


def test_reader_buttons(browser: Browser, server: str) -> None:
    """Theme switch, download and launch buttons, as readers expect them."""
    visit = Visit(browser, f"{server}/{WIDGET_PAGES[0]}")
    try:
        page = visit.page
        before = page.evaluate("() => document.documentElement.dataset.mode")
        page.locator(".theme-switch-button").first.click()
        assert page.evaluate("() => document.documentElement.dataset.mode") != before
        links = page.evaluate("() => Array.from(document.querySelectorAll('a')).map(a => a.href)")
        downloads = [h for h in links if h.startswith(server) and h.endswith(".ipynb")]
        assert downloads, "no download-notebook link"
        assert any("mybinder.org" in h for h in links), "no Binder launch link"
        assert any("colab.research.google.com" in h for h in links), "no Colab launch link"
        assert any("git-pull" in h for h in links), "no JupyterHub launch link"
        response = page.request.get(downloads[0])
        assert response.ok and b'"cells"' in response.body()
        assert visit.outside == [] and visit.errors == []
    finally:
        visit.close()


def test_step_values_sit_beside_the_diagram(browser: Browser, server: str) -> None:
    """On a page wide enough for both, a step's formula is beside the diagram, not under it."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{server}/{WIDGET_PAGES[0]}", wait_until="load")
        stepper = page.locator(".bp-stepper").first
        stepper.locator(".bp-page").wait_for(timeout=15000)
        stepper.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        stepper.locator(".bp-formula").wait_for(timeout=5000)
        diagram = stepper.locator("svg.bp-network").bounding_box()
        formula = stepper.locator(".bp-formula").bounding_box()
        assert diagram and formula
        assert formula["x"] >= diagram["x"] + diagram["width"], (diagram, formula)
    finally:
        context.close()
