"""The OpenAPI 3.0 document the API serves: the full truth of the contract.

The answer's schemas are generated from the engine's own answer types
(diagnosis.py) and hint schemas from the KB's vocabulary, so the document
cannot drift from what the server answers or accepts.
"""
from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any, Union

from .. import __version__
from ..diagnosis import Declined, Diagnosis, FixStep, RankedCause, json_name
from ..hints import kind
from ..knowledge import KB

# What `POST /api/v1/diagnose?detail=compact` leaves out of the answer (web/api.py): the HTML
# renderings, which repeat the text fields beside them.
HTML_FIELDS = frozenset({(Diagnosis, "summary_html"), (RankedCause, "summary_html"), (Declined, "summary_html"),
                         (FixStep, "detail_html")})
COMPACT = "Compact"


def _held(tp: Any) -> list[type]:
    """The dataclasses a field's type names, through Optional, tuples, lists and mappings."""
    if is_dataclass(tp) and isinstance(tp, type):
        return [tp]
    return [c for a in typing.get_args(tp) for c in _held(a)]


def schemas(root: type, *, enums: dict[str, list], leave_out: frozenset[tuple[type, str]] = frozenset(),
            suffix: str = "") -> dict[str, dict]:
    """JSON Schema (OpenAPI 3.0 dialect) for a frozen answer type and every type it holds,
    one named schema each, read from the same dataclasses that `to_json()` walks. The fields in
    `leave_out` are left out, and every type that holds one of them, itself or deeper, is named
    with `suffix` (the others are the same schemas as without)."""
    out: dict[str, dict] = {}
    holds: dict[type, bool] = {}

    def held(cls: type) -> bool:
        if cls not in holds:
            holds[cls] = False  # placed first: a type that holds itself
            hints = typing.get_type_hints(cls)
            holds[cls] = any((cls, f.name) in leave_out or any(held(c) for c in _held(hints[f.name])) for f in fields(cls))
        return holds[cls]

    def name_of(cls: type) -> str:
        return cls.__name__ + suffix if held(cls) else cls.__name__

    def of(tp: Any) -> dict:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (Union, types.UnionType):
            present = [a for a in args if a is not type(None)]
            inner = of(present[0]) if len(present) == 1 else {"anyOf": [of(a) for a in present]}
            if len(present) < len(args):
                inner = {"allOf": [inner], "nullable": True} if "$ref" in inner else {**inner, "nullable": True}
            return inner
        if origin in (tuple, list):
            return {"type": "array", "items": of(args[0]) if args and args[0] is not Any else {}}
        if origin is Mapping or tp is Mapping:
            return {"type": "object", "additionalProperties": of(args[1]) if len(args) == 2 else {}}
        if is_dataclass(tp) and isinstance(tp, type):
            add(tp)
            return {"$ref": f"#/components/schemas/{name_of(tp)}"}
        return {bool: {"type": "boolean"}, str: {"type": "string"}, float: {"type": "number"},
                int: {"type": "integer"}}.get(tp, {})

    def add(cls: type) -> None:
        key = name_of(cls)
        if key in out:
            return
        out[key] = {}  # placed first: a type that holds itself refers to it
        hints = typing.get_type_hints(cls)
        props, required = {}, []
        for f in fields(cls):
            name = json_name(f)
            if name is None or (cls, f.name) in leave_out:
                continue
            schema = of(hints[f.name])
            if "enum" in f.metadata:
                schema = {**schema, "enum": enums[f.metadata["enum"]]}
            schema.update(f.metadata.get("schema", {}))
            props[name] = schema
            required.append(name)
        out[key] = {"type": "object", "required": required, "properties": props}

    add(root)
    return out


