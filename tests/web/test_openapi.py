"""The served OpenAPI document is the truth: it describes the API, and schemathesis fuzzes every operation in it.

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

KB_DIR = Path(__file__).resolve().parents[2] / "kb"

fuzzed_app = create_app(str(KB_DIR), test_config={"TESTING": True, "RATELIMIT_ENABLED": False})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=50)
# 413: an `error` longer than the document's maxLength makes the body too big,
# refused on its size before the field is looked at -- still a refusal.
schema.config.checks.negative_data_rejection.expected_statuses = ["400", "405", "413", "415"]


def test_openapi_document_describes_the_diagnose_endpoint(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and "post" in doc["paths"]["/api/v1/diagnose"]
    hints = doc["components"]["schemas"]["DiagnoseRequest"]["properties"]["hints"]["properties"]
    assert hints["runner"]["enum"][0] == "local"


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_every_operation_answers_as_its_document_says(case):
    case.call_and_validate()


def test_the_document_describes_the_compact_answer_as_served(client, icti):
    doc = client.get("/api/v1/openapi.json").get_json()
    (detail,) = doc["paths"]["/api/v1/diagnose"]["post"]["parameters"]
    assert detail["name"] == "detail" and detail["schema"]["enum"] == ["full", "compact"]
    schemas = doc["components"]["schemas"]
    answer = client.post("/api/v1/diagnose?detail=compact", json={"error": icti}).get_json()
    assert set(answer) == set(schemas["DiagnosisCompact"]["properties"]) == set(schemas["DiagnosisCompact"]["required"])
    for cause in answer["causes"]:
        assert set(cause) == set(schemas["RankedCauseCompact"]["required"])
        assert all(set(f) == set(schemas["FixStepCompact"]["required"]) for f in cause["fix"])
    assert set(schemas["Diagnosis"]["required"]) - set(schemas["DiagnosisCompact"]["required"]) == {"summary_html"}
    assert set(schemas["FixStep"]["required"]) - set(schemas["FixStepCompact"]["required"]) == {"detail_html"}
