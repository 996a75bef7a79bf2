"""The SMTP gateway (issue 5, SPEC R-MSG-1..5): professionals' own mail systems write into the messaging
through a real SMTP server on loopback, driven by ``smtplib``; patients' replies go back out over SMTP to
a second SMTP server standing for the professional's mail system. Refusals store nothing (invariant 9)."""

from __future__ import annotations

import asyncio
import smtplib
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from carnet.audit.models import Trace
from carnet.identity.models import Professional
from carnet.messaging import selectors, services, smtp_gateway, smtp_outbound
from carnet.messaging.models import Attachment, Conversation, Message
from carnet.notifications.models import OutboxMessage
from carnet.spaces.models import SpaceStatus
from carnet.vault.models import Blob
from tests.messaging.builders import patient_replies, pro_writes
from tests.records.helpers import EXE, PDF, World, give_space, make_world, new_person, pro_actor

BODY = "Bonjour, voici le compte rendu de votre échographie. Bien cordialement."


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_world(transactional_db: Any, clock: Any) -> World:
    """Committed rows: the gateway works in its own threads and database connections."""
    return make_world()


@pytest.fixture
def gateway(smtp_world: World) -> Iterator[smtp_gateway.GatewayController]:
    controller = smtp_gateway.start_gateway(host="127.0.0.1", port=_free_port())
    yield controller
    controller.stop()


