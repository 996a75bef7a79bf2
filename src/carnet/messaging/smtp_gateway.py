"""The inbound SMTP gateway: professionals' own mail systems write into the secure messaging (issue 5,
SPEC R-MSG-1: any MSSanté mailbox writes to the patient's INS-based address).

A real SMTP server (``aiosmtpd``), bound to loopback by default (``carnet smtp-gateway --host 127.0.0.1
--port 2525``). One SMTP transaction delivers one mail to one patient:

* ``MAIL FROM`` must be a *registered professional address* (``registered_professional``): the e-mail of
  exactly one active professional of the directory and, when ``CARNET_SMTP_ALLOWED_SENDERS`` is set, one of
  those addresses. Anything else: ``550 5.7.1``, nothing stored.
* ``RCPT TO`` must be ``<matricule INS>@<CARNET_PATIENT_MAIL_DOMAIN>`` (default ``patient.carnet.invalid``,
  R-MSG-1 [I]) of a person whose space is ACTIVATED. Unknown INS, wrong domain and a space that is not
  activated get the same ``550 5.1.1`` (nobody can probe who exists). A second recipient in the same
  transaction gets ``452 4.5.3`` (RFC 5321: the client sends it again in another transaction), so that one
  DATA is one patient, one database transaction.
* ``DATA`` is parsed with ``email`` (``policy.default``). The header ``From`` must be the envelope sender
  (``550 5.7.1``). No text body, an undecodable or structurally broken mail, an attachment whose content is
  not an allowed type (sniffed, R-FMT-2): ``554 5.6.0``. Over the R-MSG-4 budget (attachments, body,
  or the raw size ``raw_size_limit()``): ``552 5.3.4``. Nothing is stored on refusal (invariant 9: one
  transaction, blob files removed).
* A valid mail goes through ``services.message_receive_external``: it continues the conversation its
  ``In-Reply-To`` / ``References`` name (a Carnet Message-ID or thread id, or an earlier mail of the same
  sender), else starts one; attachments encrypted, traced ``MESSAGE_SEND`` and notified as from the web;
  the same mail re-sent (same ``Message-ID``) is answered ``250`` and stored once.

Logs carry SMTP codes, stages and public ids only: never an address, a subject, a body or a file name.
The database is used from worker threads (Django's ORM is synchronous), never from the event loop.
"""

from __future__ import annotations

import asyncio
import email.errors
import hashlib
import html
import ipaddress
import logging
import re
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections
from django.utils.html import strip_tags

from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person, Professional

from . import services

log = logging.getLogger(__name__)

DEFAULT_PATIENT_DOMAIN = "patient.carnet.invalid"

OK = "250 2.0.0 OK"
ACCEPTED = "250 2.0.0 Message accepted for delivery"
SENDER_REFUSED = "550 5.7.1 Sender address not authorised on this gateway"
RECIPIENT_REFUSED = "550 5.1.1 Recipient address rejected"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients, send one message per patient"
MALFORMED = "554 5.6.0 Malformed message"
NO_BODY = "554 5.6.0 Message has no text body"
UNDECODABLE = "554 5.6.0 Message content cannot be decoded"
ATTACHMENT_REFUSED = "554 5.6.0 Attachment type not allowed"
TOO_BIG = "552 5.3.4 Message too big for the messaging budget"
TEMPORARY = "451 4.3.0 Temporary failure, please try again later"

# Structural defects that make a mail unreadable as sent (others, e.g. a sloppy header, are tolerated).
FATAL_DEFECTS: tuple[type[email.errors.MessageDefect], ...] = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64LengthDefect,
)
_MSG_ID = re.compile(r"<[^<>\s]{1,250}>")

T = TypeVar("T")


# --------------------------------------------------------------------------------------------------
# Addresses


def patient_mail_domain() -> str:
    """The domain of patients' Carnet addresses (``CARNET_PATIENT_MAIL_DOMAIN``; R-MSG-1 [I])."""
    return str(settings.CARNET_PATIENT_MAIL_DOMAIN or DEFAULT_PATIENT_DOMAIN).strip().lower()


def patient_address(person: Person) -> str:
    """``<matricule INS>@<domain>``: the patient's messaging address (R-MSG-1)."""
    return f"{person.ins_matricule}@{patient_mail_domain()}"


def allowed_senders() -> frozenset[str] | None:
    """``CARNET_SMTP_ALLOWED_SENDERS`` (a list, or a comma-separated string) as lower-case addresses, or
    None when it is not set (then every active professional's directory e-mail is registered)."""
    configured = settings.CARNET_SMTP_ALLOWED_SENDERS
    if not configured:
        return None
    items = configured.split(",") if isinstance(configured, str) else list(configured)
    return frozenset(str(a).strip().lower() for a in items if str(a).strip())


