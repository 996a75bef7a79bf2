"""Writes of the access state (SPEC §3): consents, declarations, roles, blocks, emergency settings and
sessions, temporary access codes. One transaction each, asked to the policy through ``gateway``, traced
in the same transaction (invariants 1 and 2), notifications written to the outbox in it (invariant 5).

A refused act leaves a ``DENY`` trace (committed on its own) and raises ``NotFoundOrForbidden`` (same
answer whether the patient exists or not) or a ``DomainError`` naming the field at fault.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access.facts import BTG_SESSION_DURATION, AccessMode, Action, DocumentFacts
from carnet.access.gateway import AccessScope
from carnet.access.models import (
    BreakGlassSession,
    CareRelation,
    EmergencyChoice,
    EmergencyMode,
    EmergencySettings,
    ProfessionalQualification,
    ProfessionalStanding,
    RelationKind,
    TemporaryAccessCode,
)
from carnet.access.policy import Decision, Obligation
from carnet.audit.services import trace
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Organisation, Person, Professional
from carnet.notifications.models import Channel, ResourceType
from carnet.notifications.services import notify

from . import messages as _messages  # noqa: F401  (registers the e-mail templates)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def temporary_code_minutes() -> int:
    """R-AC-16 [I]: how long the patient's one-time code can be used (default 60 minutes)."""
    return int(settings.CARNET_TEMPORARY_CODE_MINUTES)


def temporary_access_hours() -> int:
    """R-AC-16 [I]: how long the temporary access it opens lasts (default 24 hours)."""
    return int(settings.CARNET_TEMPORARY_ACCESS_HOURS)


NOT_FOUND = _("Dossier introuvable ou action non autorisée.")


# --------------------------------------------------------------------------------------------------
# Helpers


def deny(
    scope: AccessScope,
    *,
    action: str,
    decision: Decision,
    object_type: str = "",
    object_id: str = "",
    group: str = "general",
    error: DomainError | None = None,
) -> DomainError:
    """Trace a refused act (its own transaction, so it survives the exception) and return the error."""
    with transaction.atomic():
        trace(
            actor=scope.actor,
            action=action,
            patient_id=scope.patient_id if scope.holder is not None else None,
            group=group,
            object_type=object_type,
            object_id=object_id,
            mode=str(scope.mode),
            outcome="DENY",
            details={"rule": decision.rule},
        )
    return error or NotFoundOrForbidden(NOT_FOUND, code="not_found")


def require(
    scope: AccessScope, action: Action, *, trace_action: str, object_type: str = "", object_id: str = ""
) -> Decision:
    """The policy's answer for a record-level act; a refusal is traced and raised."""
    decision = gateway.decide(scope, None, action)
    if not decision:
        raise deny(
            scope, action=trace_action, decision=decision, object_type=object_type, object_id=object_id
        )
    return decision


def _allow_trace(
    scope: AccessScope,
    *,
    action: str,
    decision: Decision,
    object_type: str = "",
    object_id: str = "",
    group: str = "general",
    reason: str = "",
    **details: Any,
) -> None:
    trace(
        actor=scope.actor,
        action=action,
        patient_id=scope.patient_id,
        group=group,
        object_type=object_type,
        object_id=object_id,
        mode=str(scope.mode),
        reason=reason,
        details={"rule": decision.rule, **details},
    )


def _address(email: str, phone: str) -> tuple[str, str]:
    return (Channel.EMAIL, email) if email else (Channel.SMS, phone)


def _language(person: Person) -> str:
    account = getattr(person, "account", None)
    return account.preferred_language if account is not None else "fr"


def _date(value: Any) -> str:
    """An e-mail's date parameter: ISO, worded in the reader's language when sent (templates_catalogue)."""
    return timezone.localtime(value).date().isoformat()


def _base_url() -> str:
    return str(settings.CARNET_BASE_URL or "")


