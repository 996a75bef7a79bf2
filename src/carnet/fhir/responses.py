"""FHIR responses: ``application/fhir+json`` bodies and OperationOutcomes (R4)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

FHIR_JSON = "application/fhir+json; charset=utf-8"


def fhir_response(resource: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(resource, ensure_ascii=False), status=status, content_type=FHIR_JSON)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def operation_outcome(
    message: object,
    *,
    status: int,
    issue: str = "invalid",
    expression: str = "",
    severity: str = "error",
    **headers: str,
) -> HttpResponse:
    entry: dict[str, Any] = {"severity": severity, "code": issue, "diagnostics": str(message)}
    if expression:
        entry["expression"] = [expression]
    return fhir_response({"resourceType": "OperationOutcome", "issue": [entry]}, status=status, **headers)