class _Collector:
    """The professional's mail server: keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        await asyncio.sleep(0)
        return "250 OK"


@pytest.fixture
def pro_mailbox(settings: Any) -> Iterator[_Collector]:
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield collector
    controller.stop()


def _address(world: World) -> str:
    return smtp_gateway.patient_address(world.patient)


def _mail(
    sender: str,
    to: str,
    *,
    subject: str = "Compte rendu d'échographie",
    body: str | None = BODY,
    message_id: str = "<cr-echo-1@cabinet.example.org>",
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    in_reply_to: str = "",
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    if body is not None:
        mail.set_content(body)
    for name, content, media_type in attachments:
        maintype, subtype = media_type.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return mail


def _send(gateway: smtp_gateway.GatewayController, mail: EmailMessage | bytes, sender: str, to: str) -> Any:
    with smtplib.SMTP("127.0.0.1", gateway.port, timeout=20) as client:
        raw = mail if isinstance(mail, bytes) else mail.as_bytes(policy=policy.SMTP)  # CRLF, as on the wire
        return client.sendmail(sender, [to], raw)


def _nothing_stored(settings: Any) -> bool:
    blob_files = list((Path(settings.DATA_DIR) / "blobs").glob("*/*.bin"))
    return (
        not Conversation.objects.exists()
        and not Message.objects.exists()
        and not Attachment.objects.exists()
        and not Blob.objects.exists()
        and blob_files == []
        and not Trace.objects.filter(action="MESSAGE_SEND").exists()
    )


# --------------------------------------------------------------------------------------------------
# Inbound: accepted


def test_a_mail_from_a_registered_professional_lands_in_the_patients_inbox_with_its_attachment_r_msg_1(
    smtp_world: World, gateway: Any
) -> None:
    world = smtp_world
    _send(
        gateway,
        _mail(world.gp.email, _address(world), attachments=(("echo.pdf", PDF, "application/pdf"),)),
        world.gp.email,
        _address(world),
    )

    rows = selectors.inbox_for_patient(actor=world.holder, patient_id=world.patient.pk)
    assert [(row.subject, row.counterpart, row.unread) for row in rows] == [
        ("Compte rendu d'échographie", world.gp.display_name, 1)
    ]
    opened = services.conversation_read(
        actor=world.holder, patient_id=world.patient.pk, conversation_public_id=rows[0].public_id
    )
    ((_message, body, attachments),) = opened.messages
    assert body == BODY
    assert [name for _a, name in attachments] == ["echo.pdf"]
    _att, _name, content = services.attachment_content(
        actor=world.holder, patient_id=world.patient.pk, attachment_public_id=attachments[0][0].public_id
    )
    assert content == PDF


def test_an_accepted_mail_is_traced_and_notified_like_a_message_from_the_web_r_msg_5(
    smtp_world: World, gateway: Any
) -> None:
    world = smtp_world
    _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))

    message = Message.objects.get()
    sent = Trace.objects.get(action="MESSAGE_SEND", object_id=str(message.public_id))
    assert (sent.actor_id, sent.details["channel"]) == (world.gp.rpps, "smtp")
    assert sent.details["external_message_id"] == "<cr-echo-1@cabinet.example.org>"
    notice = OutboxMessage.objects.get(patient_id=world.patient.pk, template="messaging_new_message")
    assert BODY not in str(notice.params) and "échographie" not in str(notice.params)


def test_the_same_mail_sent_twice_is_accepted_twice_and_stored_once(smtp_world: World, gateway: Any) -> None:
    world = smtp_world
    mail = _mail(world.gp.email, _address(world), attachments=(("echo.pdf", PDF, "application/pdf"),))
    assert _send(gateway, mail, world.gp.email, _address(world)) == {}
    assert _send(gateway, mail, world.gp.email, _address(world)) == {}

    assert (Conversation.objects.count(), Message.objects.count(), Attachment.objects.count()) == (1, 1, 1)
    assert Trace.objects.filter(action="MESSAGE_SEND").count() == 1
    assert OutboxMessage.objects.filter(template="messaging_new_message").count() == 1


def test_a_mail_answering_its_own_senders_earlier_mail_continues_the_conversation(
    smtp_world: World, gateway: Any
) -> None:
    world = smtp_world
    _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))
    follow_up = _mail(
        world.gp.email,
        _address(world),
        subject="Re: Compte rendu d'échographie",
        body="Je complète : pas d'anomalie.",
        message_id="<cr-echo-2@cabinet.example.org>",
        in_reply_to="<cr-echo-1@cabinet.example.org>",
    )
    _send(gateway, follow_up, world.gp.email, _address(world))

    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 2


def test_a_mail_without_references_starts_a_new_conversation_r_msg_2(smtp_world: World, gateway: Any) -> None:
    world = smtp_world
    _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))
    other = _mail(world.gp.email, _address(world), message_id="<autre@cabinet.example.org>")
    _send(gateway, other, world.gp.email, _address(world))

    assert Conversation.objects.count() == 2


# --------------------------------------------------------------------------------------------------
# Inbound: refused senders and recipients


def test_an_unknown_sender_is_refused_at_mail_from_and_nothing_is_stored(
    smtp_world: World, gateway: Any, settings: Any
) -> None:
    world = smtp_world
    stranger = "inconnu@example.net"
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        _send(gateway, _mail(stranger, _address(world)), stranger, _address(world))
    assert refused.value.smtp_code == 550
    assert refused.value.smtp_error.startswith(b"5.7.1")
    assert _nothing_stored(settings)


def test_an_inactive_professionals_address_is_not_registered(smtp_world: World, gateway: Any) -> None:
    world = smtp_world
    Professional.objects.filter(pk=world.gp.pk).update(active=False)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))
    assert refused.value.smtp_code == 550
    assert not Message.objects.exists()


def test_with_an_allow_list_only_its_addresses_are_registered(
    smtp_world: World, gateway: Any, settings: Any
) -> None:
    world = smtp_world
    settings.CARNET_SMTP_ALLOWED_SENDERS = [world.dentist.email.upper()]
    with pytest.raises(smtplib.SMTPSenderRefused):
        _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))
    _send(gateway, _mail(world.dentist.email, _address(world)), world.dentist.email, _address(world))
    assert Message.objects.get().author_id == world.dentist.rpps


def test_a_header_from_other_than_the_envelope_sender_is_refused(
    smtp_world: World, gateway: Any, settings: Any
) -> None:
    world = smtp_world
    forged = _mail("chef.de.service@hopital.example.org", _address(world))
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(gateway, forged, world.gp.email, _address(world))
    assert (refused.value.smtp_code, refused.value.smtp_error[:5]) == (550, b"5.7.1")
    assert _nothing_stored(settings)


def _refusal_for(gateway: Any, sender: str, recipient: str) -> tuple[int, bytes]:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(gateway, _mail(sender, recipient), sender, recipient)
    ((code, text),) = refused.value.recipients.values()
    return code, text


def test_unknown_recipient_and_non_activated_space_get_the_identical_refusal(
    smtp_world: World, gateway: Any, settings: Any
) -> None:
    """R-LC-14 / STYLE: nobody learns whether a person exists or whether his space is activated."""
    world = smtp_world
    not_activated = new_person()
    give_space(not_activated, SpaceStatus.OPEN_NOT_ACTIVATED)
    domain = smtp_gateway.patient_mail_domain()
    unknown = _refusal_for(gateway, world.gp.email, f"299999999999999@{domain}")
    dormant = _refusal_for(gateway, world.gp.email, smtp_gateway.patient_address(not_activated))
    wrong_domain = _refusal_for(gateway, world.gp.email, f"{world.patient.ins_matricule}@example.org")

    assert unknown == dormant == wrong_domain
    assert unknown[0] == 550 and unknown[1].startswith(b"5.1.1")
    assert _nothing_stored(settings)


def test_the_patient_domain_is_configurable(smtp_world: World, gateway: Any, settings: Any) -> None:
    world = smtp_world
    settings.CARNET_PATIENT_MAIL_DOMAIN = "patient.mssante.example"
    address = f"{world.patient.ins_matricule}@patient.mssante.example"
    _send(gateway, _mail(world.gp.email, address), world.gp.email, address)
    assert Message.objects.filter(patient_id=world.patient.pk).count() == 1


def test_a_second_recipient_in_one_transaction_is_deferred_with_452(smtp_world: World, gateway: Any) -> None:
    world = smtp_world
    other = new_person()
    give_space(other)
    with smtplib.SMTP("127.0.0.1", gateway.port, timeout=20) as client:
        refused = client.sendmail(
            world.gp.email,
            [_address(world), smtp_gateway.patient_address(other)],
            _mail(world.gp.email, _address(world)).as_bytes(policy=policy.SMTP),
        )
    assert refused == {
        smtp_gateway.patient_address(other): (452, b"4.5.3 Too many recipients, send one message per patient")
    }
    assert Message.objects.filter(patient_id=world.patient.pk).count() == 1
    assert not Message.objects.filter(patient_id=other.pk).exists()


# --------------------------------------------------------------------------------------------------
# Inbound: malformed mail


def _undecodable(sender: str, to: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: x\r\nMessage-ID: <bad@cabinet.example.org>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + b"R\xe9sultat \xff\xfe illisible\r\n"


def _broken_multipart(sender: str, to: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: x\r\nMessage-ID: <mp@cabinet.example.org>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="AAA"\r\n\r\n'
        "pas de frontiere ici\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no_body", (554, b"5.6.0")),
        ("blank_body", (554, b"5.6.0")),
        ("undecodable", (554, b"5.6.0")),
        ("broken_multipart", (554, b"5.6.0")),
        ("disguised_executable", (554, b"5.6.0")),
        ("over_budget", (552, b"5.3.4")),
    ],
)
def test_malformed_mail_is_refused_and_nothing_is_stored_r_msg_4(
    smtp_world: World, gateway: Any, settings: Any, case: str, expected: tuple[int, bytes]
) -> None:
    world = smtp_world
    sender, to = world.gp.email, _address(world)
    mail: EmailMessage | bytes
    if case == "no_body":
        mail = _mail(sender, to, body=None)
        mail.set_content(PDF, maintype="application", subtype="pdf", filename="cr.pdf")
    elif case == "blank_body":
        mail = _mail(sender, to, body="   \n")
    elif case == "undecodable":
        mail = _undecodable(sender, to)
    elif case == "broken_multipart":
        mail = _broken_multipart(sender, to)
    elif case == "disguised_executable":
        mail = _mail(sender, to, attachments=(("compte-rendu.pdf", EXE, "application/pdf"),))
    else:
        settings.CARNET_MESSAGE_ATTACHMENTS_MAX_BYTES = 1000
        big = PDF + b"0" * 1200
        mail = _mail(sender, to, attachments=(("gros.pdf", big, "application/pdf"),))
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(gateway, mail, sender, to)
    assert (refused.value.smtp_code, refused.value.smtp_error[:5]) == expected
    assert _nothing_stored(settings)


def test_a_refused_mail_leaves_no_health_data_in_the_logs(
    smtp_world: World, gateway: Any, caplog: Any
) -> None:
    world = smtp_world
    caplog.set_level("INFO", logger="carnet.messaging")
    _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))
    with pytest.raises(smtplib.SMTPDataError):
        mail = _mail(
            world.gp.email,
            _address(world),
            attachments=(("x.pdf", EXE, "application/pdf"),),
            message_id="<autre@cabinet.example.org>",
        )
        _send(gateway, mail, world.gp.email, _address(world))
    logged = caplog.text
    assert "smtp-in accepted" in logged and "smtp-in refused" in logged
    for secret in (BODY, "échographie", world.patient.ins_matricule, world.gp.email, "x.pdf"):
        assert secret not in logged


# --------------------------------------------------------------------------------------------------
# Outbound: the patient's reply goes back out over SMTP


def _received(collector: _Collector) -> list[Any]:
    """The relayed replies (the server also gets Carnet's content-free notification e-mails)."""
    mails = [message_from_bytes(bytes(e.content or b""), policy=policy.default) for e in collector.received]
    return [m for m in mails if str(m["Subject"]).startswith("Re: ")]


def test_the_patients_reply_goes_back_out_over_smtp_with_in_reply_to(
    smtp_world: World, gateway: Any, pro_mailbox: _Collector
) -> None:
    world = smtp_world
    _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))
    first = Message.objects.get()
    reply = patient_replies(world, first, body="Merci docteur, à bientôt.")

    assert smtp_outbound.relay_pending() == 1

    (mail,) = _received(pro_mailbox)
    assert [a.addr_spec for a in mail["To"].addresses] == [world.gp.email]
    assert mail["Message-ID"] == services.outbound_message_id(reply.public_id)
    assert mail["In-Reply-To"] == "<cr-echo-1@cabinet.example.org>"
    assert services.conversation_thread_id(first.conversation.public_id) in mail["References"]
    assert "<cr-echo-1@cabinet.example.org>" in mail["References"]
    assert mail["From"].addresses[0].addr_spec == _address(world)
    assert mail["Subject"] == "Re: Compte rendu d'échographie"
    assert mail.get_body(preferencelist=("plain",)).get_content().strip() == "Merci docteur, à bientôt."


