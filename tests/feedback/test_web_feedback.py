"""Feedback through the JSON API: an answer's ids come back as a stored report, the same on both databases."""
import pytest

from authdoctor.feedback import Store

PASTE = ("Error: error configuring Terraform AWS Provider: error validating provider credentials: error calling "
         "sts:GetCallerIdentity: operation error STS: GetCallerIdentity, https response error StatusCode: 403, "
         "RequestID: 1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a, api error InvalidClientTokenId: The security token included in the request is invalid.")


def _report(answer, cause, outcome="fixed", **more):
    first = answer["causes"][0]
    return {"answer_id": answer["answer_id"], "error_code": answer["error_code"], "cause": cause, "outcome": outcome,
            "variant": answer["variant"]["id"], "first_cause": first["id"], "first_probability": first["probability"],
            "kb_version": answer["kb_version"], **more}


@pytest.fixture()
def app(make_app):
    return make_app()


@pytest.fixture()
def answer(app):
    r = app.test_client().post("/api/v1/diagnose", json={"error": PASTE, "hints": {"runner": "github-actions", "key_prefix": "ASIA"}})
    assert r.status_code == 200
    return r.get_json()


def _rows(app):
    return app.extensions["authdoctor.feedback"].feedback_rows()


def test_an_answers_ids_come_back_as_a_stored_report(app, answer):
    cause = answer["causes"][1]["id"]
    r = app.test_client().post("/api/v1/feedback", json=_report(answer, cause, hints={"runner": "github-actions"}))
    assert r.status_code == 201 and r.get_json()["status"] == "stored"
    (row,) = _rows(app)
    assert (row["answer_id"], row["error_code"], row["cause"], row["outcome"], row["door"]) == (
        answer["answer_id"], "InvalidClientTokenId", cause, "fixed", "api")
    assert row["first_cause"] == answer["causes"][0]["id"] and row["hints"] == {"runner": "github-actions"}


def test_the_same_report_again_is_200_and_stored_once(app, answer):
    client = app.test_client()
    body = _report(answer, answer["causes"][0]["id"], "not-this")
    assert client.post("/api/v1/feedback", json=body).status_code == 201
    again = client.post("/api/v1/feedback", json=body)
    assert again.status_code == 200 and again.get_json()["status"] == "already stored"
    assert len(_rows(app)) == 1


def test_a_cause_the_error_does_not_have_is_a_400_naming_the_field(app, answer, kb):
    other = next(c for c in kb.causes if c not in {x for e in [kb.errors["InvalidClientTokenId"]] for x in e.priors}
                 and all(c not in v.priors for v in kb.errors["InvalidClientTokenId"].variants))
    r = app.test_client().post("/api/v1/feedback", json=_report(answer, other))
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "cause"
    assert _rows(app) == []


@pytest.mark.parametrize("body, status, code", [
    ("not json", 400, "bad_json"),
    ("[1, 2]", 400, "bad_json"),
    ('{"answer_id": "0123456789abcdef"}', 400, "missing_field"),
])
def test_bad_bodies_get_a_precise_4xx(app, body, status, code):
    r = app.test_client().post("/api/v1/feedback", data=body, content_type="application/json")
    assert (r.status_code, r.get_json()["error"]["code"]) == (status, code)


def test_a_form_post_is_415(app):
    r = app.test_client().post("/api/v1/feedback", data={"answer_id": "x"})
    assert r.status_code == 415


def test_feedback_is_rate_limited_per_client_like_diagnose(make_app, answer):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()
    statuses = [client.post("/api/v1/feedback", json=_report(answer, c["id"], "not-this")).status_code for c in answer["causes"][:3]]
    assert statuses == [201, 201, 429]


def test_a_store_that_is_down_costs_the_feedback_never_the_answer(kb_dir):
    from authdoctor.web import create_app
    app = create_app(str(kb_dir), test_config={"TESTING": True, "RATELIMIT_ENABLED": False,
                                               "DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/none"})
    client = app.test_client()
    answer = client.post("/api/v1/diagnose", json={"error": PASTE})
    assert answer.status_code == 200
    r = client.post("/api/v1/feedback", json=_report(answer.get_json(), answer.get_json()["causes"][0]["id"]))
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "store_unavailable" and "pw" not in r.get_data(as_text=True)


def test_diagnosing_writes_nothing_to_the_store(app, answer, store_url):
    # the answer path never writes to the store: a SQLite store is migrated at start, PostgreSQL not even that
    s = Store(store_url)
    assert s.revision() == ("0001" if s.dialect == "sqlite" else None)
    assert s.feedback_rows() == [] and s.submission_rows() == []


def test_a_sqlite_store_is_created_and_migrated_when_the_app_starts(kb_dir, tmp_path):
    from authdoctor.web import create_app
    create_app(str(kb_dir), test_config={"TESTING": True, "DATA_DIR": str(tmp_path / "new" / "data")})
    assert Store(data_dir=tmp_path / "new" / "data").revision() == "0001"


