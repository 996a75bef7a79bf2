"""The English catalogue (``src/carnet/locale/en``): complete, reviewed, compiled and in step with the source.

The interface is written in French inside gettext calls; English is the second language of ``LANGUAGES``.
See docs/subsystems/i18n.md for the commands that update the catalogue.
"""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from . import po

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w*\}|%[sdif]")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")


def _catalogue_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"


@pytest.fixture(scope="module")
def entries() -> list[po.Entry]:
    return [entry for entry in po.parse(_catalogue_dir() / "django.po") if not entry.obsolete]


def _where(entry: po.Entry) -> str:
    return f"django.po:{entry.line} {entry.msgid[:70]!r}"


def test_english_catalogue_exists_and_is_not_trivially_small(entries: list[po.Entry]) -> None:
    assert len(entries) > 500


def test_english_catalogue_has_no_empty_translation(entries: list[po.Entry]) -> None:
    empty = [_where(entry) for entry in entries if not all(entry.translations)]
    assert empty == [], "untranslated entries (translate them, see docs/subsystems/i18n.md)"


def test_english_catalogue_has_no_fuzzy_entry(entries: list[po.Entry]) -> None:
    fuzzy = [_where(entry) for entry in entries if "fuzzy" in entry.flags]
    assert fuzzy == [], "fuzzy entries are guesses by msgmerge: check each one, then remove '#, fuzzy'"


def test_plural_entries_have_both_english_forms(entries: list[po.Entry]) -> None:
    plurals = [entry for entry in entries if entry.msgid_plural is not None]
    assert plurals, "the catalogue is expected to contain plural entries"
    for entry in plurals:
        assert sorted(entry.msgstr_plural) == [0, 1], _where(entry)


def test_translations_keep_every_placeholder_of_the_french_text(entries: list[po.Entry]) -> None:
    broken = []
    for entry in entries:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        for source, translation in zip(sources, entry.translations, strict=False):
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                broken.append(_where(entry))
    assert broken == []


def test_translations_keep_the_html_tags_of_the_french_text(entries: list[po.Entry]) -> None:
    broken = [
        _where(entry)
        for entry in entries
        if sorted(TAG.findall(entry.msgid)) != sorted(TAG.findall(entry.translations[0]))
    ]
    assert broken == []


def test_compiled_catalogue_matches_the_po_file(entries: list[po.Entry]) -> None:
    """The shipped ``django.mo`` holds exactly the translations of ``django.po`` (run compilemessages)."""
    with (_catalogue_dir() / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    reviewed = [entry for entry in entries if all(entry.translations) and "fuzzy" not in entry.flags]
    stale = []
    for entry in reviewed:
        if entry.msgid_plural is None:
            found = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt is not None
                else compiled.gettext(entry.msgid)
            )
            if found != entry.msgstr:
                stale.append(_where(entry))
        elif [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)] != entry.translations:
            stale.append(_where(entry))
    assert stale == [], "django.mo is out of date: run `carnet compilemessages -l en` from src/carnet"
    compiled_ids = {key[0] if isinstance(key, tuple) else key for key in compiled._catalog} - {""}
    # a message with a context ({% translate "…" context "…" %}, pgettext) is keyed "context\x04message"
    assert compiled_ids == {
        entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}" for entry in reviewed
    }


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_every_translatable_string_of_the_source_is_in_the_english_catalogue(
    entries: list[po.Entry], settings: SettingsWrapper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs makemessages on a copy of the source: a string wrapped in gettext but absent from django.po fails."""
    source = Path(settings.LOCALE_PATHS[0]).parent
    copy = tmp_path / "carnet"
    shutil.copytree(
        source, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "static", "migrations")
    )
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["en"], verbosity=0, no_location=True)
    extracted = {entry.msgid for entry in po.parse(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")}
    missing = sorted(extracted - {entry.msgid for entry in entries})
    assert missing == [], "new strings: update the catalogue as described in docs/subsystems/i18n.md"


# --------------------------------------------------------------------------------------------------
# The French text itself: no internal reference, no lost or doubled space (docs/subsystems/i18n.md)

INTERNAL_REFERENCE = re.compile(r"\bR-[A-Z]{2,5}(?:-\d+)?\b|\bSPEC\b|§|\bdata/[\w/.-]+\.(?:json|csv)\b|\[I\]")
SPACING = {
    "two spaces in a row": re.compile(r"\S {2,}\S"),
    "a space before a comma": re.compile(r"\w ,"),
    "no space before : ; ? ! (French typography)": re.compile(r"[\wÀ-ÿ)»][;?!:](?=\s|$)"),
    "a word glued to a link or emphasis": re.compile(
        r"[\wÀ-ÿ]<(?:a|strong|em|code|abbr)\b|</(?:a|strong|em|code|abbr)>[\wÀ-ÿ]"
    ),
    "a leading or trailing space": re.compile(r"^\s|\s$"),
}


def _sources(entry: po.Entry) -> list[str]:
    return [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]


def test_no_french_string_names_a_rule_id_the_spec_or_a_data_file(entries: list[po.Entry]) -> None:
    """Rule ids (R-AG-3), "SPEC §6" and data file names stay in code and tests, never in what people read."""
    found = [_where(entry) for entry in entries if any(INTERNAL_REFERENCE.search(s) for s in _sources(entry))]
    assert found == []


@pytest.mark.parametrize("problem", sorted(SPACING))
def test_french_strings_have_no_lost_or_doubled_space(entries: list[po.Entry], problem: str) -> None:
    pattern = SPACING[problem]
    found = [_where(entry) for entry in entries if any(pattern.search(s) for s in _sources(entry))]
    assert found == []


def test_english_translations_use_english_punctuation(entries: list[po.Entry]) -> None:
    """No French space before a colon, semicolon, question or exclamation mark in English."""
    french_spacing = re.compile(r"\S [:;?!](?:\s|$)")
    found = [_where(entry) for entry in entries if any(french_spacing.search(t) for t in entry.translations)]
    assert found == []


def test_the_spacing_checks_catch_what_they_look_for() -> None:
    assert SPACING["two spaces in a row"].search("les  conditions")
    assert SPACING["no space before : ; ? ! (French typography)"].search("col de l'utérus: test HPV")
    assert SPACING["a word glued to a link or emphasis"].search('les<a href="/cgu/">conditions</a>')
    assert INTERNAL_REFERENCE.search("(SPEC §6, R-AG-3)") and INTERNAL_REFERENCE.search("data/vaccines.json")
    assert not INTERNAL_REFERENCE.search("article R1111-26 du code de la santé publique")
