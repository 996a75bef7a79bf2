"""Forms of the messaging pages (French labels, DSFR classes). They only shape input: every rule is the
services' (R-MSG-2/3/4), whose refusals are shown next to the field they name (``show_error``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from carnet.common.errors import DomainError
from carnet.records import codes
from carnet.records.forms import CATEGORY_LABELS

from .services import SUBJECT_MAX_CHARS, IncomingFile


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (attachments, R-MSG-4)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "fr-upload", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def incoming_files(uploads: Sequence[UploadedFile]) -> list[IncomingFile]:
    return [
        IncomingFile(
            filename=upload.name or "",
            content=b"".join(upload.chunks()),
            declared_media_type=upload.content_type or "",
        )
        for upload in uploads
    ]


def show_error(form: forms.Form, error: DomainError) -> None:
    """A service's refusal next to the field it names (DSFR ``fr-input-group--error``), else on top."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _body_field() -> forms.CharField:
    return forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"class": "fr-input", "rows": 8}),
    )


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(
        label=_("Pièces jointes"),
        help_text=_(
            "PDF, image (JPEG, PNG, TIFF), texte, RTF ou Word ; 10 Mo au plus pour l'ensemble du message."
        ),
        required=False,
    )


class _WithDocuments(forms.Form):
    """Documents chosen from the patient's record (R-MSG-4): the choices are what the records selector let
    the acting person see."""

    def __init__(self, *args: Any, documents: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if documents:
            self.fields["documents"] = forms.MultipleChoiceField(
                label=_("Joindre des documents de mon dossier"),
                required=False,
                choices=[(str(d.public_id), d.title) for d in documents],
                widget=forms.CheckboxSelectMultiple,
            )


def _confidential_field(*, pro: bool) -> forms.BooleanField:
    """R-MIN-5: keep the conversation from the minor's legal representatives (offered only when the policy
    allows it; the service decides again)."""
    if pro:
        return forms.BooleanField(
            label=_("Cacher cette conversation aux représentants légaux du patient mineur"),
            help_text=_(
                "À la demande du mineur : ses parents ou tuteurs ne verront ni la conversation, ni votre nom, "
                "ni aucune notification à son sujet."
            ),
            required=False,
        )
    return forms.BooleanField(
        label=_("Cacher cette conversation à mes représentants légaux"),
        help_text=_("Vos parents ou tuteurs ne la verront pas, ni aucune notification à son sujet."),
        required=False,
    )


class PatientComposeForm(_WithDocuments):
    """A new message from the holder's side, only to eligible professionals (R-MSG-2)."""

    recipient = forms.ChoiceField(label=_("Destinataire"), widget=forms.Select(attrs={"class": "fr-select"}))
    subject = forms.CharField(
        label=_("Objet"),
        max_length=SUBJECT_MAX_CHARS,
        required=False,
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off"}),
    )
    body = _body_field()
    attachments = _attachments_field()

    def __init__(
        self, *args: Any, recipients: Sequence[Any] = (), offer_confidential: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = [(r.public_id, r.label) for r in recipients]  # type: ignore[attr-defined]
        if offer_confidential:
            self.fields["confidential"] = _confidential_field(pro=False)


class ProComposeForm(forms.Form):
    """A professional writes to a patient (R-MSG-2)."""

    subject = forms.CharField(
        label=_("Objet"),
        max_length=SUBJECT_MAX_CHARS,
        required=False,
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off"}),
    )
    body = _body_field()
    attachments = _attachments_field()
    no_reply = forms.BooleanField(
        label=_("Ne pas permettre au patient de répondre (expéditeur « ne pas répondre »)"), required=False
    )

    def __init__(self, *args: Any, offer_confidential: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if offer_confidential:
            self.fields["confidential"] = _confidential_field(pro=True)


class ReplyForm(_WithDocuments):
    body = _body_field()
    attachments = _attachments_field()


class DraftForm(_WithDocuments):
    """Edit a draft: its text (and subject when it opens a conversation), attachments added or removed."""

    subject = forms.CharField(
        label=_("Objet"),
        max_length=SUBJECT_MAX_CHARS,
        required=False,
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off"}),
    )
    body = _body_field()
    attachments = _attachments_field()

    def __init__(
        self, *args: Any, opens: bool = False, existing: Sequence[tuple[Any, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not opens:
            del self.fields["subject"]
        if existing:
            self.fields["remove"] = forms.MultipleChoiceField(
                label=_("Retirer des pièces jointes"),
                required=False,
                choices=[(str(a.public_id), name) for a, name in existing],
                widget=forms.CheckboxSelectMultiple,
            )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher dans mes messages"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "fr-input", "type": "search", "autocomplete": "off"}),
    )


class SaveToRecordForm(forms.Form):
    """R-MSG-4: save a received attachment into the record (a patient document, SPEC §2.6)."""

    category = forms.ChoiceField(
        label=_("Catégorie"),
        choices=[(code, CATEGORY_LABELS[code]) for code in codes.PATIENT_TYPE_BY_CATEGORY],
        initial=codes.Category.AUTR_DOC,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
