"""The export of a space's data (R-LC-25/26): an asynchronous ZIP stored as an encrypted blob.

The archive holds:

* ``donnees.json`` — machine-readable: one key per section (identity traits, space status and
  dates, delegations, devices, the history of traces);
* ``fhir/Patient.json`` and ``fhir/Bundle.json`` — a FHIR R4 Patient carrying the INS identifier
  (``urn:oid:<ins_oid>``) and a ``collection`` Bundle, validated with ``fhir.resources.R4B``;
* ``synthese.pdf`` — the human-readable summary (``spaces.pdf.export_summary_pdf``).

Later issues plug their own data in with ``register_section(func)``: a section receives the
``ExportContext`` and adds keys to ``ctx.data``, files to ``ctx.files`` and FHIR resources to
``ctx.fhir_resources``.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient

from carnet.audit.selectors import traces_for_patient
from carnet.audit.services import opened, trace
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.identity.models import Person
from carnet.identity.validators import OID_INS_NIA, OID_INS_NIA_TEST
from carnet.vault.blobstore import blob_put

from .models import Delegation, ExportRequest, ExportStatus, HealthSpace, SpaceStatus
from .pdf import export_summary_pdf

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
FORMAT_VERSION = "carnet-export/1"
FR_CORE_IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"


@dataclass
class ExportContext:
    space: HealthSpace
    person: Person
    export: ExportRequest
    generated_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    fhir_resources: list[dict[str, Any]] = field(default_factory=list)


Section = Callable[[ExportContext], None]


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def section_identity(ctx: ExportContext) -> None:
    """R-ID-2: the INS (matricule + OID) and the five traits."""
    person = ctx.person
    ctx.data["identite"] = {
        "ins_matricule": person.ins_matricule,
        "ins_oid": person.ins_oid,
        "nom_naissance": person.birth_name,
        "prenoms": person.first_names,
        "nom_utilise": person.used_name,
        "date_naissance": _iso(person.birth_date),
        "sexe": person.sex,
        "lieu_naissance_cog": person.birth_place_cog,
        "email": person.email,
        "telephone": person.phone,
        "date_deces": _iso(person.deceased_on),
    }


def section_space(ctx: ExportContext) -> None:
    """R-LC-28: status, reason and dates."""
    space = ctx.space
    ctx.data["espace"] = {
        "identifiant": str(space.public_id),
        "statut": space.status,
        "statut_libelle": str(SpaceStatus(space.status).label),
        "motif": space.motif,
        "statut_modifie_le": _iso(space.status_changed_at),
        "cree_le": _iso(space.created_at),
        "informe_le": _iso(space.informed_at),
        "ouvert_le": _iso(space.opened_at),
        "active_le": _iso(space.activated_at),
        "cgu_acceptees_le": _iso(space.cgu_accepted_at),
        "cloture_le": _iso(space.closed_at),
        "archive_jusqu_au": _iso(space.archived_until),
        "suppression": space.deletion_status,
        "suppression_prevue_le": _iso(space.deletion_due_at),
    }


def section_delegations(ctx: ExportContext) -> None:
    """R-DEL-1/2, R-MIN-1: who acts for the holder, and for whom the holder acts."""
    rows: list[dict[str, Any]] = []
    person = ctx.person
    received = Delegation.objects.filter(patient_id=person.pk, subject=person).select_related("delegate")
    given = Delegation.objects.filter(delegate=person).select_related("subject")
    for delegation in received:
        rows.append(_delegation_row(delegation, "delegataire", delegation.delegate))
    for delegation in given:
        rows.append(_delegation_row(delegation, "titulaire", delegation.subject))
    ctx.data["delegations"] = rows


def _delegation_row(delegation: Delegation, role: str, other: Person) -> dict[str, Any]:
    return {
        "type": delegation.kind,
        "role": role,
        "personne": other.display_name,
        "statut": delegation.status,
        "debut": _iso(delegation.start_date),
        "fin": _iso(delegation.end_date),
    }


def section_history(ctx: ExportContext) -> None:
    """ARCHITECTURE invariant 3: the patient's history of traces (no details: they may name objects).

    Traces of objects the requester may not see yet are left out (R-MASK-6 INVISIBLE_PATIENT before its
    release; R-MIN-5 INVISIBLE_REPRESENTANTS_LEGAUX when a legal representative asked for the export).
    """
    from carnet.audit.hooks import hidden_object_ids

    requester = ctx.export.requested_by
    viewer_kind = (
        "PATIENT" if requester is None or requester.person_id == ctx.person.pk else "LEGAL_REPRESENTATIVE"
    )
    hidden = hidden_object_ids(patient_id=ctx.person.pk, viewer_kind=viewer_kind)
    ctx.data["historique"] = [
        {
            "numero": number,
            "date": _iso(t.at),
            "acteur": opened(t)["actor_label"] or t.actor_kind,  # names are sealed (ADR 0008)
            "type_acteur": t.actor_kind,
            "action": t.action,
            "groupe": t.group,
            "objet": t.object_type,
            "mode": t.mode,
            "resultat": t.outcome,
            "empreinte": t.leaf_hash,  # its leaf hash in the transparency log
        }
        for number, t in enumerate(
            (t for t in traces_for_patient(ctx.person.pk).iterator() if t.object_id not in hidden), start=1
        )
    ]


# The space's own sections; the packages above add theirs in their ``AppConfig.ready()`` (accounts: the
# devices, after the delegations; records: the documents; profile: the IPS summary): spaces imports none.
SECTIONS: list[Section] = [
    section_identity,
    section_space,
    section_delegations,
    section_history,
]


def register_section(section: Section, *, after: Section | None = None) -> Section:
    """Plug a section into every export, at the end or right ``after`` another one; registering twice is
    harmless."""
    if section not in SECTIONS:
        if after is not None and after in SECTIONS:
            SECTIONS.insert(SECTIONS.index(after) + 1, section)
        else:
            SECTIONS.append(section)
    return section


def fhir_patient(person: Person) -> dict[str, Any]:
    """A FHIR R4 Patient with the INS identifier (R-ID-2/3), validated by ``fhir.resources.R4B``."""
    ins_type = "INS-NIA" if person.ins_oid in {OID_INS_NIA, OID_INS_NIA_TEST} else "INS-NIR"
    names: list[dict[str, Any]] = [
        {"use": "official", "family": person.birth_name, "given": person.first_names.split()}
    ]
    if person.used_name:
        names.append({"use": "usual", "family": person.used_name, "given": person.first_names.split()[:1]})
    telecom = [{"system": "email", "value": person.email}] if person.email else []
    if person.phone:
        telecom.append({"system": "phone", "value": person.phone})
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(person.public_id),
        "identifier": [
            {
                "use": "official",
                "type": {"coding": [{"system": FR_CORE_IDENTIFIER_TYPES, "code": ins_type}]},
                "system": f"urn:oid:{person.ins_oid}",
                "value": person.ins_matricule,
            }
        ],
        "name": names,
        "gender": {"F": "female", "M": "male"}.get(person.sex, "unknown"),
        "birthDate": person.birth_date.isoformat(),
    }
    if telecom:
        resource["telecom"] = telecom
    if person.deceased_on is not None:
        resource["deceasedDateTime"] = person.deceased_on.isoformat()
    return Patient.model_validate(resource).model_dump(mode="json", exclude_none=True)


def fhir_bundle(ctx: ExportContext, patient: dict[str, Any]) -> dict[str, Any]:
    """A FHIR R4 ``collection`` Bundle (``fhirVersion`` 4.0.1): the Patient, then the sections' resources."""
    entries = [{"fullUrl": f"urn:uuid:{ctx.person.public_id}", "resource": patient}]
    for resource in ctx.fhir_resources:
        entries.append({"fullUrl": f"urn:uuid:{resource.get('id')}", "resource": resource})
    bundle = {
        "resourceType": "Bundle",
        "id": str(ctx.export.public_id),
        "meta": {"tag": [{"system": "urn:carnet:export", "code": FORMAT_VERSION}]},
        "type": "collection",
        "timestamp": ctx.generated_at.isoformat(),
        "entry": entries,
    }
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


