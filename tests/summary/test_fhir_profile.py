"""FHIR R4 read/search of the profile at ``/fhir/`` (issue 4) with an establishment's OAuth2 bearer:
R-PML-1 lets professionals and establishments read Immunization only, as the policy allows; every read is
traced; errors are OperationOutcomes."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatementRestResource
from fhir.resources.R4B.immunization import Immunization

from carnet.audit.models import Trace
from carnet.fhir.profile_types import DOCUMENTATION, PROFILE_TYPES, profile_capability_resources
from carnet.profile.models import Disease
from carnet.profile.vitals.models import Vaccination
from tests.api.conftest import bearer
from tests.summary.conftest import Filled

pytestmark = pytest.mark.django_db
FHIR_JSON = "application/fhir+json; charset=utf-8"


@functools.cache
def _http() -> Client:
    return Client()  # one client for bearer requests: a new one loads the middleware again (half a second)


def _get(token: str, url: str) -> Any:
    return _http().get(url, headers=bearer(token))


def _searchset(response: Any) -> Bundle:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == FHIR_JSON
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset"
    return bundle


def _outcome(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == FHIR_JSON
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body


def test_establishment_with_consent_searches_and_reads_immunizations(
    filled: Filled, establishment_matrix: None
) -> None:
    """R-PML-1: vaccinations are shared with authorised professionals and establishments (consent R-AC-11;
    the matrix row of ``establishment_matrix``)."""
    filled.consent_establishment()
    token = filled.token()
    bundle = _searchset(_get(token, f"/fhir/Immunization?patient={filled.patient.public_id}"))
    assert bundle.total == 2
    # The lot number is sealed (ADR 0008): found after opening, among this patient's rows.
    vaccination = next(
        v for v in Vaccination.objects.filter(patient_id=filled.patient.pk) if v.lot_number == "LOT42"
    )
    response = _get(token, f"/fhir/Immunization/{vaccination.public_id}")
    assert response.status_code == 200
    resource = Immunization.model_validate(response.json())
    assert resource.lotNumber == "LOT42"
    assert resource.patient.reference == f"Patient/{filled.patient.public_id}"


def test_establishment_reads_of_immunizations_are_traced(filled: Filled, establishment_matrix: None) -> None:
    """Invariant 2: a search and a read each leave an ALLOW trace in the patient's chain."""
    filled.consent_establishment()
    token = filled.token()
    vaccination = Vaccination.objects.filter(patient_id=filled.patient.pk).first()
    assert vaccination is not None
    _get(token, f"/fhir/Immunization?patient={filled.patient.public_id}")
    _get(token, f"/fhir/Immunization/{vaccination.public_id}")
    actions = set(
        Trace.objects.filter(
            patient_id=filled.patient.pk, outcome="ALLOW", actor_kind="ORGANISATION"
        ).values_list("action", flat=True)
    )
    assert {"VACCINATION_LIST", "VACCINATION_CONSULT"} <= actions


def test_establishment_software_without_a_named_professional_is_not_served_vaccinations(
    filled: Filled,
) -> None:
    """R-MAT-2 [I]: the matrix is per profession; an establishment's software acting on its own (no
    professional named, no profession code) reads nothing it did not author, consent or not — its
    professionals read through their own identity (docs/subsystems/access.md). With the shipped matrix the
    type is therefore not served: a 404 ``not-supported``, as the CapabilityStatement says."""
    filled.consent_establishment()
    body = _outcome(_get(filled.token(), f"/fhir/Immunization?patient={filled.patient.public_id}"), 404)
    assert body["issue"][0]["code"] == "not-supported"


def test_establishment_without_consent_gets_an_empty_searchset(
    filled: Filled, establishment_matrix: None
) -> None:
    """R-AC-11/12: no consent, no vaccination; the refusal is traced DENY."""
    bundle = _searchset(_get(filled.token(), f"/fhir/Immunization?patient={filled.patient.public_id}"))
    assert bundle.total == 0
    assert Trace.objects.filter(
        patient_id=filled.patient.pk, action="VACCINATION_LIST", outcome="DENY"
    ).exists()


NEVER_SHARED = ["Condition", "AllergyIntolerance", "MedicationStatement", "Observation"]


def _advertised() -> dict[str, dict[str, Any]]:
    statement = _http().get("/fhir/metadata").json()
    return {r["type"]: r for r in statement["rest"][0]["resource"]}


@pytest.mark.parametrize("resource_type", NEVER_SHARED)
def test_types_r_pml_1_keeps_from_professionals_are_neither_advertised_nor_served(
    filled: Filled, establishment_matrix: None, resource_type: str
) -> None:
    """R-PML-1: the questionnaire's sections and the measures reach professionals only through a DOCPAT08;
    even with consent and a matrix row for establishments, the facade neither lists nor answers them, and
    a stored item and an unknown id answer the same 404."""
    filled.consent_establishment()
    assert resource_type not in _advertised()
    token = filled.token()
    search = _outcome(_get(token, f"/fhir/{resource_type}?patient={filled.patient.public_id}"), 404)
    assert search["issue"][0]["code"] == "not-supported"
    missing = _outcome(_get(token, f"/fhir/{resource_type}/8f0c1c9e-0000-4000-8000-000000000000"), 404)
    assert missing == search
    if resource_type == "Condition":
        disease = Disease.objects.get(patient_id=filled.patient.pk)
        assert _outcome(_get(token, f"/fhir/Condition/{disease.public_id}"), 404) == search


