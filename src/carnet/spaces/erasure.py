"""The erasure transaction: what "deleted" means (ADR 0008; R-LC-21, R-LC-22; invariant 4).

``space_erase`` runs inside the deadline job's transaction, under the space's row lock, for:

* a **requested deletion** (R-LC-22) and the **end of the 10-year archive** (R-LC-21): a *full* erasure.
  Every patient-owned row of every app is deleted (the free text in them was sealed, so copies of it in
  the WAL, dumps and backups die with the key); every blob and export archive is deleted; the data key
  is destroyed; the account (sessions, devices, codes) is removed; the person row is anonymised (NIR,
  names, birth data, contact data replaced); the space row keeps only its status and the erasure date;
* the end of the archive of an **opposition** made after opening: a *content* erasure. What was deposited
  while the space was open goes the same way, but the person row, the opposition and its reference stay:
  they are what honours and proves the opposition.

What remains, by law and by design: the ``SpaceErasure`` tombstone (random id, date, motif, the destroyed
key's fingerprint, the signed certificate), the anonymised person and space rows (the append-only access
history is keyed by their id), that history itself (actors, actions, dates, ids), and the destroyed key's
row (so no new key is ever made for an erased space).

**Other apps plug in** with ``register_eraser(name, eraser, order=...)`` in their ``AppConfig.ready()``:
``spaces`` imports none of the apps above it (records, access, accounts, profile, agenda, messaging,
backoffice: an import-linter contract checks it). An eraser receives the ``ErasureContext`` and deletes its
app's rows (``delete_patient_rows`` does it for every model of an app that has a ``patient_id``). Erasers
run by ``order`` (then name); the space's own rows run at ``SPACE_ROWS_ORDER`` and the notifications' at
``NOTIFICATIONS_ORDER``, so an app whose part must come after them says so (the account: 900). After every eraser ran, a **completeness check** looks, in every installed
model with a ``patient_id`` column, for a row of the patient that nobody erased; finding one aborts the
whole transaction (the space stays as it was and the job reports it), rather than certify a half erasure.

**The certificate** (``spaces.certificate``) is signed with the service key and queued to the holder's
letter address (a minor's parent) *before* the person row is anonymised: the outbox row keeps that one
address until the message is sent or finally fails (``erasure_notices_settle``, run by the deadline job),
then that row is deleted and the tombstone records the outcome.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from carnet.common import clock
from carnet.common.actors import Actor
from carnet.identity.models import Person
from carnet.notifications.erasure import certificate_notice_settle, erase_patient_notifications
from carnet.notifications.models import Channel
from carnet.notifications.services import notify
from carnet.vault.blobstore import KeyDestroyed, key_fingerprint, unwrap_stored
from carnet.vault.keyring import forget
from carnet.vault.models import PatientKey

from . import certificate
from .models import (
    Delegation,
    DeletionStatus,
    ErasureNotice,
    ExportRequest,
    HealthSpace,
    ProvisionalCode,
    SpaceErasure,
)
from .selectors import letter_recipient

# Motifs (also the certificate's): R-LC-22, R-LC-21, R-LC-21 for an opposition made after opening.
REQUESTED = "SUPPRESSION_DEMANDEE"
ARCHIVE_END = "FIN_ARCHIVAGE"
OPPOSED_ARCHIVE_END = "FIN_ARCHIVAGE_OPPOSITION"

# Fixed lists, the same for everyone erased the same way: they say nothing about what the person had.
ERASED_CONTENT = (
    "record_documents",
    "document_contents",
    "medical_profile",
    "vaccinations_and_measures",
    "agenda_and_prevention",
    "messages_and_attachments",
    "notifications",
    "sharing_and_emergency_access",
    "exports",
    "data_key",
)
ERASED_FULL = (
    *ERASED_CONTENT,
    "delegations",
    "support_requests",
    "account_and_devices",
    "identity_and_contacts",
)
KEPT_FULL = ("tombstone", "erasure_date", "access_history")
KEPT_CONTENT = (*KEPT_FULL, "identity_and_opposition")

ERASED_BIRTH_DATE = date(1900, 1, 1)  # Person.birth_date is mandatory: one constant for every erased person
CERTIFICATE_TEMPLATE = "erasure_certificate"

# Rows that may hold the patient's id after an erasure (the completeness check ignores them).
RETAINED = frozenset({"records.patientkey", "spaces.spaceerasure"})
RETAINED_APPS = frozenset({"audit"})  # the append-only history (its redesign owns its content)


@dataclass(frozen=True)
class ErasureContext:
    """What an eraser needs. ``full``: the whole space (else only what was deposited, see above);
    ``addresses``: the person's e-mail and phone before anonymisation (to scrub copies elsewhere)."""

    patient_id: int
    full: bool
    moment: datetime
    actor: Actor
    addresses: frozenset[str] = field(default_factory=frozenset)