def test_a_submission_is_kept_masked_and_normalised_only_with_consent(app):
    client = app.test_client()
    paste = "Error: brand new failure aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY RequestID: 1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a"
    refused = client.post("/api/v1/submissions", json={"text": paste})
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "consent"
    r = client.post("/api/v1/submissions", json={"text": paste, "consent": True})
    assert r.status_code == 201
    (row,) = app.extensions["authdoctor.feedback"].submission_rows()
    assert row["text"] == r.get_json()["text"] and "brand new failure" in row["text"]
    assert "wJalrXUtnFEMI" not in row["text"] and "1d2e3f4a" not in row["text"]


def test_the_openapi_document_describes_both_posts(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/feedback", "/api/v1/submissions"} <= set(doc["paths"])
    assert doc["components"]["schemas"]["FeedbackRequest"]["required"] == ["answer_id", "error_code", "cause", "outcome"]


def test_closing_the_api_door_closes_feedback_too(make_app):
    app = make_app(DOORS=["page"])
    assert app.test_client().post("/api/v1/feedback", json={}).status_code == 404


# --- the page ---------------------------------------------------------------------------

def _forms(html):
    """Each feedback form of a page: its hidden fields and its buttons' outcomes."""
    import re
    out = []
    for form in re.findall(r'<form class="feedback".*?</form>', html, re.S):
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value=(?:"([^"]*)"|\'[^\']*\')', form))
        fields.update({k: v.replace("&#34;", '"') for k, v in re.findall(r'name="(hints)" value=\'([^\']*)\'', form)})
        out.append((fields, re.findall(r'name="outcome" value="([\w-]+)"', form)))
    return out


def _page_answer(app):
    r = app.test_client().post("/", data={"error": PASTE, "key_prefix": "ASIA"})
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_every_cause_on_the_page_has_its_pair_of_buttons(app):
    html = _page_answer(app)
    forms = _forms(html)
    pairs = [f for f, outcomes in forms if outcomes == ["fixed", "not-this"]]
    assert len(pairs) == html.count('<li class="cause"') and len(pairs) >= 2
    assert {f["cause"] for f in pairs} == set(__import__("re").findall(r'<li class="cause" id="cause-([\w-]+)"', html))


def test_this_fixed_it_on_the_page_is_stored_and_thanked(app):
    fields, _ = _forms(_page_answer(app))[0]
    r = app.test_client().post("/feedback", data={**fields, "outcome": "fixed"})
    assert r.status_code == 201 and "Noted:" in r.get_data(as_text=True) and 'id="back"' in r.get_data(as_text=True)
    (row,) = _rows(app)
    assert (row["answer_id"], row["cause"], row["outcome"], row["door"], row["hints"]) == (
        fields["answer_id"], fields["cause"], "fixed", "page", {"key_prefix": "ASIA"})


def test_it_was_something_else_names_the_true_cause(app):
    fields, outcomes = next(f for f in _forms(_page_answer(app)) if f[0].get("outcome") == "something-else")
    r = app.test_client().post("/feedback", data={**fields, "true_cause": "stale-env-vars"})
    assert r.status_code == 201
    (row,) = _rows(app)
    assert (row["outcome"], row["true_cause"]) == ("something-else", "stale-env-vars")


def test_the_way_back_never_leaves_the_site(app):
    fields, _ = _forms(_page_answer(app))[0]
    html = app.test_client().post("/feedback", data={**fields, "outcome": "not-this", "back": "//evil.example/x"}).get_data(as_text=True)
    assert 'href="/"' in html and "evil.example" not in html


def test_a_tampered_page_form_is_a_400_page_not_a_500(app):
    fields, _ = _forms(_page_answer(app))[0]
    for bad in ({"cause": "no-such-cause"}, {"hints": "{not json"}, {"first_probability": "lots"}):
        r = app.test_client().post("/feedback", data={**fields, "outcome": "fixed", **bad})
        assert r.status_code == 400 and r.mimetype == "text/html"


def test_an_unrecognised_paste_can_be_sent_masked_with_consent(app):
    paste = "FATAL something entirely new happened aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    html = app.test_client().post("/", data={"error": paste}).get_data(as_text=True)
    import re
    from html import unescape
    text = unescape(re.search(r'<form class="feedback"[^>]*id="submission">\s*<input type="hidden" name="text" value="([^"]*)"', html).group(1))
    assert "wJalrXUtnFEMI" not in text and "something entirely new" in text
    client = app.test_client()
    assert client.post("/feedback/submission", data={"text": text}).status_code == 400  # the box not ticked
    r = client.post("/feedback/submission", data={"text": text, "consent": "yes"})
    assert r.status_code == 201 and "this is what was kept" in r.get_data(as_text=True)
    (row,) = app.extensions["authdoctor.feedback"].submission_rows()
    assert row["door"] == "page" and "something entirely new" in row["text"] and "wJalrXUtnFEMI" not in row["text"]
