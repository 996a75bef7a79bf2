"""The prevention rules as data (ARCHITECTURE invariant 7; SPEC §6, R-AG-3, R-AG-4).

``data/prevention/rules.json`` holds the child examinations, M'T dents, organised screenings and prevention
check-ups, with their public sources. Vaccination occurrences are derived from the general schedule of
``data/vaccines.json`` (``calendar``, read through ``profile.vitals.referential``): this module only adds
their windows, so the schedule is written once.

Every rule is expanded into *occurrences* (``PreventionRule``): one code, one kind, one age window
``[start, end)`` counted from the birth date, the sexes it applies to and a "why am I seeing this" text.

The file's texts (labels, "why" texts, sources) are French and are gettext message ids: they are listed in
``carnet/data/data_strings.py`` (generated, see ``carnet.data.build_strings``), translated in the catalogue,
and the engine translates them when it builds a person's items, in the language of the page.
"""

from __future__ import annotations

import calendar as _calendar
import json
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

RULES_FILE = Path(__file__).resolve().parents[2] / "data" / "prevention" / "rules.json"


class Kind(StrEnum):
    """Kinds a person can opt out of, all at once, without justification (R-AG-3)."""

    VACCINATION = "VACCINATION"
    CHILD_EXAM = "CHILD_EXAM"
    DENTAL = "DENTAL"
    SCREENING = "SCREENING"
    CHECKUP = "CHECKUP"


KIND_LABELS: dict[str, Any] = {
    Kind.VACCINATION: _("Vaccinations"),
    Kind.CHILD_EXAM: _("Examens obligatoires de l'enfant"),
    Kind.DENTAL: _("Examens dentaires M'T dents"),
    Kind.SCREENING: _("Dépistages organisés"),
    Kind.CHECKUP: _("Bilans prévention"),
}


@dataclass(frozen=True)
class Age:
    """An exact age: ``years`` + ``months`` + ``days`` after the birth date."""

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, raw: dict[str, int]) -> Age:
        unknown = set(raw) - {"y", "m", "d"}
        if unknown:
            raise ValueError(f"age keys must be y, m, d: {sorted(unknown)}")
        return cls(raw.get("y", 0), raw.get("m", 0), raw.get("d", 0))

    def total_days_estimate(self) -> float:
        return self.years * 365.25 + self.months * 30.44 + self.days

    def on(self, birth_date: date) -> date:
        """The day a person born on ``birth_date`` reaches this age (29 Feb → 28 Feb, 31st → month end)."""
        month_index = birth_date.month - 1 + self.months
        year = birth_date.year + self.years + month_index // 12
        month = month_index % 12 + 1
        day = min(birth_date.day, _calendar.monthrange(year, month)[1])
        return date(year, month, day) + timedelta(days=self.days)


@dataclass(frozen=True)
class PreventionRule:
    """One occurrence: ``code`` is unique; ``group`` is the rule it comes from (with its own age bounds)."""

    code: str
    kind: Kind
    group: str
    label_fr: str  # the label in French (the file's, with its age); pages show ``engine.rule_label``
    start: Age
    end: Age  # exclusive
    group_start: Age
    group_end: Age  # exclusive
    sexes: frozenset[str]
    why_fr: str  # a message id of the catalogue, like the source
    source: str
    vaccine: str = ""  # vaccines.json code of a vaccination occurrence
    targets: tuple[str, ...] = ()  # diseases whose recorded doses mark it done
    mandatory: bool = False
    label_msgid: str = ""  # the file's label, "{age}" left in (a message id of the catalogue)
    label_age: int | None = None  # the age a series label gives its "{age}"
    open_ended: bool = False  # recurs until the calendar's maximum age: "from age N", not "N to 119"

    def applies_to(self, sex: str) -> bool:
        return not self.sexes or sex in self.sexes

    def window(self, birth_date: date) -> tuple[date, date]:
        return self.start.on(birth_date), self.end.on(birth_date)


@dataclass(frozen=True, eq=False)  # hashed by identity: the engine caches windows per rule set
class RuleSet:
    version: str
    effective_date: date
    sources: dict[str, str]
    rules: tuple[PreventionRule, ...]
    early_tolerance_days: int

    def by_code(self) -> dict[str, PreventionRule]:
        return {rule.code: rule for rule in self.rules}


def _years(n: int) -> Age:
    return Age(years=n)


def _expand_series(raw: dict[str, Any], source: str) -> list[PreventionRule]:
    series = raw["series"]
    if "at_years" in series:
        ages = [(a, a + series["window_years"]) for a in series["at_years"]]
    else:
        start, stop, every = series["from_years"], series["to_years"], series["every_years"]
        ages = [(a, min(a + every, stop)) for a in range(start, stop, every)]
    group_start, group_end = _years(ages[0][0]), _years(max(end for _, end in ages))
    return [
        PreventionRule(
            code=f"{raw['code']}_{a}",
            kind=Kind(raw["kind"]),
            group=raw["code"],
            label_fr=raw["label_fr"].format(age=a),
            label_msgid=raw["label_fr"],
            label_age=a,
            start=_years(a),
            end=_years(b),
            group_start=group_start,
            group_end=group_end,
            sexes=frozenset(raw.get("sexes", [])),
            why_fr=raw.get("why_fr", ""),
            source=source,
        )
        for a, b in ages
    ]


