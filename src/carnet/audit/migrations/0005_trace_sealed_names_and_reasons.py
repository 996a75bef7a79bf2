"""ADR 0008: a trace's patient-side actor name and written reason are sealed under the patient's data key.

Adds ``audit_trace.sealed`` (nullable, so SQLite adds the column without rebuilding the table and its
append-only triggers stay) and seals what existing traces hold in clear, exactly as ``services.trace()``
now does for new ones: ``{"actor_label"?, "reason"?}`` as canonical JSON, ``version ‖ nonce ‖ AES-256-GCM``
under the patient's key with ``carnet/trace/1|<nonce>`` as associated data; the clear columns become "".
The leaf hashes do not change (they cover the content as written, which ``leaf_content`` opens back).

The rewrite is an UPDATE of an append-only table: the triggers are lifted for it inside this migration
and put back, as a DBA would. A patient whose key is already destroyed (erased before this migration)
gets ``sealed = b""``: his names and reasons are dropped, and the server's check verifies those entries by
their stored leaf hash and signed entry timestamp. The SQL and the sealing are written out here (not
imported from the live modules) so this migration never changes.
"""

import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import migrations, models

from carnet.common import clock
from carnet.vault.blobstore import KeyDestroyed, _wrap, unwrap_stored

PATIENT_SIDE = ("PATIENT", "LEGAL_REPRESENTATIVE", "CAREGIVER")
BATCH = 500

PG_OFF = "ALTER TABLE audit_trace DISABLE TRIGGER audit_trace_append_only"
PG_ON = "ALTER TABLE audit_trace ENABLE TRIGGER audit_trace_append_only"
SQLITE_OFF = "DROP TRIGGER IF EXISTS audit_trace_no_update"
SQLITE_ON = (
    "CREATE TRIGGER IF NOT EXISTS audit_trace_no_update BEFORE UPDATE ON audit_trace "
    "BEGIN SELECT RAISE(ABORT, 'audit_trace is append-only'); END"
)


def _key(apps, patient_id, keys):
    if patient_id not in keys:
        PatientKey = apps.get_model("records", "PatientKey")
        row = PatientKey.objects.filter(patient_id=patient_id).first()
        if row is None:
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


def _seal(key, payload, nonce):
    iv = os.urandom(12)
    aad = f"carnet/trace/1|{nonce}".encode()
    return b"\x01" + iv + AESGCM(key).encrypt(iv, payload.encode(), aad)


def _open(key, sealed, nonce):
    aad = f"carnet/trace/1|{nonce}".encode()
    return AESGCM(key).decrypt(sealed[1:13], sealed[13:], aad).decode()


def _guard(schema_editor, on):
    vendor = schema_editor.connection.vendor
    statement = {"postgresql": PG_ON if on else PG_OFF, "sqlite": SQLITE_ON if on else SQLITE_OFF}.get(vendor)
    if statement:
        schema_editor.execute(statement, params=None)


def _to_seal(Trace):
    return Trace.objects.filter(patient_id__isnull=False, sealed__isnull=True).filter(
        models.Q(reason__gt="") | models.Q(actor_kind__in=PATIENT_SIDE, actor_label__gt="")
    )


def seal_existing(apps, schema_editor):
    Trace = apps.get_model("audit", "Trace")
    if not _to_seal(Trace).exists():
        return
    keys = {}
    _guard(schema_editor, on=False)
    last = 0
    while batch := list(_to_seal(Trace).filter(pk__gt=last).order_by("pk")[:BATCH]):
        for t in batch:
            secret = {}
            if t.reason:
                secret["reason"] = t.reason
            if t.actor_label and t.actor_kind in PATIENT_SIDE:
                secret["actor_label"] = t.actor_label
            key = _key(apps, t.patient_id, keys)
            sealed = (
                b""
                if key is None
                else _seal(
                    key,
                    json.dumps(secret, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
                    t.nonce,
                )
            )
            Trace.objects.filter(pk=t.pk).update(sealed=sealed, **{name: "" for name in secret})
        last = batch[-1].pk
    _guard(schema_editor, on=True)


def open_existing(apps, schema_editor):
    Trace = apps.get_model("audit", "Trace")
    rows = Trace.objects.filter(sealed__isnull=False)
    if not rows.exists():
        return
    keys = {}
    _guard(schema_editor, on=False)
    for t in rows.order_by("pk").iterator():
        raw = bytes(t.sealed)
        key = _key(apps, t.patient_id, keys) if raw else None
        values = json.loads(_open(key, raw, t.nonce)) if key is not None else {}
        Trace.objects.filter(pk=t.pk).update(sealed=None, **{k: str(v) for k, v in values.items()})
    _guard(schema_editor, on=True)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_log_append_only_triggers"),
        ("records", "0003_seal_document_titles"),
    ]

    operations = [
        migrations.AddField(
            model_name="trace",
            name="sealed",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.RunPython(seal_existing, open_existing),
    ]
