"""Forms of the profile's pages. They check the *shape* of the input only (numbers are numbers, files
are files); ``profile.services`` validates everything else and its ``DomainError`` is shown next to the
field it names (``apply_domain_error``, DSFR ``fr-input-group--error``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carnet.access.facts import ProfileSection
from carnet.common.errors import DomainError

from .models import (
    COMMENT_MAX,
    HELP_MAX,
    NAME_MAX,
    POSOLOGY_MAX,
    BloodGroupValue,
    ContactRelationship,
    DisabilityKind,
    DisabilityRate,
    DurationUnit,
    FamilyRelationship,
)
from .services import DIRECTIVES_FORMS

_FIELD_ALIASES = {"content": "file", "form_kind": None}


def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal next to the field it names (or above the form)."""
    name = _FIELD_ALIASES.get(error.field or "", error.field)
    form.add_error(name if name in form.fields else None, str(error.message))


_CLASSES = {
    forms.Select: "fr-select",
    forms.ClearableFileInput: "fr-upload",
    forms.FileInput: "fr-upload",
    forms.Textarea: "fr-input",
    forms.TextInput: "fr-input",
    forms.NumberInput: "fr-input",
    forms.EmailInput: "fr-input",
    forms.DateInput: "fr-input",
}


class DsfrForm(forms.Form):
    """Adds the DSFR classes to the widgets (``fr-input``, ``fr-select``...) once the fields are set."""

    def dsfr(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            for kind, css in _CLASSES.items():
                if type(widget) is kind:
                    widget.attrs.setdefault("class", css)
                    break


def _text(label: Any, max_length: int, *, textarea: bool = False) -> forms.CharField:
    # max_length is checked by the service (its message names the field); the widget shows the limit.
    widget = (
        forms.Textarea(attrs={"rows": 3, "maxlength": max_length})
        if textarea
        else forms.TextInput(attrs={"maxlength": max_length})
    )
    return forms.CharField(label=label, required=False, widget=widget, strip=True)


def _number(label: Any, *, width: str = "4") -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric", "size": width})
    )


def _select(label: Any, choices: Sequence[tuple[str, Any]], *, blank: bool = True) -> forms.ChoiceField:
    options = [("", _("— Choisir —"))] if blank else []
    return forms.ChoiceField(label=label, required=False, choices=[*options, *choices])


def _dates(prefix: str, label: Any) -> dict[str, forms.Field]:
    return {
        f"{prefix}_day": _number(_("%(label)s : jour") % {"label": label}, width="2"),
        f"{prefix}_month": _number(_("%(label)s : mois") % {"label": label}, width="2"),
        f"{prefix}_year": _number(_("%(label)s : année") % {"label": label}),
    }