def openapi_document(kb: KB) -> dict:
    enums = {"cause_ids": list(kb.cause_ids), "hint_keys": list(kb.hints)}
    # the feedback checks bring the database layer (SQLAlchemy, Alembic): only when the document is asked for
    from ..feedback.check import request_schemas
    error_schema = {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"},
            "request_id": {"type": "string"}}}},
    }
    def ok_object(d: str) -> dict:
        return {"description": d, "content": {"application/json": {"schema": {"type": "object"}}}}

    def stored(d: str) -> dict:
        return {"description": d, "content": {"application/json": {"schema": {
            "type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}}}}

    err = lambda d: {"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}  # noqa: E731
    hints_schema = {"type": "object", "nullable": True, "additionalProperties": False,
                    "properties": {k: kind(h).schema(h) for k, h in kb.hints.items()}}
    request_schema = {
        "type": "object", "required": ["error"],
        "properties": {
            # not blank, no NUL (binary data), at most 64 KiB of UTF-8 -- and the whole body
            # at most 64 KiB, else 413; JSON Schema counts characters, not bytes
            "error": {"type": "string", "minLength": 1, "maxLength": 65536,
                      "allOf": [{"pattern": "^[^\\u0000]*$"}, {"pattern": "[^\\u0000 \\t\\r\\n\\f\\v]"}],
                      "description": "the pasted error text: not blank, no NUL, at most 64 KiB (UTF-8) in a body of at most 64 KiB"},
            "hints": hints_schema,
            "unknown": {"type": "array", "items": {"type": "string", "enum": list(kb.hints)},
                        "description": "hints the user answered \"I don't know\": not asked again, no evidence added"},
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "AuthDoctor API", "version": __version__,
                 "description": "Ranked causes and fixes for pasted Terraform/AWS credential errors."},
        "paths": {
            "/api/v1/diagnose": {"post": {
                "summary": "Diagnose a pasted Terraform/AWS credential error.",
                "operationId": "diagnose",
                "parameters": [{
                    "name": "detail", "in": "query", "required": False,
                    "schema": {"type": "string", "enum": ["full", "compact"], "default": "full"},
                    "description": "`full` (the default): the whole answer (schema Diagnosis). `compact`: the same answer "
                                   "without its HTML renderings, `summary_html` and each fix's `detail_html`, which repeat the "
                                   "Markdown and text fields beside them (schema DiagnosisCompact): about two thirds of the bytes, "
                                   "for clients that render the Markdown themselves or show no summaries"}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DiagnoseRequest"}}}},
                "responses": {
                    "200": {"description": "the diagnosis: Diagnosis, or DiagnosisCompact with `?detail=compact`",
                            "content": {"application/json": {"schema": {"anyOf": [
                                {"$ref": "#/components/schemas/Diagnosis"}, {"$ref": f"#/components/schemas/Diagnosis{COMPACT}"}]}}}},
                    "400": err("bad JSON, a missing or empty field, an unknown hint or a value outside its domain"),
                    "413": err("the body is larger than 64 KiB"),
                    "415": err("the body is not application/json"),
                    "429": err("too many requests from this client"),
                }}},
            "/api/v1/feedback": {"post": {
                "summary": "Say whether a cause of an answer was the right one.", "operationId": "feedback",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeedbackRequest"}}}},
                "responses": {"201": stored("stored"), "200": stored("already stored: this client said it before"),
                              "400": err("bad JSON, a missing or unknown field, a cause that is not one of the error's causes"),
                              "413": err("the body is larger than 64 KiB"), "415": err("the body is not application/json"),
                              "429": err("too many requests from this client"), "503": err("the feedback store cannot be reached")}}},
            "/api/v1/submissions": {"post": {
                "summary": "Send an unrecognised paste, with consent, so it gets recognised (kept masked and normalised).",
                "operationId": "submission",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubmissionRequest"}}}},
                "responses": {"201": stored("stored"), "200": stored("already stored, or nothing left to keep after masking"),
                              "400": err("bad JSON, a missing or unknown field, no consent"),
                              "413": err("the body is larger than 64 KiB"), "415": err("the body is not application/json"),
                              "429": err("too many requests from this client"), "503": err("the feedback store cannot be reached")}}},
            "/api/v1/openapi.json": {"get": {"summary": "This document.", "operationId": "openapi",
                                             "responses": {"200": ok_object("the OpenAPI document")}}},
            "/api/v1/hints": {"get": {"summary": "The hint vocabulary.", "operationId": "hints",
                                      "responses": {"200": ok_object("hint keys, values and questions")}}},
            "/healthz": {"get": {"summary": "Liveness, and which knowledge base answers.", "operationId": "healthz",
                                 "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                                     "type": "object", "required": ["status", "kb_version", "causes"],
                                     "properties": {"status": {"type": "string"}, "kb_version": {"type": "string"},
                                                    "causes": {"type": "integer"}, "errors": {"type": "integer"},
                                                    "variants": {"type": "integer"}}}}}}}}},
        },
        "components": {"schemas": {"DiagnoseRequest": request_schema, "Error": error_schema,
                                   **request_schemas(kb, hints_schema),
                                   **schemas(Diagnosis, enums=enums),
                                   **schemas(Diagnosis, enums=enums, leave_out=HTML_FIELDS, suffix=COMPACT)}},
    }