def build_archive(ctx: ExportContext) -> bytes:
    """Run the sections and assemble the ZIP (deterministic member order)."""
    ctx.data["format"] = FORMAT_VERSION
    ctx.data["genere_le"] = _iso(ctx.generated_at)
    for section in SECTIONS:
        section(ctx)
    ctx.data["sections"] = [s.__name__ for s in SECTIONS]
    patient = fhir_patient(ctx.person)
    bundle = fhir_bundle(ctx, patient)

    def dump(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode()

    members: dict[str, bytes] = {
        "donnees.json": dump(ctx.data),
        "fhir/Patient.json": dump(patient),
        "fhir/Bundle.json": dump(bundle),
        "synthese.pdf": export_summary_pdf(ctx.data),
    }
    members.update(ctx.files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def export_build(*, export_id: int) -> bool:
    """Build one PENDING export (task "spaces.build_export"). Idempotent: anything but PENDING is left alone.

    On failure ``attempts`` grows and ``last_error`` keeps the exception's class name; after
    ``MAX_ATTEMPTS`` the request is FAILED. Returns True when the archive was built by this call.
    """
    actor = Actor.system("spaces.build_export")
    try:
        with transaction.atomic():
            export = (
                ExportRequest.objects.select_for_update(of=("self",))
                .select_related("space", "space__person")
                .filter(pk=export_id, status=ExportStatus.PENDING)
                .first()
            )
            if export is None:
                return False
            now = clock.now()
            ctx = ExportContext(
                space=export.space, person=export.space.person, export=export, generated_at=now
            )
            content = build_archive(ctx)
            blob = blob_put(patient_id=export.patient_id, content=content, media_type="application/zip")
            export.blob = blob
            export.size = len(content)
            export.status = ExportStatus.READY
            export.available_at = now
            export.expires_at = now + timedelta(days=settings.CARNET_EXPORT_RETENTION_DAYS)
            export.attempts += 1
            export.last_error = ""
            export.save()
            trace(
                actor=actor,
                action="EXPORT_READY",
                patient_id=export.patient_id,
                group="general",
                object_type="export",
                object_id=str(export.public_id),
                details={"size": export.size},
            )
            from .services import _date, _notify_holder

            _notify_holder(
                space=export.space,
                template="export_ready",
                params={"expires": _date(export.expires_at), "base_url": str(settings.CARNET_BASE_URL)},
                dedup_key=f"export:{export.public_id}",
            )
        return True
    except Exception as exc:
        log.warning("export build failed id=%s error=%s", export_id, type(exc).__name__)
        _export_failed(export_id=export_id, error=type(exc).__name__, actor=actor)
        return False


def _export_failed(*, export_id: int, error: str, actor: Actor) -> None:
    with transaction.atomic():
        export = (
            ExportRequest.objects.select_for_update(of=("self",))
            .filter(pk=export_id, status=ExportStatus.PENDING)
            .first()
        )
        if export is None:
            return
        export.attempts += 1
        export.last_error = error[:200]
        if export.attempts >= MAX_ATTEMPTS:
            export.status = ExportStatus.FAILED
            trace(
                actor=actor,
                action="EXPORT_FAILED",
                patient_id=export.patient_id,
                group="general",
                object_type="export",
                object_id=str(export.public_id),
                outcome="ERROR",
                details={"attempts": export.attempts},
            )
        export.save(update_fields=["attempts", "last_error", "status"])


def exports_build_pending(*, limit: int = 20) -> int:
    """Worker step "spaces.build_pending_exports": (re)try every PENDING export, oldest first."""
    ids = list(
        ExportRequest.objects.filter(status=ExportStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(export_build(export_id=pk) for pk in ids)
