"""Request and response shapes of the JSON API (OpenAPI at ``/api/openapi.json``).

Patients are named by their public id (a UUID) or, in request bodies only, by their INS: a NIR never
appears in a URL or a query string (logs keep URLs).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from carnet.access.facts import AccessMode
from carnet.records import codes
from carnet.records.models import DocumentStatus

from .resolvers import INS_OIDS


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


# --------------------------------------------------------------------------------------------------
# Request bodies: what the OpenAPI document says is exactly what the server accepts (issue 13).
#
# * A body is a JSON object with the declared fields only (``extra="forbid"``), none of them null: an
#   optional field is omitted, never null. ninja's ``Schema`` would read a string, a number or a list
#   attribute by attribute ("hello world".title() became a title): inputs are plain pydantic models.
# * Every constraint the services check on the shape of a value is declared here, so the schema tells it
#   and pydantic refuses with 422 before any service runs: lengths, non-blank text, code lists (enums read
#   from the versioned data files), UUIDs in their canonical form, ISO dates, at least one field to change.
# * Types are strict where pydantic's lax mode would accept what the schema refuses (0 for false, a number
#   of seconds for a date, a UUID without dashes).


def _canonical_uuid(value: Any) -> Any:
    if isinstance(value, str) and not _UUID.fullmatch(value):
        raise PydanticCustomError("uuid_format", "canonical UUID expected (8-4-4-4-12 hexadecimal digits)")
    if not isinstance(value, str | uuid.UUID):
        raise PydanticCustomError("uuid_type", "a UUID string is expected")
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not _DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "date expected as YYYY-MM-DD")
    if not isinstance(value, str | date):
        raise PydanticCustomError("date_type", "a date string is expected")
    return value


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Text someone will read: at least one character that is neither a space nor a bidi control (which the
# services remove, carnet.common.text) — the services refuse a title left empty.
NON_BLANK = r"[^\s\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
# Base64 as the services decode it (whitespace ignored, padded groups of 4), at least one byte.
BASE64 = (
    r"^(?:(?:\s*[A-Za-z0-9+/]){4})*"
    r"(?:(?:\s*[A-Za-z0-9+/]){4}|(?:\s*[A-Za-z0-9+/]){3}\s*=|(?:\s*[A-Za-z0-9+/]){2}\s*=\s*=)\s*$"
)

Uuid = Annotated[uuid.UUID, BeforeValidator(_canonical_uuid)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=NON_BLANK)]
Base64 = Annotated[str, StringConstraints(min_length=4, pattern=BASE64)]


def _code_list(filename: str) -> tuple[str, ...]:
    return tuple(codes.code_list(filename))


# Code lists (data/codes, loaded at start: ARCHITECTURE invariant 7), as enums in the schema.
Permission = Literal["permit", "deny"]
ConsentKind = Literal["CARE_TEAM", "EXPLICIT", "TEMPORARY"]  # DECLARED_BY_PATIENT is the holder's own
EmergencyMode = Literal["BTG", "SAMU"]
if TYPE_CHECKING:
    TypeCode = str
    ClassCode = str
    ConfidentialityCode = str
    PracticeSetting = str
    FacilityType = str
    AuthorSpecialty = str
    UploadCategory = str
    Category = str
    InsOid = str
    DocumentStatusCode = str
else:
    TypeCode = Literal[_code_list(codes.J07)]
    ClassCode = Literal[_code_list(codes.J57)]
    ConfidentialityCode = Literal[_code_list(codes.J08)]
    PracticeSetting = Literal[_code_list(codes.J04)]
    FacilityType = Literal[_code_list(codes.J02)]
    AuthorSpecialty = Literal[_code_list(codes.J01)]
    # R-FMT-4: the categories a holder's upload may carry (the others are made by the platform).
    UploadCategory = Literal[tuple({**codes.PATIENT_TYPE_BY_CATEGORY, **codes.PROFILE_PATIENT_TYPES})]
    Category = Literal[tuple(c.value for c in codes.Category)]
    InsOid = Literal[tuple(o for oid in sorted(INS_OIDS) for o in (oid, f"urn:oid:{oid}"))]
    DocumentStatusCode = Literal[tuple(DocumentStatus.values)]


def _no_null_in_schema(schema: dict[str, Any]) -> None:
    """Optional fields are omitted, never null: drop ``null`` from their schema (and the null default)."""
    for prop in schema.get("properties", {}).values():
        options = prop.get("anyOf")
        if options and {"type": "null"} in options:
            options.remove({"type": "null"})
            if len(options) == 1:
                prop.update(options.pop())
                del prop["anyOf"]
        if prop.get("default", 0) is None:
            del prop["default"]


class InputSchema(BaseModel):
    """A request body: a JSON object of the declared fields only; an optional field is omitted, not null."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_in_schema)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("null_refused", "null is not accepted: omit the field")
        return value


def _at_least_one_field(schema: dict[str, Any]) -> None:
    _no_null_in_schema(schema)
    schema["minProperties"] = 1


def _patient_ref_schema(schema: dict[str, Any]) -> None:
    _no_null_in_schema(schema)
    schema["anyOf"] = [{"required": ["id"]}, {"required": ["ins"]}]


