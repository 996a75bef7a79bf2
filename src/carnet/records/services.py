"""Writes of the shared medical record (SPEC §2): deposit, replacement, metadata update, deletion,
masking, "mask all by default", and the R-MASK-6 notices.

Each service validates everything first (a ``DomainError`` names the field and the reason), asks the
policy through ``carnet.access.gateway`` (invariant 1), then writes in ONE transaction with its trace
(invariant 2). A refused act writes nothing but a ``DENY`` trace; a refused deposit leaves no Document
row, no Blob row and no blob file (invariant 9).

Under faults (issue 13): a deposit's blob file is removed only when its transaction is known not to have
committed (``blobstore.blob_transaction``; the worker's sweep decides the unknown cases), and
``document_deposit_once`` / ``document_replace_once`` honour an idempotency key (``records.idempotency``):
a retry answers the first document, without a second deposit, trace or notification.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access.facts import (
    MAX_CONFIDENTIALITY_CODES,
    Action,
    Confidentiality,
    DocumentFacts,
)
from carnet.access.facts import DocumentStatus as FactsStatus
from carnet.access.gateway import AccessScope
from carnet.access.policy import Decision
from carnet.access.services import deny
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.text import strip_bidi_controls
from carnet.identity.models import Organisation
from carnet.notifications.models import Channel
from carnet.notifications.services import notify
from carnet.vault.blobstore import blob_delete, blob_put, blob_transaction
from carnet.vault.sealing import seal_for

from . import codes, formats, idempotency
from . import messages as _messages  # noqa: F401  (registers the e-mail templates)
from .facts import document_facts
from .hidden import hidden_from_a_patient_side_viewer
from .idempotency import IdempotencyKey
from .models import AuthorKind, DepositKey, Document, DocumentStatus
from .notices import new_document_notify

NOT_FOUND = _("Document introuvable.")
MAX_BULK_DELETE = 10  # R-FMT-3 / R-DOC-10: at most 10 documents per bulk deletion
INVISIBLE_NOTICE_AFTER = timedelta(days=14)  # R-MASK-6: "within 2 weeks"
_PATIENT_CODES = frozenset({Confidentiality.NORMAL, Confidentiality.MASQUE_PS})


def patient_upload_max_bytes() -> int:
    """R-FMT-3: 5 MB for patient uploads (configurable, ``CARNET_PATIENT_UPLOAD_MAX_BYTES``)."""
    return int(settings.CARNET_PATIENT_UPLOAD_MAX_BYTES)


def professional_upload_max_bytes() -> int:
    """[I] 20 MB for professional deposits (``CARNET_DOCUMENT_MAX_BYTES``)."""
    return int(settings.CARNET_DOCUMENT_MAX_BYTES)


def add_months(moment: datetime, months: int) -> datetime:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def invisible_until_for(deposited_at: datetime) -> datetime:
    """R-MASK-6 [I]: an INVISIBLE_PATIENT document becomes visible one month after its deposit."""
    return add_months(deposited_at, 1)


# --------------------------------------------------------------------------------------------------
# Validation


@dataclass(frozen=True)
class Metadata:
    """Validated metadata of a new document (SPEC §2.1)."""

    type_code: str
    class_code: str
    title: str
    confidentiality: tuple[str, ...]
    practice_setting: str
    facility_type: str
    author_specialty: str
    service_start: date | None
    media_type: str
    category: str


def _error(message: Any, field: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, field=field)


def normalise_confidentiality(
    values: Sequence[str] | None, *, field: str = "confidentiality"
) -> tuple[str, ...]:
    """1 to 4 distinct J08 codes (§2.4); ``N`` is dropped when combined with another code."""
    raw = [str(v).strip() for v in (values or []) if str(v).strip()]
    known = codes.CodeLists.confidentiality()
    unknown = [v for v in raw if v not in known]
    if unknown:
        raise _error(_("Code de confidentialité inconnu : %(code)s.") % {"code": unknown[0]}, field)
    unique = list(dict.fromkeys(raw)) or [Confidentiality.NORMAL.value]
    if len(unique) > 1 and Confidentiality.NORMAL in unique:
        unique.remove(Confidentiality.NORMAL)
    if len(unique) > MAX_CONFIDENTIALITY_CODES:
        raise _error(_("Un document porte au plus 4 codes de confidentialité."), field)
    return tuple(unique)


def _check_code(value: str, known: dict[str, str], field: str, label: Any) -> str:
    value = (value or "").strip()
    if value and value not in known:
        raise _error(_("%(label)s : code inconnu (%(code)s).") % {"label": label, "code": value}, field)
    return value


def _check_title(title: str) -> str:
    """A title someone else will read: bidi controls removed (no spoofed names), 1 to 255 characters."""
    title = strip_bidi_controls(title or "").strip()
    if not title:
        raise _error(_("Le titre du document est obligatoire."), "title", "required")
    if len(title) > 255:
        raise _error(_("Le titre ne doit pas dépasser 255 caractères."), "title")
    return title


def _check_size(content: bytes, limit: int) -> None:
    if not content:
        raise _error(_("Le fichier est vide."), "content", "required")
    if len(content) > limit:
        megabytes = limit // (1024 * 1024)
        raise _error(
            _("Sélectionnez un fichier de moins de %(mb)s Mo.") % {"mb": megabytes}, "content", "too_large"
        )


def _author_kind(scope: AccessScope) -> AuthorKind:
    kind = scope.facts.kind
    if kind in (ActorKind.PATIENT, ActorKind.LEGAL_REPRESENTATIVE, ActorKind.CAREGIVER):
        return AuthorKind.PATIENT
    if kind == ActorKind.PROFESSIONAL:
        return AuthorKind.PROFESSIONAL
    if kind == ActorKind.ORGANISATION:
        return AuthorKind.ORGANISATION
    if kind == ActorKind.INSURANCE:
        return AuthorKind.INSURANCE
    return AuthorKind.SYSTEM


def _patient_metadata(
    scope: AccessScope,
    *,
    content: bytes,
    filename: str,
    declared_media_type: str,
    title: str,
    category: str,
    confidentiality: Sequence[str] | None,
    service_start: date | None,
) -> Metadata:
    """R-FMT-2/3/4: sniffed type among the patient's formats, 5 MB, wrapped as class 90 DOCPATxx."""
    _check_size(content, patient_upload_max_bytes())
    media_type = formats.check_media_type(content, declared_media_type, formats.PATIENT_MEDIA_TYPES)
    category = category or codes.Category.AUTR_DOC
    type_code = codes.PATIENT_TYPE_BY_CATEGORY.get(category) or codes.PROFILE_PATIENT_TYPES.get(category)
    if type_code is None:
        raise _error(_("Catégorie de document inconnue."), "category")
    conf = normalise_confidentiality(confidentiality)
    if set(conf) - _PATIENT_CODES:
        raise _error(
            _("Vous pouvez seulement masquer ou non votre document aux professionnels."), "confidentiality"
        )
    return Metadata(
        type_code=type_code,
        class_code=codes.PATIENT_CLASS,
        title=_check_title(title or PurePath(filename or "").stem),
        confidentiality=conf,
        practice_setting=codes.PATIENT_PRACTICE_SETTING,
        facility_type=codes.PATIENT_PRACTICE_SETTING,
        author_specialty=codes.PATIENT_AUTHOR_SPECIALTY,
        service_start=service_start,
        media_type=media_type,
        category=codes.patient_category(class_code=codes.PATIENT_CLASS, type_code=type_code),
    )


