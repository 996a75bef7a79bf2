"""The pure prevention engine (SPEC §6, R-AG-3, R-AG-4): no database, no clock, only its arguments.

``items_for(...)`` answers "which prevention items concern this person today?" from the rules
(``rules.py``), his sex and birth date, the vaccinations recorded in his profile (disease target → dates),
the statuses he set himself and the kinds he opted out of. Each item carries its window, its status and
a "why am I seeing this" text built from the rule (ages, sex, interval, public source).

Status precedence (R-AG-4): a status set by the patient (DONE / NOT_DONE / NOT_SPECIFIED / TO_PLAN) wins;
otherwise a vaccination item is DONE when recorded doses cover all its target diseases inside its window
(a few days early still count); otherwise TO_PLAN while the window is open, NOT_SPECIFIED before it opens.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from .rules import KIND_LABELS, Age, Kind, PreventionRule, RuleSet, ruleset


class Status(StrEnum):
    TO_PLAN = "TO_PLAN"
    DONE = "DONE"
    NOT_DONE = "NOT_DONE"
    NOT_SPECIFIED = "NOT_SPECIFIED"


@dataclass(frozen=True)
class PreventionItem:
    kind: str
    code: str
    label: str
    window_start: date
    window_end: date  # exclusive: the day the window closes
    status: Status
    why: str
    due: bool  # the window contains today
    set_by_patient: bool
    recorded_done: bool  # a recorded vaccination covers it
    source: str
    mandatory: bool = False
    open_ended: bool = False  # recurs for life ("à partir du …" rather than a far end date)

    @property
    def window_last_day(self) -> date:
        return self.window_end - timedelta(days=1)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


def age_text(age: Age) -> str:
    """The age in words: "50 ans", "2 mois", "8 jours", "1 an 6 mois" in the active language."""
    parts = []
    if age.years:
        parts.append(ngettext("%(n)s an", "%(n)s ans", age.years) % {"n": age.years})
    if age.months:
        parts.append(ngettext("%(n)s mois", "%(n)s mois", age.months) % {"n": age.months})
    if age.days or not parts:
        parts.append(ngettext("%(n)s jour", "%(n)s jours", age.days) % {"n": age.days})
    return " ".join(parts)


def _whole_years(age: Age) -> bool:
    return age.months == 0 and age.days == 0


def _ages_text(rule: PreventionRule) -> str:
    """The ages of a window ``[start, end)`` as a person says them: "de 50 à 51 ans" (up to the day before the
    52nd birthday), "de 79 ans", "à partir de 75 ans", "à partir de 1 mois et avant 2 mois", "dès la
    naissance et avant 8 jours"."""
    start, end = rule.start, rule.end
    if rule.open_ended:
        return _("à partir de %(age)s") % {"age": age_text(start)}
    if start.years and _whole_years(start) and _whole_years(end):
        last = end.years - 1
        if last == start.years:
            return ngettext("de %(n)s an", "de %(n)s ans", start.years) % {"n": start.years}
        return _("de %(start)s à %(end)s ans") % {"start": start.years, "end": last}
    if start == Age():
        return _("dès la naissance et avant %(end)s") % {"end": age_text(end)}
    return _("à partir de %(start)s et avant %(end)s") % {"start": age_text(start), "end": age_text(end)}


def why_text(rule: PreventionRule) -> str:
    """ "Why am I seeing this" (R-AG-3): the rule's ages, the sex it targets, its interval and its source."""
    if rule.sexes == frozenset({"F"}):
        who = _("Proposé aux femmes %(ages)s.")
    elif rule.sexes == frozenset({"M"}):
        who = _("Proposé aux hommes %(ages)s.")
    elif rule.kind == Kind.CHILD_EXAM:
        who = _("Proposé à tous les enfants %(ages)s.")
    else:
        who = _("Proposé à toutes les personnes %(ages)s.")
    text = who % {"ages": _ages_text(rule)}
    if rule.why_fr:
        text += " " + _(rule.why_fr)
    return text + " " + _("Source : %(source)s.") % {"source": _(rule.source)}


def rule_label(rule: PreventionRule) -> str:
    """The item's title in the active language: the file's label (its message id translated, with its age),
    or "Vaccination : <vaccine> (<age>)" from the vaccines' own names in both languages."""
    if rule.vaccine:
        from carnet.profile.vitals import referential

        return _("Vaccination : %(vaccine)s (%(age)s)") % {
            "vaccine": referential.vaccines()[rule.vaccine].name,
            "age": age_text(rule.start),
        }
    if not rule.label_msgid:
        return rule.label_fr
    label = _(rule.label_msgid)
    return label.format(age=rule.label_age) if rule.label_age is not None else label