class PatientRef(InputSchema):
    """A patient: his public id, or his INS (matricule + OID ``urn:oid:1.2.250.1.213.1.4.8``/``.10``...)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_patient_ref_schema)

    id: Uuid | None = None
    # matricule INS (NIR/NIA, R-ID-2): 15 characters, "2A"/"2B" for a birth in Corsica
    ins: str | None = Field(default=None, pattern=r"^[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}$")
    ins_oid: InsOid | None = None

    @model_validator(mode="after")
    def _id_or_ins(self) -> PatientRef:
        if self.id is None and self.ins is None:
            raise PydanticCustomError("patient_required", "give the patient's id or INS")
        return self


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


class SearchIn(InputSchema):
    patient: PatientRef
    category: Category | None = None
    include_deprecated: StrictBool = False
    mode: AccessMode = AccessMode.NORMAL  # BTG/SAMU: under the caller's open emergency session


class MetadataFields(InputSchema):
    type_code: TypeCode | None = None
    class_code: ClassCode | None = None
    title: Title | None = None
    confidentiality: list[ConfidentialityCode] | None = Field(default=None, min_length=1, max_length=4)
    practice_setting: PracticeSetting | None = None
    facility_type: FacilityType | None = None
    author_specialty: AuthorSpecialty | None = None
    service_start: IsoDate | None = None
    category: UploadCategory | None = None


class DepositIn(MetadataFields):
    """A deposit with its content in base64 (for multipart, use ``/documents/upload``)."""

    patient: PatientRef
    content_base64: Base64
    filename: str = Field(default="", max_length=255)
    media_type: str = Field(default="", max_length=100)


class ReplaceIn(MetadataFields):
    """R-VER-1: a new version; metadata not given are taken from the replaced document."""

    content_base64: Base64
    filename: str = Field(default="", max_length=255)
    media_type: str = Field(default="", max_length=100)


class MetadataUpdateIn(InputSchema):
    """R-VER-1: at least one of the title, the confidentiality codes, the status."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_at_least_one_field)

    title: Title | None = None
    confidentiality: list[ConfidentialityCode] | None = Field(default=None, min_length=1, max_length=4)
    status: DocumentStatusCode | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> MetadataUpdateIn:
        if not self.model_fields_set:
            raise PydanticCustomError("nothing_to_change", "give at least one field to change")
        return self


class BulkDeleteIn(InputSchema):
    """R-DOC-10: at most 10 of the holder's own uploads, all or nothing."""

    document_ids: list[Uuid] = Field(min_length=1, max_length=10)


class DeletedOut(Schema):
    deleted: list[uuid.UUID]


class EmergencySettingsIn(InputSchema):
    """R-EM-4: each "permit" or "deny" (omitted: unchanged); at least one."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_at_least_one_field)

    etreat: Permission | None = None
    btg: Permission | None = None
    masked: Permission | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> EmergencySettingsIn:
        if not self.model_fields_set:
            raise PydanticCustomError("nothing_to_change", "give at least one field to change")
        return self


class EmergencySettingsOut(Schema):
    etreat: str
    btg: str
    masked: str


class DeclareIn(InputSchema):
    medecin_traitant: StrictBool = False


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


def _consent_schema(schema: dict[str, Any]) -> None:
    _no_null_in_schema(schema)
    schema["allOf"] = [
        {  # R-AC-16: a temporary access needs the holder's one-time code
            "if": {"properties": {"kind": {"const": "TEMPORARY"}}},
            "then": {"required": ["access_code"], "properties": {"access_code": {"pattern": NON_BLANK}}},
        },
        {  # R-AC-11: only a care-team consent is given to an establishment
            "if": {"required": ["organisation_id"]},
            "then": {"properties": {"kind": {"const": "CARE_TEAM"}}},
        },
    ]


class ConsentIn(InputSchema):
    """R-AC-14: CARE_TEAM (R-AC-11), EXPLICIT (R-AC-12) or TEMPORARY with the patient's code (R-AC-16)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_consent_schema)

    kind: ConsentKind
    access_code: str = Field(default="", max_length=32)
    organisation_id: Uuid | None = None  # care team of an establishment

    @model_validator(mode="after")
    def _coherent(self) -> ConsentIn:
        if self.kind == "TEMPORARY" and not re.search(NON_BLANK, self.access_code):
            raise PydanticCustomError("access_code_required", "a temporary access needs the access code")
        if self.organisation_id is not None and self.kind != "CARE_TEAM":
            raise PydanticCustomError(
                "care_team_only", "only a care-team consent is given to an establishment"
            )
        return self


class AccessCodeOut(Schema):
    code: str
    expires_at: datetime


def _break_glass_schema(schema: dict[str, Any]) -> None:
    _no_null_in_schema(schema)
    # R-EM-6: break-the-glass (the default mode) needs a written reason; SAMU regulation does not.
    schema["if"] = {"properties": {"mode": {"const": "BTG"}}}
    schema["then"] = {"required": ["reason"], "properties": {"reason": {"pattern": NON_BLANK}}}


class BreakGlassIn(InputSchema):
    """R-EM-1/6: mode BTG (reason required) or SAMU (regulators)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_break_glass_schema)

    reason: str = Field(default="", max_length=500)
    mode: EmergencyMode = "BTG"

    @model_validator(mode="after")
    def _reason_for_btg(self) -> BreakGlassIn:
        if self.mode == "BTG" and not re.search(NON_BLANK, self.reason):
            raise PydanticCustomError("reason_required", "break-the-glass needs a written reason")
        return self


class BreakGlassOut(Schema):
    id: uuid.UUID
    mode: str
    started_at: datetime
    expires_at: datetime