def _standing(
    patient_id: int, *, professional: Professional | None = None, organisation: Organisation | None = None
) -> ProfessionalStanding:
    """The (patient, professional|establishment) row, locked for update (created when missing)."""
    lookup: dict[str, Any] = {"patient_id": patient_id}
    if professional is not None:
        lookup["professional"] = professional
    else:
        lookup["organisation"] = organisation
    ProfessionalStanding.objects.get_or_create(**lookup, defaults={"updated_at": clock.now()})
    return ProfessionalStanding.objects.select_for_update(of=("self",)).get(**lookup)


def _professional_scope(actor: Actor, patient_id: int, mode: AccessMode = AccessMode.NORMAL) -> AccessScope:
    scope = gateway.access_scope(actor=actor, patient_id=patient_id, mode=mode)
    if scope.holder is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return scope


# --------------------------------------------------------------------------------------------------
# Reads by professionals: first-access e-mail (R-AC-14) and emergency e-mails (R-EM-3)


def professional_read_recorded(
    scope: AccessScope,
    decisions: Iterable[Decision],
    *,
    documents: Sequence[DocumentFacts | None] | None = None,
) -> None:
    """Call inside the read's transaction after tracing an allowed read by a professional.

    ``documents``: the facts of what each decision was about, in the same order (None, or omitted, for a
    profile section or the vaccinations: no author, nothing hidden).

    * First access (R-AC-14, R-NOT-1): the first allowed read by a professional new to this patient of
      something he did not write himself (a read as author or as the author's establishment, R-MASK-1,
      is no access to someone else's data) queues ONE content-free notice (``_notify_first_access``).
    * A read carrying the ``NOTIFY_EMERGENCY_ACCESS`` obligation queues one e-mail to the holder and one
      to his médecin traitant per emergency session (R-EM-3).
    """
    decided = list(decisions)
    about: list[DocumentFacts | None] = (
        list(documents) if documents is not None else [None] * len(decided)
    )
    allowed = [(d, doc) for d, doc in zip(decided, about, strict=True) if d]
    if not allowed or scope.professional is None or scope.holder is None:
        return
    # The author check runs only while no first access is recorded: on the hot path (a professional
    # who has read this record before) a list of N documents costs nothing here.
    first_access_recorded = scope.standing is not None and scope.standing.first_access_at is not None
    new_reads = (
        []
        if first_access_recorded
        else [doc for _d, doc in allowed if doc is None or not gateway.is_authors_read(scope, doc)]
    )
    if new_reads:
        standing = _standing(scope.patient_id, professional=scope.professional)
        if standing.first_access_at is None:
            standing.first_access_at = clock.now()
            standing.updated_at = clock.now()
            standing.save(update_fields=["first_access_at", "updated_at"])
            _notify_first_access(scope, representatives_may_know=any(map(_visible_to_all, new_reads)))
        scope.standing = standing
    if (
        any(Obligation.NOTIFY_EMERGENCY_ACCESS in d.obligations for d, _doc in allowed)
        and scope.session is not None
    ):
        _notify_emergency(scope, scope.session)


def _visible_to_all(facts: DocumentFacts | None) -> bool:
    """Would every patient-side viewer see what was read (no R-MIN-5, no unreleased R-MASK-6 code)?"""
    if facts is None:
        return True
    return not (facts.is_invisible_to_legal_representatives or facts.is_invisible_to_patient_at(clock.now()))