def _professional_metadata(
    scope: AccessScope,
    author_kind: AuthorKind,
    *,
    content: bytes,
    declared_media_type: str,
    type_code: str,
    class_code: str,
    title: str,
    confidentiality: Sequence[str] | None,
    practice_setting: str,
    facility_type: str,
    author_specialty: str,
    service_start: date | None,
) -> Metadata:
    """R-FMT-1 (PDF or CDA R2), R-DOC-1 (accepted types), J57 class deduced from the type (provisional
    ASS_X16), J08/J04/J02/J01 codes; a CDA header must agree with the metadata and the patient's INS."""
    _check_size(content, professional_upload_max_bytes())
    media_type = formats.check_media_type(content, declared_media_type, formats.PROFESSIONAL_MEDIA_TYPES)
    type_code = (type_code or "").strip()
    conf_given = confidentiality is not None and len(confidentiality) > 0
    if media_type == formats.XML:
        header = formats.parse_cda_header(content)
        _check_cda_patient(scope, header)
        if type_code and type_code != header.type_code:
            raise _error(
                _("Le type de document (typeCode) diffère de celui de l'en-tête CDA."),
                "type_code",
                "mismatch",
            )
        type_code = type_code or header.type_code
        title = title or header.title
        if conf_given:
            missing = set(header.confidentiality) - set(confidentiality or [])
            if missing:
                raise _error(
                    _("Les codes de confidentialité diffèrent de ceux de l'en-tête CDA."),
                    "confidentiality",
                    "mismatch",
                )
        else:
            confidentiality = list(header.confidentiality)
        if service_start and header.service_start and service_start != header.service_start:
            raise _error(
                _("La date des soins diffère de celle de l'en-tête CDA."), "service_start", "mismatch"
            )
        service_start = (
            service_start
            or header.service_start
            or (header.effective_time.date() if header.effective_time else None)
        )
    if not type_code:
        raise _error(_("Le type de document (typeCode) est obligatoire."), "type_code", "required")
    if not codes.is_accepted_type(type_code) or (
        author_kind != AuthorKind.SYSTEM and type_code in codes.PATIENT_ONLY_TYPES
    ):
        raise _error(
            _("Type de document non accepté par le dossier médical partagé : %(code)s.")
            % {"code": type_code},
            "type_code",
            "type_refused",
        )
    deduced = codes.class_for_type(type_code) or ""
    class_code = (class_code or "").strip() or deduced
    if class_code not in codes.CodeLists.classes():
        raise _error(
            _("Classe de document (classCode) inconnue : %(code)s.") % {"code": class_code}, "class_code"
        )
    professional = scope.professional
    organisation = scope.organisation
    specialty_default = ""
    if professional is not None:
        specialty_default = professional.specialty_code or professional.profession_code
    elif author_kind == AuthorKind.INSURANCE:
        specialty_default = "ALIM_AM"
    return Metadata(
        type_code=type_code,
        class_code=class_code,
        title=_check_title(title or codes.CodeLists.types().get(type_code, "")),
        confidentiality=normalise_confidentiality(confidentiality),
        practice_setting=_check_code(
            practice_setting, codes.CodeLists.practice_settings(), "practice_setting", _("Cadre d'exercice")
        ),
        facility_type=_check_code(
            facility_type or (organisation.facility_type_code if organisation is not None else ""),
            codes.CodeLists.facility_types(),
            "facility_type",
            _("Type d'établissement"),
        ),
        author_specialty=_check_code(
            author_specialty or specialty_default,
            codes.CodeLists.author_specialties(),
            "author_specialty",
            _("Spécialité de l'auteur"),
        ),
        service_start=service_start,
        media_type=media_type,
        category=codes.patient_category(class_code=class_code, type_code=type_code),
    )


