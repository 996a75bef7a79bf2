"""SPEC Appendix B scenarios 3, 4, 5, 6, 7, 8 (policy part), 11 and 12, as decisions of the access policy.

The notification and trace parts of these scenarios belong to records/audit/notifications; here we check
that the policy lets the right people in, keeps the others out, and names the rule.
"""

from __future__ import annotations

from datetime import UTC, datetime

from carnet.access.facts import (
    Action,
    ActorFacts,
    Confidentiality,
    Consent,
    ConsentKind,
    DocumentFacts,
    ForbiddenActorKind,
    RequestContext,
)
from carnet.access.policy import Obligation, decide
from tests.access import builders as b
from tests.conftest import ClockControl


def test_scenario_3_lab_report_invisible_to_patient_until_one_month_but_visible_to_gp_from_deposit(
    clock: ClockControl,
) -> None:
    """Appendix B 3 / R-MASK-6: INVISIBLE_PATIENT hides a report from the holder for a month, not his GP."""
    deposit_day = clock.freeze(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    released_at = datetime(2026, 2, 5, 9, 0, tzinfo=UTC)  # deposit + 1 month
    report = b.lab_report(Confidentiality.INVISIBLE_PATIENT, invisible_until=released_at)
    patient = b.patient(consents=(b.explicit(b.GP_ID),))

    assert decide(
        b.lab_biologist(), patient, report, RequestContext(action=Action.DEPOSIT, now=clock.now())
    ).allowed
    at_deposit = decide(b.holder(), patient, report, RequestContext(action=Action.CONSULT, now=clock.now()))
    assert (at_deposit.allowed, at_deposit.rule) == (False, "R-MASK-6")
    gp = decide(b.gp(), patient, report, RequestContext(action=Action.CONSULT, now=clock.now()))
    assert (gp.allowed, gp.rule) == (True, "R-AC-12")

    clock.advance(days=14)
    assert not decide(
        b.holder(), patient, report, RequestContext(action=Action.CONSULT, now=clock.now())
    ).allowed

    clock.advance(seconds=(released_at - deposit_day).total_seconds() - 14 * 86400)
    released = decide(b.holder(), patient, report, RequestContext(action=Action.CONSULT, now=clock.now()))
    assert (released.allowed, released.rule) == (True, "L1111-19")


def test_scenario_4_masked_report_hidden_from_dentist_not_from_author_administrator_or_permitted_btg() -> (
    None
):
    """Appendix B 4 / R-MASK-1, R-MASK-2, R-MASK-5."""
    patient = b.patient(consents=(b.explicit(b.DENTIST_ID), b.explicit(b.ADMIN_ID)))
    report = b.lab_report(
        "N", author_professional_id=b.HOSPITAL_PS_ID, author_organisation_id=b.HOSPITAL_ORG_ID
    )

    assert decide(b.holder(), patient, report, b.ctx(Action.MASK)).rule == "R-MASK-1"
    masked = b.lab_report(
        Confidentiality.MASQUE_PS, author_professional_id="", author_organisation_id=b.HOSPITAL_ORG_ID
    )

    dentist = decide(b.dentist(), patient, masked, b.ctx())
    assert (dentist.allowed, dentist.rule) == (False, "R-MASK-1")
    hospital = decide(b.hospital_doctor(), patient, masked, b.ctx())
    assert (hospital.allowed, hospital.rule) == (True, "R-MASK-1")
    admin = decide(b.administrator(), patient, masked, b.ctx())
    assert (admin.allowed, admin.rule) == (True, "R-MASK-2")

    denying = b.patient(emergency=b.emergency(b.PERMIT, b.PERMIT, b.DENY))
    permitting = b.patient(emergency=b.emergency(b.PERMIT, b.PERMIT, b.PERMIT))
    emergency_doctor = b.professional("rpps-urgentiste", "G15_10")
    assert decide(emergency_doctor, denying, masked, b.btg()).rule == "R-MASK-5"
    assert not decide(emergency_doctor, denying, masked, b.btg()).allowed
    assert decide(emergency_doctor, permitting, masked, b.btg()).allowed


def test_scenario_5_dentist_is_refused_advance_directives_by_the_matrix_but_gp_is_allowed() -> None:
    """Appendix B 5 / R-MAT-3: EXPPAT_3 (directives anticipées) is not in the dentist's matrix row."""
    directives = DocumentFacts(document_id="da", type_code="EXPPAT_3", class_code="90", patient_uploaded=True)
    patient = b.patient(consents=(b.explicit(b.DENTIST_ID), b.explicit(b.GP_ID)))
    dentist = decide(b.dentist(), patient, directives, b.ctx())
    assert (dentist.allowed, dentist.rule) == (False, "R-MAT-1")
    assert "EXPPAT_3" in dentist.reason
    gp = decide(b.gp(), patient, directives, b.ctx())
    assert (gp.allowed, gp.rule) == (True, "R-AC-12")


def test_scenario_6_sti_test_of_a_minor_is_hidden_from_parents_but_not_from_the_minor_or_his_gp() -> None:
    """Appendix B 6 / R-MIN-5: INVISIBLE_REPRESENTANTS_LEGAUX filters every legal-representative read."""
    minor = b.patient(is_minor=True, consents=(b.explicit(b.GP_ID),))
    sti_test = b.lab_report(Confidentiality.INVISIBLE_REPRESENTANTS_LEGAUX)
    for action in (Action.CONSULT, Action.DOWNLOAD, Action.MASK, Action.UNMASK):
        decision = decide(b.legal_rep(), minor, sti_test, b.ctx(action))
        assert (decision.allowed, decision.rule) == (False, "R-MIN-5"), action
    assert decide(b.holder(), minor, sti_test, b.ctx()).allowed
    assert decide(b.gp(), minor, sti_test, b.ctx()).allowed


def test_scenario_7_samu_deny_refuses_the_regulator_and_btg_deny_refuses_the_hospital() -> None:
    """Appendix B 7 / R-EM-2, R-EM-1, R-EM-4."""
    report = b.lab_report()
    no_samu = b.patient(emergency=b.emergency(b.DENY, b.PERMIT, b.DENY))
    regulator = decide(b.regulator(), no_samu, report, b.samu())
    assert (regulator.allowed, regulator.rule) == (False, "R-EM-2")

    no_btg = b.patient(emergency=b.emergency(b.PERMIT, b.DENY, b.DENY))
    hospital = decide(b.hospital_doctor(), no_btg, report, b.btg())
    assert (hospital.allowed, hospital.rule) == (False, "R-EM-1")

    # With the default settings (R-EM-5) both get in, and the caller must notify and show the banner.
    defaults = b.patient()
    for actor, context in ((b.regulator(), b.samu()), (b.hospital_doctor(), b.btg())):
        decision = decide(actor, defaults, report, context)
        assert decision.allowed
        assert decision.obligations == {Obligation.NOTIFY_EMERGENCY_ACCESS, Obligation.SHOW_EMERGENCY_BANNER}


def test_scenario_8_a_new_professional_consults_twice_and_the_patient_may_see_the_traces() -> None:
    """Appendix B 8 (policy part) / R-AC-14, R-TR-2: both consultations are allowed (the first-access e-mail
    is decided by notifications from the trace history), and the holder may read the traces."""
    patient = b.patient(consents=(Consent(subject_id="rpps-new", kind=ConsentKind.EXPLICIT),))
    new_ps = b.professional("rpps-new", "G15_60")
    report = b.lab_report()
    first = decide(new_ps, patient, report, b.ctx())
    second = decide(new_ps, patient, report, b.ctx())
    assert first.allowed and second.allowed
    assert first == second
    assert decide(b.holder(), patient, None, b.ctx(Action.VIEW_TRACES)).rule == "R-TR-2"
    assert decide(b.holder(), patient, None, b.ctx(Action.VIEW_TRACES)).allowed


def test_scenario_11_patient_cannot_delete_a_gp_document_but_deletes_his_own_upload() -> None:
    """Appendix B 11 / R-DOC-10."""
    patient = b.patient()
    gp_letter = b.lab_report(author_professional_id=b.GP_ID, author_organisation_id="")
    refused = decide(b.holder(), patient, gp_letter, b.ctx(Action.DELETE))
    assert (refused.allowed, refused.rule) == (False, "R-DOC-10")
    own = decide(b.holder(), patient, b.patient_upload(), b.ctx(Action.DELETE))
    assert (own.allowed, own.rule) == (True, "R-DOC-10")


def test_scenario_12_mutuelle_is_refused_even_with_the_patients_written_consent() -> None:
    """Appendix B 12 / R-AC-1 (CSP L1111-18)."""
    mutuelle = b.forbidden(ForbiddenActorKind.MUTUELLE)
    patient = b.patient(consents=(b.explicit(mutuelle.id),))
    for action in (Action.CONSULT, Action.DOWNLOAD, Action.DEPOSIT, Action.VIEW_TRACES):
        document = None if action in (Action.DEPOSIT, Action.VIEW_TRACES) else b.lab_report()
        decision = decide(mutuelle, patient, document, b.ctx(action))
        assert (decision.allowed, decision.rule) == (False, "R-AC-1"), action
    as_string = decide(
        ActorFacts(kind="MUTUELLE", id="m-2"),  # a caller passing a raw string
        patient,
        b.lab_report(),
        b.ctx(),
    )
    assert (as_string.allowed, as_string.rule) == (False, "R-AC-1")
