"""The HTML report in a real headless Chromium (Debian's `chromium`, driven by Playwright; no browser
download): it loads cleanly and offline, its filters, item view and flipped-items view work, and
markup in a model output or a question stays text."""

import struct

import pytest

from harness.report.chromium import HEADLESS_ARGS, system_chromium

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # fail each test with the reason rather than skip it
    expect = sync_playwright = None

from .kit import invoke
from .test_report_html import HOSTILE, hostile_runs

pytestmark = pytest.mark.browser


def chromium_path() -> str:
    found = system_chromium()
    if not found:
        pytest.fail("no system Chromium (`chromium` on PATH or $HARNESS_CHROMIUM): run `make browser` (apt-get)")
    return found


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        pytest.fail("playwright (a dev dependency) is not installed: run `make install`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=HEADLESS_ARGS)
        yield chromium
        chromium.close()


class Page:
    """A report opened in a fresh page, recording console messages, page errors and network requests."""

    def __init__(self, browser, path, fragment=""):
        self.path = path
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.console, self.requests = [], []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri() + fragment)
        self.page.wait_for_selector("body[data-ready='1']", timeout=20000)

    def item_rows(self) -> list[str]:
        return self.page.eval_on_selector_all("#item-list tbody tr", "rows => rows.map(r => r.dataset.item)")

    def open_item(self, model: str, item_id: str):
        """Filter to one model's items, click one, and return its detail pane."""
        self.page.select_option("#f-model", label=model)
        self.page.click(f"#item-list tbody tr[data-item='{item_id}']")
        return self.page.locator("#item-detail .detail")

    def count_line(self) -> str:
        return self.page.text_content("#item-count")


@pytest.fixture
def report(store, tmp_path, browser):
    runs = hostile_runs(store)
    out = tmp_path / "report.html"
    result = invoke("report", "--format", "html", "-o", out)
    assert result.exit_code == 0, result.output
    page = Page(browser, out)
    yield page, runs
    page.page.close()


def test_an_item_link_opens_that_item(report, browser):
    page, (base, *_) = report
    detail = page.open_item("base", "F1-0002")
    link = page.page.url
    assert link.endswith(f"#item={base}/F1-0002")
    again = Page(browser, page.path, link[link.index("#") :])
    try:
        assert again.page.get_attribute("#item-detail .detail", "data-item") == "F1-0002"
        assert again.page.get_attribute("#item-detail .detail", "data-run") == detail.get_attribute("data-run") == base
    finally:
        again.page.close()


def test_page_loads_offline_with_no_console_errors(report):
    page, _ = report
    assert page.console == []
    assert all(url.startswith("file:") for url in page.requests), page.requests
    assert page.page.is_visible("#load-error") is False
    # the tables and the Wilson bars (3 whisker lines per rate, 3 rates, 3 runs) are drawn
    assert page.page.text_content("#table-summary").count("[") >= 9
    assert page.page.locator("#bars svg line.whisker").count() == 3 * 3 * 3
    assert "Seed-style conditional rates" in page.page.text_content("#conditional")
    assert page.page.locator("#table-pairs tbody tr").count() == 3
    assert page.count_line().startswith("17 of 17 items match")


def test_filters_change_what_is_shown(report):
    page, _ = report
    p = page.page
    p.select_option("#f-model", label="ft")
    assert page.count_line().startswith("6 of 17") and len(page.item_rows()) == 6
    p.select_option("#f-outcome", label="failed (scored, not correct)")
    assert page.item_rows() == ["F2-0002", "F3-0002"]  # wrong_result and timeout
    p.select_option("#f-outcome", label="all")
    p.select_option("#f-family", label="F1")
    assert page.item_rows() == ["F1-0001", "F1-0002"]
    p.select_option("#f-family", label="all")
    p.select_option("#f-model", label="all")
    p.select_option("#f-reason", label="missing_rows")
    assert sorted(page.item_rows()) == ["F1-0002", "F2-0002"]
    p.select_option("#f-reason", label="all")
    p.select_option("#f-template", label="F3.t1")
    assert len(page.item_rows()) == 5
    p.select_option("#f-template", label="all")
    p.select_option("#f-outcome", label="infra errors (not scored)")
    assert page.item_rows() == ["F3-0002"]
    p.select_option("#f-outcome", label="all")
    p.fill("#f-text", "RETRN")  # the syntax error's message
    expect(p.locator("#item-list tbody tr")).to_have_count(1)  # the text filter waits for typing to pause
    assert page.item_rows() == ["F2-0001"]
    p.fill("#f-text", "")
    expect(p.locator("#item-list tbody tr")).to_have_count(17)