@pytest.mark.parametrize(
    "resource_type", ["AllergyIntolerance", "MedicationStatement", "Condition", "Immunization", "Observation"]
)
def test_with_the_shipped_matrix_no_profile_type_is_advertised_or_served(
    filled: Filled, resource_type: str
) -> None:
    """The shipped matrix has no row for establishments' software: the CapabilityStatement lists no profile
    type (it listed all five, and each answered an empty searchset whatever the consent)."""
    filled.consent_establishment()
    assert resource_type not in _advertised()
    token = filled.token()
    body = _outcome(_get(token, f"/fhir/{resource_type}?patient={filled.patient.public_id}"), 404)
    assert body["issue"][0]["code"] == "not-supported"
    posted = _http().post(
        f"/fhir/{resource_type}/_search",
        urlencode({"patient": str(filled.patient.public_id)}),
        content_type="application/x-www-form-urlencoded",
        headers=bearer(token),
    )
    assert _outcome(posted, 404) == body


def test_with_a_matrix_row_for_establishments_immunization_is_advertised_with_its_own_text(
    establishment_matrix: None, db: Any
) -> None:
    advertised = _advertised()
    assert set(advertised) & set(PROFILE_TYPES) == {"Immunization"}
    entry = CapabilityStatementRestResource.model_validate(advertised["Immunization"])
    assert entry.documentation == DOCUMENTATION["Immunization"]
    assert "87273-9" in DOCUMENTATION["Immunization"]
    assert [i.code for i in entry.interaction] == ["read", "search-type"]


def test_each_type_documents_what_it_holds() -> None:
    """Five different texts, each naming its own content (they were all copied from Immunization)."""
    assert len(set(DOCUMENTATION.values())) == len(PROFILE_TYPES) == len(DOCUMENTATION)
    for resource_type, content in [
        ("AllergyIntolerance", "ALLERGIES"),
        ("MedicationStatement", "TREATMENTS"),
        ("Condition", "DISEASES"),
        ("Observation", "vital-signs"),
        ("Immunization", "vaccination"),
    ]:
        assert content in DOCUMENTATION[resource_type]


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("POST", "/fhir/Immunization", "GET"),
        ("PUT", "/fhir/Immunization/8f0c1c9e-0000-4000-8000-000000000000", "GET"),
        ("GET", "/fhir/Immunization/_search", "POST"),
    ],
)
def test_a_served_type_answers_other_methods_with_a_405(
    filled: Filled, establishment_matrix: None, method: str, url: str, allow: str
) -> None:
    http = Client(enforce_csrf_checks=True)
    response = http.generic(
        method, url, "{}", content_type="application/fhir+json", headers=bearer(filled.token())
    )
    _outcome(response, 405)
    assert response["Allow"] == allow


def test_post_search_by_ins_in_the_body(filled: Filled, establishment_matrix: None) -> None:
    """Identifiers travel in POST bodies only: ``patient.identifier=urn:oid:<oid>|<INS>``."""
    filled.consent_establishment()
    response = Client().post(
        "/fhir/Immunization/_search",
        urlencode({"patient.identifier": f"urn:oid:{filled.patient.ins_oid}|{filled.patient.ins_matricule}"}),
        content_type="application/x-www-form-urlencoded",  # FHIR R4 §3.1.0.8
        headers=bearer(filled.token()),
    )
    assert _searchset(response).total == 2


def test_an_ins_in_a_get_url_is_refused(filled: Filled, establishment_matrix: None) -> None:
    """No NIR in URLs: 400 OperationOutcome naming the parameter."""
    body = _outcome(
        _get(filled.token(), f"/fhir/Immunization?patient.identifier={filled.patient.ins_matricule}"), 400
    )
    assert body["issue"][0]["expression"] == ["patient.identifier"]


def test_a_search_without_patient_is_a_400_operation_outcome(
    filled: Filled, establishment_matrix: None
) -> None:
    body = _outcome(_get(filled.token(), "/fhir/Immunization"), 400)
    assert body["issue"][0]["expression"] == ["patient"]


def test_an_unknown_patient_is_a_404(filled: Filled, establishment_matrix: None) -> None:
    body = _outcome(
        _get(filled.token(), "/fhir/Immunization?patient=00000000-0000-4000-8000-000000000000"), 404
    )
    assert body["issue"][0]["code"] == "not-found"


@pytest.mark.parametrize("url", ["/fhir/Procedure?patient=x", "/fhir/Patient/abc", "/fhir/Immunization/a/b"])
def test_unknown_types_and_interactions_answer_an_operation_outcome(filled: Filled, url: str) -> None:
    body = _outcome(_get(filled.token(), url), 404)
    assert body["issue"][0]["code"] == "not-supported"


def test_profile_reads_need_a_bearer_token(filled: Filled, establishment_matrix: None) -> None:
    """Bearer only: a missing token is a 401 OperationOutcome (no cookie session is honoured)."""
    _outcome(Client().get(f"/fhir/Immunization?patient={filled.patient.public_id}"), 401)
    _outcome(filled.client().get(f"/fhir/Immunization?patient={filled.patient.public_id}"), 401)


def test_capability_entries_of_the_served_profile_types_validate(establishment_matrix: None) -> None:
    """Each served type as a CapabilityStatement.rest.resource entry (read and search-type)."""
    types = [CapabilityStatementRestResource.model_validate(r).type for r in profile_capability_resources()]
    assert types == ["Immunization"]
