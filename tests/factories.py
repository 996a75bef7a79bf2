"""factory_boy factories for the identity registry and accounts. NIR/RPPS/FINESS are valid (keys computed)."""

from __future__ import annotations

import random
from datetime import date

import factory
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

from carnet.common import clock
from carnet.identity.hashing import vitale_hash
from carnet.identity.models import Organisation, Person, Professional
from carnet.identity.validators import OID_INS_NIR_TEST

_rng = random.Random(20261125)


def make_nir(sex: str = "F", birth_date: date = date(1980, 5, 17), serial: int | None = None) -> str:
    """A NIR with a correct key for the given sex and birth month (birth place: 75056, Paris)."""
    serial = _rng.randint(1, 999) if serial is None else serial
    body = f"{'2' if sex == 'F' else '1'}{birth_date.year % 100:02d}{birth_date.month:02d}75056{serial:03d}"
    return body + stdnum_nir.calc_check_digits(body)


def make_luhn(prefix: str, length: int) -> str:
    body = prefix + "".join(str(_rng.randint(0, 9)) for _ in range(length - 1 - len(prefix)))
    return body + luhn.calc_check_digit(body)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    birth_name = factory.Iterator(["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "PETIT"])
    first_names = factory.Iterator(["Claire Marie", "Louis", "Emma", "Hugo Jean", "Léa", "Jules"])
    birth_date = date(1980, 5, 17)
    sex = "F"
    birth_place_cog = "75056"
    # A sequence, not a random serial: two persons of one test never share a NIR.
    ins_matricule = factory.LazyAttributeSequence(
        lambda o, n: make_nir(o.sex, o.birth_date, serial=500 + n % 400)
    )  # 500..899: below for helpers, 900+ for tests
    ins_oid = OID_INS_NIR_TEST
    email = factory.Sequence(lambda n: f"usager{n}@example.org")
    phone = factory.Sequence(lambda n: f"+3361234{n:04d}")
    vitale_serial_hash = factory.LazyFunction(lambda: vitale_hash("12345678901"))
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    finess = factory.LazyFunction(lambda: make_luhn("75", 9))
    name = factory.Sequence(lambda n: f"Centre hospitalier {n}")
    facility_type_code = "SA01"


class ProfessionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Professional

    rpps = factory.LazyFunction(lambda: make_luhn("10", 11))
    last_name = factory.Iterator(["DURAND", "LEROY", "MOREAU", "SIMON"])
    first_name = factory.Iterator(["Anne", "Paul", "Sophie", "Marc"])
    profession_code = "G15_10"
    specialty_code = "G15_10/SM26"
    email = factory.Sequence(lambda n: f"pro{n}@example.org")
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


# --- spaces (appended by the lifecycle engineer) ------------------------------------------------------


class HealthSpaceFactory(factory.django.DjangoModelFactory):
    """An activated space (R-LC-28); pass ``status=...`` and dates for other states."""

    class Meta:
        model = "spaces.HealthSpace"

    person = factory.SubFactory(PersonFactory)
    status = "ACTIVATED"
    motif = "ACTIVATION"
    status_changed_at = factory.LazyFunction(clock.now)
    created_at = factory.LazyFunction(clock.now)
    informed_at = factory.LazyFunction(clock.now)
    opened_at = factory.LazyFunction(clock.now)
    activated_at = factory.LazyFunction(clock.now)
    majority_handled_at = factory.LazyFunction(clock.now)


PATIENT_PASSWORD = "Mot-de-passe-Solide-9"


class PatientUserFactory(factory.django.DjangoModelFactory):
    """A patient account (R-LC-11) whose password is ``PATIENT_PASSWORD``."""

    class Meta:
        model = "accounts.User"
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"usager.{n:04d}")
    role = "PATIENT"
    person = factory.SubFactory(PersonFactory)
    password = factory.PostGenerationMethodCall("set_password", PATIENT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            obj.save()


class DelegationFactory(factory.django.DjangoModelFactory):
    """An accepted delegation: ``delegate`` acts for ``subject`` (R-DEL-1)."""

    class Meta:
        model = "spaces.Delegation"

    kind = "LEGAL_REPRESENTATION"
    subject = factory.SubFactory(PersonFactory)
    patient_id = factory.LazyAttribute(lambda o: o.subject.pk)
    delegate = factory.SubFactory(PersonFactory)
    status = "ACCEPTED"
    created_at = factory.LazyFunction(clock.now)
    start_date = factory.LazyFunction(clock.now)