def test_an_item_opens_with_gold_and_generated_side_by_side(report):
    page, _ = report
    p = page.page
    detail = page.open_item("base", "F1-0002")
    text = detail.text_content()
    assert "wrong_result" in text and "Which therapies target the gene of F1-0002?" in text
    assert "generation: 1.00 s" in text and "tokens (prompt / output): 300 / 50" in text
    assert (
        detail.locator(".gold pre").text_content() == "MATCH (t:Therapy)-[:TARGETS]->(g:Gene) RETURN t.name // F1-0002"
    )
    assert detail.locator(".generated pre").text_content() == "MATCH (n) RETURN n // F1-0002"
    # differences are marked on both sides, shared tokens are not
    assert "Therapy" in detail.locator(".gold .del").all_text_contents()
    assert detail.locator(".generated .ins").all_text_contents() == ["n", "n"]
    assert "MATCH" not in detail.locator(".gold .del").all_text_contents()
    assert "Osimertinib" in detail.locator("table").nth(0).text_content()  # missing rows sample
    assert "Aspirin" in detail.locator("table").nth(1).text_content()  # extra rows sample
    # the same item in another run is one click away
    p.click("#item-detail button:has-text('ft (correct)')")
    assert p.get_attribute("#item-detail .detail", "data-run") == page_run(p, "ft")


def page_run(p, label):
    return p.evaluate(
        "label => JSON.parse(document.getElementById('report-data').textContent).runs.find(r => r.label === label).run_id",
        label,
    )


def test_flipped_view_lists_the_compare_flips(report):
    page, _ = report
    p = page.page

    def listed():
        return p.eval_on_selector_all("#flip-list tbody tr", "rows => rows.map(r => r.dataset.item)")

    # read off hostile_runs (pass->fail first), not from the library the page is built with
    expected = [["F2-0002", "F1-0002", "F2-0001", "F3-0001"], ["F1-0002", "F2-0001", "F3-0001"], ["F2-0002"]]
    for index, items in enumerate(expected):
        p.select_option("#pair", index=index)
        assert listed() == items
    p.select_option("#pair", index=0)
    assert listed() == ["F2-0002", "F1-0002", "F2-0001", "F3-0001"]  # pass->fail first
    assert "4 flipped items (1 pass->fail, 3 fail->pass)" in p.text_content("#pair-summary")
    p.focus("#flip-list tbody tr[data-item='F2-0001']")
    p.keyboard.press("Enter")  # rows open from the keyboard too
    sides = p.locator("#flip-detail .detail")
    assert sides.count() == 2
    assert "syntax_error" in sides.nth(0).text_content() and "correct" in sides.nth(1).text_content()


def test_script_in_a_model_output_does_not_run(report):
    page, _ = report
    p = page.page
    detail = page.open_item("ft", "F2-0002")
    assert p.evaluate("typeof window.__pwned") == "undefined"
    assert detail.locator("script, img, iframe").count() == 0
    # shown as the literal text it is
    assert HOSTILE.rstrip("\u2028") in detail.locator(".question").text_content()
    assert HOSTILE.rstrip("\u2028") in detail.locator(".generated pre").text_content()
    assert HOSTILE.rstrip("\u2028") in detail.locator(".item-error").text_content()
    p.select_option("#pair", index=0)
    p.click("#flip-list tbody tr[data-item='F2-0002']")
    assert p.evaluate("typeof window.__pwned") == "undefined"
    assert page.console == []


def test_screenshot(report, tmp_path):
    page, _ = report
    page.open_item("base", "F1-0002")
    shot = tmp_path / "report.png"
    page.page.screenshot(path=str(shot), full_page=True)
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert width == 1280 and height > 900
