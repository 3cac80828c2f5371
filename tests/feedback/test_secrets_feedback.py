"""No pasted secret reaches the store: bench/secrets_leak.py's pastes (every kind of secret, in every
form it knows) go through diagnose, then feedback and a consented submission of the whole paste,
and a hint that tries to carry the secret; afterwards no column of any row holds 16 characters of it."""
import importlib.util
import random
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authdoctor.feedback.schema import metadata

ROOT = Path(__file__).resolve().parent.parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("secrets_leak", ROOT / "bench" / "secrets_leak.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("secrets_leak", mod)
    spec.loader.exec_module(mod)
    return mod


bench = _bench()
EXAMPLES = bench.examples()


def _everything_stored(store) -> str:
    store.ready()
    with store.engine.connect() as conn:
        return "\n".join(repr(tuple(row)) for table in metadata.tables.values() for row in conn.execute(sa.select(table)))


@pytest.fixture()
def app(make_app):
    return make_app()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_no_secret_of_a_paste_is_in_any_column(app, seed):
    rnd = random.Random(seed)
    paste, secrets, kind, form = bench.make_paste(rnd, rnd.choice(EXAMPLES))
    client = app.test_client()
    answer = client.post("/api/v1/diagnose", json={"error": paste}).get_json()
    shown = []
    if answer.get("causes"):
        body = {"answer_id": answer["answer_id"], "error_code": answer["error_code"], "cause": answer["causes"][0]["id"],
                "outcome": rnd.choice(("fixed", "not-this")), "first_cause": answer["causes"][0]["id"],
                "first_probability": answer["causes"][0]["probability"], "kb_version": answer["kb_version"],
                "hints": {k: v["value"] for k, v in answer["hints_used"].items() if k != "signs"}}
        if answer["variant"]:
            body["variant"] = answer["variant"]["id"]
        shown.append(client.post("/api/v1/feedback", json=body).get_data(as_text=True))
        # a secret put where a hint goes is refused, and its refusal does not echo it
        smuggled = client.post("/api/v1/feedback", json={**body, "hints": {"terraform_version": secrets[0]}})
        assert smuggled.status_code == 400
        shown.append(smuggled.get_data(as_text=True))
    shown.append(client.post("/api/v1/submissions", json={"text": paste, "consent": True}).get_data(as_text=True))
    stored = _everything_stored(app.extensions["authdoctor.feedback"])
    assert bench.leaks(stored, secrets) == [], f"{kind} in form {form} reached the store"
    assert bench.leaks("\n".join(shown), secrets) == [], f"{kind} in form {form} came back from a feedback route"
