"""Which profile types the FHIR facade serves and advertises (see ``profile_views``): only those the
policy lets the most favourable establishment read under the matrix in force. Read by the views and by the
CapabilityStatement (``capability``), which therefore do not import each other.
"""

from __future__ import annotations

from typing import Any

from carnet.access import policy
from carnet.access.facts import (
    Action,
    ActorFacts,
    Consent,
    ConsentKind,
    PatientFacts,
    RequestContext,
    SpaceStatus,
)
from carnet.common import clock
from carnet.common.actors import ActorKind
from carnet.profile import ips

PROFILE_TYPES = tuple(ips.PROFILE_RESOURCE_TYPES)
TYPE_PATTERN = "|".join(PROFILE_TYPES)

# What each type holds (CapabilityStatement ``rest.resource.documentation``).
DOCUMENTATION = {
    "AllergyIntolerance": "Allergies and intolerances of the holder's medical profile (section ALLERGIES). "
    "R-PML-1: they reach professionals only through a saved profile summary (DOCPAT08).",
    "MedicationStatement": "Current and past treatments of the holder's medical profile (section "
    "TREATMENTS). R-PML-1: they reach professionals only through a saved profile summary (DOCPAT08).",
    "Condition": "Diseases and long-term conditions of the holder's medical profile (section DISEASES). "
    "R-PML-1: they reach professionals only through a saved profile summary (DOCPAT08).",
    "Immunization": "The holder's vaccinations, entered by him or by professionals (R-PML-1: shared with "
    "authorised professionals). Read under the matrix cell of the 'Note de vaccination' (J07 87273-9), the "
    "holder's consent and blocking, like a document (R-MAT-1, R-AC-11/12, R-BLK-2); every read is traced.",
    "Observation": "Measures the holder records: weight, height, blood pressure, heart rate... (category "
    "vital-signs, LOINC codes). R-PML-1: they reach professionals only through a saved profile summary.",
}
_PROBE = "capability-probe"


def establishment_may_read(resource_type: str) -> policy.Decision:
    """The policy's answer for the most favourable establishment (consent, not blocked, activated space,
    normal mode) reading this type's section today: the facade serves the type only if it allows."""
    actor = ActorFacts(kind=ActorKind.ORGANISATION, id=_PROBE, organisation_id=_PROBE)
    patient = PatientFacts(
        patient_id=_PROBE,
        holder_id=f"{_PROBE}-holder",
        space_status=SpaceStatus.ACTIVATED,
        consents=(Consent(subject_id=_PROBE, kind=ConsentKind.CARE_TEAM),),
    )
    section = str(ips.PROFILE_RESOURCE_TYPES[resource_type])
    context = RequestContext(action=Action.PROFILE_READ, now=clock.now(), section=section)
    return policy.decide(actor, patient, None, context)


def served_types() -> list[str]:
    """The profile types an establishment may read under today's matrix (see the module docstring)."""
    return [t for t in PROFILE_TYPES if establishment_may_read(t)]


def profile_capability_resources() -> list[dict[str, Any]]:
    """CapabilityStatement entries of the types served (``fhir.capability`` adds them to ``rest[0].resource``)."""
    return [
        {
            "type": resource_type,
            "documentation": DOCUMENTATION[resource_type],
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": "patient", "type": "reference", "documentation": "Patient public id (GET)"},
                {
                    "name": "patient.identifier",
                    "type": "token",
                    "documentation": f"INS system|value: POST {resource_type}/_search only",
                },
            ],
        }
        for resource_type in served_types()
    ]