def _check_cda_patient(scope: AccessScope, header: formats.CdaHeader) -> None:
    holder = scope.holder
    assert holder is not None
    if (holder.ins_oid, holder.ins_matricule) not in set(header.patient_ids):
        raise _error(
            _("L'INS du patient dans l'en-tête CDA ne correspond pas au dossier."), "ins", "patient_mismatch"
        )


def _with_mask_all(scope: AccessScope, conf: tuple[str, ...]) -> tuple[str, ...]:
    """R-MASK-3: when the holder masks everything by default, new documents arrive with MASQUE_PS."""
    holder = scope.holder
    space = getattr(holder, "space", None) if holder is not None else None
    if space is None or not space.mask_all_by_default or Confidentiality.MASQUE_PS in conf:
        return conf
    return normalise_confidentiality([*conf, Confidentiality.MASQUE_PS])


def _prospective_facts(
    scope: AccessScope, author_kind: AuthorKind, meta: Metadata, invisible_until: datetime | None
) -> DocumentFacts:
    professional, organisation = scope.professional, scope.organisation
    return DocumentFacts(
        document_id="new",
        type_code=meta.type_code,
        class_code=meta.class_code,
        confidentiality=frozenset(meta.confidentiality),
        author_professional_id=str(professional.public_id) if professional is not None else "",
        author_organisation_id=str(organisation.public_id) if organisation is not None else "",
        patient_uploaded=author_kind == AuthorKind.PATIENT,
        system_document=author_kind == AuthorKind.SYSTEM,
        status=FactsStatus.APPROVED,
        invisible_until=invisible_until,
    )


# --------------------------------------------------------------------------------------------------
# Deposit and replacement


def _scope(actor: Actor, patient_id: int, organisation: Organisation | None = None) -> AccessScope:
    scope = gateway.access_scope(actor=actor, patient_id=patient_id, organisation=organisation)
    if scope.holder is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return scope


def _prepare(
    scope: AccessScope,
    *,
    content: bytes,
    filename: str,
    declared_media_type: str,
    metadata: dict[str, Any],
) -> tuple[AuthorKind, Metadata]:
    allowed = {
        "type_code",
        "class_code",
        "title",
        "confidentiality",
        "practice_setting",
        "facility_type",
        "author_specialty",
        "service_start",
        "category",
    }
    unknown = set(metadata) - allowed
    if unknown:
        raise TypeError(f"unknown metadata {sorted(unknown)}")
    if not isinstance(content, bytes | bytearray):
        raise _error(_("Le fichier est illisible."), "content")
    content = bytes(content)
    author_kind = _author_kind(scope)
    if author_kind == AuthorKind.PATIENT:
        meta = _patient_metadata(
            scope,
            content=content,
            filename=filename,
            declared_media_type=declared_media_type,
            title=metadata.get("title", ""),
            category=metadata.get("category", ""),
            confidentiality=metadata.get("confidentiality"),
            service_start=metadata.get("service_start"),
        )
    else:
        meta = _professional_metadata(
            scope,
            author_kind,
            content=content,
            declared_media_type=declared_media_type,
            type_code=metadata.get("type_code", ""),
            class_code=metadata.get("class_code", ""),
            title=metadata.get("title", ""),
            confidentiality=metadata.get("confidentiality"),
            practice_setting=metadata.get("practice_setting", ""),
            facility_type=metadata.get("facility_type", ""),
            author_specialty=metadata.get("author_specialty", ""),
            service_start=metadata.get("service_start"),
        )
    return author_kind, replace(meta, confidentiality=_with_mask_all(scope, meta.confidentiality))