Eraser = Callable[[ErasureContext], None]
_ERASERS: dict[str, tuple[int, Eraser]] = {}
SPACE_ROWS_ORDER = 800  # exports, provisional codes, delegations (this module)
NOTIFICATIONS_ORDER = 810  # outbox, delivered copies, in-app entries, preferences (notifications.erasure)


def register_eraser(name: str, eraser: Eraser, *, order: int = 100) -> None:
    """Register (or replace, by name) an app's eraser; lower ``order`` runs first."""
    _ERASERS[name] = (order, eraser)


def registered_erasers() -> list[str]:
    return [name for name, _ in sorted(_ERASERS.items(), key=lambda item: (item[1][0], item[0]))]


def _patient_models(*app_labels: str) -> list[type[Model]]:
    models = (
        apps.get_models()
        if not app_labels
        else [m for a in app_labels for m in apps.get_app_config(a).get_models()]
    )
    return [m for m in models if any(f.attname == "patient_id" for f in m._meta.concrete_fields)]


def delete_patient_rows(ctx: ErasureContext, *app_labels: str) -> None:
    """Delete the patient's rows from every model of ``app_labels`` that has a ``patient_id`` column."""
    for model in _patient_models(*app_labels):
        model._default_manager.filter(patient_id=ctx.patient_id).delete()


class ErasureIncomplete(Exception):
    """A model still holds rows of the erased patient: the erasure is rolled back, never certified."""


def _check_complete(ctx: ErasureContext, certificate_key: str) -> None:
    leftovers = []
    for model in _patient_models():
        label = model._meta.label_lower
        if label in RETAINED or model._meta.app_label in RETAINED_APPS:
            continue
        rows = model._default_manager.filter(patient_id=ctx.patient_id)
        if label == "notifications.outboxmessage":
            rows = rows.exclude(dedup_key=certificate_key)  # the certificate on its way
        if not ctx.full and label in {"spaces.delegation"}:
            continue  # an opposed minor's legal representatives still act for him
        if rows.exists():
            leftovers.append(label)
    if leftovers:
        raise ErasureIncomplete(f"rows left after erasure in {', '.join(sorted(leftovers))}")


# --- the service key --------------------------------------------------------------------------------


def _service_key() -> Ed25519PrivateKey:
    """The service's Ed25519 key (the one that signs history checkpoints), used here with its own
    message format (``certificate.signed_message``)."""
    seed = base64.urlsafe_b64decode(settings.CARNET_AUDIT_SIGNING_KEY)
    return Ed25519PrivateKey.from_private_bytes(seed[:32])


def service_public_key_b64() -> str:
    raw = _service_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign_certificate(body: dict[str, Any]) -> dict[str, Any]:
    signature = _service_key().sign(certificate.signed_message(body))
    return certificate.document(body, signature=signature, public_key_b64=service_public_key_b64())


# --- the transaction ----------------------------------------------------------------------------------


def _data_key_fingerprint(patient_id: int) -> str:
    row = PatientKey.objects.filter(patient_id=patient_id).first()
    if row is None:
        return ""
    try:
        return key_fingerprint(unwrap_stored(row.wrapped_key, patient_id))
    except KeyDestroyed:
        return ""


