"""Request and response shapes of the JSON API (OpenAPI at ``/api/openapi.json``).

Patients are named by their public id (a UUID) or, in request bodies only, by their INS: a NIR never
appears in a URL or a query string (logs keep URLs).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from ninja import Field, Schema
from pydantic import BaseModel

from carnet.access.facts import AccessMode


class ErrorOut(Schema):
    """Every refusal: the field at fault (or null), a stable code, a message (French, or English with
    ``Accept-Language: en``). 404 answers the same for "missing" and "not allowed"."""

    field: str | None = None
    code: str
    message: str


class OAuthErrorOut(Schema):
    """RFC 6749 §5.2."""

    error: str
    error_description: str = ""


class TokenOut(Schema):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6750 token type, not a secret
    expires_in: int
    scope: str


class PatientRef(Schema):
    """A patient: his public id, or his INS (matricule + OID ``urn:oid:1.2.250.1.213.1.4.8``/``.10``...)."""

    id: uuid.UUID | None = None
    ins: str | None = Field(default=None, max_length=15)
    ins_oid: str | None = Field(default=None, max_length=48)


# The document read shapes are plain pydantic models, built field by field in the handlers
# (``api.routers.documents.document_out``), never read off ORM objects: ninja's ``Schema`` would re-walk
# every built instance through its attribute resolver, which on a 12-document list cost more than the
# policy decisions (bench/README.md). Same OpenAPI, same JSON.
class AuthorOut(BaseModel):
    kind: str
    id: str | None = None
    name: str = ""


class DocumentOut(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    status: str
    type_code: str
    class_code: str
    title: str
    confidentiality: list[str]
    practice_setting: str
    facility_type: str
    author: AuthorOut
    author_specialty: str
    service_start: date | None = None
    deposited_at: datetime
    media_type: str
    size: int
    sha256: str = ""
    replaces: uuid.UUID | None = None
    category: str


class DocumentListOut(BaseModel):
    patient_id: uuid.UUID
    count: int
    documents: list[DocumentOut]


class SearchIn(Schema):
    patient: PatientRef
    category: str | None = None
    include_deprecated: bool = False
    mode: AccessMode = AccessMode.NORMAL  # BTG/SAMU: under the caller's open emergency session


class MetadataFields(Schema):
    type_code: str | None = Field(default=None, max_length=32)
    class_code: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=255)
    confidentiality: list[str] | None = Field(default=None, max_length=4)
    practice_setting: str | None = Field(default=None, max_length=32)
    facility_type: str | None = Field(default=None, max_length=16)
    author_specialty: str | None = Field(default=None, max_length=32)
    service_start: date | None = None
    category: str | None = Field(default=None, max_length=16)


class DepositIn(MetadataFields):
    """A deposit with its content in base64 (for multipart, use ``/documents/upload``)."""

    patient: PatientRef
    content_base64: str
    filename: str = Field(default="", max_length=255)
    media_type: str = Field(default="", max_length=100)


class ReplaceIn(MetadataFields):
    """R-VER-1: a new version; metadata not given are taken from the replaced document."""

    content_base64: str
    filename: str = Field(default="", max_length=255)
    media_type: str = Field(default="", max_length=100)


class MetadataUpdateIn(Schema):
    title: str | None = Field(default=None, max_length=255)
    confidentiality: list[str] | None = None
    status: str | None = None


class BulkDeleteIn(Schema):
    """R-DOC-10: at most 10 of the holder's own uploads, all or nothing."""

    document_ids: list[str]


class DeletedOut(Schema):
    deleted: list[uuid.UUID]


class EmergencySettingsIn(Schema):
    """R-EM-4: each "permit" or "deny" (omitted: unchanged)."""

    etreat: str | None = None
    btg: str | None = None
    masked: str | None = None


class EmergencySettingsOut(Schema):
    etreat: str
    btg: str
    masked: str


class DeclareIn(Schema):
    medecin_traitant: bool = False


class RelationOut(Schema):
    id: uuid.UUID
    kind: str
    started_at: datetime
    expires_at: datetime | None = None


class StandingOut(Schema):
    professional_id: uuid.UUID
    blocked: bool
    medecin_traitant: bool
    administrator: bool


class ConsentIn(Schema):
    """R-AC-14: CARE_TEAM (R-AC-11), EXPLICIT (R-AC-12) or TEMPORARY with the patient's code (R-AC-16)."""

    kind: str
    access_code: str = Field(default="", max_length=32)
    organisation_id: uuid.UUID | None = None  # care team of an establishment


class AccessCodeOut(Schema):
    code: str
    expires_at: datetime


class BreakGlassIn(Schema):
    """R-EM-1/6: mode BTG (reason required) or SAMU (regulators)."""

    reason: str = Field(default="", max_length=500)
    mode: str = "BTG"


class BreakGlassOut(Schema):
    id: uuid.UUID
    mode: str
    started_at: datetime
    expires_at: datetime
