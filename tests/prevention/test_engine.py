"""The pure prevention engine (SPEC §6, R-AG-3, R-AG-4): windows, statuses, opt-outs, and properties
over birth dates and sexes (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.agenda.prevention import engine
from carnet.agenda.prevention.engine import Status
from carnet.agenda.prevention.rules import Kind, ruleset

TODAY = date(2026, 1, 5)
births = st.dates(min_value=date(1915, 1, 1), max_value=TODAY)
sexes = st.sampled_from(["F", "M"])
todays = st.dates(min_value=date(2025, 1, 1), max_value=date(2035, 12, 31))


def _codes(items: list[engine.PreventionItem]) -> set[str]:
    return {item.code for item in items}


def test_a_woman_of_fifty_one_is_offered_breast_and_colorectal_screening_r_ag_3() -> None:
    items = engine.items_for(sex="F", birth_date=date(1975, 3, 1), today=TODAY)
    assert {"SCREEN_BREAST_50", "SCREEN_COLORECTAL_50", "SCREEN_CERVIX_HPV_50"} <= _codes(items)


def test_a_man_is_never_offered_breast_or_cervical_screening_r_ag_3() -> None:
    items = engine.items_for(sex="M", birth_date=date(1975, 3, 1), today=TODAY)
    assert "SCREEN_COLORECTAL_50" in _codes(items)
    assert not any(code.startswith(("SCREEN_BREAST", "SCREEN_CERVIX")) for code in _codes(items))


def test_a_two_month_old_baby_has_the_hexavalent_and_pneumococcal_doses_due_r_ag_3() -> None:
    items = engine.items_for(sex="M", birth_date=date(2025, 11, 1), today=TODAY)
    assert {"VAC_HEXAVALENT_2M", "VAC_PCV_2M", "EXAM_05"} <= _codes(items)
    assert all(item.status == Status.TO_PLAN for item in items)


def test_a_recorded_vaccination_marks_the_vaccine_item_done_r_ag_4() -> None:
    doses = {
        t: [date(2026, 1, 2)] for t in ["DIPHTHERIA", "TETANUS", "PERTUSSIS", "POLIO", "HIB", "HEPATITIS_B"]
    }
    items = engine.items_for(sex="M", birth_date=date(2025, 11, 1), today=TODAY, vaccinations=doses)
    by_code = {item.code: item for item in items}
    assert by_code["VAC_HEXAVALENT_2M"].status == Status.DONE
    assert by_code["VAC_PCV_2M"].status == Status.TO_PLAN  # pneumococcus not covered


def test_a_vaccination_partially_covering_the_targets_does_not_mark_it_done_r_ag_4() -> None:
    doses = {"TETANUS": [date(2026, 1, 2)]}
    items = engine.items_for(sex="M", birth_date=date(2025, 11, 1), today=TODAY, vaccinations=doses)
    assert {i.code: i for i in items}["VAC_HEXAVALENT_2M"].status == Status.TO_PLAN


def test_the_status_set_by_the_patient_overrides_the_computed_one_r_ag_4() -> None:
    doses = {
        t: [date(2026, 1, 2)] for t in ["DIPHTHERIA", "TETANUS", "PERTUSSIS", "POLIO", "HIB", "HEPATITIS_B"]
    }
    items = engine.items_for(
        sex="M",
        birth_date=date(2025, 11, 1),
        today=TODAY,
        vaccinations=doses,
        statuses={"VAC_HEXAVALENT_2M": "NOT_DONE", "EXAM_05": "NOT_SPECIFIED"},
    )
    by_code = {item.code: item for item in items}
    assert by_code["VAC_HEXAVALENT_2M"].status == Status.NOT_DONE
    assert by_code["VAC_HEXAVALENT_2M"].set_by_patient
    assert by_code["EXAM_05"].status == Status.NOT_SPECIFIED


def test_opting_out_of_a_kind_hides_all_its_items_r_ag_3() -> None:
    items = engine.items_for(sex="F", birth_date=date(1975, 3, 1), today=TODAY, opt_outs={Kind.SCREENING})
    assert items
    assert all(item.kind != Kind.SCREENING for item in items)


def test_why_am_i_seeing_this_names_the_ages_the_sex_and_the_source_r_ag_3() -> None:
    items = engine.items_for(sex="F", birth_date=date(1975, 3, 1), today=TODAY)
    why = {i.code: i for i in items}["SCREEN_BREAST_50"].why
    assert "Proposé aux femmes de 50 à 51 ans." in why  # up to the day before the 52nd birthday
    assert "INCa" in why


def test_upcoming_items_within_the_horizon_are_listed_but_not_due_r_ag_4() -> None:
    items = engine.items_for(sex="M", birth_date=date(1976, 6, 1), today=TODAY, horizon_days=365)
    upcoming = {i.code: i for i in items if not i.due}
    assert "SCREEN_COLORECTAL_50" in upcoming
    assert upcoming["SCREEN_COLORECTAL_50"].status == Status.NOT_SPECIFIED


def test_the_rule_file_derives_the_twenty_child_examinations_r_ag_3() -> None:
    exams = [rule for rule in ruleset().rules if rule.kind == Kind.CHILD_EXAM]
    assert len(exams) == 20


def test_m_t_dents_is_offered_every_three_years_from_3_to_24_r_ag_3() -> None:
    ages = sorted(rule.start.years for rule in ruleset().rules if rule.group == "MTDENTS")
    assert ages == [3, 6, 9, 12, 15, 18, 21, 24]


@settings(max_examples=300, deadline=None)
@given(birth=births, sex=sexes, today=todays)
def test_every_proposed_window_is_inside_its_rule_ages_r_ag_3(birth: date, sex: str, today: date) -> None:
    rules = ruleset().by_code()
    for item in engine.items_for(sex=sex, birth_date=birth, today=today, horizon_days=400):
        rule = rules[item.code]
        assert (item.window_start, item.window_end) == rule.window(birth)
        assert rule.group_start.on(birth) <= item.window_start < item.window_end <= rule.group_end.on(birth)


@settings(max_examples=300, deadline=None)
@given(birth=births, sex=sexes, today=todays)
def test_nothing_due_is_missed_r_ag_3(birth: date, sex: str, today: date) -> None:
    proposed = _codes([i for i in engine.items_for(sex=sex, birth_date=birth, today=today) if i.due])
    for rule in ruleset().rules:
        start, end = rule.window(birth)
        if rule.applies_to(sex) and start <= today < end:
            assert rule.code in proposed


@settings(max_examples=300, deadline=None)
@given(birth=births, sex=sexes, today=todays)
def test_nothing_outside_its_window_is_proposed_r_ag_3(birth: date, sex: str, today: date) -> None:
    for item in engine.items_for(sex=sex, birth_date=birth, today=today, horizon_days=200):
        if item.due:
            assert item.window_start <= today < item.window_end
        else:
            assert today < item.window_start <= today + timedelta(days=200)


@settings(max_examples=300, deadline=None)
@given(birth=births, sex=sexes, today=todays)
def test_sex_specific_rules_are_respected_r_ag_3(birth: date, sex: str, today: date) -> None:
    rules = ruleset().by_code()
    for item in engine.items_for(sex=sex, birth_date=birth, today=today, horizon_days=400):
        assert rules[item.code].applies_to(sex)
