"""Two policy answers issue 12 (item 5) relies on: the emergency consents are their own act (R-EM-4, not
the sharing rule R-BLK-1), and "reading as the author" (R-MASK-1) is one question with one answer."""

from __future__ import annotations

import pytest

from carnet.access.facts import Action, ForbiddenActorKind
from carnet.access.policy import decide, is_author
from tests.access import builders as b


def _rule(decision: object) -> tuple[bool, str]:
    return bool(decision), decision.rule  # type: ignore[attr-defined]


def test_the_holder_sets_his_emergency_consents_under_r_em_4() -> None:
    assert _rule(decide(b.holder(), b.patient(), None, b.ctx(Action.MANAGE_EMERGENCY))) == (True, "R-EM-4")


def test_a_legal_representative_sets_the_minors_emergency_consents_under_r_em_4() -> None:
    minor = b.patient(is_minor=True, legal_representative_ids=frozenset({b.PARENT_ID}))
    assert _rule(decide(b.legal_rep(), minor, None, b.ctx(Action.MANAGE_EMERGENCY))) == (True, "R-EM-4")


def test_a_caregiver_does_not_change_the_emergency_consents_r_del_2() -> None:
    helped = b.patient(caregiver_ids=frozenset({b.CAREGIVER_ID}))
    assert _rule(decide(b.caregiver(), helped, None, b.ctx(Action.MANAGE_EMERGENCY))) == (False, "R-DEL-2")


@pytest.mark.parametrize("actor", [b.gp(is_medecin_traitant=True), b.administrator(), b.lab_software()])
def test_no_professional_not_even_the_administrator_sets_them_r_em_4(actor: object) -> None:
    assert _rule(decide(actor, b.patient(), None, b.ctx(Action.MANAGE_EMERGENCY))) == (  # type: ignore[arg-type]
        False,
        "R-EM-4",
    )


def test_forbidden_actors_are_refused_first_r_ac_1() -> None:
    actor = b.forbidden(ForbiddenActorKind.MUTUELLE)
    assert _rule(decide(actor, b.patient(), None, b.ctx(Action.MANAGE_EMERGENCY))) == (False, "R-AC-1")


def test_the_depositing_professional_and_his_establishment_are_authors_r_mask_1() -> None:
    report = b.lab_report()
    assert is_author(b.lab_biologist(), report)
    assert is_author(b.lab_software(), report)
    colleague = b.professional("rpps-colleague", "G15_60", organisation_id=b.LAB_ORG_ID)
    assert is_author(colleague, report)  # acting for the depositing establishment
    assert not is_author(b.professional("rpps-colleague", "G15_60"), report)  # in his own name
    assert not is_author(b.gp(), report)


def test_a_patient_side_actor_is_never_the_author_of_a_professionals_document() -> None:
    assert not is_author(b.holder(), b.lab_report())
    assert not is_author(b.holder(), b.patient_upload())