def test_a_reply_is_relayed_once_and_traced_message_relay(
    smtp_world: World, gateway: Any, pro_mailbox: _Collector
) -> None:
    world = smtp_world
    _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))
    reply = patient_replies(world, Message.objects.get())

    assert smtp_outbound.relay_pending() == 1
    assert smtp_outbound.relay_pending() == 0
    assert len(_received(pro_mailbox)) == 1
    relay = Trace.objects.get(action="MESSAGE_RELAY")
    assert (relay.object_id, relay.actor_id, relay.patient_id) == (
        str(reply.public_id),
        world.gp.rpps,
        world.patient.pk,
    )
    assert "Merci" not in str(relay.details) and world.gp.email not in str(relay.details)


def test_a_reply_whose_mail_server_is_down_is_sent_at_the_next_run(
    smtp_world: World, gateway: Any, settings: Any
) -> None:
    """At least once: no ``MESSAGE_RELAY`` trace until the mail server accepted the mail."""
    world = smtp_world
    _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))
    patient_replies(world, Message.objects.get())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2

    assert smtp_outbound.relay_pending() == 0
    assert not Trace.objects.filter(action="MESSAGE_RELAY").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail as outbox

    outbox.outbox = []
    assert smtp_outbound.relay_pending() == 1
    relayed = [m for m in outbox.outbox if m.to == [world.gp.email] and m.subject.startswith("Re: ")]
    assert len(relayed) == 1