def _store(
    scope: AccessScope,
    *,
    author_kind: AuthorKind,
    meta: Metadata,
    content: bytes,
    decision: Decision,
    replaces: Document | None = None,
    key_row: DepositKey | None = None,
) -> Document:
    """Encrypt the content and write the row and its trace in one transaction. If that transaction fails
    before its commit, the encrypted file is removed too: nothing half-written (invariant 9). If the
    commit itself fails, the file stays (the row may be durable): ``blobs_sweep`` decides later."""
    now = clock.now()
    invisible_until = (
        invisible_until_for(now) if Confidentiality.INVISIBLE_PATIENT in meta.confidentiality else None
    )
    with blob_transaction():
        blob = blob_put(patient_id=scope.patient_id, content=content, media_type=meta.media_type)
        document = Document.objects.create(
            patient_id=scope.patient_id,
            class_code=meta.class_code,
            type_code=meta.type_code,
            title=meta.title,
            confidentiality=list(meta.confidentiality),
            practice_setting=meta.practice_setting,
            facility_type=meta.facility_type,
            author_kind=author_kind,
            author_professional=scope.professional,
            author_organisation=scope.organisation,
            author_person=scope.acting_person if author_kind == AuthorKind.PATIENT else None,
            author_specialty=meta.author_specialty,
            service_start=meta.service_start,
            status=DocumentStatus.APPROVED,
            replaces=replaces,
            blob=blob,
            media_type=meta.media_type,
            size=len(content),
            deposited_at=now,
            deposited_by=str(scope.actor.id)[:64],
            deposited_by_kind=str(scope.actor.kind),
            invisible_until=invisible_until,
            patient_category=meta.category,
        )
        if replaces is not None:
            Document.objects.filter(pk=replaces.pk).update(status=DocumentStatus.DEPRECATED)
            replaces.status = DocumentStatus.DEPRECATED
        # The old version's id goes in the new version's trace only if every viewer of that trace may
        # see the old version; otherwise in a trace of its own, about the old version (issue 12, item 2).
        named = replaces is not None and not hidden_from_a_patient_side_viewer(replaces, now=now)
        trace(
            actor=scope.actor,
            action="REPLACE" if replaces is not None else "DEPOSIT",
            patient_id=scope.patient_id,
            group="documents",
            object_type="document",
            object_id=str(document.public_id),
            mode=str(scope.mode),
            details={
                "rule": decision.rule,
                # never the type or the title: a trace must not reveal a hidden document's nature
                "confidentiality": list(meta.confidentiality),
                **({"replaces": str(replaces.public_id)} if named and replaces is not None else {}),
            },
        )
        if replaces is not None and not named:
            trace(
                actor=scope.actor,
                action="REPLACE",
                patient_id=scope.patient_id,
                group="documents",
                object_type="document",
                object_id=str(replaces.public_id),
                mode=str(scope.mode),
                details={"rule": decision.rule, "replaced_by": str(document.public_id)},
            )
        new_document_notify(document)  # R-NOT-1 "nouveau document", grouped (records.notices)
        if key_row is not None:
            idempotency.settle(key_row, [document])  # the first result, for a retry
    return document


def document_deposit(
    *,
    actor: Actor,
    patient_id: int,
    content: bytes,
    filename: str = "",
    declared_media_type: str = "",
    organisation: Organisation | None = None,
    **metadata: Any,
) -> Document:
    """Deposit a document in the patient's record (SPEC §2.6, §2.7).

    * Professionals (and establishments' software, ``organisation``): PDF or CDA R2 XML (R-FMT-1); a CDA
      header is read and must agree with ``type_code``/``confidentiality``/``service_start`` and carry the
      patient's INS. ``type_code`` must be accepted by the DMP (R-DOC-1); ``class_code`` is deduced from it
      when not given. Allowed before activation (R-LC-14), even without consent or when blocked (R-DEP-5).
    * The holder's side: the type is sniffed from the content (R-FMT-2), 5 MB at most (R-FMT-3), wrapped as
      class 90 / DOCPATxx from ``category`` with practice setting EXP_PATIENT (R-FMT-4).
    * "Mask all by default" adds MASQUE_PS (R-MASK-3); INVISIBLE_PATIENT hides it from the holder's side for
      one month (R-MASK-6).

    Metadata keywords: ``type_code``, ``class_code``, ``title``, ``confidentiality`` (list of J08 codes),
    ``practice_setting`` (J04), ``facility_type`` (J02), ``author_specialty`` (J01), ``service_start`` (date),
    ``category`` (patient uploads, SPEC §2.5).
    """
    document, _replayed = _deposit(
        actor=actor,
        patient_id=patient_id,
        content=content,
        filename=filename,
        declared_media_type=declared_media_type,
        organisation=organisation,
        key=None,
        metadata=metadata,
    )
    return document


