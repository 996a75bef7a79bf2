"""A person with something in every section of every app, each free-text field holding its own canary.

Built through the real services wherever one exists (the way the data really arrives), so that whatever
a service writes on the side (traces, notifications, in-app entries, delivered e-mail copies, blobs) is
there too. Used in-process (SQLite / PostgreSQL test databases) and by ``file_scenario`` in a subprocess
with a real SQLite file.

``CanaryWorld.canaries`` maps a label to its canary; ``sealed`` lists where sealed canaries live (read back
through the ORM before the erasure, to prove they were really planted); ``names`` are the holder's name
canaries, which the append-only history keeps as actor labels of his own acts (ADR 0008: the known
remainder, owned by the history's redesign).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import models

from carnet.access import services as access_services
from carnet.access.models import BreakGlassSession, RelationKind
from carnet.accounts.models import Role, User
from carnet.agenda import services as agenda_services
from carnet.agenda.prevention import services as prevention_services
from carnet.backoffice import services as backoffice_services
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person, Professional
from carnet.messaging import services as messaging_services
from carnet.messaging.services import IncomingFile
from carnet.notifications import services as notification_services
from carnet.notifications.models import NotificationKind
from carnet.notifications.services import outbox_deliver_pending
from carnet.profile import services as profile_services
from carnet.profile.vitals import services as vitals_services
from carnet.records import selectors as record_selectors
from carnet.records import services as record_services
from carnet.spaces import delegation as delegation_services
from carnet.spaces import services as space_services
from carnet.spaces.models import HealthSpace, SpaceStatus
from carnet.tasks import run as run_task
from tests.factories import (
    DelegationFactory,
    OrganisationFactory,
    PersonFactory,
    ProfessionalFactory,
    make_nir,
)

PASSWORD = "Canari-Motdepasse-2026!"
PDF_HEAD = b"%PDF-1.4\n1 0 obj<<>>endobj\n"
PDF_TAIL = b"\ntrailer<<>>\n%%EOF\n"


def _canary(label: str) -> str:
    return f"QZX{label.upper()}{secrets.token_hex(3).upper()}"


def _pdf(text: str) -> bytes:
    return PDF_HEAD + f"% {text}".encode() + PDF_TAIL


@dataclass
class CanaryWorld:
    holder: Person
    space: HealthSpace
    child: Person
    caregiver: Person
    other: Person
    gp: Professional
    nurse: Professional
    canaries: dict[str, str] = field(default_factory=dict)
    sealed: list[tuple[models.Model, str, str]] = field(default_factory=list)
    names: frozenset[str] = frozenset()
    survivors: dict[str, str] = field(default_factory=dict)  # the other patient's canaries

    def plant(self, label: str) -> str:
        self.canaries[label] = _canary(label)
        return self.canaries[label]

    def seal(self, instance: models.Model, name: str, label: str) -> None:
        self.sealed.append((instance, name, self.canaries[label]))

    @property
    def holder_actor(self) -> Actor:
        return actor_of(self.holder)


def _person(*, birth_date: date, sex: str, serial: int, **kwargs: Any) -> Person:
    return PersonFactory(
        birth_date=birth_date, sex=sex, ins_matricule=make_nir(sex, birth_date, serial), **kwargs
    )


def _space(person: Person) -> HealthSpace:
    now = clock.now()
    return HealthSpace.objects.create(
        person=person,
        status=SpaceStatus.ACTIVATED,
        status_changed_at=now,
        created_at=now,
        informed_at=now - timedelta(days=60),
        opened_at=now - timedelta(days=18),
        activated_at=now,
        cgu_accepted_at=now,
        majority_handled_at=now,
    )


def _account(person: Person, username: str) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=Role.PATIENT, person=person)


def actor_of(person: Person, kind: ActorKind = ActorKind.PATIENT) -> Actor:
    account = User.objects.get(person=person)
    return Actor(
        kind, str(account.public_id), label=person.display_name, user_id=account.pk, person_id=person.pk
    )


def pro_actor(professional: Professional) -> Actor:
    return Actor(ActorKind.PROFESSIONAL, professional.rpps, label=professional.display_name)


def _fill_survivor(w: CanaryWorld) -> None:
    """Another patient of the same professionals, with data of his own that must survive untouched."""
    other, gp = w.other, w.gp
    me = actor_of(other)
    w.survivors = {label: _canary("survivor" + label) for label in ("title", "allergy", "subject", "appt")}
    access_services.care_relation_record(actor=pro_actor(gp), patient_id=other.pk, kind=RelationKind.EXPLICIT)
    record_services.document_deposit(
        actor=pro_actor(gp),
        patient_id=other.pk,
        content=_pdf(w.survivors["title"]),
        filename="cr.pdf",
        declared_media_type="application/pdf",
        type_code="11488-4",
        title=w.survivors["title"],
    )
    profile_services.profile_item_create(
        actor=me, patient_id=other.pk, section="ALLERGIES", data={"name": w.survivors["allergy"]}
    )
    messaging_services.conversation_start(
        actor=pro_actor(gp), patient_id=other.pk, subject=w.survivors["subject"], body="Bonjour."
    )
    agenda_services.appointment_create(
        actor=me,
        patient_id=other.pk,
        data=agenda_services.AppointmentData(
            name=w.survivors["appt"], starts_at=clock.now() + timedelta(days=3)
        ),
    )


def build() -> CanaryWorld:
    """The holder (to be erased), his child and caregiver, another patient, two professionals."""
    tag = secrets.randbelow(400) + 1
    gp = ProfessionalFactory(profession_code="G15_10", specialty_code="G15_10/SM54")
    nurse = ProfessionalFactory(profession_code="G15_60", specialty_code="")
    OrganisationFactory()

    names = {
        "birth_name": _canary("birthname"),
        "first_names": _canary("firstname"),
        "used_name": _canary("usedname"),
    }
    holder = _person(
        birth_date=date(1936, 2, 17),
        sex="F",
        serial=tag,
        birth_name=names["birth_name"],
        first_names=names["first_names"],
        used_name=names["used_name"],
        email=f"{_canary('email').lower()}@example.org",
        phone="0698" + f"{secrets.randbelow(10**6):06d}",
        birth_place_cog="2A004",
    )
    space = _space(holder)
    child = _person(birth_date=date(2016, 4, 2), sex="M", serial=tag + 1, insured_under=holder)
    _space(child)
    caregiver = _person(birth_date=date(1970, 9, 9), sex="F", serial=tag + 2)
    _space(caregiver)
    other = _person(birth_date=date(1981, 1, 30), sex="M", serial=tag + 3)
    _space(other)

    w = CanaryWorld(
        holder=holder, space=space, child=child, caregiver=caregiver, other=other, gp=gp, nurse=nurse
    )
    w.canaries.update(names)
    w.canaries.update(
        nir=holder.ins_matricule, email=holder.email, phone=holder.phone, birth_date="1936-02-17", cog="2A004"
    )
    w.names = frozenset(names.values())
    _account(holder, w.plant("username").lower())
    for person in (child, caregiver, other):
        _account(person, f"u{person.pk}-{person.public_id.hex[:8]}")
    me = w.holder_actor
    pid = holder.pk

    # Relations: his child, his caregiver; the GP is his médecin traitant with his consent.
    delegation_services.minor_attach(child=child, representative=holder, actor=Actor.insurance())
    DelegationFactory(kind="CAREGIVING", subject=holder, delegate=caregiver, status="ACCEPTED")
    access_services.care_relation_record(actor=pro_actor(gp), patient_id=pid, kind=RelationKind.EXPLICIT)
    access_services.professional_role_set(
        actor=me, patient_id=pid, professional=gp, role="medecin_traitant", enabled=True
    )
    access_services.emergency_settings_update(actor=me, patient_id=pid, btg="permit", masked="permit")
    access_services.temporary_access_code_create(actor=me, patient_id=pid)

    # The record: a professional's report, his own upload, a replaced version, a deleted upload.
    report = record_services.document_deposit(
        actor=pro_actor(gp),
        patient_id=pid,
        content=_pdf(w.plant("reportcontent")),
        filename="cr.pdf",
        declared_media_type="application/pdf",
        type_code="11488-4",
        title=w.plant("reporttitle"),
    )
    w.seal(report, "title", "reporttitle")
    upload = record_services.document_deposit(
        actor=me,
        patient_id=pid,
        content=_pdf(w.plant("uploadcontent")),
        filename="scan.pdf",
        declared_media_type="application/pdf",
        title=w.plant("uploadtitle"),
        category="CPT_REND",
    )
    w.seal(upload, "title", "uploadtitle")
    replaced = record_services.document_replace(
        actor=pro_actor(gp),
        patient_id=pid,
        document_public_id=report.public_id,
        content=_pdf("v2"),
        filename="cr2.pdf",
        declared_media_type="application/pdf",
        type_code="11488-4",
        title=w.plant("replacementtitle"),
    )
    w.seal(replaced, "title", "replacementtitle")
    doomed = record_services.document_deposit(
        actor=me,
        patient_id=pid,
        content=_pdf("x"),
        filename="old.pdf",
        declared_media_type="application/pdf",
        title=w.plant("deletedtitle"),
        category="CPT_REND",
    )
    record_services.documents_delete_by_patient(actor=me, patient_id=pid, document_ids=[doomed.public_id])
    record_services.document_mask(actor=me, patient_id=pid, document_public_id=upload.public_id)

    # The medical profile: every list section, the entourage, lifestyle, blood group, directives.
    def item(section: str, data: dict[str, Any], sealed: dict[str, str]) -> None:
        row = profile_services.profile_item_create(
            actor=me,
            patient_id=pid,
            section=section,
            data={**data, **{k: w.plant(v) for k, v in sealed.items()}},
        )
        for name, label in sealed.items():
            w.seal(row, name, label)

    item(
        "TREATMENTS",
        {"start_year": 2020},
        {"name": "trtname", "comment": "trtcomment", "posology": "posology"},
    )
    item("ALLERGIES", {}, {"name": "allergyname", "comment": "allergycomment"})
    item("DISEASES", {"start_year": 2019}, {"name": "diseasename", "comment": "diseasecomment"})
    item(
        "HOSPITALIZATIONS", {"start_year": 2010, "duration": 3, "duration_unit": "DAY"}, {"name": "hospname"}
    )
    item("FAMILY_HISTORIES", {"relationship": "MOTHER"}, {"name": "familyname", "comment": "familycomment"})
    item(
        "DISABILITIES",
        {"kind": "SENSORY"},
        {"technical_help": "techhelp", "human_help": "humanhelp", "comment": "disabilitycomment"},
    )
    contact = profile_services.profile_item_create(
        actor=me,
        patient_id=pid,
        section="ENTOURAGE",
        data={
            "name": w.plant("contactname"),
            "relationship": "SPOUSE",
            "phone": "0677" + f"{secrets.randbelow(10**6):06d}",
            "email": f"{w.plant('contactemail').lower()}@example.org",
            "comment": w.plant("contactcomment"),
        },
    )
    w.canaries["contactphone"] = contact.phone
    w.canaries["contactemail"] = contact.email
    for name, label in (("name", "contactname"), ("comment", "contactcomment")):
        w.seal(contact, name, label)
    trusted = profile_services.trusted_person_set(
        actor=me,
        patient_id=pid,
        data={
            "name": w.plant("trustedname"),
            "relationship": "OTHER",
            "phone": "0655" + f"{secrets.randbelow(10**6):06d}",
        },
    )
    w.canaries["trustedphone"] = trusted.phone
    w.seal(trusted, "name", "trustedname")
    profile_services.lifestyle_set(
        actor=me, patient_id=pid, section="FOOD", choice="SPECIFIC_DIET", comment=w.plant("lifestyle")
    )
    profile_services.blood_group_set(actor=me, patient_id=pid, group="AB-")
    profile_services.not_concerned_set(actor=me, patient_id=pid, section="DISABILITIES", value=False)
    profile_services.organ_donation_acknowledge(actor=me, patient_id=pid)
    profile_services.advance_directives_write(
        actor=me,
        patient_id=pid,
        form_kind="FORM_HEALTHY",
        answers={"life_support": "REFUSE", "resuscitation": "ACCEPT", "sedation": "WISH", "confirm": True},
    )

    # Vaccinations and measures.
    vaccination = vitals_services.vaccination_create(
        actor=me,
        patient_id=pid,
        effective_date=date(2025, 10, 1),
        vaccine_name=w.plant("vaccine"),
        lot_number=w.plant("lot"),
        performer_label=w.plant("performer"),
        comment=w.plant("vaccinecomment"),
    )
    for name, label in (("vaccine_name", "vaccine"), ("lot_number", "lot"), ("performer_label", "performer")):
        w.seal(vaccination, name, label)
    w.canaries["measurevalue"] = "187.6"  # a value, not text: in clear for charts, gone with its row
    measure = vitals_services.measurement_create(
        actor=me,
        patient_id=pid,
        code="WEIGHT",
        value="187.6",
        measured_at=datetime(2025, 12, 1, 8, tzinfo=UTC),
        comment=w.plant("measurecomment"),
    )
    w.seal(measure, "comment", "measurecomment")

    # Agenda, feed, an imported .ics, prevention.
    appointment = agenda_services.appointment_create(
        actor=me,
        patient_id=pid,
        data=agenda_services.AppointmentData(
            name=w.plant("apptname"),
            starts_at=clock.now() + timedelta(days=20),
            speciality=w.plant("apptspeciality"),
            address=w.plant("apptaddress"),
            comment=w.plant("apptcomment"),
        ),
    )
    w.seal(appointment, "name", "apptname")
    reminder = agenda_services.reminder_create(
        actor=me,
        patient_id=pid,
        title=w.plant("remindertitle"),
        remind_at=clock.now() + timedelta(days=2),
        comment=w.plant("remindercomment"),
    )
    w.seal(reminder, "title", "remindertitle")
    agenda_services.feed_regenerate(actor=me, patient_id=pid)
    uid, summary = w.plant("icsuid"), w.plant("icssummary")
    start = (clock.now() + timedelta(days=40)).strftime("%Y%m%dT%H%M%SZ")
    agenda_services.ics_import(
        actor=me,
        patient_id=pid,
        content=(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//canary//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}@booking.example\r\nDTSTART:{start}\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        ).encode(),
    )
    prevention_services.prevention_status_set(
        actor=me, person=holder, item_code="SCREEN_COLORECTAL_70", status="DONE"
    )
    prevention_services.prevention_opt_out(actor=me, person=holder, kind="VACCINATION")

    # Messaging: the GP writes, the holder answers with a file, the GP sends one, the holder keeps it.
    first = messaging_services.conversation_start(
        actor=pro_actor(gp), patient_id=pid, subject=w.plant("subject"), body=w.plant("probody")
    )
    messaging_services.message_reply(
        actor=me,
        patient_id=pid,
        conversation_public_id=first.conversation.public_id,
        body=w.plant("patientbody"),
        files=[IncomingFile(f"{w.plant('filename')}.pdf", _pdf(w.plant("filecontent")), "application/pdf")],
    )
    pro_message = messaging_services.message_reply(
        actor=pro_actor(gp),
        conversation_public_id=first.conversation.public_id,
        patient_id=pid,
        body="Voici le compte rendu.",
        files=[IncomingFile("cr.pdf", _pdf(w.plant("profile")), "application/pdf")],
    )
    messaging_services.attachment_save_to_record(
        actor=me,
        patient_id=pid,
        attachment_public_id=pro_message.attachments.get().public_id,
        title=w.plant("savedtitle"),
    )

    # An emergency access: its written reason is stored by the access app and traced with every act of
    # the session (both sealed under the patient's key, ADR 0008).
    session = access_services.break_the_glass_start(
        actor=pro_actor(nurse), patient_id=pid, reason=w.plant("btgreason"), mode="BTG"
    )
    record_selectors.document_list_for_actor(actor=pro_actor(nurse), patient_id=pid)
    w.seal(BreakGlassSession.objects.get(pk=session.pk), "reason", "btgreason")

    # Notifications, support, export.
    notification_services.preferences_update(
        person_id=pid,
        actor=me,
        enabled={**dict.fromkeys(NotificationKind.values, True), "APPOINTMENT": False},
    )
    backoffice_services.support_request_create(
        category="OTHER",
        contact_email=f"{w.plant('supportemail').lower()}@example.org",
        user=User.objects.get(person=holder),
    )
    w.canaries["supportemail"] = w.canaries["supportemail"].lower() + "@example.org"
    space_services.export_request(space=space, actor=me, user=User.objects.get(person=holder))
    run_task("spaces.build_pending_exports")
    outbox_deliver_pending()

    _fill_survivor(w)
    outbox_deliver_pending()
    return w


REQUESTED = "requested_deletion"
ARCHIVE_END = "end_of_archive"


def erase(w: CanaryWorld, path: str) -> dict[str, int]:
    """The real path: the holder closes his space (asking for deletion, or not), time passes, the deadline
    job runs; it runs once more to settle the certificate's message (the last copy of his address)."""
    from django.conf import settings

    user = User.objects.get(person=w.holder)
    space_services.space_close(
        space=HealthSpace.objects.get(pk=w.space.pk),
        actor=w.holder_actor,
        password=PASSWORD,
        user=user,
        request_deletion=path == REQUESTED,
    )
    if path == REQUESTED:
        clock.advance(days=int(settings.CARNET_DELETION_DELAY_DAYS) + 1)
    else:
        clock.advance(days=365 * int(settings.CARNET_ARCHIVE_YEARS) + 5)
    counts = space_services.spaces_apply_deadlines()
    outbox_deliver_pending()
    settled = space_services.spaces_apply_deadlines()
    counts["erasure_notices_settled"] += settled["erasure_notices_settled"]
    return counts
