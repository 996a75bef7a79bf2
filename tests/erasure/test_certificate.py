"""The signed erasure certificate (ADR 0008, R-LC-22: "an e-mail is sent when deletion is complete").

It is sent to the holder's address before that address is erased, verifies offline with the service's
public key given on the command line (never a key from the file), and anyone who alters it — the motif,
the date, the list of what was erased or kept, the key fingerprint — or signs it with another key, or
replays a signature the same service key made for something else, is caught.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core import mail
from django.core.management import call_command

from carnet.audit.verify import head_message, sct_message
from carnet.notifications.models import OutboxMessage
from carnet.spaces import certificate
from carnet.spaces import services as space_services
from carnet.spaces.erasure import service_public_key_b64, sign_certificate
from carnet.spaces.models import HealthSpace, SpaceErasure
from tests.erasure.world import PASSWORD, REQUESTED, CanaryWorld, build, erase

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def erased(clock: Any, django_db_blocker: Any) -> tuple[CanaryWorld, str]:
    """A holder erased after his deletion request; the e-mail he received, as he would save it."""
    w = build()
    erase(w, REQUESTED)
    sent = [m for m in mail.outbox if m.to == [w.holder.email] and certificate.BEGIN in m.body]
    assert len(sent) == 1
    return w, f"Subject: {sent[0].subject}\n\n{sent[0].body}"


def _verify(tmp_path: Path, content: str, key: str | None = None) -> tuple[int, str]:
    path = tmp_path / "certificat.txt"
    path.write_text(content, encoding="utf-8")
    lines: list[str] = []
    try:
        call_command(
            "verify_erasure_certificate",
            str(path),
            public_key=key or service_public_key_b64(),
            stdout=_Lines(lines),
        )
    except SystemExit as exit_:
        return int(exit_.code or 0), "\n".join(lines)
    return 0, "\n".join(lines)


class _Lines:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> None:
        self.lines.append(text)

    def flush(self) -> None:
        return None


def _tampered(doc: dict[str, Any], **changes: Any) -> str:
    altered = json.loads(json.dumps(doc))
    altered["certificate"].update(changes)
    return json.dumps(altered)


@pytest.mark.django_db(transaction=True)
def test_the_saved_e_mail_verifies_offline_and_says_so_in_french_and_english(
    erased: tuple[CanaryWorld, str], tmp_path: Path
) -> None:
    code, out = _verify(tmp_path, erased[1])
    assert code == 0, out
    assert "Certificat d'effacement valide / valid erasure certificate" in out
    tombstone = SpaceErasure.objects.get(patient_id=erased[0].holder.pk)
    assert str(tombstone.tombstone_id) in out and tombstone.key_fingerprint in out


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "changes",
    [
        {"motif": "FIN_ARCHIVAGE"},
        {"erased_at": "2020-01-01T00:00:00+00:00"},
        {"kept": ["tombstone"]},
        {"erased": ["record_documents"]},
        {"data_key": {"fingerprint": "sha256:" + "0" * 64, "destroyed_at": "2026-04-06T09:00:00+00:00"}},
        {"tombstone": "00000000-0000-4000-8000-000000000000"},
    ],
    ids=["motif", "date", "kept", "erased", "key", "tombstone"],
)
def test_any_altered_field_is_caught(
    erased: tuple[CanaryWorld, str], tmp_path: Path, changes: dict[str, Any]
) -> None:
    doc = certificate.parse(erased[1])
    code, out = _verify(tmp_path, _tampered(doc, **changes))
    assert code == 1
    assert "signature invalide" in out and "invalid signature" in out


def _other_key() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    return key, base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


@pytest.mark.django_db(transaction=True)
def test_a_certificate_forged_with_another_key_fails_against_the_services_key(
    erased: tuple[CanaryWorld, str], tmp_path: Path
) -> None:
    """Re-signing an altered certificate needs the service's private key: a forger's own key, even
    announced inside the file, is not the key the holder was given."""
    doc = certificate.parse(erased[1])
    forger, forger_public = _other_key()
    body = {**doc["certificate"], "motif": "FIN_ARCHIVAGE"}
    forged = certificate.document(
        body, signature=forger.sign(certificate.signed_message(body)), public_key_b64=forger_public
    )
    code, out = _verify(tmp_path, json.dumps(forged))
    assert code == 1 and "invalid signature" in out and "another key" in out
    assert _verify(tmp_path, json.dumps(forged), key=forger_public)[0] == 0  # only with the forger's key


@pytest.mark.django_db
def test_a_signature_the_service_made_for_the_history_log_is_no_certificate(tmp_path: Path) -> None:
    """Purpose-specific messages: the same key signs the transparency log's entries and tree heads, and
    such a signature cannot be passed off as a certificate's."""
    genuine = sign_certificate(
        {"tombstone": "t", "erased_at": "x", "motif": "m", "erased": [], "kept": [], "data_key": {}}
    )
    from carnet.spaces.erasure import _service_key

    for message in (sct_message(b"\xab" * 32), head_message("carnet.example/log", 3, b"\xab" * 32, 0)):
        replayed = {**genuine, "signature": base64.b64encode(_service_key().sign(message)).decode()}
        assert _verify(tmp_path, json.dumps(replayed))[0] == 1
    assert _verify(tmp_path, json.dumps(genuine))[0] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [
        "pas un certificat",
        "-----BEGIN CARNET ERASURE CERTIFICATE-----\n%%%\n-----END CARNET ERASURE CERTIFICATE-----",
        "[]",
    ],
)
def test_an_unreadable_file_exits_with_2(tmp_path: Path, content: str) -> None:
    code, out = _verify(tmp_path, content)
    assert code == 2 and "fichier illisible / unreadable file" in out


