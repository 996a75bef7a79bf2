"""Minors, legal representatives and caregivers: who may act for whom (SPEC §1.5, §8).

Services (writes, one transaction each, traced on the SUBJECT's chain, notifications content-free):

* ``minor_attach`` — R-MIN-1, R-LC-6: attach a child to the representative he is insured under
  (imports, demo).
* ``minor_profile_activate`` — R-LC-10 (minors): the parent activates the child's profile with the child's
  provisional code, his OWN NIR, the child's birth date and a certification of being the legal representative.
* ``legal_representative_invite`` — R-MIN-1 ``sendInvitationSecondRL``: the primary representative invites a
  second one (at most 2 per minor).
* ``caregiver_invite`` — R-DEL-2: the helped person invites a caregiver (max 3 per helped person, max 5 helped
  persons per caregiver).
* ``delegation_accept`` / ``delegation_refuse`` / ``delegation_revoke`` — answers, and revocation by
  either side.
* ``delegations_expire`` — scheduled job (expired invitations are already ignored by every read).

At majority (R-MIN-7) the lifecycle job ``spaces_apply_deadlines`` ends legal representations; independently,
``delegation_allows`` and ``acting_context`` refuse a representative as soon as the child is of age.

Selectors (reads): ``delegation_get_for_person``, ``delegation_context``, ``delegation_attestation_get``,
``delegation_allows`` (the rights table of a delegated session).

Limits count PENDING invitations that have not expired yet plus ACCEPTED delegations: an invitation holds its
place until it is answered or expires, so a helped person cannot send 10 invitations and end up with 10
caregivers when they all accept. Acceptance re-checks the limits.

Identity errors (no such person, traits that do not match, no activated space, no active account) all answer
with the same message and code (``identity_mismatch``), so an invitation form cannot be used to learn whether
someone has a space (R-DEL-2, "never reveal existence").
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carnet.audit.services import trace
from carnet.common import clock, throttle
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person
from carnet.identity.selectors import person_match
from carnet.identity.validators import normalise_nir, validate_nir
from carnet.notifications.models import Channel
from carnet.notifications.services import notify
from carnet.notifications.templates_catalogue import SIGN_EN as _SIGN_EN
from carnet.notifications.templates_catalogue import SIGN_FR as _SIGN_FR
from carnet.notifications.templates_catalogue import MessageTemplate, register
from carnet.vault.blobstore import blob_delete, blob_get, blob_put
from carnet.vault.models import Blob

from .acting import ActingContext
from .models import Delegation, DelegationKind, DelegationStatus, HealthSpace, SpaceStatus
from .pdf_attestation import attestation_pdf
from .services import provisional_code_find, space_activate

# --------------------------------------------------------------------------------------------------
# Error codes (stable, for APIs) and messages
# --------------------------------------------------------------------------------------------------

IDENTITY_MISMATCH = "identity_mismatch"
OUTGOING_LIMIT = "OUTGOING_CAREGIVING_DELEGATIONS_LIMIT_REACHED"
INCOMING_LIMIT = "INCOMING_CAREGIVING_DELEGATIONS_LIMIT_REACHED"
SAME_INVITATION = "SAME_INVITATION_ALREADY_EXISTS"
ANOTHER_DELEGATION = "ANOTHER_DELEGATION_ALREADY_EXISTS"
LEGAL_REPRESENTATIVES_LIMIT = "LEGAL_REPRESENTATIVES_LIMIT_REACHED"
MAX_LEGAL_REPRESENTATIVES = 2  # R-MIN-1: the representative the child is attached to + one invited

GENERIC_IDENTITY_MESSAGE = _(
    "Les informations saisies ne permettent pas d'identifier une personne pouvant recevoir cette invitation. "
    "Vérifiez le numéro de sécurité sociale, les nom, prénom et date de naissance."
)
GENERIC_CHILD_MESSAGE = _(
    "Les informations saisies ne permettent pas d'ajouter ce profil. Vérifiez le code provisoire, "
    "votre numéro de sécurité sociale et la date de naissance de l'enfant."
)

ATTESTATION_MEDIA_TYPE = "application/pdf"

# --------------------------------------------------------------------------------------------------
# Notification templates (content-free: no names, no health data, never a password)
# --------------------------------------------------------------------------------------------------


register(
    "delegation_invitation",
    MessageTemplate(
        subject={
            "fr": "Une invitation vous attend sur Carnet",
            "en": "An invitation is waiting for you on Carnet",
        },
        body={
            "fr": "Une invitation à agir pour un proche vous attend dans votre espace Carnet, "
            "jusqu'au {expires}. Connectez-vous sur {base_url} et ouvrez vos paramètres pour y répondre."
            + _SIGN_FR,
            "en": "An invitation to act for someone close to you is waiting in your Carnet space "
            "until {expires}. Log in at {base_url} and open your settings to answer it." + _SIGN_EN,
        },
        params=("expires", "base_url"),
    ),
)
register(
    "delegation_answered",
    MessageTemplate(
        subject={"fr": "Réponse à votre invitation", "en": "Answer to your invitation"},
        body={
            "fr": "Une invitation que vous avez envoyée a reçu une réponse. Connectez-vous sur "
            "{base_url} pour la consulter." + _SIGN_FR,
            "en": "An invitation you sent has been answered. Log in at {base_url} to see it." + _SIGN_EN,
        },
        params=("base_url",),
    ),
)
register(
    "delegation_ended",
    MessageTemplate(
        subject={"fr": "Une autorisation d'accès a pris fin", "en": "An access authorisation has ended"},
        body={
            "fr": "Une autorisation d'accès entre votre espace Carnet et celui d'un proche a pris fin. "
            "Connectez-vous sur {base_url} pour en voir le détail." + _SIGN_FR,
            "en": "An access authorisation between your Carnet space and someone else's has ended. "
            "Log in at {base_url} to see the details." + _SIGN_EN,
        },
        params=("base_url",),
    ),
)


# --------------------------------------------------------------------------------------------------
# Rights of a delegated session (R-DEL-2, R-MIN-1, R-MIN-3, R-MIN-7)
# --------------------------------------------------------------------------------------------------

#: Every action the table knows. An action that is not here is denied to everyone (fail closed).
ACTIONS: frozenset[str] = frozenset(
    {
        "consult",  # read documents, profile, history
        "add",  # add documents and data
        "modify",  # modify data and documents
        "delete",  # delete data and documents
        "message",  # read and send messages to the holder's professionals
        "close",  # close the space (R-LC-20)
        "delete_request",  # ask for the deletion of the data (R-LC-22)
        "export",  # download all the data (R-LC-25)
        "change_credentials",  # contact data, login, password
        "manage_sharing",  # consents, blocking, masking towards professionals
        "manage_delegations",  # invite / revoke caregivers and representatives
        "advance_directives",  # write the advance directives section (R-MIN-3)
    }
)

#: R-DEL-2: what a caregiver may do in the helped person's space.
CAREGIVER_ALLOWED: frozenset[str] = frozenset({"consult", "add", "modify", "delete", "message"})
#: R-MIN-1/R-MIN-3: a minor's legal representative may do everything but write advance directives.
LEGAL_REPRESENTATIVE_ALLOWED: frozenset[str] = ACTIONS - {"advance_directives"}
#: The holder himself: everything (a minor holder cannot write advance directives either, R-MIN-3).
PATIENT_ALLOWED: frozenset[str] = ACTIONS

RIGHTS_TABLE: dict[ActorKind, frozenset[str]] = {
    ActorKind.PATIENT: PATIENT_ALLOWED,
    ActorKind.LEGAL_REPRESENTATIVE: LEGAL_REPRESENTATIVE_ALLOWED,
    ActorKind.CAREGIVER: CAREGIVER_ALLOWED,
}


def is_minor(person: Person) -> bool:
    """Age from the injectable clock against ``CARNET_MAJORITY_AGE`` (R-MIN-7)."""
    return clock.age_on(person.birth_date, clock.today()) < settings.CARNET_MAJORITY_AGE


def delegation_allows(acting: ActingContext, action: str) -> bool:
    """May the person of ``acting`` do ``action`` in the space of ``acting.subject``?

    ====================  =======  ==================  =========
    action                PATIENT  LEGAL_REPRESENTATIVE CAREGIVER
    ====================  =======  ==================  =========
    consult               yes      yes                 yes
    add                   yes      yes                 yes
    modify                yes      yes                 yes
    delete                yes      yes                 yes
    message               yes      yes                 yes
    close                 yes      yes                 no  (R-LC-20, R-DEL-2)
    delete_request        yes      yes                 no  (R-DEL-2)
    export                yes      yes                 no  (R-DEL-2)
    change_credentials    yes      yes                 no  (R-DEL-2)
    manage_sharing        yes      yes                 no  (R-DEL-2)
    manage_delegations    yes      yes                 no  (R-DEL-2)
    advance_directives    yes*     no  (R-MIN-3)       no
    ====================  =======  ==================  =========

    ``*`` not when the holder is a minor (R-MIN-3). A legal representative has no right at all once the
    subject has reached ``CARNET_MAJORITY_AGE`` (R-MIN-7). A PATIENT context must be the holder's own. Unknown
    actions and other actor kinds are denied (fail closed).
    """
    if action not in ACTIONS:
        return False
    kind = acting.kind
    allowed = RIGHTS_TABLE.get(kind)
    if allowed is None or action not in allowed:
        return False
    if kind == ActorKind.PATIENT:
        if not acting.is_self:
            return False
        return not (action == "advance_directives" and is_minor(acting.subject))
    if acting.is_self:
        return False  # a delegated kind on one's own space is an inconsistent context
    if kind == ActorKind.LEGAL_REPRESENTATIVE:
        return is_minor(acting.subject)
    return True


# --------------------------------------------------------------------------------------------------
# Identity matching (R-DEL-2: INS + first given name + family name + birth date)
# --------------------------------------------------------------------------------------------------


def _person_match(*, nir: str, family_name: str, first_name: str, birth_date: date) -> Person | None:
    """``identity.selectors.person_match`` (exact INS, folded names, birth date); living persons only."""
    person = person_match(nir=nir, birth_name=family_name, first_name=first_name, birth_date=birth_date)
    if person is None or person.deceased_on is not None:
        return None
    return person


def _has_activated_space_and_account(person: Person) -> bool:
    """R-DEL-2: "the aidant must have an active MES account"; R-MIN-1 likewise for a second representative."""
    space = HealthSpace.objects.filter(person=person).first()
    if space is None or space.status != SpaceStatus.ACTIVATED:
        return False
    account = getattr(person, "account", None)
    return account is not None and account.is_active


def _identity_error(*, attempted_by: Person | None = None) -> DomainError:
    """The one answer to every identity mismatch; counts the failure against whoever tried."""
    if attempted_by is not None:
        throttle.hit(
            "identity-match", throttle.hashed("person", str(attempted_by.pk)), window_seconds=IDENTITY_WINDOW
        )
    return DomainError(GENERIC_IDENTITY_MESSAGE, code=IDENTITY_MISMATCH)


# [I] Invitations match someone on INS + names + birth date: a brake on guessing combinations.
IDENTITY_ATTEMPTS = 5
IDENTITY_WINDOW = 3600


def _check_identity_attempts(person: Person) -> None:
    if throttle.exceeded(
        "identity-match",
        throttle.hashed("person", str(person.pk)),
        limit=IDENTITY_ATTEMPTS,
        window_seconds=IDENTITY_WINDOW,
    ):
        raise DomainError(
            _("Trop de tentatives d'identification : réessayez dans une heure."), code="too_many_attempts"
        )


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def _as(actor: Actor, kind: ActorKind) -> Actor:
    """The same person, in the capacity he acts in for this act (the trace shows it)."""
    return dataclasses.replace(actor, kind=kind)


def _delegate_kind(delegation: Delegation) -> ActorKind:
    if delegation.kind == DelegationKind.LEGAL_REPRESENTATION:
        return ActorKind.LEGAL_REPRESENTATIVE
    return ActorKind.CAREGIVER


def _live() -> Q:
    """Delegations that count: ACCEPTED, or PENDING and not yet expired."""
    return Q(status=DelegationStatus.ACCEPTED) | Q(
        status=DelegationStatus.PENDING, expires_at__gt=clock.now()
    )


def _trace(delegation: Delegation, *, actor: Actor, action: str, **details: Any) -> None:
    trace(
        actor=actor,
        action=action,
        patient_id=delegation.subject_id,
        group="general",
        object_type="delegation",
        object_id=str(delegation.public_id),
        details={"kind": delegation.kind, "status": delegation.status, **details},
    )


def _notify(
    recipient: Person | None, *, delegation: Delegation, template: str, event: str, **params: str
) -> None:
    if recipient is None:
        return
    channel, address = (Channel.EMAIL, recipient.email) if recipient.email else (Channel.SMS, recipient.phone)
    account = getattr(recipient, "account", None)
    notify(
        patient_id=delegation.subject_id,
        channel=channel,
        address=address,
        template=template,
        params={"base_url": str(settings.CARNET_BASE_URL or ""), **params},
        dedup_key=f"delegation:{delegation.public_id}:{event}:{recipient.public_id}",
        language=account.preferred_language if account is not None else "fr",
    )


def _lock(*people: Person) -> None:
    """Serialise concurrent invitations touching the same persons (limits are counted, then written)."""
    list(Person.objects.select_for_update(of=("self",)).filter(pk__in=[p.pk for p in people]).order_by("pk"))


def _check_no_existing(*, subject: Person, delegate: Person) -> None:
    existing = Delegation.objects.filter(_live(), subject=subject, delegate=delegate)
    if existing.filter(status=DelegationStatus.PENDING).exists():
        raise DomainError(
            _("Une invitation est déjà en attente de réponse pour cette personne."), code=SAME_INVITATION
        )
    if existing.exists():
        raise DomainError(_("Cette personne a déjà un accès à ce profil."), code=ANOTHER_DELEGATION)


def _check_outgoing_limit(*, subject: Person, excluding: Delegation | None = None) -> None:
    live = Delegation.objects.filter(_live(), kind=DelegationKind.CAREGIVING, subject=subject)
    if excluding is not None:
        live = live.exclude(pk=excluding.pk)
    if live.count() >= settings.CARNET_MAX_CAREGIVERS_PER_PERSON:
        raise DomainError(
            _("Vous avez atteint le nombre maximal de %(n)s proches aidants.")
            % {"n": settings.CARNET_MAX_CAREGIVERS_PER_PERSON},
            code=OUTGOING_LIMIT,
        )


def _check_caregiving_limits(
    *, subject: Person, delegate: Person, excluding: Delegation | None = None
) -> None:
    """R-DEL-2: at most 3 caregivers per helped person, at most 5 helped persons per caregiver."""
    _check_outgoing_limit(subject=subject, excluding=excluding)
    live = Delegation.objects.filter(_live(), kind=DelegationKind.CAREGIVING)
    if excluding is not None:
        live = live.exclude(pk=excluding.pk)
    if live.filter(delegate=delegate).count() >= settings.CARNET_MAX_HELPED_PER_CAREGIVER:
        raise DomainError(
            _("Cette personne aide déjà le nombre maximal de %(n)s personnes.")
            % {"n": settings.CARNET_MAX_HELPED_PER_CAREGIVER},
            code=INCOMING_LIMIT,
        )


def _check_representatives_limit(*, child: Person, excluding: Delegation | None = None) -> None:
    live = Delegation.objects.filter(_live(), kind=DelegationKind.LEGAL_REPRESENTATION, subject=child)
    if excluding is not None:
        live = live.exclude(pk=excluding.pk)
    if live.count() >= MAX_LEGAL_REPRESENTATIVES:
        raise DomainError(
            _("Ce profil a déjà deux représentants légaux (ou une invitation en attente)."),
            code=LEGAL_REPRESENTATIVES_LIMIT,
        )


def _primary_of(child: Person) -> Delegation | None:
    return Delegation.objects.filter(
        subject=child,
        kind=DelegationKind.LEGAL_REPRESENTATION,
        is_primary=True,
        status=DelegationStatus.ACCEPTED,
    ).first()


# --------------------------------------------------------------------------------------------------
# Access attestation (R-DEL-2): one encrypted copy per person
# --------------------------------------------------------------------------------------------------


def _attestation_media_type(delegation: Delegation) -> str:
    """The copies are found by this media type (a MIME parameter naming the delegation)."""
    return f"{ATTESTATION_MEDIA_TYPE}; delegation={delegation.public_id}"


def _attestation_issue(delegation: Delegation) -> None:
    """R-DEL-2: (re-)issue the attestation, encrypted under EACH person's key; older copies are removed.

    The subject's copy is ``delegation.attestation_blob``; the delegate's copy is the blob of the delegate
    with the same media type. Caller is inside the act's transaction and saves the delegation.
    """
    allowed = (
        CAREGIVER_ALLOWED if delegation.kind == DelegationKind.CAREGIVING else LEGAL_REPRESENTATIVE_ALLOWED
    )
    content = attestation_pdf(delegation=delegation, allowed=allowed)
    media_type = _attestation_media_type(delegation)
    for old in Blob.objects.filter(
        patient_id__in=[delegation.subject_id, delegation.delegate_id], media_type=media_type
    ):
        blob_delete(old)
    delegation.attestation_blob = blob_put(
        patient_id=delegation.subject_id, content=content, media_type=media_type
    )
    blob_put(patient_id=delegation.delegate_id, content=content, media_type=media_type)


def _attestation_blob_for(delegation: Delegation, person: Person) -> Blob | None:
    if person.pk == delegation.subject_id:
        return delegation.attestation_blob
    if person.pk == delegation.delegate_id:
        return (
            Blob.objects.filter(patient_id=person.pk, media_type=_attestation_media_type(delegation))
            .order_by("-created_at", "-pk")
            .first()
        )
    return None


# --------------------------------------------------------------------------------------------------
# Services: minors
# --------------------------------------------------------------------------------------------------


@transaction.atomic
def minor_attach(*, child: Person, representative: Person, actor: Actor) -> Delegation:
    """R-MIN-1, R-LC-6: the child is attached to the representative he is insured under (primary, ACCEPTED).

    Used by imports and the demo. Idempotent for the same representative; refused when the child is not a
    minor or already attached to someone else.
    """
    if child.pk == representative.pk or not is_minor(child):
        raise DomainError(_("Seul le profil d'un enfant mineur peut être rattaché."), code="not_a_minor")
    primary = _primary_of(child)
    if primary is not None:
        if primary.delegate_id == representative.pk:
            return primary
        raise DomainError(
            _("Ce profil est déjà rattaché à un représentant légal."), code="primary_representative_exists"
        )
    now = clock.now()
    delegation = Delegation.objects.create(
        kind=DelegationKind.LEGAL_REPRESENTATION,
        subject=child,
        patient_id=child.pk,
        delegate=representative,
        status=DelegationStatus.ACCEPTED,
        is_primary=True,
        created_at=now,
        start_date=now,
    )
    _trace(delegation, actor=actor, action="DELEGATION_MINOR_ATTACHED")
    return delegation


def minor_profile_activate(
    *,
    parent: Person,
    actor: Actor,
    code: str,
    parent_nir: str,
    child_birth_date: date,
    certified: bool,
) -> Delegation:
    """R-LC-10 (minors), R-LC-6: the logged-in parent activates his child's profile.

    He gives the child's provisional code, his OWN NIR (the addressee of the letter) and the child's birth
    date, and certifies being the legal representative. Any mismatch (unknown or expired code, child not
    insured under him, wrong NIR or birth date, child of age, child attached to someone else) gives the same
    generic error. On success the space is ACTIVATED and the parent's delegation is ACCEPTED and primary.
    """
    if not certified:
        raise DomainError(
            _("Vous devez certifier être le représentant légal de l'enfant."),
            code="certification_required",
            field="certified",
        )
    entry = provisional_code_find(code)
    child = entry.space.person if entry is not None else None
    primary = _primary_of(child) if child is not None else None
    if (
        entry is None
        or child is None
        or child.insured_under_id != parent.pk
        or normalise_nir(parent_nir) != parent.ins_matricule
        or child.birth_date != child_birth_date
        or not is_minor(child)
        or (primary is not None and primary.delegate_id != parent.pk)
    ):
        raise DomainError(GENERIC_CHILD_MESSAGE, code=IDENTITY_MISMATCH)
    rep_actor = _as(actor, ActorKind.LEGAL_REPRESENTATIVE)
    with transaction.atomic():
        space_activate(space=entry.space, actor=rep_actor, code=entry)
        now = clock.now()
        delegation = primary or Delegation(
            kind=DelegationKind.LEGAL_REPRESENTATION,
            subject=child,
            patient_id=child.pk,
            delegate=parent,
            created_at=now,
        )
        delegation.status = DelegationStatus.ACCEPTED
        delegation.is_primary = True
        delegation.start_date = delegation.start_date or now
        delegation.save()
        _trace(delegation, actor=rep_actor, action="DELEGATION_MINOR_PROFILE_ACTIVATED")
    return delegation


# --------------------------------------------------------------------------------------------------
# Services: invitations
# --------------------------------------------------------------------------------------------------


def legal_representative_invite(
    *,
    inviter: Person,
    child: Person,
    actor: Actor,
    nir: str,
    birth_name: str,
    first_name: str,
    birth_date: date,
) -> Delegation:
    """R-MIN-1 ``sendInvitationSecondRL``: the primary representative invites the other parent or a tutor.

    The invitee is identified by INS + birth name + first name + birth date and must have an ACTIVATED space
    and an account; any identity problem gives the generic error. At most 2 representatives per minor.
    """
    if not delegation_can_invite_representative(inviter=inviter, child=child):
        raise NotFoundOrForbidden(_("Profil introuvable."), code="not_found")
    validate_nir_or_error(nir)
    _check_identity_attempts(inviter)
    with transaction.atomic():
        _lock(child)
        _check_representatives_limit(child=child)
        invitee = _person_match(nir=nir, family_name=birth_name, first_name=first_name, birth_date=birth_date)
        if (
            invitee is None
            or invitee.pk in {inviter.pk, child.pk}
            or not _has_activated_space_and_account(invitee)
        ):
            raise _identity_error(attempted_by=inviter)
        _check_no_existing(subject=child, delegate=invitee)
        delegation = _invitation_create(
            kind=DelegationKind.LEGAL_REPRESENTATION, subject=child, delegate=invitee, inviter=inviter
        )
        _trace(delegation, actor=_as(actor, ActorKind.LEGAL_REPRESENTATIVE), action="DELEGATION_INVITED")
        _notify_invitation(delegation)
    return delegation


def caregiver_invite(
    *,
    helped: Person,
    actor: Actor,
    nir: str,
    family_name: str,
    first_name: str,
    birth_date: date,
) -> Delegation:
    """R-DEL-2: the helped person (adult, ACTIVATED space) invites a caregiver.

    Matched on INS + first given name + family name + birth date; the caregiver must have an active account.
    Errors: the generic identity error, ``OUTGOING_CAREGIVING_DELEGATIONS_LIMIT_REACHED`` (3),
    ``INCOMING_CAREGIVING_DELEGATIONS_LIMIT_REACHED`` (5), ``SAME_INVITATION_ALREADY_EXISTS``,
    ``ANOTHER_DELEGATION_ALREADY_EXISTS``. The invitation expires after ``CARNET_CAREGIVER_INVITATION_DAYS``.
    """
    if (
        is_minor(helped)
        or not HealthSpace.objects.filter(person=helped, status=SpaceStatus.ACTIVATED).exists()
    ):
        raise DomainError(
            _("Seule une personne majeure dont le profil est activé peut inviter un proche aidant."),
            code="not_allowed",
        )
    validate_nir_or_error(nir)
    _check_identity_attempts(helped)
    with transaction.atomic():
        _lock(helped)
        _check_outgoing_limit(subject=helped)  # before matching: it reveals nothing about the invitee
        caregiver = _person_match(
            nir=nir, family_name=family_name, first_name=first_name, birth_date=birth_date
        )
        if caregiver is None or caregiver.pk == helped.pk or not _has_activated_space_and_account(caregiver):
            raise _identity_error(attempted_by=helped)
        _lock(caregiver)
        _check_no_existing(subject=helped, delegate=caregiver)
        _check_caregiving_limits(subject=helped, delegate=caregiver)
        delegation = _invitation_create(
            kind=DelegationKind.CAREGIVING, subject=helped, delegate=caregiver, inviter=helped
        )
        _trace(delegation, actor=_as(actor, ActorKind.PATIENT), action="DELEGATION_INVITED")
        _notify_invitation(delegation)
    return delegation


def validate_nir_or_error(nir: str) -> None:
    """Format of the NIR (15 characters, key): a field error that reveals nothing about existence."""
    from django.core.exceptions import ValidationError

    try:
        validate_nir(nir)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="nir_invalid", field="nir") from exc


def _invitation_create(*, kind: str, subject: Person, delegate: Person, inviter: Person) -> Delegation:
    now = clock.now()
    return Delegation.objects.create(
        kind=kind,
        subject=subject,
        patient_id=subject.pk,
        delegate=delegate,
        status=DelegationStatus.PENDING,
        is_primary=False,
        invited_by=inviter,
        created_at=now,
        expires_at=now + timedelta(days=settings.CARNET_CAREGIVER_INVITATION_DAYS),
    )


def _notify_invitation(delegation: Delegation) -> None:
    expires = delegation.expires_at
    _notify(
        delegation.delegate,
        delegation=delegation,
        template="delegation_invitation",
        event="invited",
        expires=timezone.localtime(expires).date().isoformat() if expires else "",
    )


# --------------------------------------------------------------------------------------------------
# Services: answers, revocation, jobs
# --------------------------------------------------------------------------------------------------


def _expire_now(delegation: Delegation, actor: Actor) -> None:
    with transaction.atomic():
        delegation.status = DelegationStatus.EXPIRED
        delegation.save(update_fields=["status"])
        _trace(delegation, actor=actor, action="DELEGATION_EXPIRED")


def _pending_for_delegate(delegation: Delegation, person: Person) -> None:
    if delegation.delegate_id != person.pk or delegation.status != DelegationStatus.PENDING:
        raise NotFoundOrForbidden(_("Invitation introuvable."), code="not_found")
    if delegation.expires_at is not None and delegation.expires_at <= clock.now():
        _expire_now(delegation, Actor.system("delegations_expire"))
        raise DomainError(_("Cette invitation a expiré."), code="invitation_expired")


def delegation_accept(*, delegation: Delegation, person: Person, actor: Actor) -> Delegation:
    """R-DEL-2, R-MIN-1: the invited person accepts; limits are checked again; the inviter is notified.

    A caregiving acceptance issues the access attestation for both persons.
    """
    _pending_for_delegate(delegation, person)
    with transaction.atomic():
        _lock(delegation.subject, delegation.delegate)
        if delegation.kind == DelegationKind.CAREGIVING:
            _check_caregiving_limits(
                subject=delegation.subject, delegate=delegation.delegate, excluding=delegation
            )
        else:
            if not is_minor(delegation.subject):
                raise DomainError(_("Cette invitation n'est plus valable."), code="not_a_minor")
            _check_representatives_limit(child=delegation.subject, excluding=delegation)
        delegation.status = DelegationStatus.ACCEPTED
        delegation.start_date = clock.now()
        if delegation.kind == DelegationKind.CAREGIVING:
            _attestation_issue(delegation)
        delegation.save()
        _trace(delegation, actor=_as(actor, _delegate_kind(delegation)), action="DELEGATION_ACCEPTED")
        _notify(
            delegation.invited_by, delegation=delegation, template="delegation_answered", event="answered"
        )
    return delegation


def delegation_refuse(*, delegation: Delegation, person: Person, actor: Actor) -> Delegation:
    """R-DEL-2, R-MIN-1: the invited person refuses; the inviter is notified."""
    _pending_for_delegate(delegation, person)
    with transaction.atomic():
        delegation.status = DelegationStatus.REFUSED
        delegation.end_date = clock.now()
        delegation.save(update_fields=["status", "end_date"])
        _trace(delegation, actor=_as(actor, _delegate_kind(delegation)), action="DELEGATION_REFUSED")
        _notify(
            delegation.invited_by, delegation=delegation, template="delegation_answered", event="answered"
        )
    return delegation


def _revoker_kind(delegation: Delegation, person: Person) -> ActorKind | None:
    """Who may revoke: the subject, the delegate, or (for a non-primary representative) the primary one."""
    if person.pk == delegation.subject_id:
        if delegation.kind == DelegationKind.LEGAL_REPRESENTATION and is_minor(delegation.subject):
            return None  # R-MIN-1: a minor does not dismiss his legal representative
        return ActorKind.PATIENT
    if person.pk == delegation.delegate_id:
        return _delegate_kind(delegation)
    if delegation.kind == DelegationKind.LEGAL_REPRESENTATION and not delegation.is_primary:
        primary = _primary_of(delegation.subject)
        if primary is not None and primary.delegate_id == person.pk:
            return ActorKind.LEGAL_REPRESENTATIVE
    return None


def delegation_revoke(*, delegation: Delegation, person: Person, actor: Actor) -> Delegation:
    """R-DEL-2 ``delegationRevoke``: either side ends an active delegation (or withdraws an invitation).

    Access ends at once (``acting_context`` re-checks on every request); the other side is notified; for a
    caregiver the attestation is re-issued showing the end date.
    """
    kind = _revoker_kind(delegation, person)
    if kind is None:
        raise NotFoundOrForbidden(_("Autorisation introuvable."), code="not_found")
    if delegation.status not in {DelegationStatus.PENDING, DelegationStatus.ACCEPTED}:
        raise DomainError(_("Cette autorisation a déjà pris fin."), code="already_ended")
    with transaction.atomic():
        was_active = delegation.status == DelegationStatus.ACCEPTED
        delegation.status = DelegationStatus.REVOKED
        delegation.end_date = clock.now()
        if was_active and delegation.kind == DelegationKind.CAREGIVING:
            _attestation_issue(delegation)
        delegation.save()
        _trace(delegation, actor=_as(actor, kind), action="DELEGATION_REVOKED", was_active=was_active)
        others = {delegation.subject, delegation.delegate, delegation.invited_by} - {person, None}
        for other in others:
            if other is None or is_minor(other):
                continue  # a minor's messages go through his representatives
            _notify(other, delegation=delegation, template="delegation_ended", event="revoked")
    return delegation


def delegations_expire() -> int:
    """Job: PENDING invitations past ``expires_at`` become EXPIRED (R-DEL-2). Returns how many."""
    actor = Actor.system("delegations_expire")
    done = 0
    for delegation in Delegation.objects.filter(status=DelegationStatus.PENDING, expires_at__lte=clock.now()):
        _expire_now(delegation, actor)
        done += 1
    return done


# --------------------------------------------------------------------------------------------------
# Selectors
# --------------------------------------------------------------------------------------------------


def delegation_get_for_person(*, public_id: uuid.UUID | str, person: Person) -> Delegation:
    """A delegation ``person`` is part of (subject, delegate or primary representative of the subject).

    Raises ``NotFoundOrForbidden`` otherwise: "not found" and "not yours" answer the same.
    """
    delegation = (
        Delegation.objects.select_related("subject", "delegate", "invited_by", "attestation_blob")
        .filter(public_id=public_id)
        .first()
    )
    if delegation is None or _revoker_kind(delegation, person) is None:
        raise NotFoundOrForbidden(_("Autorisation introuvable."), code="not_found")
    return delegation


def delegation_can_invite_representative(*, inviter: Person, child: Person) -> bool:
    """R-MIN-1: only the primary representative of a minor invites the second one."""
    primary = _primary_of(child)
    return primary is not None and primary.delegate_id == inviter.pk and is_minor(child)


def delegation_attestation_get(*, delegation: Delegation, person: Person, actor: Actor) -> bytes:
    """The decrypted attestation copy of ``person`` (subject or delegate); the download is traced."""
    blob = _attestation_blob_for(delegation, person)
    if blob is None:
        raise NotFoundOrForbidden(_("Attestation introuvable."), code="not_found")
    content = blob_get(blob)
    kind = ActorKind.PATIENT if person.pk == delegation.subject_id else _delegate_kind(delegation)
    with transaction.atomic():
        _trace(delegation, actor=_as(actor, kind), action="DELEGATION_ATTESTATION_DOWNLOADED")
    return content


def _mine(qs: QuerySet[Delegation]) -> list[Delegation]:
    return list(qs.select_related("subject", "delegate", "invited_by").order_by("-created_at"))


def delegation_context(acting: ActingContext) -> dict[str, Any]:
    """What the settings page shows in ``spaces/_delegations.html`` (always about the logged-in person)."""
    me = acting.me
    now = clock.now()
    pending_live = Q(status=DelegationStatus.PENDING, expires_at__gt=now)
    active_or_pending = Q(status=DelegationStatus.ACCEPTED) | pending_live
    lr = DelegationKind.LEGAL_REPRESENTATION
    cg = DelegationKind.CAREGIVING
    my_children = [
        d
        for d in _mine(Delegation.objects.filter(delegate=me, kind=lr, status=DelegationStatus.ACCEPTED))
        if is_minor(d.subject)
    ]
    primary_children = [d for d in my_children if d.is_primary]
    child_invitations = _mine(
        Delegation.objects.filter(
            pending_live | Q(status=DelegationStatus.ACCEPTED, is_primary=False),
            kind=lr,
            subject__in=[d.subject for d in primary_children],
        )
    )
    switch_targets = [
        d
        for d in _mine(Delegation.objects.filter(delegate=me, status=DelegationStatus.ACCEPTED))
        if d.kind == cg or is_minor(d.subject)
    ]
    can_manage = acting.is_self and delegation_allows(acting, "manage_delegations")
    return {
        "acting": acting,
        "me": me,
        "can_manage_delegations": can_manage,
        "my_representatives": _mine(
            Delegation.objects.filter(subject=me, kind=lr, status=DelegationStatus.ACCEPTED)
        ),
        "my_children": my_children,
        "child_invitations": child_invitations,
        "my_caregivers": _mine(Delegation.objects.filter(active_or_pending, subject=me, kind=cg)),
        "people_i_help": _mine(
            Delegation.objects.filter(delegate=me, kind=cg, status=DelegationStatus.ACCEPTED)
        ),
        "invitations_to_answer": _mine(Delegation.objects.filter(pending_live, delegate=me)),
        "switch_targets": switch_targets,
        "caregiver_form": CaregiverInviteForm() if can_manage and not is_minor(me) else None,
        "max_caregivers": settings.CARNET_MAX_CAREGIVERS_PER_PERSON,
    }


# --------------------------------------------------------------------------------------------------
# Forms (input shape only; the rules live in the services above)
# --------------------------------------------------------------------------------------------------


class _DsfrForm(forms.Form):
    """Widgets carry the DSFR classes and point to their hint and error texts (delegation_field.html)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            attrs = field.widget.attrs
            if not isinstance(field.widget, forms.CheckboxInput):
                attrs["class"] = "fr-input"
            attrs["aria-describedby"] = f"id_{name}-hint id_{name}-error"


