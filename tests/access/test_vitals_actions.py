"""Vaccinations and measurements in THE policy (SPEC §4, R-PML-1, R-DEL-2, R-VER-2, Appendix A):
``VACCINATION_WRITE`` (add: no entry; change/delete: the entry as ``DocumentFacts``) and the profile
actions ``PROFILE_READ`` / ``PROFILE_WRITE`` on the sections ``VACCINATIONS`` and ``MEASUREMENTS``.
Pure facts, no database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carnet.access.facts import (
    AccessMode,
    Action,
    ActorFacts,
    Consent,
    ConsentKind,
    DocumentFacts,
    ForbiddenActorKind,
    PatientFacts,
    SpaceStatus,
)
from carnet.access.policy import decide
from carnet.common.actors import ActorKind
from tests.access import builders as b

PHARMACIST_ID = "rpps-pharmacien"


def pharmacist(**kwargs: object) -> ActorFacts:
    return b.professional(PHARMACIST_ID, "G15_21", **kwargs)  # type: ignore[arg-type]


def entry(*, by_patient: bool = False, author: str = "", organisation: str = "") -> DocumentFacts:
    """A vaccination entry as the vitals app passes it ("Note de vaccination", class 45)."""
    return DocumentFacts(
        document_id="vaccination-1",
        type_code="87273-9",
        class_code="45",
        author_professional_id=author,
        author_organisation_id=organisation,
        patient_uploaded=by_patient,
    )


def consented(*ids: str, **kwargs: object) -> PatientFacts:
    return b.patient(consents=tuple(b.explicit(i) for i in ids), **kwargs)  # type: ignore[arg-type]


def _section(action: Action, section: str, mode: AccessMode = AccessMode.NORMAL) -> object:
    return replace(b.ctx(action, mode=mode), section=section)


def _answer(decision: object) -> tuple[bool, str]:
    return (decision.allowed, decision.rule)  # type: ignore[attr-defined]


WRITE = b.ctx(Action.VACCINATION_WRITE)

# (case, actor, patient facts, entry or None, expected (allowed, rule))
VACCINATION_WRITE_TABLE = [
    ("holder adds", b.holder(), b.patient(), None, (True, "R1111-27")),
    ("legal representative adds", b.legal_rep(), b.patient(), None, (True, "R-MIN-1")),
    ("caregiver adds", b.caregiver(), b.patient(), None, (True, "R-DEL-2")),
    ("holder edits his own entry", b.holder(), b.patient(), entry(by_patient=True), (True, "R1111-27")),
    (
        "caregiver edits the holder's entry",
        b.caregiver(),
        b.patient(),
        entry(by_patient=True),
        (True, "R-DEL-2"),
    ),
    (
        "holder cannot edit a pharmacist's entry",
        b.holder(),
        b.patient(),
        entry(author=PHARMACIST_ID),
        (False, "R-VER-2"),
    ),
    ("pharmacist with consent adds", pharmacist(), consented(PHARMACIST_ID), None, (True, "R-PML-1")),
    ("pharmacist without consent cannot add", pharmacist(), b.patient(), None, (False, "R-AC-12")),
    (
        "médecin traitant adds without consent row",
        b.gp(is_medecin_traitant=True),
        b.patient(),
        None,
        (True, "R-PML-1"),
    ),
    (
        "blocked pharmacist cannot add",
        pharmacist(),
        consented(PHARMACIST_ID, blocked_actor_ids=frozenset({PHARMACIST_ID})),
        None,
        (False, "R-BLK-2"),
    ),
    (
        "pharmacist completes his own entry",
        pharmacist(),
        consented(PHARMACIST_ID),
        entry(author=PHARMACIST_ID),
        (True, "R-VER-2"),
    ),
    (
        "pharmacist cannot edit a patient entry",
        pharmacist(),
        consented(PHARMACIST_ID),
        entry(by_patient=True),
        (False, "R-VER-2"),
    ),
    (
        "GP cannot edit the pharmacist's entry",
        b.gp(),
        consented(b.GP_ID),
        entry(author=PHARMACIST_ID),
        (False, "R-VER-2"),
    ),
    (
        "an establishment's colleague changes its establishment's entry",
        b.hospital_doctor(),
        consented(b.HOSPITAL_PS_ID),
        entry(author="someone-else", organisation=b.HOSPITAL_ORG_ID),
        (True, "R-VER-2"),
    ),
    (
        "occupational doctor with a care-team consent only cannot add",
        b.occupational_doctor(),
        b.patient(consents=(Consent(subject_id=b.OCCUPATIONAL_ID, kind=ConsentKind.CARE_TEAM),)),
        None,
        (False, "R-AC-2"),
    ),
    ("operator never", ActorFacts(kind=ActorKind.OPERATOR, id="op"), b.patient(), None, (False, "R-AC-4")),
    (
        "mutuelle never, even with consent",
        b.forbidden(ForbiddenActorKind.MUTUELLE),
        consented("mutuelle-1"),
        None,
        (False, "R-AC-1"),
    ),
    (
        "stranger patient",
        ActorFacts(kind=ActorKind.PATIENT, id="someone"),
        b.patient(),
        None,
        (False, "DEFAULT-DENY"),
    ),
    ("revoked caregiver", b.caregiver(), b.patient(caregiver_ids=frozenset()), None, (False, "R-DEL-2")),
]


@pytest.mark.parametrize(
    ("actor", "patient", "vaccination", "expected"),
    [row[1:] for row in VACCINATION_WRITE_TABLE],
    ids=[row[0] for row in VACCINATION_WRITE_TABLE],
)
def test_vaccination_write_decisions_r_pml_1(
    actor: ActorFacts, patient: PatientFacts, vaccination: DocumentFacts | None, expected: tuple[bool, str]
) -> None:
    assert _answer(decide(actor, patient, vaccination, WRITE)) == expected


@pytest.mark.parametrize("mode", [AccessMode.BTG, AccessMode.SAMU])
def test_vaccinations_are_not_added_in_emergency_modes(mode: AccessMode) -> None:
    """[I] R-EM-1 / R-EM-2: an emergency access consults; vaccinations are added in normal mode."""
    context = replace(b.ctx(Action.VACCINATION_WRITE, mode=mode), reason="Patient inconscient")
    decision = decide(b.regulator(), consented(b.REGULATOR_ID), None, context)
    assert not decision.allowed


@pytest.mark.parametrize(
    "status",
    [
        SpaceStatus.OPPOSED,
        SpaceStatus.INFORMED,
        SpaceStatus.CLOSED,
        SpaceStatus.SUSPENDED,
        SpaceStatus.DELETED,
    ],
)
def test_no_vaccination_is_written_in_a_space_that_is_not_open(status: SpaceStatus) -> None:
    for actor, patient in (
        (b.holder(), b.patient(space_status=status)),
        (pharmacist(), consented(PHARMACIST_ID, space_status=status)),
    ):
        assert not decide(actor, patient, None, WRITE).allowed


def test_before_activation_a_pharmacist_adds_but_the_holder_does_not_r_lc_14() -> None:
    before = SpaceStatus.OPEN_NOT_ACTIVATED
    assert decide(pharmacist(), consented(PHARMACIST_ID, space_status=before), None, WRITE).allowed
    assert _answer(decide(b.holder(), b.patient(space_status=before), None, WRITE)) == (False, "R-LC-14")


# --- reads and measurements through the profile actions (R-PML-1) --------------------------------------

PROFILE_TABLE = [
    # (case, actor, patient, action, section, expected allowed)
    ("holder reads vaccinations", b.holder(), b.patient(), Action.PROFILE_READ, "VACCINATIONS", True),
    ("caregiver reads measurements", b.caregiver(), b.patient(), Action.PROFILE_READ, "MEASUREMENTS", True),
    ("caregiver writes measurements", b.caregiver(), b.patient(), Action.PROFILE_WRITE, "MEASUREMENTS", True),
    (
        "legal representative writes measurements",
        b.legal_rep(),
        b.patient(),
        Action.PROFILE_WRITE,
        "MEASUREMENTS",
        True,
    ),
    (
        "pharmacist with consent reads vaccinations",
        pharmacist(),
        consented(PHARMACIST_ID),
        Action.PROFILE_READ,
        "VACCINATIONS",
        True,
    ),
    (
        "pharmacist without consent does not",
        pharmacist(),
        b.patient(),
        Action.PROFILE_READ,
        "VACCINATIONS",
        False,
    ),
    (
        "GP with consent does not read measurements",
        b.gp(),
        consented(b.GP_ID),
        Action.PROFILE_READ,
        "MEASUREMENTS",
        False,
    ),
    (
        "administrateur does not read measurements",
        b.administrator(),
        b.patient(),
        Action.PROFILE_READ,
        "MEASUREMENTS",
        False,
    ),
    (
        "GP does not write measurements",
        b.gp(),
        consented(b.GP_ID),
        Action.PROFILE_WRITE,
        "MEASUREMENTS",
        False,
    ),
]


@pytest.mark.parametrize(
    ("actor", "patient", "action", "section", "allowed"),
    [row[1:] for row in PROFILE_TABLE],
    ids=[row[0] for row in PROFILE_TABLE],
)
def test_profile_decisions_on_vaccinations_and_measurements(
    actor: ActorFacts, patient: PatientFacts, action: Action, section: str, allowed: bool
) -> None:
    decision = decide(actor, patient, None, _section(action, section))
    assert decision.allowed is allowed
    if not allowed and actor.is_professional_side and section == "MEASUREMENTS":
        assert decision.rule == "R-PML-1"


def test_a_break_the_glass_read_of_vaccinations_carries_the_emergency_obligations() -> None:
    """R-EM-1 / R-EM-3 apply to the shared section as to a document."""
    context = replace(
        b.ctx(Action.PROFILE_READ, mode=AccessMode.BTG, reason="Patient inconscient"), section="VACCINATIONS"
    )
    decision = decide(b.gp(), b.patient(), None, context)
    assert decision.allowed and decision.obligations