@pytest.mark.django_db
def test_a_key_that_is_not_a_key_exits_with_2(tmp_path: Path) -> None:
    genuine = sign_certificate(
        {"tombstone": "t", "erased_at": "x", "motif": "m", "erased": [], "kept": [], "data_key": {}}
    )
    assert _verify(tmp_path, json.dumps(genuine), key="not-base64!")[0] == 2


@pytest.mark.django_db
def test_the_verifier_runs_without_django(tmp_path: Path) -> None:
    """Anyone can check a certificate with Python and ``cryptography`` alone."""
    genuine = sign_certificate(
        {"tombstone": "t", "erased_at": "x", "motif": "m", "erased": [], "kept": [], "data_key": {}}
    )
    path = tmp_path / "certificate.json"
    path.write_text(certificate.armour(genuine))
    script = (
        "import sys, runpy; sys.argv=['v', sys.argv[1], '--public-key', sys.argv[2]];"
        "import carnet.spaces.certificate as c; code=c.main(sys.argv[1:]);"
        "assert 'django' not in sys.modules, 'django imported'; sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), service_public_key_b64()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "valid erasure certificate" in done.stdout


@pytest.mark.django_db(transaction=True)
def test_the_message_names_no_health_data_and_its_address_is_gone_once_sent(
    erased: tuple[CanaryWorld, str],
) -> None:
    """Invariant 5: categories, dates and a reference only — no count, nothing of the person; and the
    outbox row that held his address was deleted once the message was sent."""
    w, message = erased
    assert not re.search(r"\d+ (documents?|allergies|vaccinations?)", message)
    for canary in set(w.canaries.values()) - {w.holder.email}:
        assert canary.lower() not in message.lower()
    assert not OutboxMessage.objects.filter(address=w.holder.email).exists()
    assert SpaceErasure.objects.get(patient_id=w.holder.pk).notice == "SENT"


@pytest.mark.django_db(transaction=True)
def test_an_undelivered_certificate_does_not_keep_the_address_beyond_the_grace_period(
    clock: Any, settings: Any
) -> None:
    """No worker ever delivers it (an e-mail provider down for a month): after CARNET_ERASURE_NOTICE_DAYS
    the outbox row holding the address is deleted anyway, and the tombstone says the notice failed."""
    w = build()
    settings.CARNET_TASK_BACKEND = "none"  # from now on, nothing is delivered
    space_services.space_close(
        space=HealthSpace.objects.get(pk=w.space.pk),
        actor=w.holder_actor,
        password=PASSWORD,
        user=w.holder.account,
        request_deletion=True,
    )
    clock.advance(days=settings.CARNET_DELETION_DELAY_DAYS + 1)
    assert space_services.spaces_apply_deadlines()["deleted_on_request"] == 1
    tombstone = SpaceErasure.objects.get(patient_id=w.holder.pk)
    assert tombstone.notice == "PENDING"
    assert OutboxMessage.objects.filter(address=w.holder.email, template="erasure_certificate").exists()
    clock.advance(days=settings.CARNET_ERASURE_NOTICE_DAYS - 1)
    assert space_services.spaces_apply_deadlines()["erasure_notices_settled"] == 0
    clock.advance(days=2)
    assert space_services.spaces_apply_deadlines()["erasure_notices_settled"] == 1
    assert not OutboxMessage.objects.filter(address=w.holder.email).exists()
    tombstone.refresh_from_db()
    assert tombstone.notice == "FAILED" and tombstone.notice_settled_at is not None