def _notify_first_access(scope: AccessScope, *, representatives_may_know: bool) -> None:
    """R-AC-14: "you will receive a notification at his first access" (dedup per professional).

    * The holder: an entry in his notification centre always (R-NOT-3), and the e-mail (SMS without an
      e-mail address) when he has an address.
    * A minor without any address of his own (most children's profiles): the notice also goes to his
      legal representatives, who hold his profile (R-MIN-1), each by e-mail and in his own centre — but
      only when what the professional read is content they may see themselves. A first access that
      reached only content hidden from them (R-MIN-5 ``INVISIBLE_REPRESENTANTS_LEGAUX``, or R-MASK-6
      before release) is told to the minor alone, in his centre, where he finds it once he has his own
      access; the representatives are not told of it, then or later (docs/subsystems/access.md).
    """
    holder, professional = scope.holder, scope.professional
    assert holder is not None and professional is not None
    dedup = f"first-access:{scope.patient_id}:{professional.public_id}"
    params = {"date": _date(clock.now()), "base_url": _base_url()}
    channel, address = _address(holder.email, holder.phone)
    notify(
        patient_id=scope.patient_id,
        channel=channel,
        address=address,
        template="record_first_access",
        params=params,
        dedup_key=dedup,
        language=_language(holder),
    )
    if address or not scope.patient.is_minor or not representatives_may_know:
        return
    for representative in _legal_representatives(scope.patient_id):
        channel, address = _address(representative.email, representative.phone)
        notify(
            patient_id=scope.patient_id,
            channel=channel,
            address=address,
            template="record_first_access_representative",
            params=params,
            dedup_key=f"{dedup}:representative:{representative.public_id}",
            language=_language(representative),
            in_app=ResourceType.DOCUMENT,
            recipient_id=representative.pk,
        )


def _legal_representatives(patient_id: int) -> list[Person]:
    """The minor's active legal representatives (R-MIN-1), the one he is attached to first."""
    from carnet.spaces.models import Delegation, DelegationKind, DelegationStatus

    rows = (
        Delegation.objects.filter(
            patient_id=patient_id, kind=DelegationKind.LEGAL_REPRESENTATION, status=DelegationStatus.ACCEPTED
        )
        .select_related("delegate__account")
        .order_by("-is_primary", "id")
    )
    return [row.delegate for row in rows]


def _notify_emergency(scope: AccessScope, session: BreakGlassSession) -> None:
    holder = scope.holder
    assert holder is not None
    channel, address = _address(holder.email, holder.phone)
    notify(
        patient_id=scope.patient_id,
        channel=channel,
        address=address,
        template="record_emergency_access",
        params={"date": _date(session.started_at), "base_url": _base_url()},
        dedup_key=f"emergency:{session.public_id}:holder",
        language=_language(holder),
    )
    treating = (
        ProfessionalStanding.objects.filter(
            patient_id=scope.patient_id, is_medecin_traitant=True, professional__isnull=False
        )
        .select_related("professional")
        .first()
    )
    if treating is not None and treating.professional is not None:
        doctor = treating.professional
        channel, address = _address(doctor.email, doctor.phone)
        notify(
            patient_id=scope.patient_id,
            channel=channel,
            address=address,
            template="record_emergency_access_gp",
            params={"date": _date(session.started_at), "base_url": _base_url()},
            dedup_key=f"emergency:{session.public_id}:gp:{doctor.public_id}",
        )


# --------------------------------------------------------------------------------------------------
# Consent (R-AC-11, R-AC-12, R-AC-14, R-AC-16) and declarations (R-AC-15)


def _hash_access_code(code: str) -> str:
    key = hashlib.sha256(("temporary-access-code|" + settings.SECRET_KEY).encode()).digest()
    normalised = "".join(ch for ch in (code or "").upper() if ch not in " -\t")
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def temporary_access_code_create(*, actor: Actor, patient_id: int) -> tuple[str, TemporaryAccessCode]:
    """R-AC-16: the holder's side generates a one-time code to give to a professional.

    Returns the code in clear (shown once to the patient) and its row; only the keyed hash is stored.
    """
    scope = gateway.access_scope(actor=actor, patient_id=patient_id)
    decision = require(scope, Action.MANAGE_SHARING, trace_action="TEMPORARY_CODE_CREATE")
    now = clock.now()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    with transaction.atomic():
        row = TemporaryAccessCode.objects.create(
            patient_id=patient_id,
            code_hash=_hash_access_code(code),
            created_at=now,
            expires_at=now + timedelta(minutes=temporary_code_minutes()),
        )
        _allow_trace(
            scope,
            action="TEMPORARY_CODE_CREATE",
            decision=decision,
            object_type="access_code",
            object_id=str(row.public_id),
        )
    return code, row


