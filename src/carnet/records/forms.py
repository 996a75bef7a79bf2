"""Forms of the record's pages (SPEC §2). They check the shape of the input only (required fields, file
size before reading it); ``records.services`` decides everything else and its ``DomainError`` is shown
next to the field it names (``apply_domain_error``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carnet.access.facts import Confidentiality
from carnet.common.errors import DomainError
from carnet.identity.validators import validate_nir

from . import codes
from .services import MAX_BULK_DELETE, patient_upload_max_bytes, professional_upload_max_bytes

# SPEC §2.5: the patient-facing categories, in the order the documents page shows them.
CATEGORY_LABELS: dict[str, Promise] = {
    codes.Category.SYNTHESE: _("Ma santé en résumé"),
    codes.Category.SYNTH_PML: _("Synthèse médicale"),
    codes.Category.ORD_SOIN: _("Ordonnances et soins"),
    codes.Category.RADIO_SC: _("Radio, écho, scanner, IRM"),
    codes.Category.BIOLOGIE: _("Résultats de biologie"),
    codes.Category.CPT_REND: _("Comptes rendus"),
    codes.Category.DEPISTAG: _("Prévention et dépistages"),
    codes.Category.CERT_MED: _("Certificats médicaux"),
    codes.Category.CAR_VAC: _("Carnet vaccinal"),
    codes.Category.DIR_ANT: _("Directives anticipées"),
    codes.Category.VDP: _("Volontés du patient"),
    codes.Category.QUEST_SANTE: _("Questionnaires de santé"),
    codes.Category.DOC_ADM: _("Pièces administratives"),
    codes.Category.REMB: _("Remboursements"),
    codes.Category.AUTR_DOC: _("Autres documents"),
}

# Confidentiality options a professional may set at deposit (SPEC §2.4); "N" is the default.
PROFESSIONAL_CONFIDENTIALITY_CHOICES = [
    (Confidentiality.MASQUE_PS.value, _("Masqué aux professionnels de santé")),
    (
        Confidentiality.INVISIBLE_PATIENT.value,
        _("Non visible par le patient (dans l'attente d'une consultation d'annonce, un mois au plus)"),
    ),
    (Confidentiality.INVISIBLE_REPRESENTANTS_LEGAUX.value, _("Non visible par les représentants légaux")),
]

# Where a service's ``DomainError.field`` is shown on our forms.
_FIELD_ALIASES = {
    "content": "file",
    "ins": "file",
    "class_code": "type_code",
    "document_ids": "documents",
}


def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal next to the field it names (DSFR ``fr-input-group--error``)."""
    field = _FIELD_ALIASES.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, str(error.message))


