"""The page in a real browser (headless Chromium): paste, diagnose, answer questions, on a laptop and on a phone.

Runs the app on a real server on 127.0.0.1 and drives Debian's Chromium through
Playwright. Most tests switch JavaScript off, as the page must work without it;
axe-core (bundled in axe-playwright-python, injected from disk: no network) and
the copy buttons need it on. The suite writes the README's screenshots to
docs/screenshots/.
"""
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from werkzeug.serving import make_server

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Chromium not installed (scripts/test installs it)")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# a laptop and a phone (an iPhone 12-15's CSS viewport)
VIEWPORTS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}

# InvalidClientTokenId as the AWS provider v5 reports it
ICTI = ("Error: configuring Terraform AWS Provider: validating provider credentials: retrieving caller identity from STS: "
        "operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: 1b2c3d4e-1111-2222-3333-444455556666, "
        "api error InvalidClientTokenId: The security token included in the request is invalid.")
KEY = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture(scope="module")
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture()
def open_page(browser):
    """open_page(width, js=False, scheme="light") -> a new page in its own context, closed after the test."""
    contexts = []

    def make(width: str = "1280", *, js: bool = False, scheme: str = "light"):
        ctx = browser.new_context(java_script_enabled=js, viewport=VIEWPORTS[width], color_scheme=scheme)
        contexts.append(ctx)
        return ctx.new_page()
    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture()
def page(open_page):
    return open_page("1280")


def _submit(page, locator_or_key):
    """Press a submit button (a locator) or a key, and wait for the next page to load."""
    with page.expect_navigation(wait_until="load"):
        if isinstance(locator_or_key, str):
            page.keyboard.press(locator_or_key)
        else:
            locator_or_key.click()


def _diagnose(page, server, text):
    page.goto(server + "/")
    page.fill("textarea#error", text)
    _submit(page, page.locator("form#paste-form button[type=submit]").first)