def care_relation_record(
    *,
    actor: Actor,
    patient_id: int,
    kind: RelationKind | str,
    access_code: str = "",
    organisation: Organisation | None = None,
) -> CareRelation:
    """A professional records the patient's consent (R-AC-14): care team (R-AC-11, given to the
    establishment ``organisation`` when passed, covering its staff), explicit (R-AC-12), or temporary
    with the patient's one-time code (R-AC-16). Recording again an active consent returns it."""
    try:
        kind = RelationKind(kind)
    except ValueError:
        raise DomainError(_("Type de consentement inconnu."), code="invalid", field="kind") from None
    if kind == RelationKind.DECLARED_BY_PATIENT:
        raise DomainError(_("Type de consentement réservé à l'usager."), code="invalid", field="kind")
    if kind == RelationKind.TEMPORARY and not access_code.strip():
        raise DomainError(
            _("Saisissez le code d'accès donné par l'usager."), code="required", field="access_code"
        )
    if organisation is not None and kind != RelationKind.CARE_TEAM:
        raise DomainError(
            _("Seul un consentement d'équipe de soins peut être donné à un établissement."),
            code="invalid",
            field="organisation",
        )
    scope = _professional_scope(actor, patient_id)
    require(scope, Action.RECORD_CONSENT, trace_action="CONSENT_RECORD")
    now = clock.now()
    with transaction.atomic():
        relation = _relation_record(scope, kind, access_code, organisation, now)
    if relation is None:
        code_error = DomainError(
            _("Code d'accès invalide ou expiré."), code="access_code_invalid", field="access_code"
        )
        refused = Decision(False, "R-AC-16", "invalid or expired one-time code")
        raise deny(scope, action="CONSENT_RECORD", decision=refused, error=code_error)
    return relation


def _relation_record(
    scope: AccessScope, kind: RelationKind, access_code: str, organisation: Organisation | None, now: Any
) -> CareRelation | None:
    """Inside the transaction; None when the one-time code is not valid (nothing written)."""
    professional = scope.professional
    assert professional is not None  # RECORD_CONSENT is only allowed to known professionals
    patient_id = scope.patient_id
    expires_at = None
    if kind == RelationKind.TEMPORARY:
        code_row = (
            TemporaryAccessCode.objects.select_for_update(of=("self",))
            .filter(
                patient_id=patient_id,
                code_hash=_hash_access_code(access_code),
                used_at__isnull=True,
                expires_at__gt=now,
            )
            .first()
        )
        if code_row is None:
            return None
        code_row.used_at = now
        code_row.used_by = professional
        code_row.save(update_fields=["used_at", "used_by"])
        expires_at = now + timedelta(hours=temporary_access_hours())
    subject: dict[str, Any] = (
        {"organisation": organisation} if organisation is not None else {"professional": professional}
    )
    if kind != RelationKind.TEMPORARY:
        existing = CareRelation.objects.filter(
            patient_id=patient_id, kind=kind, ended_at__isnull=True, **subject
        ).first()
        if existing is not None:
            return existing
    relation = CareRelation.objects.create(
        patient_id=patient_id,
        kind=kind,
        started_at=now,
        expires_at=expires_at,
        recorded_by=str(scope.actor.id)[:64],
        **subject,
    )
    _allow_trace(
        scope,
        action="CONSENT_RECORD",
        decision=Decision(True, _CONSENT_RULE[kind], "consent recorded"),
        object_type="care_relation",
        object_id=str(relation.public_id),
        kind=str(kind),
    )
    return relation