def _destroy_key(patient_id: int, *, full: bool) -> None:
    """Crypto-shredding. Full: the wrapped key is overwritten and its row stays, so nothing can ever be
    sealed again for this space. Content: the row goes, so that a person who opposed and later activates
    gets a new key (the old one is gone all the same)."""
    forget(patient_id)
    keys = PatientKey.objects.filter(patient_id=patient_id)
    if full:
        keys.update(wrapped_key=None, destroyed_at=clock.now())
    else:
        keys.delete()


def _erase_space_rows(space: HealthSpace, ctx: ErasureContext) -> None:
    ExportRequest.objects.filter(patient_id=ctx.patient_id).delete()  # their blobs go with the records
    ProvisionalCode.objects.filter(patient_id=ctx.patient_id).delete()
    if ctx.full:
        # Ended and traced by the caller; where he is the delegate (another space's row) they stay, ended.
        Delegation.objects.filter(subject_id=ctx.patient_id).delete()


def _anonymise(person: Person, space: HealthSpace, moment: datetime) -> None:
    """The person row stays (the history is keyed by its id; other spaces' rows may point at it, e.g. a
    document a caregiver deposited) but says nothing about anyone any more."""
    Person.objects.filter(insured_under=person).update(insured_under=None)
    person.public_id = uuid.uuid4()
    person.ins_matricule = "E" + secrets.token_hex(7)  # unique, never a NIR (those start with 1-8)
    person.ins_oid = ""
    person.birth_name = person.first_names = person.used_name = ""
    person.birth_date = ERASED_BIRTH_DATE
    person.sex = ""
    person.birth_place_cog = ""
    person.email = person.phone = ""
    person.vitale_serial_hash = ""
    person.insured_under = None
    person.deceased_on = None
    person.created_at = person.updated_at = moment
    person.save()
    space.public_id = uuid.uuid4()
    for name in (
        "informed_at",
        "opening_due_at",
        "opened_at",
        "activated_at",
        "cgu_accepted_at",
        "opposed_at",
        "closed_at",
        "archived_until",
        "deletion_requested_at",
        "deletion_due_at",
        "suspended_at",
        "suspension_closes_at",
        "deceased_at",
    ):
        setattr(space, name, None)
    space.created_at = space.status_changed_at = moment
    space.opposition_reference = ""
    space.status_before_suspension = ""
    space.mask_all_by_default = False
    space.majority_handled_at = moment  # nothing left for the majority job


def _queue_certificate(
    space: HealthSpace, erasure: SpaceErasure, armoured: str, *, full: bool, language: str
) -> str:
    """The certificate to the holder's letter address (e-mail), or a short notice by SMS when only a phone
    is known (after a requested deletion, as before). Returns the notice state."""
    person = space.person
    if person.deceased_on is not None or space.deceased_at is not None:
        return ErasureNotice.NONE
    recipient = letter_recipient(person)
    when = timezone.localtime(erasure.erased_at).date().isoformat()  # worded in the reader's language
    dedup_key = notice_key(erasure)
    requested = erasure.motif == REQUESTED
    if recipient.email:
        queued = notify(
            patient_id=erasure.patient_id,
            channel=Channel.EMAIL,
            address=recipient.email,
            template=CERTIFICATE_TEMPLATE if full else f"{CERTIFICATE_TEMPLATE}_opposed",
            params={"date": when, "reference": str(erasure.tombstone_id), "certificate": armoured},
            dedup_key=dedup_key,
            language=language,
        )
    elif recipient.phone and requested:
        queued = notify(
            patient_id=erasure.patient_id,
            channel=Channel.SMS,
            address=recipient.phone,
            template="deletion_done",
            params={"date": when},
            dedup_key=dedup_key,
            language=language,
        )
    else:
        queued = None
    return ErasureNotice.PENDING if queued is not None else ErasureNotice.NONE


def notice_key(erasure: SpaceErasure) -> str:
    return f"erasure:{erasure.tombstone_id}"