def registered_professional(address: str) -> Professional | None:
    """The professional a registered address belongs to: the ``email`` of exactly one active professional
    (an address shared by two is ambiguous, hence refused), and in the allow-list when there is one."""
    address = (address or "").strip().lower()
    if "@" not in address or len(address) > 254:
        return None
    allowed = allowed_senders()
    if allowed is not None and address not in allowed:
        return None
    found = list(Professional.objects.filter(email__iexact=address, active=True)[:2])
    return found[0] if len(found) == 1 else None


def recipient_patient(address: str) -> Person | None:
    """The person an address ``<matricule INS>@<domain>`` names, only if his space is ACTIVATED; None for
    anything else (the caller answers the same refusal whatever the reason)."""
    from carnet.spaces.models import SpaceStatus

    local, _at, domain = (address or "").strip().rpartition("@")
    if domain.lower() != patient_mail_domain() or not re.fullmatch(r"[0-9A-Za-z]{13,15}", local):
        return None
    return (
        Person.objects.select_related("space")
        .filter(ins_matricule=local.upper(), space__status=SpaceStatus.ACTIVATED)
        .first()
    )


def professional_actor(professional: Professional) -> Actor:
    """The gateway acts as the professional (resolved by his RPPS, as the API does)."""
    return Actor(ActorKind.PROFESSIONAL, professional.rpps, label=professional.display_name)


# --------------------------------------------------------------------------------------------------
# Parsing


