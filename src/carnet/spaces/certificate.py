"""The erasure certificate: its format, and its offline verification (ADR 0008, R-LC-21/22).

This module is importable **without Django** (``json``, ``base64`` and ``cryptography`` only), so anyone
holding a certificate and the service's public key can check it with the file alone::

    python -m carnet.spaces.certificate certificat.txt --public-key BASE64
    carnet verify-erasure-certificate certificat.txt --public-key BASE64     # same code, through Django

Format ``carnet-erasure-certificate/1``
---------------------------------------
A JSON document ``{"format", "certificate", "algorithm": "Ed25519", "key_id", "signature"}`` where
``certificate`` holds the tombstone id, the date and motif of the erasure, the categories erased and the
categories kept (fixed lists: their presence says nothing about what the person had), and the fingerprint
of the destroyed data key. No counts: how many documents, allergies or vaccinations someone had is health
data. The signature is Ed25519 over ``b"carnet-erasure-certificate/1\\n" + canonical JSON(certificate)``
(sorted keys, no spaces, UTF-8): a purpose-specific message, so a signature made by the same service key
for anything else (a history checkpoint) can never pass for a certificate, nor the reverse.

The e-mail carries the document *armoured* (base64 between ``-----BEGIN/END CARNET ERASURE
CERTIFICATE-----`` lines) so that mail clients cannot re-flow it; the verifier reads either a saved
e-mail (or any text containing the block) or the bare JSON.

The verifier trusts only the key given on the command line (obtained out of band, as the operator
publishes it); a key inside the file would prove nothing.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FORMAT = "carnet-erasure-certificate/1"
ALGORITHM = "Ed25519"
BEGIN = "-----BEGIN CARNET ERASURE CERTIFICATE-----"
END = "-----END CARNET ERASURE CERTIFICATE-----"
REQUIRED = ("tombstone", "erased_at", "motif", "erased", "kept", "data_key")

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


class MalformedCertificate(Exception):
    """The file holds no readable certificate (or the key given is not a key)."""


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed_message(certificate: Mapping[str, Any]) -> bytes:
    """What the service signs: the purpose, then the canonical certificate."""
    return f"{FORMAT}\n".encode() + canonical(dict(certificate))


def key_id_of(public_key_b64: str) -> str:
    """The short name of a public key (the same convention as the history's checkpoints)."""
    return hashlib.sha256(public_key_b64.encode()).hexdigest()[:16]


def document(certificate: Mapping[str, Any], *, signature: bytes, public_key_b64: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "certificate": dict(certificate),
        "algorithm": ALGORITHM,
        "key_id": key_id_of(public_key_b64),
        "signature": base64.b64encode(signature).decode(),
    }


def armour(doc: Mapping[str, Any]) -> str:
    """The document as a text block that survives e-mail (64-character base64 lines)."""
    encoded = base64.b64encode(canonical(dict(doc))).decode()
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    return "\n".join([BEGIN, *lines, END])


def parse(text: str) -> dict[str, Any]:
    """The certificate document in ``text``: an armoured block anywhere in it, or bare JSON."""
    try:
        if BEGIN in text:
            start = text.index(BEGIN) + len(BEGIN)
            end = text.index(END, start)
            raw = base64.b64decode("".join(text[start:end].split()), validate=True)
            parsed = json.loads(raw.decode("utf-8"))
        else:
            parsed = json.loads(text)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise MalformedCertificate(str(exc)) from exc
    if not isinstance(parsed, dict) or not isinstance(parsed.get("certificate"), dict):
        raise MalformedCertificate("no certificate object")
    return parsed


def _public_key(public_key_b64: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(public_key_b64.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error) as exc:
        raise MalformedCertificate(f"not an Ed25519 public key: {exc}") from exc


# Problems, each with its French and English wording.
BAD_FORMAT = "bad_format"
MISSING_FIELDS = "missing_fields"
BAD_SIGNATURE = "bad_signature"
OTHER_KEY = "other_key"
_MESSAGES: dict[str, tuple[str, str]] = {
    BAD_FORMAT: ("format inconnu", "unknown format"),
    MISSING_FIELDS: ("champs manquants", "missing fields"),
    BAD_SIGNATURE: (
        "signature invalide : le certificat a été modifié ou n'a pas été signé par cette clé",
        "invalid signature: the certificate was altered or was not signed by this key",
    ),
    OTHER_KEY: (
        "le certificat annonce une autre clé que celle donnée",
        "the certificate names another key than the one given",
    ),
    "unreadable": ("fichier illisible", "unreadable file"),
}


@dataclass(frozen=True)
class Report:
    problems: tuple[str, ...]
    certificate: Mapping[str, Any]

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        c = self.certificate
        out = []
        if self.ok:
            out.append("Certificat d'effacement valide / valid erasure certificate")
        else:
            out.append("Certificat d'effacement NON valide / erasure certificate NOT valid")
            out.extend(f"  - {_MESSAGES[p][0]} / {_MESSAGES[p][1]}" for p in self.problems)
        out.append(f"  référence / reference : {c.get('tombstone', '-')}")
        out.append(f"  effacé le / erased at : {c.get('erased_at', '-')}")
        out.append(f"  motif / motif : {c.get('motif', '-')}")
        key = c.get("data_key") if isinstance(c.get("data_key"), dict) else {}
        out.append(f"  clé détruite / destroyed key : {(key or {}).get('fingerprint') or '-'}")
        out.append(f"  effacé / erased : {', '.join(map(str, c.get('erased') or [])) or '-'}")
        out.append(f"  conservé / kept : {', '.join(map(str, c.get('kept') or [])) or '-'}")
        return out


def verify_document(doc: Mapping[str, Any], *, public_key_b64: str) -> Report:
    """Check ``doc`` against the trusted key; raises ``MalformedCertificate`` for an unusable key."""
    from cryptography.exceptions import InvalidSignature

    key = _public_key(public_key_b64)
    certificate = doc.get("certificate")
    if not isinstance(certificate, Mapping):
        raise MalformedCertificate("no certificate object")
    problems: list[str] = []
    if doc.get("format") != FORMAT or doc.get("algorithm") != ALGORITHM:
        problems.append(BAD_FORMAT)
    if any(name not in certificate for name in REQUIRED):
        problems.append(MISSING_FIELDS)
    if doc.get("key_id") != key_id_of(public_key_b64.strip()):
        problems.append(OTHER_KEY)
    try:
        signature = base64.b64decode(str(doc.get("signature", "")), validate=True)
        key.verify(signature, signed_message(certificate))
    except (InvalidSignature, ValueError, binascii.Error):
        problems.append(BAD_SIGNATURE)
    return Report(problems=tuple(problems), certificate=certificate)


def run(path: str, public_key_b64: str, write: Callable[[str], Any]) -> int:
    """Verify the certificate in ``path``; write the bilingual report; return the exit code
    (0 valid, 1 not valid, 2 unreadable file or unusable key)."""
    try:
        with open(path, encoding="utf-8") as handle:
            doc = parse(handle.read())
        report = verify_document(doc, public_key_b64=public_key_b64)
    except (OSError, UnicodeDecodeError, MalformedCertificate) as exc:
        fr, en = _MESSAGES["unreadable"]
        write(f"{fr} / {en} : {exc}")
        return EXIT_UNREADABLE
    for line in report.lines():
        write(line)
    return EXIT_OK if report.ok else EXIT_INVALID


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="carnet verify-erasure-certificate",
        description="Vérifie hors ligne un certificat d'effacement Carnet / "
        "verify a Carnet erasure certificate offline.",
    )
    parser.add_argument(
        "file", help="le message ou le fichier du certificat / the certificate message or file"
    )
    parser.add_argument(
        "--public-key", required=True, help="clé publique Ed25519 de Carnet (base64) / Carnet's public key"
    )
    args = parser.parse_args(argv)
    return run(args.file, args.public_key, print)


if __name__ == "__main__":
    sys.exit(main())