def space_erase(*, space: HealthSpace, actor: Actor, motif: str, full: bool) -> SpaceErasure:
    """Erase ``space`` (see the module docstring). The caller holds the space's row lock inside a
    transaction and has already moved and traced its status; this writes the tombstone."""
    if not connection.in_atomic_block:
        raise RuntimeError("space_erase() must run inside the erasure transaction")
    moment = clock.now()
    person = Person.objects.select_for_update().get(pk=space.person_id)
    space.person = person
    ctx = ErasureContext(
        patient_id=space.patient_id,
        full=full,
        moment=moment,
        actor=actor,
        addresses=frozenset(a for a in (person.email, person.phone) if a) if full else frozenset(),
    )
    fingerprint = _data_key_fingerprint(ctx.patient_id)
    account = getattr(letter_recipient(person), "account", None)
    language = account.preferred_language if account is not None else "fr"

    def space_rows(c: ErasureContext) -> None:
        _erase_space_rows(space, c)

    def notifications(c: ErasureContext) -> None:
        erase_patient_notifications(patient_id=c.patient_id, addresses=c.addresses, full=c.full, now=moment)

    steps = [
        *((order, name, eraser) for name, (order, eraser) in _ERASERS.items()),
        (SPACE_ROWS_ORDER, "spaces", space_rows),
        (NOTIFICATIONS_ORDER, "notifications", notifications),
    ]
    for _order, _name, step in sorted(steps, key=lambda item: (item[0], item[1])):
        step(ctx)
    _destroy_key(ctx.patient_id, full=full)

    erasure = SpaceErasure(
        patient_id=ctx.patient_id, erased_at=moment, motif=motif, key_fingerprint=fingerprint
    )
    body = {
        "tombstone": str(erasure.tombstone_id),
        "erased_at": moment.isoformat(),
        "motif": motif,
        "erased": list(ERASED_FULL if full else ERASED_CONTENT),
        "kept": list(KEPT_FULL if full else KEPT_CONTENT),
        "data_key": {"fingerprint": fingerprint or None, "destroyed_at": moment.isoformat()},
        "issuer": str(settings.CARNET_BASE_URL),
    }
    signed = sign_certificate(body)
    erasure.certificate = certificate.canonical(signed).decode()
    erasure.notice = ErasureNotice.NONE
    erasure.save()
    erasure.notice = _queue_certificate(
        space, erasure, certificate.armour(signed), full=full, language=language
    )
    erasure.save(update_fields=["notice"])

    if full:
        _anonymise(person, space, moment)
        space.deleted_at = moment
        space.deletion_status = DeletionStatus.DONE
    else:
        space.deleted_at = moment
    space.save()
    _check_complete(ctx, notice_key(erasure))
    transaction.on_commit(_sqlite_checkpoint)
    return erasure


def _sqlite_checkpoint() -> None:
    """SQLite in WAL mode keeps old page images in the -wal file until a checkpoint: fold them into the
    database (where ``secure_delete`` zeroed the erased rows) and truncate the WAL. The default rollback
    journal is deleted at each commit and needs nothing."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()
        if mode and str(mode[0]).lower() == "wal":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- after the transaction: the certificate's message -------------------------------------------------


def notice_grace_days() -> int:
    return int(settings.CARNET_ERASURE_NOTICE_DAYS)


def erasure_notices_settle(*, now: datetime | None = None) -> int:
    """Delete the outbox row of every certificate message that was sent or finally failed (or is still
    undelivered after ``CARNET_ERASURE_NOTICE_DAYS``): the address it held is the last trace of the holder.
    Returns how many were settled. Idempotent (run by ``spaces_apply_deadlines``)."""
    moment = now or clock.now()
    settled = 0
    for pk in list(SpaceErasure.objects.filter(notice=ErasureNotice.PENDING).values_list("pk", flat=True)):
        with transaction.atomic():
            erasure = (
                SpaceErasure.objects.select_for_update().filter(pk=pk, notice=ErasureNotice.PENDING).first()
            )
            if erasure is None:
                continue
            outcome = certificate_notice_settle(
                dedup_key=notice_key(erasure),
                give_up_at=erasure.erased_at + timedelta(days=notice_grace_days()),
                now=moment,
            )
            if outcome is None:
                continue
            erasure.notice = ErasureNotice.SENT if outcome == ErasureNotice.SENT else ErasureNotice.FAILED
            erasure.notice_settled_at = moment
            erasure.save(update_fields=["notice", "notice_settled_at"])
            settled += 1
    return settled