class MailRefused(Exception):
    """A mail refused with an SMTP reply (``reply`` is the full ``"<code> <enhanced> <text>"`` line)."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class ParsedMail:
    from_address: str
    message_id: str
    subject: str
    body: str
    files: list[services.IncomingFile] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # In-Reply-To first, then References latest first


def raw_size_limit() -> int:
    """The largest mail accepted: the R-MSG-4 attachment budget and the longest body (4 bytes a
    character), grown by base64 (4/3), plus 256 KiB of headers and MIME structure."""
    budget = services.attachments_max_bytes() + 4 * services.body_max_chars()
    return budget * 4 // 3 + 256 * 1024


def _has_fatal_defect(message: EmailMessage) -> bool:
    return any(isinstance(d, FATAL_DEFECTS) for part in message.walk() for d in part.defects)


def _decoded_bytes(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    if _has_fatal_defect(part):
        raise MailRefused(UNDECODABLE)
    return payload if isinstance(payload, bytes) else b""


def _text_of(part: EmailMessage) -> str:
    """The text of a body part, decoded strictly with its declared charset (undecodable → 554)."""
    raw = _decoded_bytes(part)
    charset = part.get_content_charset() or "us-ascii"
    try:
        text = raw.decode(charset, errors="strict")
    except (LookupError, UnicodeDecodeError):
        raise MailRefused(UNDECODABLE) from None
    if part.get_content_subtype() == "html":
        text = html.unescape(strip_tags(text))
    return text


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return str(value) if value is not None else ""


def parse_mail(raw: bytes) -> ParsedMail:
    """Read a mail (``policy.default``) into what the messaging stores; ``MailRefused`` when it cannot be.

    Without a ``Message-ID`` the mail's SHA-256 stands in for it (a byte-identical copy is still a
    duplicate)."""
    if len(raw) > raw_size_limit():
        raise MailRefused(TOO_BIG)
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        if _has_fatal_defect(message):
            raise MailRefused(MALFORMED)
        senders = [a for _name, a in getaddresses([_header(message, "From")]) if a]
        if len(senders) != 1:
            raise MailRefused(MALFORMED)
        body_part = message.get_body(preferencelist=("plain", "html"))
        if not isinstance(body_part, EmailMessage):
            raise MailRefused(NO_BODY)
        body = _text_of(body_part)
        if not body.strip():
            raise MailRefused(NO_BODY)
        files: list[services.IncomingFile] = []
        for part in message.iter_attachments():
            assert isinstance(part, EmailMessage)
            if part.is_multipart() or part.get_content_maintype() == "message":
                raise MailRefused(ATTACHMENT_REFUSED)  # nested or forwarded mails are not attachments we keep
            files.append(
                services.IncomingFile(
                    filename=part.get_filename() or "",
                    content=_decoded_bytes(part),
                    declared_media_type=part.get_content_type(),
                )
            )
        ids = _MSG_ID.findall(_header(message, "Message-ID"))
        message_id = ids[0] if ids else "sha256:" + hashlib.sha256(raw).hexdigest()
        references = _MSG_ID.findall(_header(message, "In-Reply-To")) + list(
            reversed(_MSG_ID.findall(_header(message, "References")))
        )
        subject = " ".join(_header(message, "Subject").split())[: services.SUBJECT_MAX_CHARS]
    except MailRefused:
        raise
    except Exception:  # any parser failure on hostile input is a malformed mail, never a crash
        raise MailRefused(MALFORMED) from None
    return ParsedMail(
        from_address=senders[0].strip().lower(),
        message_id=message_id,
        subject=subject,
        body=body,
        files=files,
        references=list(dict.fromkeys(references)),
    )


# --------------------------------------------------------------------------------------------------
# Delivery (runs in a worker thread)


def _reply_for(error: DomainError) -> str:
    if isinstance(error, NotFoundOrForbidden):
        return RECIPIENT_REFUSED
    if error.code in (services.SIZE_EXCEEDED, "too_long", "too_many_files"):
        return TOO_BIG
    if error.field == "attachments":
        return ATTACHMENT_REFUSED
    return MALFORMED


def deliver(*, mail_from: str, rcpt_to: str, raw: bytes) -> str:
    """Check again who sends to whom (the directory may have changed since RCPT), parse, store. Returns
    the SMTP reply. Logs ids and codes only."""
    professional = registered_professional(mail_from)
    if professional is None:
        return _logged(SENDER_REFUSED, "DATA")
    patient = recipient_patient(rcpt_to)
    if patient is None:
        return _logged(RECIPIENT_REFUSED, "DATA")
    try:
        mail = parse_mail(raw)
        if mail.from_address != mail_from.strip().lower():
            raise MailRefused(SENDER_REFUSED)  # the header must name the registered envelope sender
        message, created = services.message_receive_external(
            actor=professional_actor(professional),
            patient_id=patient.pk,
            external_message_id=mail.message_id,
            subject=mail.subject,
            body=mail.body,
            files=mail.files,
            references=mail.references,
        )
    except MailRefused as refused:
        return _logged(refused.reply, "DATA")
    except DomainError as error:
        return _logged(_reply_for(error), "DATA", code=error.code)
    log.info(
        "smtp-in accepted message=%s conversation=%s duplicate=%s",
        message.public_id,
        message.conversation.public_id,
        not created,
    )
    return ACCEPTED


def _logged(reply: str, stage: str, code: str = "") -> str:
    log.info("smtp-in refused stage=%s reply=%s%s", stage, reply[:9], f" code={code}" if code else "")
    return reply


class GatewayHandler:
    """aiosmtpd hooks. The database work runs in a small thread pool, one connection per thread, each
    call ending with ``close_old_connections`` (as a request would)."""

    def __init__(self, *, workers: int = 4) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtp-gateway")

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    async def _db(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def call() -> T:
            close_old_connections()
            try:
                return func(*args, **kwargs)
            finally:
                close_old_connections()

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        try:
            professional = await self._db(registered_professional, address)
        except Exception:
            log.exception("smtp-in failure stage=MAIL")
            return TEMPORARY
        if professional is None:
            return _logged(SENDER_REFUSED, "MAIL")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return OK

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if envelope.rcpt_tos:
            return _logged(TOO_MANY_RECIPIENTS, "RCPT")
        try:
            patient = await self._db(recipient_patient, address)
        except Exception:
            log.exception("smtp-in failure stage=RCPT")
            return TEMPORARY
        if patient is None:
            return _logged(RECIPIENT_REFUSED, "RCPT")
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if not envelope.mail_from or len(envelope.rcpt_tos) != 1:
            return _logged("503 5.5.1 Bad sequence of commands", "DATA")
        try:
            return await self._db(
                deliver, mail_from=envelope.mail_from, rcpt_to=envelope.rcpt_tos[0], raw=raw
            )
        except Exception:
            log.exception("smtp-in failure stage=DATA")  # nothing stored: the transaction rolled back
            return TEMPORARY


# --------------------------------------------------------------------------------------------------
# Server


class GatewayController(Controller):
    """``aiosmtpd`` controller of the gateway; ``stop()`` also stops the handler's threads."""

    handler: GatewayHandler

    def stop(self, no_assert: bool = False) -> None:
        try:
            super().stop(no_assert=no_assert)
        finally:
            self.handler.close()


def start_gateway(*, host: str = "127.0.0.1", port: int = 2525) -> GatewayController:
    """Start the gateway in a background thread; returns once it accepts connections. Stop it with
    ``.stop()``. The server's own size cap is twice ``raw_size_limit()`` so that an oversize mail normally
    gets the gateway's ``552 5.3.4`` after DATA rather than the library's generic reply."""
    # aiosmtpd logs every SMTP command at INFO, addresses (an INS) included: keep only its warnings.
    logging.getLogger("mail.log").setLevel(max(logging.WARNING, logging.getLogger("mail.log").level))
    controller = GatewayController(
        GatewayHandler(),
        hostname=host,
        port=port,
        data_size_limit=2 * raw_size_limit(),
        decode_data=False,
        ident="Carnet SMTP gateway",
    )
    controller.start()
    return controller


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is a loopback address."""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)
