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
            if compiled.gettext(entry.msgid) != entry.msgstr:
                stale.append(_where(entry))
        elif [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)] != entry.translations:
            stale.append(_where(entry))
    assert stale == [], "django.mo is out of date: run `carnet compilemessages -l en` from src/carnet"
    compiled_ids = {key[0] if isinstance(key, tuple) else key for key in compiled._catalog} - {""}
    assert compiled_ids == {entry.msgid for entry in reviewed}


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