def _size_limit_message(limit: int) -> str:
    return str(_("Sélectionnez un fichier de moins de %(mb)s Mo.") % {"mb": limit // (1024 * 1024)})


def _check_file(upload: UploadedFile | None, limit: int) -> UploadedFile:
    """Refuse an empty or too large file before reading it (R-FMT-3)."""
    if upload is None:
        raise ValidationError(_("Sélectionnez un fichier."), code="required")
    if upload.size is not None and upload.size > limit:
        raise ValidationError(_size_limit_message(limit), code="too_large")
    if not upload.size:
        raise ValidationError(_("Le fichier est vide."), code="required")
    return upload


def read_upload(upload: UploadedFile) -> bytes:
    return b"".join(upload.chunks())


class PatientUploadForm(forms.Form):
    """R-FMT-2/3/4: file + title + category (+ masked); the type is sniffed from the content."""

    file = forms.FileField(
        label=_("Fichier"),
        help_text=_("PDF, image (JPEG, PNG, TIFF), texte, RTF ou Word ; 5 Mo au plus."),
        required=False,
        widget=forms.FileInput(attrs={"class": "fr-upload"}),
    )
    title = forms.CharField(
        label=_("Titre du document"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(
        label=_("Catégorie"),
        choices=[(code, CATEGORY_LABELS[code]) for code in codes.PATIENT_TYPE_BY_CATEGORY],
        initial=codes.Category.AUTR_DOC,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    service_start = forms.DateField(
        label=_("Date du document (facultatif)"),
        help_text=_("Au format JJ/MM/AAAA."),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"class": "fr-input", "placeholder": _("JJ/MM/AAAA")}),
    )
    masked = forms.BooleanField(
        label=_("Masquer ce document aux professionnels de santé"),
        required=False,
    )

    def clean_file(self) -> UploadedFile:
        return _check_file(self.cleaned_data.get("file"), patient_upload_max_bytes())

    def clean_title(self) -> str:
        title = (self.cleaned_data.get("title") or "").strip()
        if not title:
            raise ValidationError(_("Le titre du document est obligatoire."), code="required")
        return title

    def confidentiality(self) -> list[str]:
        return [Confidentiality.MASQUE_PS.value] if self.cleaned_data.get("masked") else []


class _UUIDListField(forms.Field):
    """Several public ids from checkboxes named alike (rendered by the list template)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        values = [str(v).strip() for v in (value or []) if str(v).strip()]
        for v in values:
            try:
                uuid.UUID(v)
            except ValueError:
                raise ValidationError(_("Sélection de documents invalide."), code="invalid") from None
        return list(dict.fromkeys(values))


class DocumentsDeleteForm(forms.Form):
    """R-DOC-10 / R-FMT-3: the patient deletes at most 10 of his own uploads at once."""

    documents = _UUIDListField(label=_("Documents à supprimer"), required=False)

    def clean_documents(self) -> list[str]:
        chosen: list[str] = self.cleaned_data.get("documents") or []
        if not chosen:
            raise ValidationError(_("Sélectionnez au moins un document."), code="required")
        if len(chosen) > MAX_BULK_DELETE:
            raise ValidationError(
                _("Vous pouvez supprimer au plus %(max)s documents à la fois.") % {"max": MAX_BULK_DELETE},
                code="too_many",
            )
        return chosen


class MaskAllForm(forms.Form):
    """R-MASK-3: "masquer tous mes documents par défaut"."""

    enabled = forms.BooleanField(
        label=_("Masquer par défaut tous mes documents aux professionnels de santé"),
        required=False,
    )


def type_choices() -> list[tuple[str, Any]]:
    """R-DOC-1: the J07 types the DMP accepts (without the patients' own DOCPATxx / EXPPAT_2)."""
    reserved = set(codes.PATIENT_TYPE_BY_CATEGORY.values())
    labels = {code: codes.type_label(code) for code in codes.accepted_type_codes() - reserved}
    accepted = sorted(labels, key=lambda c: (labels[c].casefold(), c))
    return [("", _("Choisir un type"))] + [(c, labels[c]) for c in accepted]


class ProfessionalDepositForm(forms.Form):
    """R-FMT-1, R-DOC-1: PDF or CDA R2 XML + type (J07 accepted), confidentiality, date of care."""

    file = forms.FileField(
        label=_("Fichier"),
        help_text=_("PDF ou document CDA R2 (XML) ; 20 Mo au plus."),
        required=False,
        widget=forms.FileInput(attrs={"class": "fr-upload"}),
    )
    type_code = forms.ChoiceField(
        label=_("Type de document"),
        help_text=_("Pour un document CDA, le type de l'en-tête est repris s'il n'est pas choisi."),
        required=False,
        choices=[],
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    title = forms.CharField(
        label=_("Titre (facultatif)"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off"}),
    )
    confidentiality = forms.MultipleChoiceField(
        label=_("Confidentialité"),
        help_text=_("Sans choix, le document est de confidentialité normale."),
        choices=PROFESSIONAL_CONFIDENTIALITY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    service_start = forms.DateField(
        label=_("Date des soins (facultatif)"),
        help_text=_("Au format JJ/MM/AAAA."),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"class": "fr-input", "placeholder": _("JJ/MM/AAAA")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type_code"].choices = type_choices()  # type: ignore[attr-defined]

    def clean_file(self) -> UploadedFile:
        return _check_file(self.cleaned_data.get("file"), professional_upload_max_bytes())

    def metadata(self) -> dict[str, Any]:
        data = self.cleaned_data
        metadata: dict[str, Any] = {
            "type_code": data.get("type_code") or "",
            "title": data.get("title") or "",
        }
        if data.get("confidentiality"):
            metadata["confidentiality"] = list(data["confidentiality"])
        if data.get("service_start"):
            metadata["service_start"] = data["service_start"]
        return metadata


class ProfessionalReplaceForm(forms.Form):
    """R-VER-1: a new version of the author's own document (metadata not given are kept)."""

    file = forms.FileField(
        label=_("Nouvelle version du fichier"),
        help_text=_("PDF ou document CDA R2 (XML) ; 20 Mo au plus."),
        required=False,
        widget=forms.FileInput(attrs={"class": "fr-upload"}),
    )
    title = forms.CharField(
        label=_("Nouveau titre (facultatif)"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off"}),
    )

    def clean_file(self) -> UploadedFile:
        return _check_file(self.cleaned_data.get("file"), professional_upload_max_bytes())


class ProfessionalMetadataForm(forms.Form):
    """R-VER-1, R-MASK-6: the author updates the title and the confidentiality (e.g. lifts
    INVISIBLE_PATIENT after the announcement consultation)."""

    title = forms.CharField(
        label=_("Titre"),
        max_length=255,
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off"}),
    )
    confidentiality = forms.MultipleChoiceField(
        label=_("Confidentialité"),
        help_text=_("Sans choix, le document est de confidentialité normale."),
        choices=PROFESSIONAL_CONFIDENTIALITY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class PatientFindForm(forms.Form):
    """Find a patient by his INS: matricule (NIR) + birth date. POSTed: the NIR never goes in a URL."""

    nir = forms.CharField(
        label=_("Matricule INS (numéro de sécurité sociale)"),
        help_text=_("15 caractères, clé comprise."),
        max_length=21,
        widget=forms.TextInput(
            attrs={"class": "fr-input", "autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        help_text=_("Au format JJ/MM/AAAA."),
        input_formats=["%d/%m/%Y", "%Y-%m-%d", "%d%m%Y"],
        widget=forms.DateInput(
            attrs={"class": "fr-input", "autocomplete": "off", "placeholder": _("JJ/MM/AAAA")}
        ),
    )

    def clean_nir(self) -> str:
        return validate_nir(self.cleaned_data["nir"])