def _answer_first_option(page):
    _submit(page, page.locator("form#question .options button").first)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _in_first_screen(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


# --- what the page does -------------------------------------------------------------

def test_pasting_an_error_shows_the_headline_and_the_ranked_causes(page, server):
    _diagnose(page, server, ICTI)
    assert "InvalidClientTokenId" in page.inner_text("#answer h1")
    assert page.inner_text("#headline").startswith("Most likely (")
    assert page.locator("li.cause").count() >= 3 and page.locator("pre.cmd").count() >= 1
    assert page.title().startswith("InvalidClientTokenId: ")


def test_answering_the_question_collapses_it_into_one_line(page, server):
    _diagnose(page, server, ICTI)
    _answer_first_option(page)
    lines = page.locator("section.answered li.step")
    assert lines.count() == 1 and lines.first.inner_text().startswith("Telltale sign: ")
    assert page.locator("ol.causes").count() == 1  # one ranking: the current one


def test_three_answers_are_three_short_lines_and_the_page_stays_short(page, server):
    _diagnose(page, server, ICTI)
    for _ in range(3):
        if not page.locator("form#question").count():
            break
        _submit(page, page.locator("form#question button.secondary"))  # I don't know
    lines = page.locator("section.answered li.step")
    assert lines.count() == 3
    for i in range(3):
        assert lines.nth(i).bounding_box()["height"] < 2.2 * 16 * 1.45  # one line (two at most when long)
        assert lines.nth(i).inner_text().endswith(": I don't know")
    assert _in_first_screen(page, "#headline")


def test_the_step_url_carries_hints_and_never_the_pasted_text(page, server):
    _diagnose(page, server, ICTI + f"\nAWS_ACCESS_KEY_ID={KEY}")
    _answer_first_option(page)
    query = parse_qs(urlparse(page.url).query)
    assert "steps" in query and "error" not in query and KEY not in page.url


def test_a_pasted_secret_is_masked_and_rotation_advised(page, server):
    _diagnose(page, server, ICTI + f"\nAWS_ACCESS_KEY_ID={KEY}")
    assert KEY not in page.content()
    assert "rotate" in page.inner_text("#rotate")


def test_the_folded_paste_reopens_and_diagnoses_again(page, server):
    _diagnose(page, server, ICTI)
    assert not page.locator("textarea#error").is_visible()
    page.click("details.yours > summary")
    assert page.input_value("textarea#error") == ICTI
    page.select_option("#hint-key_prefix", "ASIA")
    _submit(page, page.locator("form#paste-form button.primary"))
    assert "Access key id starts with: ASIA" in page.inner_text("details.yours > summary")


def test_a_pasted_script_stays_text(open_page, server):
    pg = open_page("1280", js=True)
    dialogs = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _diagnose(pg, server, ICTI + "\n<script>alert('xss')</script><img src=x onerror=alert(1)>")
    assert dialogs == [] and "<script>alert('xss')</script>" in pg.input_value("textarea#error")


# --- on a laptop and on a phone -------------------------------------------------------

@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_headline_and_its_first_command_are_in_the_first_screen(open_page, server, width):
    pg = open_page(width)
    _diagnose(pg, server, ICTI)
    assert _in_first_screen(pg, "#headline") and _in_first_screen(pg, "#answer pre.cmd")


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("js", [False, True], ids=["no-js", "js"])
def test_no_page_scrolls_sideways(open_page, server, width, js):
    pg = open_page(width, js=js)
    pg.goto(server + "/")
    assert _no_sideways_scroll(pg)
    _diagnose(pg, server, ICTI)
    for sel in ("details.how > summary", "details.yours > summary"):
        pg.click(sel)
    closed = pg.locator("li.cause details:not([open]) > summary")
    while closed.count():
        closed.first.click()  # every cause open: long doc URLs, HCL blocks, titles
    assert _no_sideways_scroll(pg)
    _answer_first_option(pg)
    assert _no_sideways_scroll(pg)


@pytest.mark.parametrize("paste", [
    "ERROR: request to https://example-platform.test/api/v1/organizations/acme/workspaces/production-eu-west-1/runs failed: 401 Unauthorized",
    "Error: Cycle: module.network.aws_vpc.main, " + "https://docs.example.test/" + "x" * 300,
], ids=["unfamiliar", "not-recognised"])
def test_the_other_answers_fit_a_phone_and_pass_axe(open_page, server, paste):
    pg = open_page("390", js=True)
    _diagnose(pg, server, paste)
    pg.click("details.yours > summary")
    pg.click("details.how > summary")
    assert pg.locator("#answer h1").count() == 1 and _no_sideways_scroll(pg)
    assert _serious(pg) == []


@pytest.mark.parametrize("width", VIEWPORTS)
def test_cause_titles_wrap_by_words_not_letters(open_page, server, width):
    pg = open_page(width)
    _diagnose(pg, server, ICTI)
    for title in pg.locator("li.cause h3.title").all():
        box = title.bounding_box()
        assert box["width"] >= 150, title.inner_text()  # a column a word wide would be a few dozen pixels


@pytest.mark.parametrize("width", VIEWPORTS)
def test_focus_lands_on_the_answer(open_page, server, width):
    pg = open_page(width)
    _diagnose(pg, server, ICTI)
    assert pg.evaluate("document.activeElement.id") == "answer"
    _answer_first_option(pg)
    assert pg.evaluate("document.activeElement.id") == "answer"


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_copy_button_sits_beside_the_command_not_over_it(open_page, server, width):
    pg = open_page(width, js=True)
    _diagnose(pg, server, ICTI)
    row = pg.locator("#answer .cmd-row").first
    pre, button = row.locator("pre.cmd").bounding_box(), row.locator("button.copy").bounding_box()
    assert button is not None and pre is not None
    overlap_x = min(pre["x"] + pre["width"], button["x"] + button["width"]) - max(pre["x"], button["x"])
    overlap_y = min(pre["y"] + pre["height"], button["y"] + button["height"]) - max(pre["y"], button["y"])
    assert overlap_x <= 0 or overlap_y <= 0
    assert button["x"] + button["width"] <= VIEWPORTS[width]["width"]


def _tab_until(page, condition: str, limit: int = 15) -> int:
    """Press Tab until `condition` (JavaScript) holds; the number of presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(condition):
            return presses
    raise AssertionError(f"{condition} never held in {limit} Tab presses")


@pytest.mark.parametrize("width", VIEWPORTS)
def test_the_whole_flow_by_keyboard_alone(open_page, server, width):
    pg = open_page(width)
    pg.goto(server + "/")
    assert _tab_until(pg, "document.activeElement.id === 'error'") <= 4  # skip link, brand, example link, the paste box
    pg.keyboard.insert_text(ICTI)
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.textContent") == "Diagnose"  # one Tab from the box
    _submit(pg, "Enter")
    assert pg.evaluate("document.activeElement.id") == "answer"
    _tab_until(pg, "document.activeElement.closest('.options') !== null")
    assert pg.evaluate("document.activeElement.tagName") == "BUTTON"
    _submit(pg, "Enter")
    assert pg.locator("section.answered li.step").count() == 1
    assert pg.evaluate("document.activeElement.id") == "answer"


# --- accessibility: axe-core ----------------------------------------------------------

def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']})"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", VIEWPORTS)
def test_axe_finds_nothing_serious_on_home_result_and_question_pages(open_page, server, width, scheme):
    pg = open_page(width, js=True, scheme=scheme)
    pg.goto(server + "/")
    assert _serious(pg) == [], "home"
    _diagnose(pg, server, ICTI)
    pg.click("details.how > summary")
    pg.click("details.yours > summary")
    assert _serious(pg) == [], "result"
    _submit(pg, pg.locator("form#question button.secondary"))  # I don't know: the next question, and one answered
    assert pg.locator("form#question").count() == 1 and pg.locator("section.answered").count() == 1
    details = pg.locator("form#question details.more-info > summary")
    if details.count():
        details.click()
    assert _serious(pg) == [], "question"


# --- the README's screenshots ---------------------------------------------------------

@pytest.mark.parametrize("width", VIEWPORTS)
def test_screenshots_of_the_home_and_result_pages(open_page, server, width):
    pg = open_page(width, js=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.goto(server + "/")
    pg.screenshot(path=str(SCREENSHOTS / f"home-{width}.png"))
    _diagnose(pg, server, ICTI)
    pg.evaluate("document.activeElement.blur()")  # the focus ring is for keyboards, not for the picture
    pg.screenshot(path=str(SCREENSHOTS / f"result-{width}.png"))
    for name in (f"home-{width}.png", f"result-{width}.png"):
        assert (SCREENSHOTS / name).stat().st_size > 10_000