def test_the_professionals_answer_to_the_relayed_reply_continues_the_thread(
    smtp_world: World, gateway: Any, pro_mailbox: _Collector
) -> None:
    world = smtp_world
    _send(gateway, _mail(world.gp.email, _address(world)), world.gp.email, _address(world))
    conversation = Conversation.objects.get()
    patient_replies(world, Message.objects.get(), body="Dois-je refaire un examen ?")
    smtp_outbound.relay_pending()
    (relayed,) = _received(pro_mailbox)

    answer = _mail(
        world.gp.email,
        _address(world),
        subject=str(relayed["Subject"]),
        body="Non, pas avant un an.",
        message_id="<cr-echo-3@cabinet.example.org>",
        in_reply_to=str(relayed["Message-ID"]),
    )
    _send(gateway, answer, world.gp.email, _address(world))

    assert Conversation.objects.count() == 1
    assert Message.objects.filter(conversation=conversation, side="PROFESSIONAL").count() == 2


def test_a_reply_in_a_conversation_started_on_the_web_is_not_relayed(
    smtp_world: World, gateway: Any, pro_mailbox: _Collector
) -> None:
    """[I] Content goes out only to a mailbox the professional used with the gateway; he still gets the
    content-free 'a patient answered you' e-mail (R-NOT-2)."""
    world = smtp_world
    first = pro_writes(world)
    patient_replies(world, first)

    assert smtp_outbound.relay_pending() == 0
    assert _received(pro_mailbox) == []
    assert OutboxMessage.objects.filter(template="messaging_new_message_pro").exists()