_CONSENT_RULE = {
    RelationKind.CARE_TEAM: "R-AC-11",
    RelationKind.EXPLICIT: "R-AC-12",
    RelationKind.TEMPORARY: "R-AC-16",
    RelationKind.DECLARED_BY_PATIENT: "R-AC-15",
}


def professional_declare(
    *, actor: Actor, patient_id: int, professional: Professional, medecin_traitant: bool = False
) -> CareRelation:
    """R-AC-15: the holder's side pre-declares a professional (optionally as médecin traitant)."""
    scope = gateway.access_scope(actor=actor, patient_id=patient_id)
    decision = require(scope, Action.MANAGE_SHARING, trace_action="PROFESSIONAL_DECLARE")
    now = clock.now()
    with transaction.atomic():
        relation = CareRelation.objects.filter(
            patient_id=patient_id,
            professional=professional,
            kind=RelationKind.DECLARED_BY_PATIENT,
            ended_at__isnull=True,
        ).first()
        if relation is None:
            relation = CareRelation.objects.create(
                patient_id=patient_id,
                professional=professional,
                kind=RelationKind.DECLARED_BY_PATIENT,
                started_at=now,
                recorded_by=str(actor.id)[:64],
            )
        _allow_trace(
            scope,
            action="PROFESSIONAL_DECLARE",
            decision=decision,
            object_type="professional",
            object_id=str(professional.public_id),
        )
        if medecin_traitant:
            _role_set(scope, decision, professional=professional, role="medecin_traitant", enabled=True)
    return relation


def care_relation_end(*, actor: Actor, patient_id: int, relation_public_id: str) -> CareRelation:
    """R-BLK-1: the holder's side withdraws an authorisation (the row is kept, ``ended_at`` set)."""
    scope = gateway.access_scope(actor=actor, patient_id=patient_id)
    decision = require(scope, Action.MANAGE_SHARING, trace_action="CONSENT_END")
    with transaction.atomic():
        relation = (
            CareRelation.objects.select_for_update(of=("self",))
            .filter(patient_id=patient_id, public_id=relation_public_id, ended_at__isnull=True)
            .first()
        )
        if relation is None:
            raise NotFoundOrForbidden(NOT_FOUND, code="not_found", field="relation")
        relation.ended_at = clock.now()
        relation.save(update_fields=["ended_at"])
        _allow_trace(
            scope,
            action="CONSENT_END",
            decision=decision,
            object_type="care_relation",
            object_id=str(relation.public_id),
        )
    return relation


# --------------------------------------------------------------------------------------------------
# Roles (R-AC-15, R-MASK-2) and blocking (R-BLK-1..3)

Role = Literal["medecin_traitant", "administrator"]
_ROLE_TRACE = {
    ("administrator", True): "ATTRIBUTION_STATUT_MEDECIN_ADMIN",
    ("administrator", False): "RETRAIT_STATUT_MEDECIN_ADMIN",
    ("medecin_traitant", True): "ATTRIBUTION_MEDECIN_TRAITANT",
    ("medecin_traitant", False): "RETRAIT_MEDECIN_TRAITANT",
}


def professional_role_set(
    *, actor: Actor, patient_id: int, professional: Professional, role: Role, enabled: bool
) -> ProfessionalStanding:
    """The holder's side gives or withdraws the médecin traitant role (one at a time [I]) or the
    administrateur role (R-MASK-2: sees masked documents, may block, R-BLK-3)."""
    if role not in ("medecin_traitant", "administrator"):
        raise DomainError(_("Rôle inconnu."), code="invalid", field="role")
    scope = gateway.access_scope(actor=actor, patient_id=patient_id)
    decision = require(scope, Action.MANAGE_SHARING, trace_action=_ROLE_TRACE[(role, enabled)])
    with transaction.atomic():
        return _role_set(scope, decision, professional=professional, role=role, enabled=enabled)


