"""The HTML report in a real browser: Debian's Chromium, driven by Selenium through the
distribution's chromedriver (no browser download). At a phone's 390 px and a laptop's 1366 px
the page never scrolls sideways, every in-page link lands, search, filter and sort work, the
page is complete with script disabled, and it prints to PDF.

Skips only when chromium or chromedriver is absent; .ci/run installs both.
"""

from __future__ import annotations

import base64
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_factory import build, realistic_findings

from audit.config import load_config
from audit.engine import get_profile
from audit.facts import read_facts
from audit.facts.io import facts_sha256
from audit.pipeline import DocumentInfo, analyze
from audit.report import render_html

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.print_page_options import PrintOptions  # noqa: E402

DEMO = Path(__file__).resolve().parents[2] / "sample_outputs" / "demo"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--hide-scrollbars",
)
WIDTHS = (390, 1366)

pytestmark = pytest.mark.slow


def _browser(script: bool) -> Any:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium and chromium-driver are not installed (apt-get install them)")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    if not script:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's report.html, with a change reference, as a file URL's target."""
    report = analyze(
        read_facts(DEMO / "facts.json"),
        profile=get_profile("debezium"),
        config=load_config(DEMO / "cdc-preflight.toml"),
        facts_sha256=facts_sha256(DEMO / "facts.json"),
        document=DocumentInfo(change_ref="CHG-4711"),
    )
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = _browser(script=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def scriptless() -> Iterator[Any]:
    driver = _browser(script=False)
    yield driver
    driver.quit()


def _open(driver: Any, path: Path, width: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    driver.get(path.as_uri())


def _overflow(driver: Any) -> int:
    result: int = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return result


def _visible(driver: Any, selector: str) -> int:
    count: int = driver.execute_script(
        "return Array.prototype.filter.call(document.querySelectorAll(arguments[0]),"
        " function (e) { return e.offsetParent !== null; }).length",
        selector,
    )
    return count


@pytest.mark.parametrize("width", WIDTHS)
def test_page_never_scrolls_sideways_and_stays_legible(
    browser: Any, page: Path, width: int
) -> None:
    _open(browser, page, width)
    assert _overflow(browser) <= 0
    # no header one letter per line: a header's text takes no more lines than it has words
    cramped = browser.execute_script(
        """return Array.prototype.filter.call(document.querySelectorAll('thead th'), function (th) {
             if (th.offsetParent === null || !th.textContent.trim()) return false;
             var tops = {}, walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT), node;
             while ((node = walk.nextNode())) {
               var range = document.createRange(); range.selectNodeContents(node);
               Array.prototype.forEach.call(range.getClientRects(), function (r) {
                 if (r.width > 0) tops[Math.round(r.top)] = true; });
             }
             return Object.keys(tops).length > th.textContent.trim().split(/\\s+/).length;
           }).map(function (th) { return th.textContent; });"""
    )
    assert cramped == []
    # chart text is drawn at 8.5 px or more: the font size times the chart's scale on screen
    smallest = browser.execute_script(
        """var s = Array.prototype.map.call(document.querySelectorAll('svg.chart text'),
             function (t) { var m = t.getScreenCTM(), box = t.getBoundingClientRect();
               var size = parseFloat(getComputedStyle(t).fontSize);
               return box.width ? size * Math.hypot(m.a, m.b) : Infinity; });
           return Math.min.apply(null, s);"""
    )
    assert smallest >= 8.5, smallest
    if width >= 1366:  # the width is used: content spans most of the window
        used = browser.execute_script("return document.querySelector('main').clientWidth")
        assert used >= 0.85 * width


def test_every_in_page_link_resolves(browser: Any, page: Path) -> None:
    _open(browser, page, 1366)
    broken = browser.execute_script(
        """return Array.prototype.map.call(document.querySelectorAll('a[href^="#"]'),
             function (a) { return a.getAttribute('href').slice(1); })
           .filter(function (id) { return !document.getElementById(decodeURIComponent(id)); });"""
    )
    links = browser.execute_script("return document.querySelectorAll('a[href^=\"#\"]').length")
    assert links > 20
    assert broken == []


def test_search_and_filters_hide_what_does_not_match(browser: Any, page: Path) -> None:
    _open(browser, page, 1366)
    total = _visible(browser, "#findings .finding")
    assert total > 5
    box = browser.find_element(By.CSS_SELECTOR, '#findings .filters input[type="search"]')
    box.send_keys("shop.carts")
    time.sleep(0.4)  # the search waits for a pause in typing
    shown = browser.execute_script(
        """return Array.prototype.filter.call(document.querySelectorAll('#findings .finding'),
             function (e) { return e.offsetParent !== null; })
           .map(function (e) { return e.textContent; });"""
    )
    assert 0 < len(shown) < total
    assert all("shop.carts" in text for text in shown)
    box.clear()
    browser.execute_script(
        "var s = document.querySelector('#findings [data-filter=severity]');"
        "s.value = 'critical'; s.dispatchEvent(new Event('change'));"
    )
    time.sleep(0.3)
    severities = browser.execute_script(
        """return Array.prototype.filter.call(document.querySelectorAll('#findings .finding'),
             function (e) { return e.offsetParent !== null; })
           .map(function (e) { return e.getAttribute('data-severity'); });"""
    )
    assert severities and set(severities) == {"critical"}
    assert _visible(browser, "#sev-high") == 0  # an emptied group hides with its heading
    # the inventory filters by rule code
    browser.execute_script(
        "var s = document.querySelector('#inv-tables [data-filter=code]');"
        "s.value = s.options[1].value; s.dispatchEvent(new Event('change'));"
    )
    code, rows = browser.execute_script(
        """var s = document.querySelector('#inv-tables [data-filter=code]').value;
           var rows = Array.prototype.filter.call(document.querySelectorAll('#inv-tables tbody tr'),
             function (r) { return !r.hidden; });
           return [s, rows.map(function (r) { return r.getAttribute('data-code'); })];"""
    )
    assert rows and all(code in r.split() for r in rows)


def test_sort_orders_rows_by_the_clicked_column(browser: Any, page: Path) -> None:
    _open(browser, page, 1366)
    names_js = (
        "return Array.prototype.map.call("
        "document.querySelectorAll('#inv-tables tbody tr td:first-child code'),"
        " function (c) { return c.textContent; })"
    )
    before = browser.execute_script(names_js)
    header = browser.find_element(By.CSS_SELECTOR, "#inv-tables thead th:nth-child(1) button.sort")
    header.click()
    names = browser.execute_script(names_js)
    collated = browser.execute_script(
        "var c = new Intl.Collator(undefined, {numeric: true});"
        "return arguments[0].slice().sort(c.compare);",
        before,
    )
    assert len(names) > 3 and names != before  # impact order, then name order
    assert names == collated
    header.click()
    again = browser.execute_script(names_js)
    assert again == list(reversed(names))
    # a numeric column sorts by value and unit (KiB before MiB), not by text
    count = browser.find_element(
        By.CSS_SELECTOR, ".summary-table thead th:nth-child(4) button.sort"
    )
    count.click()
    counts = browser.execute_script(
        "return Array.prototype.map.call("
        "document.querySelectorAll('.summary-table tbody td:nth-child(4)'),"
        " function (c) { return Number(c.textContent); })"
    )
    assert counts == sorted(counts)


@pytest.mark.parametrize("width", WIDTHS)
def test_page_is_complete_without_script(scriptless: Any, page: Path, width: int) -> None:
    _open(scriptless, page, width)
    assert _overflow(scriptless) <= 0
    assert _visible(scriptless, ".filters") == 0  # controls that could not work stay hidden
    assert _visible(scriptless, "#findings .finding") == len(
        scriptless.find_elements(By.CSS_SELECTOR, "#findings .finding")
    )
    assert scriptless.find_elements(By.CSS_SELECTOR, "button.sort") == []


def test_page_prints_to_pdf(browser: Any, page: Path) -> None:
    _open(browser, page, 1366)
    pdf = base64.b64decode(browser.print_page(PrintOptions()))
    assert pdf.startswith(b"%PDF-")
    assert pdf.count(b"/Type /Page") > 5 or pdf.count(b"/Type/Page") > 5


def test_filtering_stays_cheap_on_a_large_report(browser: Any, tmp_path: Path) -> None:
    """5,000 findings (a 50,000-table schema without keys is 50,000 findings in the HTML):
    a filter pass takes well under a second, and the first pass builds the text index once."""
    report = build(realistic_findings(5000))
    path = tmp_path / "large.html"
    path.write_text(render_html(report), encoding="utf-8")
    _open(browser, path, 1366)
    elapsed = browser.execute_script(
        """var s = document.querySelector('#findings [data-filter=severity]');
           var t = performance.now(); s.value = 'high'; s.dispatchEvent(new Event('change'));
           var first = performance.now() - t;
           t = performance.now(); s.value = ''; s.dispatchEvent(new Event('change'));
           return [first, performance.now() - t];"""
    )
    assert max(elapsed) < 1000, elapsed
