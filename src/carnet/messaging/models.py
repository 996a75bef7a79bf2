"""Secure messaging (SPEC §5): conversations between a patient and a professional or establishment,
their messages and attachments.

Every row carries ``patient_id`` (the holder's person id, invariant 8). Subjects and bodies are sealed with
the patient's data key (``messaging.crypto``); attachments are encrypted blobs of ``vault.blobstore``.
A conversation deleted by the holder's side keeps a tombstone (R-MSG-6): its texts are erased, its
attachments' blobs deleted, the rows stay so the traces and the professional's side still make sense.
A minor's conversation may be kept from his legal representatives (``Conversation.confidential_at``,
R-MIN-5 [I]; docs/subsystems/messaging.md).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Side(models.TextChoices):
    """Which side of the conversation wrote or reads."""

    PATIENT = "PATIENT", _("Usager")  # the holder, his legal representative or his caregiver
    PROFESSIONAL = "PROFESSIONAL", _("Professionnel")  # the professional or the establishment


class ConversationStatus(models.TextChoices):
    OPEN = "OPEN", _("En cours")
    ENDED = "ENDED", _("Terminée par le professionnel")  # R-MSG-3: REPLY_BLOCKED for the patient


class Conversation(models.Model):
    """One exchange between a patient and one counterpart (a professional or an establishment).

    ``started_by_side``: professionals and establishments start conversations (R-MSG-2); the patient's
    side starts one only towards a counterpart who already wrote and did not end the exchange.
    ``first_sent_at`` stays empty while the only message is a draft (the counterpart sees nothing).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient_id = models.BigIntegerField()
    professional = models.ForeignKey(
        "identity.Professional", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "identity.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_sealed = models.BinaryField(default=b"")  # crypto.seal(purpose="subject:<public_id>")
    started_by_side = models.CharField(max_length=16, choices=Side.choices)
    status = models.CharField(
        max_length=8, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    no_reply = models.BooleanField(default=False)  # R-MSG-3 NO_REPLY sender
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by_label = models.CharField(max_length=200, blank=True)  # "X a mis fin à vos échanges"
    created_at = models.DateTimeField()
    first_sent_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    deleted_by_patient_at = models.DateTimeField(null=True, blank=True)  # R-MSG-6 tombstone
    deleted_by = models.CharField(max_length=64, blank=True)  # the deleting actor's id (never a name)
    # R-MIN-5 [I]: kept from the minor's legal representatives since ``confidential_at``, at the request of
    # ``confidential_by_side`` (PATIENT: the minor himself, then only he lifts it; PROFESSIONAL: his side).
    confidential_at = models.DateTimeField(null=True, blank=True)
    confidential_by_side = models.CharField(max_length=16, choices=Side.choices, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(professional__isnull=False) | Q(organisation__isnull=False),
                name="messaging_conversation_has_counterpart",
            )
        ]
        indexes = [
            models.Index(fields=["patient_id", "last_message_at"], name="messaging_conv_patient"),
            models.Index(fields=["professional", "last_message_at"], name="messaging_conv_pro"),
            models.Index(fields=["organisation", "last_message_at"], name="messaging_conv_org"),
        ]

    def __str__(self) -> str:  # never the subject: it may be health data
        return f"Conversation {self.public_id}"

    @property
    def is_ended(self) -> bool:
        return self.status == ConversationStatus.ENDED

    @property
    def is_deleted(self) -> bool:
        return self.deleted_by_patient_at is not None

    @property
    def is_confidential(self) -> bool:
        return self.confidential_at is not None

    @property
    def counterpart_label(self) -> str:
        if self.professional is not None:
            return self.professional.display_name
        return self.organisation.name if self.organisation is not None else ""


class Message(models.Model):
    """One message (or draft) of a conversation.

    ``author_*`` identify who acted (actor kind, public id, display name); ``delegate_kind`` /
    ``delegate_label`` mark a message written for the holder by his caregiver ("Ce message a été rédigé
    par <aidant>", R-MSG-4, R-DEL-2) or his legal representative (R-MIN-1). Drafts are seen only by their
    side. ``read_at`` is the other side's first reading (reset by "mark as unread").
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    patient_id = models.BigIntegerField()
    side = models.CharField(max_length=16, choices=Side.choices)
    author_kind = models.CharField(max_length=24)  # carnet.common.actors.ActorKind
    author_id = models.CharField(max_length=64)
    author_label = models.CharField(max_length=200)
    delegate_kind = models.CharField(max_length=24, blank=True)  # CAREGIVER / LEGAL_REPRESENTATIVE or ""
    delegate_label = models.CharField(max_length=200, blank=True)
    body_sealed = models.BinaryField(default=b"")  # crypto.seal(purpose="message:<public_id>")
    is_draft = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)  # by the other side
    erased_at = models.DateTimeField(null=True, blank=True)  # R-MSG-6: content erased

    class Meta:
        indexes = [
            models.Index(fields=["patient_id", "conversation", "sent_at"], name="messaging_msg_patient"),
            models.Index(fields=["conversation", "side", "read_at"], name="messaging_msg_unread"),
        ]

    def __str__(self) -> str:  # never the body
        return f"Message {self.public_id}"


class AttachmentSource(models.TextChoices):
    FILE = "FILE", _("Fichier")
    RECORD = "RECORD", _("Document du dossier")  # copied from the patient's record (R-MSG-4)


class Attachment(models.Model):
    """A file of a message, encrypted with the patient's key (a ``records.Blob``). ``media_type`` is
    sniffed from the content (R-FMT-2), never taken from the name. ``saved_document_id`` is the record
    document it became (``attachment_save_to_record``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    patient_id = models.BigIntegerField(db_index=True)
    blob = models.ForeignKey(
        "records.Blob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename_sealed = models.BinaryField(default=b"")  # a file name may be health data: sealed too
    media_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    source = models.CharField(max_length=8, choices=AttachmentSource.choices, default=AttachmentSource.FILE)
    source_document_id = models.UUIDField(null=True, blank=True)  # records.Document.public_id
    saved_document_id = models.UUIDField(null=True, blank=True)  # records.Document.public_id
    created_at = models.DateTimeField()
    erased_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:  # never the file name
        return f"Attachment {self.public_id}"