def document_deposit_once(
    *,
    key: IdempotencyKey | None,
    actor: Actor,
    patient_id: int,
    content: bytes,
    filename: str = "",
    declared_media_type: str = "",
    organisation: Organisation | None = None,
    **metadata: Any,
) -> tuple[Document, bool]:
    """``document_deposit`` under an idempotency key (issue 13, ``records.idempotency``; None: none given,
    a plain deposit). Returns the
    document and whether it is the replay of an earlier identical request with that key (then nothing was
    written: no second document, deposit trace or notification). The key reused for another request is
    refused (``DomainError`` naming the key, code ``idempotency_key_reused``)."""
    return _deposit(
        actor=actor,
        patient_id=patient_id,
        content=content,
        filename=filename,
        declared_media_type=declared_media_type,
        organisation=organisation,
        key=key,
        metadata=metadata,
    )


def _earlier(actor: Actor, key: IdempotencyKey | None, fingerprint: str) -> Document | None:
    """The first result of a retried request (its key already committed), else None."""
    if key is None:
        return None
    row = idempotency.lookup(actor, key)
    if row is None:
        return None
    idempotency.check_same_request(row, fingerprint, key)
    return idempotency.documents_of(row)[0]


def _fingerprint(
    key: IdempotencyKey | None,
    operation: str,
    patient_id: int,
    content: Any,
    filename: str,
    declared_media_type: str,
    metadata: dict[str, Any],
) -> str:
    if key is None:
        return ""
    return idempotency.request_hash(
        idempotency.deposit_request_parts(
            operation=operation,
            patient_id=patient_id,
            content=content,
            filename=filename,
            media_type=declared_media_type,
            metadata=metadata,
        )
    )


def _deposit(
    *,
    actor: Actor,
    patient_id: int,
    content: bytes,
    filename: str,
    declared_media_type: str,
    organisation: Organisation | None,
    key: IdempotencyKey | None,
    metadata: dict[str, Any],
) -> tuple[Document, bool]:
    fingerprint = _fingerprint(key, "deposit", patient_id, content, filename, declared_media_type, metadata)
    earlier = _earlier(actor, key, fingerprint)
    if earlier is not None:
        return earlier, True
    scope = _scope(actor, patient_id, organisation)
    author_kind, meta = _prepare(
        scope, content=content, filename=filename, declared_media_type=declared_media_type, metadata=metadata
    )
    facts = _prospective_facts(scope, author_kind, meta, None)
    decision = gateway.decide(scope, facts, Action.DEPOSIT)
    if not decision:
        raise deny(scope, action="DEPOSIT", decision=decision, group="documents", object_type="document")
    if key is None:
        document = _store(
            scope, author_kind=author_kind, meta=meta, content=bytes(content), decision=decision
        )
        return document, False
    try:
        with transaction.atomic():
            row = idempotency.claim(actor=actor, key=key, patient_id=patient_id, fingerprint=fingerprint)
            document = _store(
                scope,
                author_kind=author_kind,
                meta=meta,
                content=bytes(content),
                decision=decision,
                key_row=row,
            )
    except idempotency.Replayed as replay:  # a concurrent request with this key committed first
        return idempotency.documents_of(replay.row)[0], True
    return document, False


def _existing(patient_id: int, document_public_id: uuid.UUID | str, *, lock: bool = False) -> Document | None:
    try:
        wanted = uuid.UUID(str(document_public_id))
    except ValueError:
        return None
    qs = Document.objects.select_related("author_professional", "author_organisation", "blob")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.filter(patient_id=patient_id, public_id=wanted, deleted_at__isnull=True).first()


def _decide_on(
    scope: AccessScope, document_public_id: uuid.UUID | str, action: Action, trace_action: str
) -> tuple[Document, Decision]:
    document = _existing(scope.patient_id, document_public_id)
    decision = (
        gateway.decide(scope, document_facts(document), action)
        if document is not None
        else Decision(False, "DEFAULT-DENY", "no such document")
    )
    if document is None or not decision:
        raise deny(
            scope,
            action=trace_action,
            decision=decision,
            group="documents",
            object_type="document",
            object_id=str(document.public_id) if document is not None else "",  # never a foreign id
            error=NotFoundOrForbidden(NOT_FOUND, code="not_found", field="document"),
        )
    return document, decision