def _day_bounds(age: Age) -> tuple[int, int]:
    """Conservative bounds, in days, of the moment a person reaches ``age`` (months of 28 to 31 days,
    years of 365 or 366 days, minus a day for 29 February and month-end clamping)."""
    return (
        age.years * 365 + age.months * 28 + age.days - 3,
        age.years * 366 + age.months * 31 + age.days + 1,
    )


@lru_cache(maxsize=8)
def _bounds(rules: RuleSet) -> tuple[tuple[PreventionRule, int, int], ...]:
    """Per occurrence: the earliest age (days) its window may open and the latest it may close."""
    return tuple((rule, _day_bounds(rule.start)[0], _day_bounds(rule.end)[1]) for rule in rules.rules)


@lru_cache(maxsize=400_000)
def _windows(
    rules: RuleSet, birth_date: date, sex: str, today: date, horizon_days: int
) -> tuple[tuple[PreventionRule, date, date], ...]:
    """The occurrences for this birth date and sex whose window contains ``today`` or opens within the
    horizon, with their exact windows. Cached: a national run meets each birth date thousands of times;
    a cheap integer pre-filter skips the date arithmetic of occurrences far from the person's age."""
    age_days = (today - birth_date).days
    horizon = today + timedelta(days=horizon_days)
    out = []
    for rule, opens_min, closes_max in _bounds(rules):
        if age_days + horizon_days < opens_min or age_days >= closes_max or not rule.applies_to(sex):
            continue
        start, end = rule.window(birth_date)
        if start <= today < end or today < start <= horizon:
            out.append((rule, start, end))
    return tuple(out)


@lru_cache(maxsize=4096)
def _why_cached(rule: PreventionRule, language: str) -> str:
    return why_text(rule)


@lru_cache(maxsize=4096)
def _label_cached(rule: PreventionRule, language: str) -> str:
    return rule_label(rule)


def _covered(
    rule: PreventionRule, start: date, end: date, vaccinations: Mapping[str, Sequence[date]], early: int
) -> bool:
    if not rule.targets:
        return False
    lower = start - timedelta(days=early)
    return all(any(lower <= d < end for d in vaccinations.get(target, ())) for target in rule.targets)


def items_for(
    *,
    sex: str,
    birth_date: date,
    today: date,
    vaccinations: Mapping[str, Sequence[date]] | None = None,
    statuses: Mapping[str, str] | None = None,
    opt_outs: Collection[str] = (),
    horizon_days: int = 0,
    rules: RuleSet | None = None,
) -> list[PreventionItem]:
    """The person's prevention items (R-AG-3, R-AG-4), sorted by window start.

    Returned: the items whose window contains ``today`` (``due``) and, when ``horizon_days`` > 0, those
    opening within that many days. Items of a kind in ``opt_outs`` are never returned (R-AG-3: opt-out
    without justification). Windows are ``[window_start, window_end)``.
    """
    rules = rules or ruleset()
    vaccinations = vaccinations or {}
    statuses = statuses or {}
    items: list[PreventionItem] = []
    language = get_language() or "fr"
    for rule, start, end in _windows(rules, birth_date, sex, today, horizon_days):
        if rule.kind in opt_outs:
            continue
        due = start <= today < end
        recorded = _covered(rule, start, end, vaccinations, rules.early_tolerance_days)
        chosen = statuses.get(rule.code)
        if chosen is not None and chosen in Status.__members__:
            status = Status(chosen)
        elif recorded:
            status = Status.DONE
        else:
            status = Status.TO_PLAN if due else Status.NOT_SPECIFIED
        items.append(
            PreventionItem(
                kind=str(rule.kind),
                code=rule.code,
                label=_label_cached(rule, language),
                window_start=start,
                window_end=end,
                status=status,
                why=_why_cached(rule, language),
                due=due,
                set_by_patient=chosen in Status.__members__,
                recorded_done=recorded,
                source=rule.source,
                mandatory=rule.mandatory,
                open_ended=rule.open_ended,
            )
        )
    items.sort(key=lambda item: (item.window_start, item.code))
    return items


def reminders_due(
    *,
    sex: str,
    birth_date: date,
    today: date,
    vaccinations: Mapping[str, Sequence[date]],
    statuses: Mapping[str, str],
    opt_outs: Collection[str],
    rules: RuleSet | None = None,
) -> list[PreventionItem]:
    """Items a reminder is due for: inside their window today and still TO_PLAN (nothing done, nothing
    chosen by the patient), kinds not opted out."""
    return [
        item
        for item in items_for(
            sex=sex,
            birth_date=birth_date,
            today=today,
            vaccinations=vaccinations,
            statuses=statuses,
            opt_outs=opt_outs,
            rules=rules,
        )
        if item.due and item.status == Status.TO_PLAN
    ]
