"""Every page of the site, for every role, with realistic data: shared by ``test_every_page.py`` (layout,
names of buttons, axe-core) and ``tests/screenshots.py``.

The list of pages is checked against the URLconf: every named route is either visited here, by at least
one role, or listed in ``EXCLUDED`` with the reason it is not a page (an action answering POST only, a
download, the machine APIs). A new route that is neither makes ``test_every_page`` fail, so a new page
cannot ship without being looked at.

The world is the demo population (``carnet.demo.population``) plus what a year of use leaves behind: profile
entries in every section, vaccinations, measures and growth points for the child, appointments and a
reminder, a conversation with replies, attachments and drafts, a support request, a closed and a
suspended profile, all written through the real services.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from carnet.access import services as access_services
from carnet.accounts.models import Role, User
from carnet.accounts.services import actor_for_user, staff_create, totp_enrolment_secret
from carnet.agenda import services as agenda_services
from carnet.agenda.prevention import services as prevention_services
from carnet.audit.models import Trace
from carnet.backoffice import services as backoffice_services
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.demo import population as demo
from carnet.identity.models import Person
from carnet.messaging import services as messaging_services
from carnet.messaging.services import IncomingFile
from carnet.profile import services as profile_services
from carnet.profile.vitals import services as vitals_services
from carnet.records import services as record_services
from carnet.records.models import AuthorKind, Document
from carnet.spaces import services as space_services
from carnet.spaces.acting import SESSION_KEY as ACTING_FOR
from carnet.spaces.models import Delegation, DelegationKind, HealthSpace
from tests.factories import PersonFactory, ProfessionalFactory, make_nir

PASSWORD = demo.DEMO_PASSWORD

# Routes that are not pages a person looks at, by name (``namespace:name``) or namespace (``namespace:*``).
POST_ONLY = "an action: answers POST only (GET is refused with 405)"
DOWNLOAD = "a download (PDF, ZIP, JSON or calendar file), not a page"
PREVIEW = "the raw content framed by the document's page (PDF, image or text), not a page"
EXCLUDED: dict[str, str] = {
    "api:*": "the machine API (JSON, OAuth2): no page",
    "fhir:*": "the FHIR API: no page",
    "set_language": "Django's language switch: answers POST (the header's form) with a redirect",
    "pwa:service_worker": "the service worker's JavaScript: no page",
    "pwa:manifest": "the web app manifest (JSON): no page",
    "pwa:offline_summary": POST_ONLY,
    "pwa:push_subscribe": POST_ONLY,
    "pwa:push_unsubscribe": POST_ONLY,
    "spaces:opposition_proof": DOWNLOAD,
    "spaces:close": POST_ONLY,
    "spaces:oppose_for_child": POST_ONLY,
    "spaces:deletion_cancel": POST_ONLY,
    "spaces:export_request": POST_ONLY,
    "spaces:export_download": DOWNLOAD,
    "accounts:login_code_resend": POST_ONLY,
    "accounts:logout": POST_ONLY,
    "accounts:devices_revoke_all": POST_ONLY,
    "accounts:device_revoke": POST_ONLY,
    "delegation:acting_for": POST_ONLY,
    "delegation:accept": POST_ONLY,
    "delegation:refuse": POST_ONLY,
    "delegation:attestation": DOWNLOAD,
    "audit:history_download": POST_ONLY,
    "audit:history_digest": POST_ONLY,
    "records:delete": POST_ONLY,
    "records:mask_all": POST_ONLY,
    "records:mask": POST_ONLY,
    "records:unmask": POST_ONLY,
    "records:content": PREVIEW,
    "records:download": DOWNLOAD,
    "records:pro_content": PREVIEW,
    "records:pro_download": DOWNLOAD,
    "records:pro_update": POST_ONLY,
    "records:pro_delete": POST_ONLY,
    "messaging:search": POST_ONLY,
    "messaging:mark_unread": POST_ONLY,
    "messaging:confidential": POST_ONLY,
    "messaging:attachment": DOWNLOAD,
    "messaging:attachment_save": POST_ONLY,
    "messaging:pro_end": POST_ONLY,
    "messaging:pro_confidential": POST_ONLY,
    "messaging:pro_attachment": DOWNLOAD,
    "access:declare": POST_ONLY,
    "access:emergency_settings": POST_ONLY,
    "access:temporary_code": POST_ONLY,
    "access:block": POST_ONLY,
    "access:unblock": POST_ONLY,
    "access:role": POST_ONLY,
    "access:consent_end": POST_ONLY,
    "access:pro_break_the_glass_end": POST_ONLY,
    "vitals:vaccination_delete": POST_ONLY,
    "vitals:measure_add": POST_ONLY,
    "vitals:measure_delete": POST_ONLY,
    "profile:not_concerned": POST_ONLY,
    "profile:item_delete": POST_ONLY,
    "profile_summary:ips": DOWNLOAD,
    "prevention:status_set": POST_ONLY,
    "prevention:opt_out": POST_ONLY,
    "prevention:opt_in": POST_ONLY,
    "agenda:appointment_cancel": POST_ONLY,
    "agenda:reminder_delete": POST_ONLY,
    "agenda:feed": DOWNLOAD,
    "backoffice:support_status": POST_ONLY,
    "notification_centre:mark_all_read": POST_ONLY,
    "notification_centre:mark_read": POST_ONLY,
}

# Who looks: each role is one logged-in (or anonymous) browser session.
ANONYMOUS = "anonymous"
PATIENT = "patient"  # Claire, in her own space
PARENT = "parent"  # Claire acting for her son Lucas (12)
CAREGIVER = "caregiver"  # Léa acting for Jean (79), whom she helps
PROFESSIONAL = "professional"  # Dr Durand, Claire's GP
OPERATOR = "operator"
CLOSED = "closed"  # a patient whose profile is closed
SUSPENDED = "suspended"  # a patient whose profile an operator suspended
# Anonymous visitors in the middle of a journey (the step's state lives in their session).
LOGIN_STEP = "login-code"  # password given, one-time code asked
ENROLMENT = "staff-enrolment"  # a professional's first login: TOTP enrolment
ACTIVATION_STEP = "activation-credentials"  # identified with the provisional code
OPPOSITION_STEP = "opposition-confirm"  # identified, asked to confirm the objection
OPPOSED = "opposition-done"  # objection recorded
ROLES = (
    ANONYMOUS,
    PATIENT,
    PARENT,
    CAREGIVER,
    PROFESSIONAL,
    OPERATOR,
    CLOSED,
    SUSPENDED,
    LOGIN_STEP,
    ENROLMENT,
    ACTIVATION_STEP,
    OPPOSITION_STEP,
    OPPOSED,
)


@dataclass(frozen=True)
class Visit:
    role: str
    name: str  # the route's name, "namespace:name"
    path: str


@dataclass
class World:
    claire: Person
    lucas: Person
    jean: Person
    ids: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # role -> session cookie value


# --- the URLconf --------------------------------------------------------------------------------------


def routes() -> dict[str, list[str]]:
    """Every named route of the URLconf (``namespace:name``) with the names of its arguments."""

    def walk(patterns: list[Any], namespace: str) -> Iterator[tuple[str, list[str]]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                yield from walk(
                    pattern.url_patterns,
                    f"{namespace}:{inner}" if namespace and inner else inner or namespace,
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, list(pattern.pattern.regex.groupindex)

    return dict(walk(get_resolver().url_patterns, ""))


def excluded(name: str) -> str | None:
    """The reason a route is not visited, or None."""
    namespace = name.split(":", 1)[0] + ":*" if ":" in name else ""
    return EXCLUDED.get(name) or EXCLUDED.get(namespace)


# --- the world ----------------------------------------------------------------------------------------


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _patient_actor(user: User, kind: ActorKind = ActorKind.PATIENT) -> Actor:
    person = user.person
    assert person is not None
    return Actor(kind, str(user.public_id), label=person.display_name, user_id=user.pk, person_id=person.pk)


def _pdf(title: str) -> bytes:
    return demo._demo_pdf(title, ["Document de demonstration."])


def _patient(first: str, last: str, serial: int, username: str) -> tuple[Person, HealthSpace, User]:
    born = date(1975, 3, 14)
    person = PersonFactory(
        birth_date=born,
        sex="M",
        ins_matricule=make_nir("M", born, serial),
        first_names=first,
        birth_name=last,
    )
    space, _code = space_services.space_inform(person=person, actor=Actor.insurance())
    user = User.objects.create_user(username=username, password=PASSWORD, role=Role.PATIENT, person=person)
    space_services.space_activate(space=space, actor=_patient_actor(user))
    return person, HealthSpace.objects.get(pk=space.pk), user


def build() -> World:
    """The demo population and a year of its use (see the module docstring)."""
    demo.load()
    claire_user, lea_user = _user("claire.martin"), _user("lea.petit")
    claire, lea = claire_user.person, lea_user.person
    assert claire is not None and lea is not None
    lucas = Delegation.objects.get(delegate=claire, kind=DelegationKind.LEGAL_REPRESENTATION).subject
    jean = Delegation.objects.get(delegate=lea, kind=DelegationKind.CAREGIVING).subject
    w = World(claire=claire, lucas=lucas, jean=jean)
    me, pid = _patient_actor(claire_user), claire.pk
    gp_user = _user("dr.durand")
    gp = actor_for_user(gp_user)
    now = clock.now()

    # The record: more reports, one by the GP that he may replace.
    report = record_services.document_deposit(
        actor=gp,
        patient_id=pid,
        content=_pdf("Compte rendu de consultation de suivi"),
        filename="suivi.pdf",
        type_code="11488-4",
        title="Compte rendu de consultation de suivi — hypertension artérielle",
    )
    record_services.document_deposit(
        actor=me,
        patient_id=pid,
        content=_pdf("Ordonnance"),
        filename="ordonnance.pdf",
        title="Ordonnance de kinésithérapie (scan)",
        category="ORD_SOIN",
    )
    own = Document.objects.filter(patient_id=pid, author_kind=AuthorKind.PATIENT).first()
    assert own is not None
    w.ids.update(gp_document=str(report.public_id), document=str(own.public_id))

    # The medical profile: an entry in every list section, the entourage, lifestyle, directives.
    def item(section: str, data: dict[str, Any]) -> str:
        row = profile_services.profile_item_create(actor=me, patient_id=pid, section=section, data=data)
        return str(row.public_id)

    w.ids["treatment"] = item(
        "TREATMENTS",
        {"name": "Amlodipine 5 mg", "posology": "1 comprimé le matin", "start_year": 2024, "start_month": 3},
    )
    item("ALLERGIES", {"name": "Pénicilline", "comment": "Urticaire géante en 2015"})
    item("DISEASES", {"name": "Hypertension artérielle", "start_year": 2024})
    item(
        "HOSPITALIZATIONS",
        {"name": "Appendicectomie", "start_year": 2001, "duration": 3, "duration_unit": "DAY"},
    )
    item("FAMILY_HISTORIES", {"name": "Diabète de type 2", "relationship": "MOTHER"})
    item("DISABILITIES", {"kind": "SENSORY", "technical_help": "Lunettes", "comment": "Myopie forte"})
    item(
        "ENTOURAGE",
        {"name": "Hugo MARTIN", "relationship": "SPOUSE", "phone": "0612345678", "email": "hugo@example.org"},
    )
    profile_services.trusted_person_set(
        actor=me,
        patient_id=pid,
        data={"name": "Sophie BERNARD", "relationship": "OTHER", "phone": "0623456789"},
    )
    profile_services.lifestyle_set(
        actor=me, patient_id=pid, section="FOOD", choice="SPECIFIC_DIET", comment="Régime pauvre en sel"
    )
    profile_services.blood_group_set(actor=me, patient_id=pid, group="A+")
    profile_services.organ_donation_acknowledge(actor=me, patient_id=pid)
    profile_services.advance_directives_write(
        actor=me,
        patient_id=pid,
        form_kind="FORM_HEALTHY",
        answers={"life_support": "REFUSE", "resuscitation": "ACCEPT", "sedation": "WISH", "confirm": True},
    )

    # Vaccinations (hers, and one by the GP) and measures; growth points for Lucas.
    own_vaccination = vitals_services.vaccination_create(
        actor=me,
        patient_id=pid,
        effective_date=date(2023, 4, 12),
        vaccine_code="DTP_ADULT",
        lot_number="X1234",
        performer_label="Cabinet du Dr Durand",
    )
    gp_vaccination = vitals_services.vaccination_create(
        actor=gp, patient_id=pid, effective_date=clock.today() - timedelta(days=60), vaccine_code="COVID19"
    )
    w.ids.update(vaccination=str(own_vaccination.public_id), gp_vaccination=str(gp_vaccination.public_id))
    for days, systolic, diastolic in ((90, 142, 91), (60, 135, 86), (30, 128, 82)):
        vitals_services.measurement_create(
            actor=me,
            patient_id=pid,
            code="BLOOD_PRESSURE",
            value=systolic,
            second_value=diastolic,
            measured_at=now - timedelta(days=days),
        )
    parent = _patient_actor(claire_user, ActorKind.LEGAL_REPRESENTATIVE)
    for years, height, weight in ((2, "139.5", "32.4"), (1, "146.0", "36.9"), (0, "152.5", "41.2")):
        at = now - timedelta(days=365 * years + 10)
        vitals_services.measurement_create(
            actor=parent, patient_id=lucas.pk, code="HEIGHT", value=Decimal(height), measured_at=at
        )
        vitals_services.measurement_create(
            actor=parent, patient_id=lucas.pk, code="WEIGHT", value=Decimal(weight), measured_at=at
        )
    vitals_services.vaccination_create(
        actor=parent, patient_id=lucas.pk, effective_date=date(2025, 9, 15), vaccine_code="HPV"
    )

    # Agenda, its calendar feed, a reminder, a prevention status; Léa keeps Jean's appointments.
    appointment = agenda_services.appointment_create(
        actor=me,
        patient_id=pid,
        data=agenda_services.AppointmentData(
            name="Dr Anne DURAND",
            starts_at=now + timedelta(days=9, hours=2),
            speciality="Médecine générale",
            address="1 rue de la Santé, 75014 Paris",
            comment="Apporter les résultats de biologie",
        ),
    )
    agenda_services.appointment_create(
        actor=me,
        patient_id=pid,
        data=agenda_services.AppointmentData(
            name="Cabinet de kinésithérapie du Parc",
            starts_at=now + timedelta(days=16),
            speciality="Kinésithérapie",
        ),
    )
    w.ids["appointment"] = str(appointment.public_id)
    agenda_services.reminder_create(
        actor=me, patient_id=pid, title="Renouveler l'ordonnance", remind_at=now + timedelta(days=20)
    )
    agenda_services.feed_regenerate(actor=me, patient_id=pid)
    prevention_services.prevention_opt_out(actor=me, person=claire, kind="VACCINATION")
    agenda_services.appointment_create(
        actor=_patient_actor(lea_user, ActorKind.CAREGIVER),
        patient_id=jean.pk,
        data=agenda_services.AppointmentData(
            name="Centre d'ophtalmologie", starts_at=now + timedelta(days=4)
        ),
    )

    # Messaging: Claire answers the GP with a file, he answers; a draft on each side.
    first = messaging_services.conversation_start(
        actor=gp,
        patient_id=pid,
        subject="Résultats de votre bilan sanguin",
        body="Bonjour Madame Martin, vos résultats sont normaux. Nous en reparlerons lors du prochain rendez-vous.",
    )
    conversation = first.conversation.public_id
    messaging_services.message_reply(
        actor=me,
        patient_id=pid,
        conversation_public_id=conversation,
        body="Merci docteur. Je vous joins ma dernière mesure de tension.",
        files=[IncomingFile("tension.pdf", _pdf("Releve de tension"), "application/pdf")],
    )
    messaging_services.message_reply(
        actor=gp, patient_id=pid, conversation_public_id=conversation, body="Bien reçu, c'est très bien."
    )
    draft = messaging_services.message_reply(
        actor=me,
        patient_id=pid,
        conversation_public_id=conversation,
        body="Une dernière question :",
        draft=True,
    )
    pro_draft = messaging_services.conversation_start(
        actor=gp, patient_id=pid, subject="Vaccination", body="Pensez au rappel", draft=True
    )
    w.ids.update(
        conversation=str(conversation), draft=str(draft.public_id), pro_draft=str(pro_draft.public_id)
    )

    # Access: a temporary code, emergency settings; her history names the GP.
    access_services.temporary_access_code_create(actor=me, patient_id=pid)
    access_services.emergency_settings_update(actor=me, patient_id=pid, btg="permit", masked="deny")
    trace = Trace.objects.filter(
        patient_id=pid, actor_kind="PROFESSIONAL", object_id=w.ids["gp_document"]
    ).first()
    assert trace is not None
    w.ids["history_actor"] = trace.actor_id

    # The back-office: a support request; a closed and a suspended profile.
    backoffice_services.support_request_create(
        category="OTHER", contact_email="claire.martin@example.org", user=claire_user
    )
    w.ids["space"] = str(HealthSpace.objects.get(person=claire).public_id)
    _closed, closed_space, closed_user = _patient("Bernard", "FONTAINE", 901, "bernard.fontaine")
    space_services.space_close(
        space=closed_space,
        actor=_patient_actor(closed_user),
        password=PASSWORD,
        user=closed_user,
        request_deletion=False,
    )
    _suspended, suspended_space, suspended_user = _patient("Yves", "LAMBERT", 902, "yves.lambert")
    backoffice_services.operator_space_suspend(
        space=suspended_space, operator=_user("operateur.demo"), motif="Usurpation d'identité signalée"
    )
    hugo = Delegation.objects.get(subject=lucas, delegate__account__username="hugo.martin")
    w.ids.update(
        lucas=str(lucas.public_id), claire=str(claire.public_id), hugo_delegation=str(hugo.public_id)
    )
    _sessions(w, closed_user, suspended_user)
    return w


def _cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _logged_in(user: User, **session: str) -> str:
    client = Client()
    client.force_login(user)
    if session:
        store = client.session
        store.update(session)
        store.save()
    return _cookie(client)


def _sessions(w: World, closed: User, suspended: User) -> None:
    """One browser session per role; the anonymous journeys are walked through their real steps."""
    claire = _user("claire.martin")
    w.sessions[PATIENT] = _logged_in(claire)
    w.sessions[PARENT] = _logged_in(claire, **{ACTING_FOR: w.ids["lucas"]})
    w.sessions[CAREGIVER] = _logged_in(_user("lea.petit"), **{ACTING_FOR: str(w.jean.public_id)})
    w.sessions[PROFESSIONAL] = _logged_in(_user("dr.durand"))
    w.sessions[OPERATOR] = _logged_in(_user("operateur.demo"))
    w.sessions[CLOSED] = _logged_in(closed)
    w.sessions[SUSPENDED] = _logged_in(suspended)

    def walk(*steps: tuple[str, dict[str, str]]) -> str:
        client = Client()
        for name, data in steps:
            response = client.post(reverse(name), data)
            assert response.status_code == 302, (name, response.status_code)
        return _cookie(client)

    w.sessions[LOGIN_STEP] = walk(("accounts:login", {"username": "claire.martin", "password": PASSWORD}))
    newcomer = staff_create(
        role="PROFESSIONAL", username="dr.nouveau", password=PASSWORD, rpps=ProfessionalFactory().rpps
    )
    totp_enrolment_secret(user=newcomer)
    w.sessions[ENROLMENT] = walk(("accounts:login", {"username": "dr.nouveau", "password": PASSWORD}))
    codes = {row["purpose"]: row for row in demo.fresh_codes()}
    thomas, emma = codes["activation"], codes["opposition"]
    identity = ("nir", "vitale", "birth_date")
    w.sessions[ACTIVATION_STEP] = walk(
        (
            "accounts:activate",
            dict(
                zip(
                    ("code", "nir", "vitale_serial", "birth_date"),
                    (thomas["code"], *(thomas[k] for k in identity)),
                    strict=True,
                )
            ),
        )
    )
    emma_form = dict(
        zip(
            ("code", "nir", "vitale_serial", "birth_date"),
            (emma["code"], *(emma[k] for k in identity)),
            strict=True,
        )
    )
    w.sessions[OPPOSITION_STEP] = walk(("spaces:opposition", emma_form))
    w.sessions[OPPOSED] = walk(("spaces:opposition", emma_form), ("spaces:opposition_confirm", {}))


# --- the pages ----------------------------------------------------------------------------------------

# The pages of a patient's space, whoever's space it is (his own, his child's, the person he helps).
SPACE_PAGES = (
    "spaces:home",
    "spaces:settings",
    "delegation:home",
    "records:documents",
    "records:upload",
    "messaging:inbox",
    "messaging:compose",
    "messaging:drafts",
    "access:sharing",
    "profile:overview",
    "profile:blood_group",
    "profile:lifestyle",
    "profile:entourage",
    "profile:directives",
    "vitals:vaccinations",
    "vitals:vaccination_add",
    "vitals:measures",
    "vitals:growth",
    "profile_summary:page",
    "prevention:page",
    "prevention:family",
    "agenda:list",
    "agenda:month",
    "agenda:appointment_new",
    "agenda:reminder_new",
    "agenda:subscription",
    "agenda:import",
    "audit:history",
)
# A caregiver neither manages who may read the record nor reads its history (SPEC R-DEL-2): 404.
NOT_FOR_CAREGIVERS = ("access:sharing", "audit:history")
SECTION_SLUGS = (
    "traitements",
    "allergies",
    "maladies",
    "hospitalisations",
    "antecedents-familiaux",
    "handicaps",
    "contacts-urgence",
)


def visits(w: World) -> list[Visit]:
    ids = w.ids

    def at(role: str, name: str, **kwargs: str) -> Visit:
        return Visit(role, name, reverse(name, kwargs=kwargs or None))

    pages = [
        at(ANONYMOUS, name)
        for name in (
            "spaces:public_home",
            "spaces:opposition",
            "spaces:code_renew",
            "accounts:activate",
            "accounts:cgu",
            "accounts:login",
            "support:create",
            "audit:verifier",
            "audit:verifier_page",
            "notifications:outbox",
            "demo:clock",
            "legal:notice",
            "legal:personal_data",
            "legal:accessibility",
            "legal:sitemap",
            "pwa:offline",
        )
    ]
    pages += [
        at(LOGIN_STEP, "accounts:login_code"),
        at(ENROLMENT, "accounts:totp_enrol"),
        at(ACTIVATION_STEP, "accounts:activate_credentials"),
        at(OPPOSITION_STEP, "spaces:opposition_confirm"),
        at(OPPOSED, "spaces:opposition_done"),
        at(CLOSED, "spaces:reopen"),
        at(SUSPENDED, "spaces:suspension"),
    ]
    for role in (PATIENT, PARENT, CAREGIVER):
        pages += [
            at(role, name) for name in SPACE_PAGES if role != CAREGIVER or name not in NOT_FOR_CAREGIVERS
        ]
        pages += [at(role, "profile:section", slug=slug) for slug in SECTION_SLUGS]
    pages += [
        at(PATIENT, "delegation:caregiver_invite"),
        at(PATIENT, "delegation:child_add"),
        at(PATIENT, "delegation:representative_invite", child=ids["lucas"]),
        at(PATIENT, "delegation:revoke", delegation=ids["hugo_delegation"]),
        at(PATIENT, "records:document", document_id=ids["document"]),
        at(PATIENT, "messaging:conversation", conversation_id=ids["conversation"]),
        at(PATIENT, "messaging:draft", message_id=ids["draft"]),
        at(PATIENT, "messaging:delete", conversation_id=ids["conversation"]),
        at(PATIENT, "profile:item_edit", slug="traitements", item_id=ids["treatment"]),
        at(PATIENT, "vitals:vaccination_edit", vaccination_id=ids["vaccination"]),
        at(PATIENT, "agenda:appointment_edit", public_id=ids["appointment"]),
        at(PATIENT, "audit:history_document", object_id=ids["gp_document"]),
        at(PATIENT, "audit:history_professional", actor_id=ids["history_actor"]),
        at(PATIENT, "notification_centre:list"),
        at(PATIENT, "notification_centre:preferences"),
        at(PATIENT, "accounts:devices"),
        at(PATIENT, "accounts:password_change"),
        at(PATIENT, "profile_summary:emergency"),
    ]
    patient = {"patient_id": ids["claire"]}
    pages += [
        at(PROFESSIONAL, "spaces:pro_home"),
        at(PROFESSIONAL, "records:pro_find"),
        at(PROFESSIONAL, "records:pro_record", **patient),
        at(PROFESSIONAL, "records:pro_deposit", **patient),
        at(PROFESSIONAL, "records:pro_document", **patient, document_id=ids["gp_document"]),
        at(PROFESSIONAL, "records:pro_replace", **patient, document_id=ids["gp_document"]),
        at(PROFESSIONAL, "access:pro_consent", **patient),
        at(PROFESSIONAL, "access:pro_break_the_glass", **patient),
        at(PROFESSIONAL, "vitals:pro_vaccinations", **patient),
        at(PROFESSIONAL, "vitals:pro_vaccination_add", **patient),
        at(PROFESSIONAL, "vitals:pro_vaccination_edit", **patient, vaccination_id=ids["gp_vaccination"]),
        at(PROFESSIONAL, "profile:pro_entourage", **patient),
        at(PROFESSIONAL, "messaging:pro_inbox"),
        at(PROFESSIONAL, "messaging:pro_find"),
        at(PROFESSIONAL, "messaging:pro_compose", **patient),
        at(PROFESSIONAL, "messaging:pro_drafts"),
        at(PROFESSIONAL, "messaging:pro_draft", message_id=ids["pro_draft"]),
        at(PROFESSIONAL, "messaging:pro_conversation", conversation_id=ids["conversation"]),
        at(PROFESSIONAL, "accounts:devices"),
    ]
    space = {"space_id": ids["space"]}
    pages += [
        at(OPERATOR, "backoffice:home"),
        at(OPERATOR, "backoffice:space_list"),
        at(OPERATOR, "backoffice:space_detail", **space),
        at(OPERATOR, "backoffice:space_suspend", **space),
        at(OPERATOR, "backoffice:space_record_death", **space),
        at(OPERATOR, "backoffice:support_list"),
        at(OPERATOR, "backoffice:notifications"),
        at(OPERATOR, "accounts:devices"),
    ]
    return pages


def dummy_path(name: str) -> str:
    """The route ``name`` with made-up arguments: enough to reach a view that refuses GET before looking
    anything up."""
    samples = {
        "slug": "traitements",
        "role": "medecin_traitant",
        "token": "x",
        "object_id": "x",
        "actor_id": "x",
    }
    kwargs = {key: samples.get(key, str(uuid.uuid4())) for key in routes()[name]}
    return reverse(name, kwargs=kwargs or None)