def document_replace(
    *,
    actor: Actor,
    patient_id: int,
    document_public_id: uuid.UUID | str,
    content: bytes,
    filename: str = "",
    declared_media_type: str = "",
    organisation: Organisation | None = None,
    **metadata: Any,
) -> Document:
    """R-VER-1 (RPLC): the author (or the holder's side for its own uploads, R-DOC-10) replaces a current
    document: the new version is Approved and ``replaces`` the old one, which becomes Deprecated. Metadata
    not given are taken from the old version."""
    document, _replayed = _replace(
        actor=actor,
        patient_id=patient_id,
        document_public_id=document_public_id,
        content=content,
        filename=filename,
        declared_media_type=declared_media_type,
        organisation=organisation,
        key=None,
        metadata=metadata,
    )
    return document


def document_replace_once(
    *,
    key: IdempotencyKey | None,
    actor: Actor,
    patient_id: int,
    document_public_id: uuid.UUID | str,
    content: bytes,
    filename: str = "",
    declared_media_type: str = "",
    organisation: Organisation | None = None,
    **metadata: Any,
) -> tuple[Document, bool]:
    """``document_replace`` under an idempotency key: a retry answers the new version the first request
    created (instead of "not found": the old version is no longer current), see ``document_deposit_once``."""
    return _replace(
        actor=actor,
        patient_id=patient_id,
        document_public_id=document_public_id,
        content=content,
        filename=filename,
        declared_media_type=declared_media_type,
        organisation=organisation,
        key=key,
        metadata=metadata,
    )


def _replace(
    *,
    actor: Actor,
    patient_id: int,
    document_public_id: uuid.UUID | str,
    content: bytes,
    filename: str,
    declared_media_type: str,
    organisation: Organisation | None,
    key: IdempotencyKey | None,
    metadata: dict[str, Any],
) -> tuple[Document, bool]:
    fingerprint = _fingerprint(
        key, f"replace:{document_public_id}", patient_id, content, filename, declared_media_type, metadata
    )
    earlier = _earlier(actor, key, fingerprint)
    if earlier is not None:
        return earlier, True
    scope = _scope(actor, patient_id, organisation)
    old, decision = _decide_on(scope, document_public_id, Action.REPLACE, "REPLACE")
    inherited: dict[str, Any] = {
        "title": old.title,
        "confidentiality": list(old.confidentiality),
        "service_start": old.service_start,
    }
    if old.patient_uploaded:
        inherited["category"] = old.patient_category
    else:
        inherited.update(
            type_code=old.type_code,
            class_code=old.class_code,
            practice_setting=old.practice_setting,
            facility_type=old.facility_type,
            author_specialty=old.author_specialty,
        )
    author_kind, meta = _prepare(
        scope,
        content=content,
        filename=filename,
        declared_media_type=declared_media_type,
        metadata={**inherited, **metadata},
    )
    try:
        with transaction.atomic():
            # The key first: a concurrent retry waits here for this transaction, then replays its result.
            row = (
                idempotency.claim(actor=actor, key=key, patient_id=patient_id, fingerprint=fingerprint)
                if key is not None
                else None
            )
            locked = _existing(patient_id, document_public_id, lock=True)
            if locked is None or locked.status != DocumentStatus.APPROVED:
                raise NotFoundOrForbidden(NOT_FOUND, code="not_found", field="document")
            document = _store(
                scope,
                author_kind=author_kind,
                meta=meta,
                content=bytes(content),
                decision=decision,
                replaces=locked,
                key_row=row,
            )
    except idempotency.Replayed as replay:
        return idempotency.documents_of(replay.row)[0], True
    return document, False


_UNSET: Any = object()


def document_update_metadata(
    *,
    actor: Actor,
    patient_id: int,
    document_public_id: uuid.UUID | str,
    title: str | None = None,
    confidentiality: Sequence[str] | None = None,
    status: str | None = None,
    organisation: Organisation | None = None,
) -> Document:
    """R-VER-1: the author updates the title, the confidentiality (e.g. lifts INVISIBLE_PATIENT before the
    month is over, R-MASK-6) or the status (Approved/Deprecated). The holder's side may do so for its own
    uploads (R-DOC-10), with the codes it may set (N / MASQUE_PS)."""
    scope = _scope(actor, patient_id, organisation)
    document, decision = _decide_on(scope, document_public_id, Action.UPDATE_METADATA, "UPDATE_METADATA")
    new_title = _check_title(title) if title is not None else document.title
    new_conf = (
        normalise_confidentiality(confidentiality)
        if confidentiality is not None
        else tuple(document.confidentiality)
    )
    if document.patient_uploaded and set(new_conf) - _PATIENT_CODES:
        raise _error(
            _("Vous pouvez seulement masquer ou non votre document aux professionnels."), "confidentiality"
        )
    if status is not None and status not in DocumentStatus.values:
        raise _error(_("Statut de document inconnu."), "status")
    new_status = status or document.status
    invisible_until = document.invisible_until
    if Confidentiality.INVISIBLE_PATIENT in new_conf:
        invisible_until = invisible_until or invisible_until_for(document.deposited_at)
    else:
        invisible_until = None
    before = {"confidentiality": list(document.confidentiality), "status": document.status}
    title_changed = new_title != document.title
    with transaction.atomic():
        Document.objects.filter(pk=document.pk).update(
            title=seal_for(document, "title", new_title),  # sealed field (ADR 0008)
            confidentiality=list(new_conf),
            status=new_status,
            invisible_until=invisible_until,
        )
        document.title, document.confidentiality, document.status = new_title, list(new_conf), new_status
        document.invisible_until = invisible_until
        trace(
            actor=scope.actor,
            action="UPDATE_METADATA",
            patient_id=patient_id,
            group="documents",
            object_type="document",
            object_id=str(document.public_id),
            details={
                "rule": decision.rule,
                "before": before,
                "after": {"confidentiality": list(new_conf), "status": new_status},
                "title_changed": title_changed,
            },
        )
    return document