def _role_set(
    scope: AccessScope, decision: Decision, *, professional: Professional, role: Role, enabled: bool
) -> ProfessionalStanding:
    patient_id = scope.patient_id
    if role == "medecin_traitant" and enabled:
        ProfessionalStanding.objects.filter(patient_id=patient_id, is_medecin_traitant=True).exclude(
            professional=professional
        ).update(is_medecin_traitant=False, updated_at=clock.now())
    standing = _standing(patient_id, professional=professional)
    setattr(standing, "is_medecin_traitant" if role == "medecin_traitant" else "is_administrator", enabled)
    standing.updated_at = clock.now()
    standing.save()
    _allow_trace(
        scope,
        action=_ROLE_TRACE[(role, enabled)],
        decision=decision,
        object_type="professional",
        object_id=str(professional.public_id),
    )
    return standing


def professional_block(*, actor: Actor, patient_id: int, professional: Professional) -> ProfessionalStanding:
    """R-BLK-1/3: the holder's side or an administrateur blocks a professional (he keeps depositing,
    R-BLK-2; he keeps reading his own documents, R-MASK-1)."""
    return _block(actor=actor, patient_id=patient_id, professional=professional, blocked=True)


def professional_unblock(
    *, actor: Actor, patient_id: int, professional: Professional
) -> ProfessionalStanding:
    """R-BLK-1/3."""
    return _block(actor=actor, patient_id=patient_id, professional=professional, blocked=False)


def _block(
    *, actor: Actor, patient_id: int, professional: Professional, blocked: bool
) -> ProfessionalStanding:
    action = Action.BLOCK if blocked else Action.UNBLOCK
    trace_action = "BLOCAGE_PS" if blocked else "DEBLOCAGE_PS"
    scope = gateway.access_scope(actor=actor, patient_id=patient_id)
    decision = require(scope, action, trace_action=trace_action, object_type="professional")
    if scope.professional is not None and scope.professional.pk == professional.pk:
        raise DomainError(
            _("Un professionnel ne peut pas modifier son propre blocage."),
            code="invalid",
            field="professional",
        )
    with transaction.atomic():
        standing = _standing(patient_id, professional=professional)
        standing.blocked_at = clock.now() if blocked else None
        standing.blocked_by = str(actor.id)[:64] if blocked else ""
        standing.updated_at = clock.now()
        standing.save()
        _allow_trace(
            scope,
            action=trace_action,
            decision=decision,
            object_type="professional",
            object_id=str(professional.public_id),
        )
    return standing


# --------------------------------------------------------------------------------------------------
# Emergency (R-EM-1..7)


def emergency_settings_update(
    *,
    actor: Actor,
    patient_id: int,
    etreat: str | None = None,
    btg: str | None = None,
    masked: str | None = None,
) -> EmergencySettings:
    """R-EM-4: the holder's side sets the three emergency consents (permit|deny)."""
    changes = {"etreat": etreat, "btg": btg, "masked": masked}
    for name, value in changes.items():
        if value is not None and value not in EmergencyChoice.values:
            raise DomainError(_("Choisissez « autorisé » ou « refusé »."), code="invalid", field=name)
    scope = gateway.access_scope(actor=actor, patient_id=patient_id)
    decision = require(scope, Action.MANAGE_EMERGENCY, trace_action="MODIF_PARAM_ACCESS_URGENCE")
    with transaction.atomic():
        row, _created = EmergencySettings.objects.select_for_update(of=("self",)).get_or_create(
            patient_id=patient_id, defaults={"updated_at": clock.now()}
        )
        before = {"etreat": row.etreat, "btg": row.btg, "masked": row.masked}
        for name, value in changes.items():
            if value is not None:
                setattr(row, name, value)
        row.updated_at = clock.now()
        row.save()
        after = {"etreat": row.etreat, "btg": row.btg, "masked": row.masked}
        _allow_trace(
            scope, action="MODIF_PARAM_ACCESS_URGENCE", decision=decision, before=before, after=after
        )
    return row