class ItemForm(DsfrForm):
    """A list section's item; fields are set per section by ``item_form``."""

    def __init__(
        self,
        *args: Any,
        fields: dict[str, forms.Field],
        documents: Sequence[tuple[str, str]] = (),
        treatments: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, field in fields.items():
            self.fields[name] = field
        if "linked_documents" in self.fields:
            field = self.fields["linked_documents"]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = list(documents)
            if not documents:
                del self.fields["linked_documents"]
        if "linked_treatments" in self.fields:
            field = self.fields["linked_treatments"]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = list(treatments)
            if not treatments:
                del self.fields["linked_treatments"]
        self.dsfr()

    def data_for_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("linked_documents", "linked_treatments"):
            if name in self.fields:
                data[name] = list(data.get(name) or [])
        return data


def _links(name: str, label: Any) -> dict[str, forms.Field]:
    return {name: forms.MultipleChoiceField(label=label, required=False, widget=forms.CheckboxSelectMultiple)}


def section_fields(section: ProfileSection) -> dict[str, forms.Field]:
    """The fields of one list section's form, in display order."""
    if section == ProfileSection.TREATMENTS:
        return {
            "name": _text(_("Nom du traitement"), NAME_MAX),
            **_dates("start", _("Date de début")),
            **_dates("end", _("Date de fin")),
            "posology": _text(_("Posologie"), POSOLOGY_MAX, textarea=True),
            "comment": _text(_("Commentaire"), COMMENT_MAX, textarea=True),
            **_links("linked_documents", _("Documents liés (par exemple l'ordonnance)")),
        }
    if section == ProfileSection.ALLERGIES:
        return {
            "name": _text(_("Nom de l'allergie"), NAME_MAX),
            "comment": _text(_("Commentaire"), COMMENT_MAX, textarea=True),
            **_links("linked_treatments", _("Traitements liés")),
        }
    if section == ProfileSection.DISEASES:
        return {
            "name": _text(_("Nom de la maladie ou du sujet de santé"), NAME_MAX),
            **_dates("start", _("Date de début")),
            **_dates("end", _("Date de fin")),
            "comment": _text(_("Commentaire"), COMMENT_MAX, textarea=True),
            **_links("linked_documents", _("Documents liés (comptes rendus...)")),
            **_links("linked_treatments", _("Traitements liés")),
        }
    if section == ProfileSection.HOSPITALIZATIONS:
        return {
            "name": _text(_("Nom de l'hospitalisation ou de l'acte"), NAME_MAX),
            **_dates("start", _("Date")),
            "duration": _number(_("Durée")),
            "duration_unit": _select(_("Unité de durée"), DurationUnit.choices),
            **_links("linked_documents", _("Documents liés")),
        }
    if section == ProfileSection.FAMILY_HISTORIES:
        return {
            "name": _text(_("Maladie"), NAME_MAX),
            "relationship": _select(_("Lien de parenté"), FamilyRelationship.choices),
            "comment": _text(_("Commentaire"), COMMENT_MAX, textarea=True),
        }
    if section == ProfileSection.DISABILITIES:
        return {
            "kind": _select(_("Type de handicap"), DisabilityKind.choices),
            "rate": _select(_("Taux d'incapacité"), DisabilityRate.choices),
            "technical_help": _text(_("Aides techniques"), HELP_MAX, textarea=True),
            "human_help": _text(_("Aides humaines"), HELP_MAX, textarea=True),
            "comment": _text(_("Commentaire"), COMMENT_MAX, textarea=True),
        }
    if section == ProfileSection.ENTOURAGE:
        return contact_fields()
    raise ValueError(section)


def contact_fields() -> dict[str, forms.Field]:
    return {
        "name": _text(_("Nom et prénom"), NAME_MAX),
        "relationship": _select(_("Lien"), ContactRelationship.choices),
        "phone": forms.CharField(
            label=_("Téléphone"),
            required=False,
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        ),
        "email": forms.CharField(
            label=_("Adresse e-mail (facultatif)"), required=False, widget=forms.EmailInput()
        ),
        "comment": _text(_("Commentaire"), COMMENT_MAX, textarea=True),
    }


class TrustedPersonForm(DsfrForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in contact_fields().items():
            self.fields[name] = field
        self.fields["designated_on"] = forms.DateField(
            label=_("Date de la désignation écrite"),
            required=False,
            help_text=_("Format : JJ/MM/AAAA"),
            input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        )
        self.dsfr()


class BloodGroupForm(forms.Form):
    group = forms.ChoiceField(
        label=_("Groupe sanguin"), required=False, choices=BloodGroupValue.choices, widget=forms.RadioSelect
    )


class LifestyleForm(DsfrForm):
    """One lifestyle section (the page has one per section; the prefix keeps the ids unique)."""

    def __init__(
        self, *args: Any, section: str, choices: Sequence[tuple[str, Any]], label: Any, **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", section.lower())
        super().__init__(*args, **kwargs)
        self.fields["choice"] = forms.ChoiceField(
            label=label, required=False, choices=list(choices), widget=forms.RadioSelect
        )
        self.fields["comment"] = _text(_("Commentaire"), COMMENT_MAX, textarea=True)
        self.dsfr()


class DirectivesForm(DsfrForm):
    """One of the two guided forms (``services.DIRECTIVES_FORMS``)."""

    def __init__(self, *args: Any, form_kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _title, questions = DIRECTIVES_FORMS[form_kind]
        for question in questions:
            if question.choices:
                self.fields[question.key] = forms.ChoiceField(
                    label=question.label,
                    required=False,
                    choices=list(question.choices),
                    widget=forms.RadioSelect,
                )
            else:
                self.fields[question.key] = _text(question.label, COMMENT_MAX, textarea=True)
        self.fields["confirm"] = forms.BooleanField(
            label=_("Je rédige ces directives moi-même, librement et en pleine conscience."), required=False
        )
        self.dsfr()


class DirectivesUploadForm(DsfrForm):
    file = forms.FileField(
        label=_("Document de directives anticipées"),
        required=False,
        help_text=_("PDF, image, texte ou Word ; 5 Mo au plus."),
        widget=forms.FileInput(attrs={"class": "fr-upload"}),
    )