def _tombstone(scope: AccessScope, document: Document, decision: Decision, action: str) -> None:
    """R-DOC-11: keep the row (metadata, trace), erase the content."""
    now = clock.now()
    Document.objects.filter(pk=document.pk).update(
        deleted_at=now, deleted_by=str(scope.actor.id)[:64], blob=None
    )
    if document.blob is not None:
        blob_delete(document.blob)
    document.deleted_at = now
    trace(
        actor=scope.actor,
        action=action,
        patient_id=scope.patient_id,
        group="documents",
        object_type="document",
        object_id=str(document.public_id),
        details={"rule": decision.rule},
    )


def document_delete_by_author(
    *,
    actor: Actor,
    patient_id: int,
    document_public_id: uuid.UUID | str,
    organisation: Organisation | None = None,
) -> Document:
    """R-VER-2: the author professional or establishment deletes its own document (tombstone, R-DOC-11)."""
    scope = _scope(actor, patient_id, organisation)
    document, decision = _decide_on(scope, document_public_id, Action.DELETE, "DELETE")
    with transaction.atomic():
        _tombstone(scope, document, decision, "DELETE")
    return document


def documents_delete_by_patient(
    *, actor: Actor, patient_id: int, document_ids: Sequence[uuid.UUID | str]
) -> list[Document]:
    """R-DOC-10: the holder's side deletes its own uploads, at most 10 at once (R-FMT-3), all or nothing.

    A document added by a professional or by the platform is refused with the R-DOC-10 message (the holder
    can only mask it); a document he may not see answers "not found"."""
    wanted = list(dict.fromkeys(str(d) for d in document_ids))
    if not wanted:
        raise _error(_("Sélectionnez au moins un document."), "document_ids", "required")
    if len(wanted) > MAX_BULK_DELETE:
        raise _error(
            _("Vous pouvez supprimer au plus %(max)s documents à la fois.") % {"max": MAX_BULK_DELETE},
            "document_ids",
            "too_many",
        )
    scope = _scope(actor, patient_id)
    documents: list[tuple[Document, Decision]] = []
    for public_id in wanted:
        document = _existing(patient_id, public_id)
        decision = (
            gateway.decide(scope, document_facts(document), Action.DELETE)
            if document is not None
            else Decision(False, "DEFAULT-DENY", "no such document")
        )
        if document is None or not decision:
            error: DomainError = NotFoundOrForbidden(NOT_FOUND, code="not_found", field="document_ids")
            if decision.rule == "R-DOC-10":
                error = _error(
                    _(
                        "Vous ne pouvez pas supprimer ce document car il a été ajouté par un professionnel "
                        "de santé ou par Carnet. Vous pouvez le masquer."
                    ),
                    "document_ids",
                    "not_deletable",
                )
            raise deny(
                scope,
                action="DELETE",
                decision=decision,
                group="documents",
                object_type="document",
                object_id=str(document.public_id) if document is not None else "",  # never a foreign id
                error=error,
            )
        documents.append((document, decision))
    with transaction.atomic():
        for document, decision in documents:
            _tombstone(scope, document, decision, "DELETE")
    return [document for document, _decision in documents]


# --------------------------------------------------------------------------------------------------
# Masking (R-MASK-1, R-MASK-3)


def _set_mask(scope: AccessScope, document: Document, decision: Decision, *, masked: bool) -> None:
    conf = [c for c in document.confidentiality if c != Confidentiality.MASQUE_PS]
    if masked:
        conf.append(Confidentiality.MASQUE_PS.value)
    new_conf = list(normalise_confidentiality(conf))
    Document.objects.filter(pk=document.pk).update(confidentiality=new_conf)
    document.confidentiality = new_conf
    trace(
        actor=scope.actor,
        action="MASK" if masked else "UNMASK",
        patient_id=scope.patient_id,
        group="documents",
        object_type="document",
        object_id=str(document.public_id),
        details={"rule": decision.rule},
    )


