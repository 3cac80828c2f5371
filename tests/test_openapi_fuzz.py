"""The served OpenAPI document is the truth: schemathesis fuzzes every operation in it.

Through the WSGI app, no network. Valid and invalid requests, bounded to 50
examples per operation. Checks (schemathesis' defaults): never a 5xx; every
status, content type, header and body as documented; a request the document
allows is answered, one it refuses is refused (400/405/413/415).
"""
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from authdoctor.web import create_app

KB_DIR = Path(__file__).resolve().parent.parent / "kb"

app = create_app(str(KB_DIR), test_config={"TESTING": True, "RATELIMIT_ENABLED": False})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=50)
# 413: an `error` longer than the document's maxLength makes the body too big,
# refused on its size before the field is looked at -- still a refusal.
schema.config.checks.negative_data_rejection.expected_statuses = ["400", "405", "413", "415"]


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_every_operation_answers_as_its_document_says(case):
    case.call_and_validate()
