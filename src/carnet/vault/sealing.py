"""Sealed text fields: free text about a person's health, encrypted under his data key (ADR 0008).

``SealedTextField`` is a model field whose column holds ``version ‖ nonce ‖ AES-256-GCM(text)`` under the
patient's data key (``vault.blobstore.patient_data_key``), and whose attribute is plain text::

    class Allergy(ProfileRow):
        name = SealedTextField()

    allergy.name = "Pénicilline"      # plain text on the instance
    allergy.save()                    # sealed in pre_save (key of allergy.patient_id)
    Allergy.objects.get(...).name     # opened on first access, then cached on the instance

* **Associated data** binds a ciphertext to its place: ``carnet/sealed/1|<app.model>.<field>|<public_id>``.
  Copying a sealed value into another row, another field or another patient's row (an attacker with
  database access) makes it fail authentication (``IntegrityFailure``) instead of showing.
* **Crypto-shredding**: destroying the patient's key (``patient_key_destroy``) makes every sealed value
  of his unreadable in the database, its WAL, dumps and backups alike (once no copy of the wrapped key
  survives: ADR 0008 on key backups).
* **No plaintext reaches SQL**: ``filter``/``exclude`` on a sealed field are refused (except ``isnull``
  and comparing with ``""``, i.e. "is it empty") and so is ``update(field="text")`` — there is no row to take the key and the associated data from;
  use ``seal_for(instance, "field", text)`` to get the bytes for a bulk ``update``. Sorting and searching
  happen in Python after opening, within one patient's rows (``sorted(rows, key=...)``).
* **Empty text** is stored as empty bytes, without a key (a blank comment is not worth a key): emptiness
  and the ciphertext's length (text length + 29 bytes) are visible, the text is not.
* Keys come from, in this order: a key attached to the instance by a loader that read it with the rows
  (``attach_key``, the record's read path, ADR 0005), the unit of work's key ring (``vault.keyring``),
  the ``records_patientkey`` row.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from .errors import IntegrityFailure, KeyDestroyed

__all__ = [
    "IntegrityFailure",
    "KeyDestroyed",
    "SealedTextField",
    "attach_key",
    "open_text",
    "seal_for",
    "seal_text",
]

VERSION = b"\x01"
_KEY_ATTR = "_carnet_data_key"
_PLAIN_ATTR = "_carnet_sealed_plain"


def associated_data(label_lower: str, field_name: str, public_id: object) -> bytes:
    """Where a sealed value belongs: its model, its field and its row's public id."""
    return f"carnet/sealed/1|{label_lower}.{field_name}|{public_id}".encode()


def seal_text(key: bytes, text: str, aad: bytes) -> bytes:
    """``version ‖ nonce ‖ ciphertext+tag``; ``""`` seals to ``b""``."""
    if text == "":
        return b""
    nonce = os.urandom(12)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, text.encode(), aad)


def open_text(key: bytes, sealed: bytes, aad: bytes) -> str:
    if sealed == b"":
        return ""
    if sealed[:1] != VERSION or len(sealed) < 29:
        raise IntegrityFailure("sealed value of an unknown format")
    try:
        return AESGCM(key).decrypt(sealed[1:13], sealed[13:], aad).decode()
    except Exception as exc:  # InvalidTag: moved, altered, or sealed under another key
        raise IntegrityFailure("sealed value failed authentication") from exc


def attach_key(instances: Iterable[models.Model], key: bytes) -> None:
    """Give loaded rows of ONE patient the key read with them (no key lookup when they are opened)."""
    for instance in instances:
        instance.__dict__[_KEY_ATTR] = key


def _key_of(instance: models.Model) -> bytes:
    key = instance.__dict__.get(_KEY_ATTR)
    if key is None:
        patient_id = getattr(instance, "patient_id", None)
        if patient_id is None:
            raise ValueError(f"{type(instance).__name__}: a sealed field needs the row's patient_id")
        from .blobstore import patient_data_key  # lazily: its models load with the records app

        key = patient_data_key(int(patient_id))
    return key


class _SealedAttribute(DeferredAttribute):
    """The model attribute: plain text to Python code, sealed bytes in ``instance.__dict__``."""

    field: SealedTextField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        raw = super().__get__(instance, cls)
        if raw is None or isinstance(raw, str):
            return raw  # NULL, or text assigned and not saved yet
        plain: dict[str, tuple[bytes, str]] = instance.__dict__.setdefault(_PLAIN_ATTR, {})
        hit = plain.get(self.field.attname)
        if hit is not None and hit[0] is raw:
            return hit[1]
        text = open_text(_key_of(instance) if raw else b"", raw, self.field.aad(instance))
        plain[self.field.attname] = (raw, text)
        return text

    def __set__(self, instance: Any, value: Any) -> None:
        if isinstance(value, memoryview):
            value = bytes(value)
        instance.__dict__[self.field.attname] = value


class SealedTextField(models.BinaryField):
    """Free text sealed under the row's patient key; see the module docstring.

    The model needs ``patient_id`` and ``public_id`` (invariant 8 and the rule "public ids only" give every
    patient-owned row both). Length limits are the services' (they validate the text before saving).
    """

    # What the django-stubs plugin gives the model attribute: text both ways.
    _pyi_private_set_type: str
    _pyi_private_get_type: str  # type: ignore[assignment]

    descriptor_class = _SealedAttribute
    # "exact" only ever compares with b"" ("is it empty?"): get_prep_value refuses any other text.
    _allowed_lookups = frozenset({"isnull", "exact"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def _check_str_default_value(self) -> list[Any]:
        return []  # the default is text ("" seals to b""), unlike a plain BinaryField's

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        if kwargs.get("default") == "":
            del kwargs["default"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, "carnet.vault.sealing.SealedTextField", args, kwargs

    def aad(self, instance: models.Model) -> bytes:
        public_id = getattr(instance, "public_id", None)
        if public_id is None:
            raise ValueError(f"{type(instance).__name__}: a sealed field needs the row's public_id")
        return associated_data(instance._meta.label_lower, self.name, public_id)

    def seal(self, instance: models.Model, text: str) -> bytes:
        return seal_text(_key_of(instance) if text else b"", text, self.aad(instance))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if isinstance(value, str):
            sealed = self.seal(model_instance, value)
            model_instance.__dict__[self.attname] = sealed
            model_instance.__dict__.setdefault(_PLAIN_ATTR, {})[self.attname] = (sealed, value)
            return sealed
        return value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, str):
            if value == "":
                return b""
            raise TypeError(
                f"{self.model.__name__}.{self.name} is sealed: set the text on an instance and save() it, "
                "or pass seal_for(instance, field, text) to update()"
            )
        return super().get_prep_value(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return bytes(value) if isinstance(value, memoryview) else value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in self._allowed_lookups:
            return None  # "Unsupported lookup": sealed text cannot be searched in SQL
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def value_to_string(self, obj: models.Model) -> str:
        """Serialisation (dumpdata) exports the sealed bytes, never the text."""
        import base64

        raw = obj.__dict__.get(self.attname)
        if isinstance(raw, str):
            raw = self.seal(obj, raw)
        return base64.b64encode(raw or b"").decode("ascii")


def seal_for(instance: models.Model, field_name: str, text: str) -> bytes:
    """The sealed bytes of ``text`` for ``instance.<field_name>`` (for a queryset ``update``)."""
    field = instance._meta.get_field(field_name)
    if not isinstance(field, SealedTextField):
        raise TypeError(f"{type(instance).__name__}.{field_name} is not a sealed field")
    return field.seal(instance, text)