def document_mask(*, actor: Actor, patient_id: int, document_public_id: uuid.UUID | str) -> Document:
    """R-MASK-1: the holder's side masks any document from professionals (MASQUE_PS); its author and the
    administrateurs still see it (R-MASK-2)."""
    scope = _scope(actor, patient_id)
    document, decision = _decide_on(scope, document_public_id, Action.MASK, "MASK")
    with transaction.atomic():
        _set_mask(scope, document, decision, masked=True)
    return document


def document_unmask(*, actor: Actor, patient_id: int, document_public_id: uuid.UUID | str) -> Document:
    """R-MASK-1: the holder's side removes MASQUE_PS."""
    scope = _scope(actor, patient_id)
    document, decision = _decide_on(scope, document_public_id, Action.UNMASK, "UNMASK")
    with transaction.atomic():
        _set_mask(scope, document, decision, masked=False)
    return document


def space_set_mask_all(
    *, actor: Actor, patient_id: int, enabled: bool, apply_to_existing: bool = True
) -> int:
    """R-MASK-3: "mask all my documents by default". New documents then arrive with MASQUE_PS; with
    ``apply_to_existing`` the documents the holder's side may mask now are masked too. Returns how many
    documents were masked. Disabling does not unmask anything."""
    from carnet.spaces.models import HealthSpace

    scope = _scope(actor, patient_id)
    decision = gateway.decide(scope, None, Action.MANAGE_SHARING)
    if not decision:
        raise deny(scope, action="SPACE_MASK_ALL", decision=decision)
    masked = total = 0  # the trace's count leaves out documents hidden from a patient-side viewer
    with transaction.atomic():
        HealthSpace.objects.filter(person_id=patient_id).update(mask_all_by_default=enabled)
        if enabled and apply_to_existing:
            documents = list(
                Document.objects.filter(patient_id=patient_id, deleted_at__isnull=True).select_related(
                    "author_professional", "author_organisation"
                )
            )
            decisions = gateway.decide_many(scope, [document_facts(d) for d in documents], Action.MASK)
            for document, doc_decision in zip(documents, decisions, strict=True):
                if doc_decision and Confidentiality.MASQUE_PS not in document.confidentiality:
                    total += 1
                    if hidden_from_a_patient_side_viewer(document):
                        # counted apart: its own trace, hidden from whoever may not see it (issue 12, item 2)
                        _set_mask(scope, document, doc_decision, masked=True)
                        continue
                    conf = list(
                        normalise_confidentiality([*document.confidentiality, Confidentiality.MASQUE_PS])
                    )
                    Document.objects.filter(pk=document.pk).update(confidentiality=conf)
                    masked += 1
        trace(
            actor=scope.actor,
            action="SPACE_MASK_ALL",
            patient_id=patient_id,
            group="documents",
            object_type="record",
            details={"rule": decision.rule, "enabled": enabled, "masked": masked},
        )
    return total


# --------------------------------------------------------------------------------------------------
# R-MASK-6 notices


def invisible_notices_send() -> int:
    """R-MASK-6: two weeks after the deposit, a document still invisible to the holder triggers one
    content-free notice inviting him to see a professional. Idempotent (``invisible_notice_sent_at`` and
    the outbox's dedup key). After one month the document is visible by date: no job needed."""
    from carnet.identity.models import Person

    now = clock.now()
    due = (
        Document.objects.filter(
            invisible_notice_sent_at__isnull=True,
            invisible_until__gt=now,
            deposited_at__lte=now - INVISIBLE_NOTICE_AFTER,
            deleted_at__isnull=True,
        )
        .order_by("id")
        .values_list("id", "patient_id")[:1000]
    )
    sent = 0
    system = Actor.system("records.invisible_notices")
    for document_id, patient_id in list(due):
        with transaction.atomic():
            document = (
                Document.objects.select_for_update(of=("self",))
                .filter(pk=document_id, invisible_notice_sent_at__isnull=True, invisible_until__gt=now)
                .first()
            )
            if document is None or Confidentiality.INVISIBLE_PATIENT not in document.confidentiality:
                continue
            document.invisible_notice_sent_at = now
            document.save(update_fields=["invisible_notice_sent_at"])
            person = Person.objects.filter(pk=patient_id).select_related("account").first()
            if person is not None:
                channel, address = (
                    (Channel.EMAIL, person.email) if person.email else (Channel.SMS, person.phone)
                )
                account = getattr(person, "account", None)
                notify(
                    patient_id=patient_id,
                    channel=channel,
                    address=address,
                    template="record_invisible_notice",
                    params={"base_url": str(settings.CARNET_BASE_URL or "")},
                    dedup_key=f"invisible-notice:{document.public_id}",
                    language=account.preferred_language if account is not None else "fr",
                )
            trace(
                actor=system,
                action="INVISIBLE_NOTICE",
                patient_id=patient_id,
                group="documents",
                object_type="document",
                object_id=str(document.public_id),
                details={"rule": "R-MASK-6"},
            )
            sent += 1
    return sent
