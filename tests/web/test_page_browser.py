"""The page in a real browser (headless Chromium): paste, diagnose, answer questions as a thread.

Runs the app on a real server on 127.0.0.1, drives Debian's Chromium through
Playwright, with JavaScript switched off, as the page must work without it.
"""
import os
import shutil
import threading
from urllib.parse import parse_qs, urlparse

import pytest
from werkzeug.serving import make_server

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Chromium not installed (scripts/test installs it)")

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
def page(browser):
    ctx = browser.new_context(java_script_enabled=False)
    pg = ctx.new_page()
    yield pg
    ctx.close()


def _diagnose(page, server, text):
    page.goto(server + "/")
    page.fill("textarea#error", text)
    page.click("form#paste-form button[type=submit]")


def test_pasting_an_error_shows_the_ranked_causes(page, server):
    _diagnose(page, server, ICTI)
    assert "InvalidClientTokenId" in page.inner_text("section.verdict h2")
    assert page.locator("li.cause").count() >= 3
    assert page.locator("pre.cmd").count() >= 1


def test_answering_the_question_adds_a_step_to_the_thread(page, server):
    _diagnose(page, server, ICTI)
    page.locator("form#question button").first.click()
    assert page.locator("article.step").count() == 2
    assert "Answer:" in page.inner_text("section.thread")


def test_the_step_url_carries_hints_and_never_the_pasted_text(page, server):
    _diagnose(page, server, ICTI + f"\nAWS_ACCESS_KEY_ID={KEY}")
    page.locator("form#question button").first.click()
    query = parse_qs(urlparse(page.url).query)
    assert "steps" in query and "error" not in query and KEY not in page.url


def test_a_pasted_secret_is_masked_and_rotation_advised(page, server):
    _diagnose(page, server, ICTI + f"\nAWS_ACCESS_KEY_ID={KEY}")
    assert KEY not in page.content()
    assert "rotate" in page.inner_text("#rotate")


def test_a_pasted_script_stays_text(browser, server):
    ctx = browser.new_context(java_script_enabled=True)
    pg = ctx.new_page()
    dialogs = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _diagnose(pg, server, ICTI + "\n<script>alert('xss')</script><img src=x onerror=alert(1)>")
    pg.wait_for_load_state("load")
    assert dialogs == [] and "<script>alert('xss')</script>" in pg.input_value("textarea#error")
    ctx.close()
