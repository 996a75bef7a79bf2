"""Migration operations that turn existing plain-text columns into sealed ones (ADR 0008).

Demo and production databases already hold plain text. For each model, ``seal_existing(...)`` returns the
operations that:

1. add ``<field>_sealed`` (a ``SealedTextField``);
2. seal every row's text into it, under the row's patient key (created when the patient has none yet),
   with the associated data of the *final* field name;
3. drop the plain column;
4. rename ``<field>_sealed`` to ``<field>``.

The reverse opens the texts back into a plain column (a destroyed key gives ""). The code uses the
historical models of the migration state and the master-key primitives of ``blobstore`` only, so later
changes to the live models do not break these migrations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import migrations

from carnet.common import clock

from .blobstore import KeyDestroyed, _wrap, unwrap_stored
from .sealing import SealedTextField, associated_data, open_text, seal_text

BATCH = 500


def _key(apps: Any, patient_id: int, keys: dict[int, bytes | None], *, create: bool) -> bytes | None:
    if patient_id not in keys:
        PatientKey = apps.get_model("records", "PatientKey")
        row = PatientKey.objects.filter(patient_id=patient_id).first()
        if row is None:
            if not create:
                keys[patient_id] = None
                return None
            data_key = AESGCM.generate_key(bit_length=256)
            PatientKey.objects.create(
                patient_id=patient_id, wrapped_key=_wrap(data_key, patient_id), created_at=clock.now()
            )
            keys[patient_id] = data_key
        else:
            try:
                keys[patient_id] = unwrap_stored(row.wrapped_key, patient_id)
            except KeyDestroyed:
                keys[patient_id] = None
    return keys[patient_id]


def _rows(model: Any) -> Any:
    last = 0
    while True:
        batch = list(model.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        yield from batch
        last = batch[-1].pk


def _forward(app_label: str, model_name: str, fields: Sequence[str]) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        label = f"{app_label}.{model_name.lower()}"
        keys: dict[int, bytes | None] = {}
        for row in _rows(model):
            changes: dict[str, bytes] = {}
            for name in fields:
                text = row.__dict__[name] or ""
                aad = associated_data(label, name, row.public_id)
                key = _key(apps, row.patient_id, keys, create=bool(text)) if text else b""
                # A destroyed key (an erased patient whose rows were not deleted): nothing left to seal.
                changes[f"{name}_sealed"] = seal_text(key, text, aad) if key is not None else b""
            model.objects.filter(pk=row.pk).update(**changes)

    return run


def _backward(app_label: str, model_name: str, fields: Sequence[str]) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        label = f"{app_label}.{model_name.lower()}"
        keys: dict[int, bytes | None] = {}
        for row in _rows(model):
            changes: dict[str, str] = {}
            for name in fields:
                sealed = bytes(row.__dict__[f"{name}_sealed"] or b"")
                key = _key(apps, row.patient_id, keys, create=False) if sealed else b""
                aad = associated_data(label, name, row.public_id)
                changes[name] = open_text(key, sealed, aad) if key is not None else ""
            model.objects.filter(pk=row.pk).update(**changes)

    return run


class _PlainDefault(migrations.operations.base.Operation):
    """State only: give the plain column a default of "" before it is removed, so that reversing the
    removal can re-add it on a table that has rows (the backward RunPython then fills it)."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, model_name: str, name: str) -> None:
        self.model_name = model_name
        self.name = name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__name__, [self.model_name, self.name], {}

    def state_forwards(self, app_label: str, state: Any) -> None:
        field = state.models[app_label, self.model_name].fields[self.name].clone()
        field.default = ""
        state.alter_field(app_label, self.model_name, self.name, field, True)

    def database_forwards(self, *args: Any) -> None:
        return None

    def database_backwards(self, *args: Any) -> None:
        return None

    def describe(self) -> str:
        return f"Default '' for {self.model_name}.{self.name} (state only)"


def seal_existing(app_label: str, model_name: str, fields: Sequence[str]) -> list[Any]:
    """The operations sealing ``fields`` of ``app_label.model_name`` (see the module docstring)."""
    lower = model_name.lower()
    return [
        *(migrations.AddField(lower, f"{name}_sealed", SealedTextField()) for name in fields),
        migrations.RunPython(
            _forward(app_label, model_name, fields), _backward(app_label, model_name, fields)
        ),
        *(_PlainDefault(lower, name) for name in fields),
        *(migrations.RemoveField(lower, name) for name in fields),
        *(migrations.RenameField(lower, f"{name}_sealed", name) for name in fields),
    ]
