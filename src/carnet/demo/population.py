"""The demo population (``carnet demo``): fictional people covering every journey of the foundation.

Everything is created through the same services the product uses (identity registration, the
information letter, activation, delegations, staff accounts), so the demo exercises real code paths.
Identifiers are fixed, valid (NIR keys, Luhn keys) and fictional; the birth place is Paris (75056)
and NIRs use the INS test OID (R-ID-3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

from carnet.accounts.models import OtpChannel, Role, User
from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.identity.models import Person
from carnet.identity.validators import OID_INS_NIR_TEST

DEMO_PASSWORD = "Carnet-Demo-2026!"  # noqa: S105 - fictional demo accounts, printed by `carnet demo`
VITALE_SERIAL = "00000000042"
DOMAIN = "demo.carnet.invalid"


def _nir(sex: str, born: date, serial: int) -> str:
    body = f"{'2' if sex == 'F' else '1'}{born.year % 100:02d}{born.month:02d}75056{serial:03d}"
    return body + stdnum_nir.calc_check_digits(body)


def _luhn(body: str) -> str:
    return body + luhn.calc_check_digit(body)


@dataclass
class DemoPerson:
    key: str
    birth_name: str
    first_names: str
    sex: str
    born: date
    serial: int
    username: str = ""  # activated with this login when set
    insured_under: str = ""
    phone: str = ""

    @property
    def nir(self) -> str:
        return _nir(self.sex, self.born, self.serial)

    @property
    def email(self) -> str:
        first = self.first_names.split()[0].lower().replace("é", "e").replace("è", "e").replace("ï", "i")
        return f"{first}.{self.birth_name.lower()}@{DOMAIN}"


def _years_ago(years: int, month: int, day: int) -> date:
    return date(clock.today().year - years, month, day)


def cast() -> list[DemoPerson]:
    return [
        DemoPerson(
            "claire",
            "MARTIN",
            "Claire Marie",
            "F",
            _years_ago(46, 5, 17),
            101,
            "claire.martin",
            phone="+33612345601",
        ),
        DemoPerson("hugo", "MARTIN", "Hugo", "M", _years_ago(48, 9, 2), 102, "hugo.martin"),
        DemoPerson("lucas", "MARTIN", "Lucas", "M", _years_ago(12, 3, 10), 103, insured_under="claire"),
        DemoPerson("jean", "DUBOIS", "Jean Pierre", "M", _years_ago(79, 11, 23), 104, "jean.dubois"),
        DemoPerson("lea", "PETIT", "Léa", "F", _years_ago(36, 2, 14), 105, "lea.petit", phone="+33612345605"),
        DemoPerson("thomas", "ROBERT", "Thomas", "M", _years_ago(25, 7, 30), 106),
        DemoPerson("emma", "BERNARD", "Emma", "F", _years_ago(31, 12, 1), 107),
    ]


@dataclass
class DemoStaff:
    username: str
    role: str
    last_name: str = ""
    first_name: str = ""
    profession: str = ""
    specialty: str = ""
    rpps_body: str = ""
    note: str = ""  # what this account shows in the demo (printed by `carnet demo`)

    @property
    def rpps(self) -> str:
        return _luhn(self.rpps_body) if self.rpps_body else ""

    @property
    def profession_words(self) -> str:
        """The profession code in plain words, from the directory's code list (``G15_40`` ->
        ``Chirurgien-Dentiste``), with the specialty when there is one."""
        from carnet.identity.codes import author_specialties, professions

        words = professions().get(self.profession, "")
        if self.specialty:
            specialty = author_specialties().get(self.specialty, "")
            words = f"{words}, {specialty.removeprefix(words).strip(' -')}" if specialty else words
        return words


STAFF = [
    DemoStaff(
        "dr.durand",
        Role.PROFESSIONAL,
        "DURAND",
        "Anne",
        "G15_10",
        "G15_10/SM26",
        "1000000101",
        "Claire's GP (médecin traitant); wrote the consultation Claire masked",
    ),
    DemoStaff(
        "dr.leroy",
        Role.PROFESSIONAL,
        "LEROY",
        "Paul",
        "G15_40",
        "",
        "1000000102",
        "dentist with Claire's consent: does not see what she masked",
    ),
    DemoStaff(
        "pharma.moreau",
        Role.PROFESSIONAL,
        "MOREAU",
        "Sophie",
        "G15_21",
        "",
        "1000000103",
        "recorded Claire's flu vaccination",
    ),
    DemoStaff(
        "inf.simon",
        Role.PROFESSIONAL,
        "SIMON",
        "Marc",
        "G15_60",
        "",
        "1000000104",
        "no link with Claire: emergency access (break-the-glass)",
    ),
    DemoStaff("sf.lambert", Role.PROFESSIONAL, "LAMBERT", "Julie", "G15_50", "", "1000000105", "midwife"),
    DemoStaff("operateur.demo", Role.OPERATOR),
]
HOSPITAL_FINESS = _luhn("75000001")


@dataclass
class DemoReport:
    patients: list[tuple[str, str]] = field(default_factory=list)  # (username, description)
    staff: list[tuple[str, str]] = field(default_factory=list)
    to_activate: list[dict[str, str]] = field(default_factory=list)


def already_loaded() -> bool:
    return User.objects.filter(username="operateur.demo").exists()


def holds_other_data() -> bool:
    """The database holds people but not the demo population: not a demo database, never load or wipe it."""
    return Person.objects.exists() and not already_loaded()


def identities() -> list[dict[str, str]]:
    """The INS (NIR + birth date) of the demo's activated people, as a professional types them to find a
    patient, and their messaging address for the SMTP gateway (R-MSG-1)."""
    from django.conf import settings

    domain = str(settings.CARNET_PATIENT_MAIL_DOMAIN)
    rows: list[dict[str, str]] = []
    for p in cast():
        if p.username or p.insured_under:
            rows.append(
                {
                    "key": p.key,
                    "name": f"{p.first_names} {p.birth_name}",
                    "nir": p.nir,
                    "birth_date": p.born.strftime("%d/%m/%Y"),
                    "address": f"{p.nir}@{domain}",
                }
            )
    return rows


@transaction.atomic
def load() -> None:
    """Create the demo population. Call only when ``already_loaded()`` is false."""
    from carnet.accounts.services import staff_create, totp_enrolment_secret
    from carnet.identity.services import organisation_register, person_register, professional_register
    from carnet.spaces.delegation import (
        caregiver_invite,
        delegation_accept,
        legal_representative_invite,
        minor_attach,
    )
    from carnet.spaces.services import space_activate, space_inform

    insurance = Actor.insurance()
    hospital = organisation_register(
        finess=HOSPITAL_FINESS,
        name="Centre hospitalier de Démonstration",
        facility_type_code="SA01",
        address="1 rue de la Santé",
        city="Paris",
    )
    people: dict[str, Person] = {}
    for p in cast():
        people[p.key] = person_register(
            ins_matricule=p.nir,
            ins_oid=OID_INS_NIR_TEST,
            birth_name=p.birth_name,
            first_names=p.first_names,
            birth_date=p.born,
            sex=p.sex,
            birth_place_cog="75056",
            email="" if p.insured_under else p.email,
            phone=p.phone,
            vitale_serial=VITALE_SERIAL,
            insured_under=people[p.insured_under].ins_matricule if p.insured_under else "",
            actor=insurance,
        )
        space, _code = space_inform(person=people[p.key], actor=insurance)
        if p.username:
            user = User(
                username=p.username,
                role=Role.PATIENT,
                person=people[p.key],
                otp_channel=OtpChannel.EMAIL,
                date_joined=clock.now(),
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            space_activate(space=space, actor=_patient_actor(user))

    # Lucas (12) is attached to Claire; Hugo is invited as second legal representative and accepts.
    claire, hugo, lucas = people["claire"], people["hugo"], people["lucas"]
    minor_attach(child=lucas, representative=claire, actor=insurance)
    space_activate(space=lucas.space, actor=_patient_actor(claire.account, ActorKind.LEGAL_REPRESENTATIVE))
    invitation = legal_representative_invite(
        inviter=claire,
        child=lucas,
        actor=_patient_actor(claire.account, ActorKind.LEGAL_REPRESENTATIVE),
        nir=hugo.ins_matricule,
        birth_name=hugo.birth_name,
        first_name=hugo.first_name,
        birth_date=hugo.birth_date,
    )
    delegation_accept(delegation=invitation, person=hugo, actor=_patient_actor(hugo.account))
    # Jean (79) is helped by Léa.
    jean, lea = people["jean"], people["lea"]
    invitation = caregiver_invite(
        helped=jean,
        actor=_patient_actor(jean.account),
        nir=lea.ins_matricule,
        family_name=lea.birth_name,
        first_name=lea.first_name,
        birth_date=lea.birth_date,
    )
    delegation_accept(delegation=invitation, person=lea, actor=_patient_actor(lea.account))

    for s in STAFF:
        if s.role == Role.PROFESSIONAL:
            professional_register(
                rpps=s.rpps,
                last_name=s.last_name,
                first_name=s.first_name,
                profession_code=s.profession,
                specialty_code=s.specialty,
                email=f"{s.username}@{DOMAIN}",
                practice_places=[_practice_place(s)],
            )
        user = staff_create(role=s.role, username=s.username, password=DEMO_PASSWORD, rpps=s.rpps)
        totp_enrolment_secret(user=user)
        user.totp_confirmed = True  # demo staff are enrolled; /demo/outbox/ shows their current codes
        user.save(update_fields=["totp_confirmed"])
    _seed_record(people["claire"], hospital)


def _demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small fictional PDF report (fpdf2, core font: ASCII-safe text)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for line in ["Document de demonstration - donnees fictives.", "", *lines]:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _seed_record(claire: Person, hospital: object) -> None:
    """Claire's record: her GP (médecin traitant) and dentist have her consent; the GP and the hospital's
    lab deposited reports (one still invisible to her, R-MASK-6); she uploaded one and masked one."""
    from carnet.access.services import care_relation_record, professional_role_set
    from carnet.common.users import actor_for_user
    from carnet.identity.models import Professional
    from carnet.records.services import document_deposit, document_mask

    gp_user = User.objects.get(username="dr.durand")
    dentist_user = User.objects.get(username="dr.leroy")
    gp, dentist = actor_for_user(gp_user), actor_for_user(dentist_user)
    me = _patient_actor(claire.account)
    for actor in (gp, dentist):
        care_relation_record(actor=actor, patient_id=claire.pk, kind="EXPLICIT")
    professional_role_set(
        actor=me,
        patient_id=claire.pk,
        professional=Professional.objects.get(account=gp_user),
        role="medecin_traitant",
        enabled=True,
    )
    consultation = document_deposit(
        actor=gp,
        patient_id=claire.pk,
        content=_demo_pdf(
            "Compte rendu de consultation", ["Consultation de suivi.", "Examen clinique normal."]
        ),
        filename="cr-consultation.pdf",
        type_code="11488-4",
        title="Compte rendu de consultation",
    )
    document_deposit(
        actor=gp,
        patient_id=claire.pk,
        content=_demo_pdf("Resultats de biologie", ["Bilan sanguin de controle."]),
        filename="biologie.pdf",
        type_code="11502-2",
        title="Résultats de biologie",
        confidentiality=["INVISIBLE_PATIENT"],
    )
    document_deposit(
        actor=me,
        patient_id=claire.pk,
        content=_demo_pdf("Certificat de vaccination", ["Rappel dTP a jour."]),
        filename="vaccination.pdf",
        title="Certificat de vaccination (scan)",
        category="CERT_MED",
    )
    document_mask(actor=me, patient_id=claire.pk, document_public_id=consultation.public_id)
    _seed_profile_and_messages(claire, gp)


def _seed_profile_and_messages(claire: Person, gp: Actor) -> None:
    """Weight over a year (chart), a vaccination recorded by the pharmacist (shown with its author),
    and a first message from the GP."""
    from datetime import timedelta
    from decimal import Decimal

    from carnet.access.services import care_relation_record
    from carnet.common.users import actor_for_user
    from carnet.messaging.services import conversation_start
    from carnet.profile.vitals.services import measurement_create, vaccination_create

    me = _patient_actor(claire.account)
    now = clock.now()
    for months_ago, kilos in ((12, "68.4"), (9, "67.1"), (6, "66.0"), (3, "65.2"), (0, "64.8")):
        measurement_create(
            actor=me,
            patient_id=claire.pk,
            code="WEIGHT",
            value=Decimal(kilos),
            measured_at=now - timedelta(days=30 * months_ago),
        )
    pharmacist = actor_for_user(User.objects.get(username="pharma.moreau"))
    care_relation_record(actor=pharmacist, patient_id=claire.pk, kind="EXPLICIT")
    vaccination_create(
        actor=pharmacist,
        patient_id=claire.pk,
        effective_date=clock.today() - timedelta(days=20),
        vaccine_code="INFLUENZA",
        lot_number="DEMO-2026-01",
        dose_type="IMMUNIZ",
    )
    conversation_start(
        actor=gp,
        patient_id=claire.pk,
        subject="Suite de votre consultation",
        body="Bonjour, vos résultats sont disponibles dans vos documents. Bonne journée.",
    )


def _practice_place(s: DemoStaff) -> dict[str, str]:
    if s.profession == "G15_10":  # the GP also practises at the demo hospital
        return {
            "name": "Centre hospitalier de Démonstration",
            "address": "1 rue de la Santé",
            "city": "Paris",
            "finess": HOSPITAL_FINESS,
            "organisation_name": "Centre hospitalier de Démonstration",
            "facility_type_code": "SA01",
        }
    return {"name": f"Cabinet {s.last_name}", "address": "12 avenue de la République", "city": "Paris"}


def _patient_actor(user: User, kind: ActorKind = ActorKind.PATIENT) -> Actor:
    person = user.person
    assert person is not None
    return Actor(kind, str(user.public_id), label=person.display_name, user_id=user.pk, person_id=person.pk)


def fresh_codes() -> list[dict[str, str]]:
    """New provisional codes for the two people left to activate / to oppose (codes are never stored in clear)."""
    from carnet.spaces.codes import format_code
    from carnet.spaces.models import SpaceStatus
    from carnet.spaces.services import provisional_code_issue

    rows: list[dict[str, str]] = []
    for p in cast():
        if p.username or p.insured_under:
            continue
        person = Person.objects.filter(ins_matricule=p.nir).select_related("space").first()
        if person is None or person.space.status not in {
            SpaceStatus.INFORMED,
            SpaceStatus.OPEN_NOT_ACTIVATED,
        }:
            continue
        with transaction.atomic():
            code = provisional_code_issue(space=person.space, actor=Actor.insurance())
        opens = person.space.opening_due_at
        rows.append(
            {
                "name": f"{p.first_names} {p.birth_name}",
                "opens": timezone.localtime(opens).strftime("%d/%m/%Y") if opens else "",
                "code": format_code(code),
                "nir": p.nir,
                "vitale": VITALE_SERIAL,
                "birth_date": p.born.strftime("%d/%m/%Y"),
                "purpose": "activation" if p.key == "thomas" else "opposition",
            }
        )
    return rows