def _single(raw: dict[str, Any], source: str) -> PreventionRule:
    start, end = Age.parse(raw["start"]), Age.parse(raw["end"])
    return PreventionRule(
        code=raw["code"],
        kind=Kind(raw["kind"]),
        group=raw["code"],
        label_fr=raw["label_fr"],
        label_msgid=raw["label_fr"],
        start=start,
        end=end,
        group_start=start,
        group_end=end,
        sexes=frozenset(raw.get("sexes", [])),
        why_fr=raw.get("why_fr", ""),
        source=source,
    )


def _vaccination_rules(config: dict[str, Any], source: str) -> list[PreventionRule]:
    from carnet.profile.vitals import referential

    vaccines = referential.vaccines()
    overrides = {key: Age.parse(value) for key, value in config.get("window_overrides", {}).items()}
    max_age = config["recurring_max_age_years"]
    rules: list[PreventionRule] = []
    for row in referential.calendar():
        code = row["vaccine"]
        definition = vaccines[code]
        why = config["why_mandatory_fr"] if row.get("mandatory") else config["why_fr"]
        occurrences: list[tuple[str, Age, Age]] = []
        for months in row.get("ages_months", []):
            key = f"{code}@{months}M"
            width = overrides.get(key, Age(months=config["months_dose_window_months"]))
            occurrences.append((key, Age(months=months), _plus(Age(months=months), width)))
        for years in row.get("ages_years", []):
            key = f"{code}@{years}Y"
            width = overrides.get(key, Age(years=config["years_dose_window_years"]))
            occurrences.append((key, Age(years=years), _plus(Age(years=years), width)))
        if "from_age_years" in row:
            first = row["from_age_years"]
            every = row.get("every_years")
            if every:
                for years in range(first, max_age, every):
                    occurrences.append(
                        (f"{code}@{years}Y", _years(years), _years(min(years + every, max_age)))
                    )
            else:
                occurrences.append((f"{code}@{first}Y+", _years(first), _years(max_age)))
        if not occurrences:
            continue
        group_start = min((o[1] for o in occurrences), key=Age.total_days_estimate)
        group_end = max((o[2] for o in occurrences), key=Age.total_days_estimate)
        for key, start, end in occurrences:
            rules.append(
                PreventionRule(
                    code="VAC_" + key.replace("@", "_").replace("+", "_PLUS"),
                    kind=Kind.VACCINATION,
                    group=f"VAC_{code}",
                    label_fr=f"Vaccination : {definition.name_fr} ({_age_label(start)})",
                    start=start,
                    end=end,
                    group_start=group_start,
                    group_end=group_end,
                    sexes=frozenset(),
                    why_fr=why,
                    source=source,
                    vaccine=code,
                    targets=tuple(definition.targets),
                    mandatory=bool(row.get("mandatory")),
                    open_ended=end == _years(max_age),
                )
            )
    return rules


def _plus(a: Age, b: Age) -> Age:
    return Age(a.years + b.years, a.months + b.months, a.days + b.days)


def _age_label(age: Age) -> str:
    """The French age of ``label_fr`` (pages translate: ``engine.age_text``)."""
    if age.years:
        return f"{age.years} an" if age.years == 1 else f"{age.years} ans"
    if age.months:
        return f"{age.months} mois"
    return f"{age.days} jour" if age.days == 1 else f"{age.days} jours"


def load(path: Path = RULES_FILE) -> RuleSet:
    """Read and check the rule file (unique codes, windows of positive length, known kinds)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("format") != "carnet-prevention/1":
        raise ValueError(f"{path.name}: unknown format {raw.get('format')!r}")
    sources: dict[str, str] = raw["sources"]
    rules: list[PreventionRule] = _vaccination_rules(raw["vaccination"], sources[Kind.VACCINATION])
    for entry in raw["rules"]:
        source = sources[entry["kind"]]
        rules.extend(_expand_series(entry, source) if "series" in entry else [_single(entry, source)])
    codes = [rule.code for rule in rules]
    duplicates = {code for code in codes if codes.count(code) > 1}
    if duplicates:
        raise ValueError(f"{path.name}: duplicate occurrence codes {sorted(duplicates)}")
    reference = date(2000, 3, 1)
    for rule in rules:
        start, end = rule.window(reference)
        if not start < end:
            raise ValueError(f"{path.name}: {rule.code} has an empty window")
    return RuleSet(
        version=raw["version"],
        effective_date=date.fromisoformat(raw["effective_date"]),
        sources=sources,
        rules=tuple(rules),
        early_tolerance_days=int(raw["vaccination"]["early_tolerance_days"]),
    )


@lru_cache(maxsize=1)
def ruleset() -> RuleSet:
    """The rules loaded once per process (invariant 7: loaded at start, not code)."""
    return load()