def break_the_glass_start(*, actor: Actor, patient_id: int, reason: str, mode: str) -> BreakGlassSession:
    """R-EM-1/2/6: a professional opens an emergency access with a written reason (mandatory for BTG).

    SAMU mode is for regulators only (``ProfessionalQualification.is_samu_regulator``). The session lasts
    ``facts.BTG_SESSION_DURATION`` (24 h [I]); the holder and his médecin traitant are informed a posteriori
    (R-EM-3, one e-mail each per session). Refusals answer the same whether the patient exists or not.
    """
    try:
        emergency_mode = EmergencyMode(mode)
    except ValueError:
        raise DomainError(_("Mode d'accès en urgence inconnu."), code="invalid", field="mode") from None
    reason = (reason or "").strip()
    if emergency_mode == EmergencyMode.BTG and not reason:
        raise DomainError(
            _("Indiquez par écrit la raison de l'accès en urgence."), code="required", field="reason"
        )
    if len(reason) > 500:
        raise DomainError(_("La raison ne doit pas dépasser 500 caractères."), code="invalid", field="reason")
    refused = NotFoundOrForbidden(_("Accès en urgence impossible pour ce dossier."), code="emergency_refused")
    scope = gateway.access_scope(actor=actor, patient_id=patient_id, mode=AccessMode(emergency_mode.value))
    now = clock.now()
    decision = gateway.emergency_entry_decision(scope, reason=reason, started_at=now)
    if scope.holder is None or scope.professional is None or not decision:
        raise deny(scope, action="BREAK_THE_GLASS_START", decision=decision, error=refused)
    with transaction.atomic():
        session = BreakGlassSession.objects.create(
            patient_id=patient_id,
            professional=scope.professional,
            mode=emergency_mode,
            reason=reason,
            started_at=now,
            expires_at=now + BTG_SESSION_DURATION,
        )
        _allow_trace(
            scope,
            action="BREAK_THE_GLASS_START",
            decision=decision,
            object_type="emergency_session",
            object_id=str(session.public_id),
            reason=reason,
        )
        scope.session = session
        _notify_emergency(scope, session)
    return session


def break_the_glass_end(*, actor: Actor, patient_id: int, session_public_id: str) -> BreakGlassSession:
    """The professional closes his emergency session (the banner goes away)."""
    scope = _professional_scope(actor, patient_id)
    with transaction.atomic():
        session = (
            BreakGlassSession.objects.select_for_update(of=("self",))
            .filter(
                patient_id=patient_id,
                public_id=session_public_id,
                professional=scope.professional,
                ended_at__isnull=True,
            )
            .first()
            if scope.professional is not None
            else None
        )
        if session is None:
            raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
        session.ended_at = clock.now()
        session.save(update_fields=["ended_at"])
        trace(
            actor=actor,
            action="BREAK_THE_GLASS_END",
            patient_id=patient_id,
            object_type="emergency_session",
            object_id=str(session.public_id),
            mode=session.mode,
        )
    return session


def professional_qualification_set(
    *, actor: Actor, professional: Professional, is_samu_regulator: bool, is_occupational_doctor: bool
) -> ProfessionalQualification:
    """Operators (or the directory import) record that a professional is a SAMU regulator (R-EM-2) or
    an occupational doctor (R-AC-2). Not patient data: traced in the system chain."""
    if actor.kind not in (ActorKind.OPERATOR, ActorKind.SYSTEM):
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    with transaction.atomic():
        row, _created = ProfessionalQualification.objects.update_or_create(
            professional=professional,
            defaults={
                "is_samu_regulator": is_samu_regulator,
                "is_occupational_doctor": is_occupational_doctor,
                "updated_at": clock.now(),
            },
        )
        trace(
            actor=actor,
            action="PROFESSIONAL_QUALIFICATION_SET",
            patient_id=None,
            object_type="professional",
            object_id=str(professional.public_id),
            details={"samu_regulator": is_samu_regulator, "occupational_doctor": is_occupational_doctor},
        )
    return row