class _IdentityForm(_DsfrForm):
    nir = forms.CharField(
        label=_("Numéro de sécurité sociale (INS)"),
        max_length=21,
        help_text=_("15 caractères, clé comprise."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_nir(self) -> str:
        from django.core.exceptions import ValidationError

        value = self.cleaned_data["nir"]
        try:
            validate_nir(value)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from exc
        return normalise_nir(value)


class CaregiverInviteForm(_IdentityForm):
    """R-DEL-2: INS + first given name + family name + birth date."""

    family_name = forms.CharField(label=_("Nom de famille"), max_length=100)
    first_name = forms.CharField(label=_("Premier prénom"), max_length=100)
    field_order = ["nir", "family_name", "first_name", "birth_date"]


class SecondRepresentativeInviteForm(_IdentityForm):
    """R-MIN-1: INS + birth name + first name + birth date."""

    birth_name = forms.CharField(label=_("Nom de naissance"), max_length=100)
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    field_order = ["nir", "birth_name", "first_name", "birth_date"]


class ChildProfileAddForm(_DsfrForm):
    """R-LC-10 (minors): the child's code, the parent's own NIR, the child's birth date, a certification."""

    code = forms.CharField(
        label=_("Code provisoire de l'enfant"),
        max_length=20,
        help_text=_("12 caractères, reçus par courrier ou par e-mail."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    parent_nir = forms.CharField(
        label=_("Votre numéro de sécurité sociale"),
        max_length=21,
        help_text=_("Celui du destinataire du courrier ou de l'e-mail, 15 caractères."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    child_birth_date = forms.DateField(
        label=_("Date de naissance de l'enfant"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    certified = forms.BooleanField(
        label=_("Je certifie être le représentant légal de cet enfant."),
        required=True,
        error_messages={"required": _("Vous devez certifier être le représentant légal de l'enfant.")},
    )
