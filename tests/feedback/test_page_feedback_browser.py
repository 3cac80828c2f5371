"""The page's feedback in a real browser (Debian's chromium, JavaScript off as well as on): a person
opens the first cause, presses "This fixed it", gets the thank-you and the way back; the store has it."""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Chromium not installed (scripts/test installs it)")

ICTI = ("Error: configuring Terraform AWS Provider: validating provider credentials: retrieving caller identity from STS: "
        "operation error STS: GetCallerIdentity, https response error StatusCode: 403, "
        "api error InvalidClientTokenId: The security token included in the request is invalid.")


@pytest.fixture()
def server(make_app):
    app = make_app()
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


@pytest.mark.parametrize("js", [False, True])
def test_this_fixed_it_in_a_browser_is_stored_and_thanked(browser, server, js):
    app, url = server
    ctx = browser.new_context(java_script_enabled=js)
    page = ctx.new_page()
    try:
        page.goto(url + "/")
        page.fill("textarea#error", ICTI)
        with page.expect_navigation(wait_until="load"):
            page.locator("form#paste-form button[type=submit]").first.click()
        first = page.locator("li.cause").first
        cause = first.get_attribute("id").removeprefix("cause-")
        with page.expect_navigation(wait_until="load"):
            first.locator(f"#fixed-{cause}").click()
        assert "Noted:" in page.locator("#feedback-thanks").inner_text()
        (row,) = app.extensions["authdoctor.feedback"].feedback_rows()
        assert (row["cause"], row["outcome"], row["door"]) == (cause, "fixed", "page")
        with page.expect_navigation(wait_until="load"):
            page.locator("#back").click()
        assert page.url.endswith(f"#cause-{cause}") and page.locator("li.cause").count() >= 2
    finally:
        ctx.close()
