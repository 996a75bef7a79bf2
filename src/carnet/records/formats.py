"""File formats of deposits (SPEC §2.7): type sniffed from the content's magic bytes, never from the file
name or the declared type (R-FMT-2), and the header of HL7 CDA R2 documents (R-FMT-1) read with
``defusedxml`` (no DTD, no entities, no external references).
"""

from __future__ import annotations

import io
import itertools
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.utils.translation import gettext_lazy as _

from carnet.common.errors import DomainError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
TEXT = "text/plain"
RTF = "application/rtf"
MSWORD = "application/msword"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XML = "text/xml"

# R-FMT-2: what a patient may upload (DOCX counted as "MS Word" [I]).
PATIENT_MEDIA_TYPES = frozenset({PDF, JPEG, PNG, TIFF, TEXT, RTF, MSWORD, DOCX})
# R-FMT-1: professionals deposit PDF or CDA R2 XML.
PROFESSIONAL_MEDIA_TYPES = frozenset({PDF, XML})
# Contents a browser may show inline from our origin (a preview); anything else (Word, RTF, TIFF, CDA
# XML...) is only ever downloaded, never rendered (an XML or HTML-like content could carry scripts).
PREVIEWABLE_MEDIA_TYPES = frozenset({PDF, JPEG, PNG, TEXT})

_ALIASES = {
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "application/x-pdf": PDF,
    "text/rtf": RTF,
    "application/xml": XML,
    "application/hl7-v3+xml": XML,
    "application/hl7-cda+xml": XML,
}
_UNSPECIFIED = {"", "application/octet-stream", "binary/octet-stream"}


def normalise_media_type(value: str) -> str:
    base = (value or "").split(";")[0].strip().lower()
    return _ALIASES.get(base, base)


def _is_docx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False


def _looks_like_xml(content: bytes) -> bool:
    head = content[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<?xml") or head.startswith(b"<")


def _is_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\n\r\f" for ch in text[:65536])


def sniff(content: bytes) -> str | None:
    """The media type the content's own bytes prove, or None for anything else."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if content.startswith(b"{\\rtf"):
        return RTF
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return MSWORD  # OLE2 compound file (.doc)
    if content.startswith(b"PK\x03\x04"):
        return DOCX if _is_docx(content) else None
    if _is_text(content):
        return XML if _looks_like_xml(content) else TEXT
    return None


def check_media_type(content: bytes, declared: str, allowed: frozenset[str]) -> str:
    """The sniffed media type if allowed and consistent with the declared one; else a DomainError on
    ``content`` (R-FMT-2)."""
    sniffed = sniff(content)
    if sniffed == XML and XML not in allowed and TEXT in allowed:
        sniffed = TEXT  # an XML file is plain text for a patient upload
    if sniffed is None or sniffed not in allowed:
        raise DomainError(
            _("Format de fichier non accepté : le contenu n'est pas d'un type autorisé."),
            code="unsupported_format",
            field="content",
        )
    wanted = normalise_media_type(declared)
    if wanted not in _UNSPECIFIED and wanted != sniffed and not (sniffed == TEXT and wanted == XML):
        raise DomainError(
            _("Le contenu du fichier ne correspond pas au type déclaré."),
            code="media_type_mismatch",
            field="content",
        )
    return sniffed


# --------------------------------------------------------------------------------------------------
# CDA R2 header

HL7 = "urn:hl7-org:v3"
_NS = {"hl7": HL7}


@dataclass(frozen=True)
class CdaHeader:
    type_code: str
    title: str
    confidentiality: tuple[str, ...]
    effective_time: datetime | None
    patient_ids: tuple[tuple[str, str], ...]  # (root OID, extension)
    service_start: date | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _cda_error(message: object, field: str = "content") -> DomainError:
    return DomainError(message, code="invalid_cda", field=field)  # type: ignore[arg-type]


def _hl7_time(value: str | None) -> datetime | None:
    """An HL7 TS (``YYYYMMDD[HHMM[SS]][+ZZZZ]``) as an aware datetime (UTC when no offset is given)."""
    if not value:
        return None
    digits = "".join(itertools.takewhile(str.isdigit, value))
    offset = value[len(digits) :]
    if offset.startswith("."):
        offset = offset[1:].lstrip("0123456789")
    if len(digits) < 8:
        return None
    digits = digits[:14].ljust(14, "0")
    parts = [int(digits[i : i + 2]) for i in (4, 6, 8, 10, 12)]
    zone: tzinfo = UTC
    if len(offset) >= 5 and offset[0] in "+-" and offset[1:5].isdigit():
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
    try:
        return datetime(
            int(digits[:4]),
            parts[0],
            parts[1],
            parts[2],
            parts[3],
            parts[4],
            tzinfo=zone,
        )
    except ValueError:
        return None


def parse_cda_header(content: bytes) -> CdaHeader:
    """Read the header of a CDA R2 document. DOCTYPE, entities and external references are refused."""
    head = content[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in content.lower():
        raise _cda_error(_("Document CDA refusé : les déclarations DOCTYPE et ENTITY sont interdites."))
    try:
        root = SafeET.fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _cda_error(
            _("Document CDA refusé : les déclarations DOCTYPE et ENTITY sont interdites.")
        ) from None
    except SafeET.ParseError:
        raise _cda_error(_("Document CDA illisible : le XML est mal formé.")) from None
    if root.tag != f"{{{HL7}}}ClinicalDocument":
        raise _cda_error(_("Le fichier XML n'est pas un document CDA R2 (ClinicalDocument attendu)."))
    code = root.find("hl7:code", _NS)
    type_code = (code.get("code") or "") if code is not None else ""
    if not type_code:
        raise _cda_error(
            _("Document CDA incomplet : le code du type de document (code) manque."), "type_code"
        )
    title_el = root.find("hl7:title", _NS)
    title = (title_el.text or "").strip() if title_el is not None else ""
    confidentiality = tuple(
        c for c in (el.get("code") or "" for el in root.findall("hl7:confidentialityCode", _NS)) if c
    )
    effective_el = root.find("hl7:effectiveTime", _NS)
    effective = _hl7_time(effective_el.get("value") if effective_el is not None else None)
    ids = tuple(
        (el.get("root") or "", el.get("extension") or "")
        for el in root.findall("hl7:recordTarget/hl7:patientRole/hl7:id", _NS)
    )
    low = root.find("hl7:documentationOf/hl7:serviceEvent/hl7:effectiveTime/hl7:low", _NS)
    low_time = _hl7_time(low.get("value") if low is not None else None)
    return CdaHeader(
        type_code=type_code,
        title=title,
        confidentiality=confidentiality,
        effective_time=effective,
        patient_ids=ids,
        service_start=low_time.date() if low_time is not None else None,
    )