# --------------------------------------------------------------------------------------------------
# The service behind the gateway


def test_receive_external_continues_only_an_open_conversation_r_msg_3(world: World) -> None:
    """A mail answering a conversation the professional ended opens a new one (he may always start)."""
    first, created = services.message_receive_external(
        actor=pro_actor(world.gp),
        patient_id=world.patient.pk,
        external_message_id="<a@cabinet.example.org>",
        subject="Suivi",
        body="Premier message.",
    )
    services.conversation_end(actor=pro_actor(world.gp), conversation_public_id=first.conversation.public_id)
    second, _created = services.message_receive_external(
        actor=pro_actor(world.gp),
        patient_id=world.patient.pk,
        external_message_id="<b@cabinet.example.org>",
        subject="Suivi",
        body="Second message.",
        references=[services.outbound_message_id(first.public_id)],
    )
    assert created is True
    assert second.conversation_id != first.conversation_id


def test_receive_external_does_not_continue_another_professionals_conversation(world: World) -> None:
    """R-MSG-1: a Message-ID of someone else's conversation cannot be used to write into it."""
    dentist_message = pro_writes(world, world.dentist)
    message, _created = services.message_receive_external(
        actor=pro_actor(world.gp),
        patient_id=world.patient.pk,
        external_message_id="<c@cabinet.example.org>",
        subject="Suivi",
        body="Bonjour.",
        references=[services.conversation_thread_id(dentist_message.conversation.public_id)],
    )
    assert message.conversation_id != dentist_message.conversation_id
    assert message.conversation.professional_id == world.gp.pk


def test_receive_external_public_ids_are_keyed_and_not_the_message_id(world: World, settings: Any) -> None:
    first = services.external_message_uuid(patient_id=1, sender_id="10000000001", external_message_id="<x@y>")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-000000000000"
    second = services.external_message_uuid(
        patient_id=1, sender_id="10000000001", external_message_id="<x@y>"
    )
    assert first != second


# --------------------------------------------------------------------------------------------------
# The command


def test_the_command_refuses_to_bind_a_non_loopback_address_unless_told(db: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("smtp_gateway", "--host", "0.0.0.0", "--port", str(_free_port()))


def test_loopback_addresses_are_recognised() -> None:
    assert smtp_gateway.is_loopback("127.0.0.1") and smtp_gateway.is_loopback("localhost")
    assert not smtp_gateway.is_loopback("0.0.0.0")
