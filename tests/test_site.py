"""The built site, as a reader's browser shows it (headless Chromium driven by Selenium).

Every page of ``book/_build/html`` (or ``BOOK_SITE``) is loaded at 1400 px and checked: no raw MyST
or unresolved ``{glue}`` text, every image loaded, no console errors, every internal link resolves
(file and anchor), and no output block wider than its column. Runs after ``jupyter-book build
book/`` (``.ci/run`` does that); skips, saying why, where the site is not built or no browser is
installed (Debian: ``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("BOOK_SITE", ROOT / "book" / "_build" / "html"))
WIDTH = 1400
RAW_MARKUP = ("{glue}", "{glue:", "{cite}", "{doc}", "{download}", "{bibliography}", "```{", ":::{",
              "{admonition}")


def _browser_paths():
    names = ("chromium", "chromium-browser", "google-chrome")
    chromium = next((shutil.which(n) for n in names if shutil.which(n)), None)
    return chromium, shutil.which("chromedriver")


def _pages(site: Path = SITE) -> list[Path]:
    return sorted(p for p in site.rglob("*.html")
                  if not p.relative_to(site).parts[0].startswith(("_", "."))
                  and p.name not in ("genindex.html", "search.html"))


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    chromium, driver = _browser_paths()
    if not (chromium and driver):
        pytest.skip("no browser: install Debian's chromium and chromium-driver to test the site")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={WIDTH},1000", "--allow-file-access-from-files"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def _ids(html_file: Path, cache: dict) -> set[str]:
    if html_file not in cache:
        cache[html_file] = set(re.findall(r'\sid="([^"]+)"', html_file.read_text(errors="replace")))
    return cache[html_file]


# the page's text, leaving out code and literal blocks (which may show markup on purpose)
PROSE_JS = """
const body = document.querySelector('article') || document.body;
const copy = body.cloneNode(true);
copy.querySelectorAll('pre, code, script, style').forEach(e => e.remove());
return copy.textContent;
"""

OVERFLOW_JS = """
const article = document.querySelector('article.bd-article') || document.querySelector('main')
  || document.body;
const limit = article.getBoundingClientRect().right + 1;
const bad = [];
document.querySelectorAll('div.cell_output > *').forEach((el, i) => {
  const r = el.getBoundingClientRect();
  if (el.scrollWidth > el.clientWidth + 1 || r.right > limit) {
    bad.push(`output ${i} (${el.className}) is ${el.scrollWidth} px wide in ${el.clientWidth} px`
             + ` (right edge ${r.right}, column ${limit}): ` + el.innerText.slice(0, 80));
  }
});
return bad;
"""


def test_site_has_pages():
    if not (SITE / "index.html").exists():
        pytest.skip(f"the site is not built at {SITE}: run `jupyter-book build book/` first")
    names = {p.relative_to(SITE).as_posix() for p in _pages()}
    assert {"intro.html", "claims.html", "chapters/01_mnist_cnn.html"} <= names
    assert "intro.html" in (SITE / "index.html").read_text()  # the redirect to the first page


# maths on the page (Sphinx's spans and blocks) and how much of it MathJax has typeset; MathJax is
# served from the site itself (sphinx-mathjax-offline), so it must load without a network
MATH_JS = """
const math = document.querySelectorAll('.math').length;
const done = document.querySelectorAll('mjx-container').length;
const remote = Array.from(document.scripts).map(s => s.src)
  .filter(src => /mathjax/i.test(src) && /^https?:/.test(src));
return [math, done, remote];
"""


def _maths(browser, name: str, wait_s: float = 10.0) -> list[str]:
    """Problems with the page's maths: MathJax loaded from the web, or maths left as raw LaTeX."""
    import time

    math, done, remote = browser.execute_script(MATH_JS)
    problems = [f"{name}: MathJax from the web ({src}): no maths offline" for src in remote]
    deadline = time.monotonic() + wait_s
    while math and not done and time.monotonic() < deadline:
        time.sleep(0.2)
        math, done, remote = browser.execute_script(MATH_JS)
    if math and not done:
        problems.append(f"{name}: maths not typeset ({math} formulas left as raw LaTeX)")
    return problems


def check_site(browser, site: Path) -> list[str]:
    """Load every page of ``site`` and return what a reader would trip over (empty: fine)."""
    problems: list[str] = []
    id_cache: dict = {}
    pages = _pages(site)
    if not pages:
        return [f"no pages under {site}"]
    for page in pages:
        if page.name == "index.html" and page.parent == site:
            continue  # a redirect to the first page, which is checked in its own right
        browser.get(page.as_uri())
        name = page.relative_to(site).as_posix()
        body = browser.execute_script(PROSE_JS)
        for token in RAW_MARKUP:
            if token in body:
                problems.append(f"{name}: raw markup {token!r} on the page")
        broken = browser.execute_script(
            "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.getAttribute('src'));")
        problems += [f"{name}: image not loaded: {src}" for src in broken]
        problems += _maths(browser, name)
        for entry in browser.get_log("browser"):
            message = entry.get("message", "")
            # resources from the web (MathJax's CDN) do not load where the test has no network
            offline = message.startswith(("http://", "https://")) and "net::ERR_" in message
            if entry.get("level") == "SEVERE" and not offline:
                problems.append(f"{name}: console error: {message[:200]}")
        problems += [f"{name}: {b}" for b in browser.execute_script(OVERFLOW_JS)]
        hrefs = browser.execute_script(
            "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));")
        for href in hrefs:
            parsed = urlparse(href)
            if parsed.scheme in ("http", "https", "mailto", "javascript") or href == "#":
                continue
            target = (page.parent / unquote(parsed.path)).resolve() if parsed.path else page
            if not target.exists():
                problems.append(f"{name}: link to a missing file: {href}")
                continue
            if (parsed.fragment and target.suffix == ".html"
                    and parsed.fragment not in _ids(target, id_cache)):
                problems.append(f"{name}: link to a missing anchor: {href}")
    return problems


def test_every_page_renders_cleanly(browser):
    if not (SITE / "index.html").exists():
        pytest.skip(f"the site is not built at {SITE}: run `jupyter-book build book/` first")
    problems = check_site(browser, SITE)
    assert not problems, "\n".join(problems)


BAD_PAGE = """<!DOCTYPE html><html><body><main><article class="bd-article" style="width: 600px">
<p>Accuracy {glue}`acc` went up.</p>
<p><span class="math notranslate nohighlight">\\(x^2\\)</span></p>
<pre><code>{glue}`fine` inside code is not flagged</code></pre>
<img src="missing.png">
<a href="nowhere.html">a</a> <a href="#no-such-anchor">b</a> <a href="#here" id="here">c</a>
<div class="cell_output"><pre style="overflow-x: auto">{long}</pre></div>
<script>console.error("planted failure");</script>
</article></main></body></html>"""


def test_the_site_check_can_fail(browser, tmp_path):
    (tmp_path / "page.html").write_text(BAD_PAGE.replace("{long}", "x" * 400))
    problems = "\n".join(check_site(browser, tmp_path))
    assert "raw markup '{glue}'" in problems
    assert problems.count("raw markup") == 1  # the one inside <code> is not counted
    assert "image not loaded: missing.png" in problems
    assert "missing file: nowhere.html" in problems
    assert "missing anchor: #no-such-anchor" in problems and "#here" not in problems
    assert "console error" in problems and "planted failure" in problems
    assert "px wide in" in problems
    assert "maths not typeset (1 formulas" in problems
