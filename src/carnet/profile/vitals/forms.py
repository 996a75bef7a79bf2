"""Forms of the vaccination and measurement pages: shape only (the services validate and decide)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carnet.common.errors import DomainError

from . import referential
from .models import COMMENT_MAX, LOT_MAX, MEASURE_COMMENT_MAX, NAME_MAX, DoseType, Route, Site

_DATE_INPUTS = ["%d/%m/%Y", "%Y-%m-%d"]
_DATETIME_INPUTS = ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y", "%Y-%m-%d"]


def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal next to the field it names (DSFR ``fr-input-group--error``)."""
    field = error.field or ""
    form.add_error(field if field in form.fields else None, str(error.message))


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("Non renseigné")), *choices]


class VaccinationForm(forms.Form):
    effective_date = forms.DateField(
        label=_("Date de vaccination"),
        help_text=_("Format attendu : JJ/MM/AAAA"),
        input_formats=_DATE_INPUTS,
        widget=forms.DateInput(attrs={"class": "fr-input", "autocomplete": "off"}, format="%d/%m/%Y"),
    )
    vaccine_code = forms.ChoiceField(
        label=_("Vaccin"),
        required=False,
        help_text=_("Choisissez un vaccin de la liste, ou saisissez son nom ci-dessous."),
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    vaccine_name = forms.CharField(
        label=_("Nom du vaccin (si absent de la liste)"),
        required=False,
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"class": "fr-input"}),
    )
    lot_number = forms.CharField(
        label=_("Numéro de lot"),
        required=False,
        max_length=LOT_MAX,
        widget=forms.TextInput(attrs={"class": "fr-input"}),
    )
    dose_type = forms.ChoiceField(
        label=_("Type d'injection"),
        required=False,
        choices=_blank(DoseType.choices),
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    route = forms.ChoiceField(
        label=_("Voie d'administration"),
        required=False,
        choices=_blank(Route.choices),
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    site = forms.ChoiceField(
        label=_("Site d'injection"),
        required=False,
        choices=_blank(Site.choices),
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    performer_label = forms.CharField(
        label=_("Vacciné par"),
        required=False,
        max_length=200,
        help_text=_("Nom du professionnel ou du centre de vaccination"),
        widget=forms.TextInput(attrs={"class": "fr-input"}),
    )
    cis_code = forms.CharField(
        label=_("Code CIS du vaccin"),
        required=False,
        max_length=8,
        help_text=_("8 chiffres, facultatif"),
        widget=forms.TextInput(attrs={"class": "fr-input", "inputmode": "numeric"}),
    )
    targets = forms.MultipleChoiceField(
        label=_("Maladies ciblées"),
        required=False,
        help_text=_("Laissez vide pour reprendre celles du vaccin choisi."),
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("Commentaire"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"class": "fr-input", "rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        vaccine_field = self.fields["vaccine_code"]
        assert isinstance(vaccine_field, forms.ChoiceField)
        vaccine_field.choices = [
            ("", _("Choisir un vaccin")),
            *((v.code, v.name) for v in referential.vaccines().values()),
        ]
        targets_field = self.fields["targets"]
        assert isinstance(targets_field, forms.MultipleChoiceField)
        targets_field.choices = [(d.code, d.label) for d in referential.diseases().values()]

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class MeasurementForm(forms.Form):
    code = forms.ChoiceField(label=_("Mesure"), widget=forms.Select(attrs={"class": "fr-select"}))
    value = forms.CharField(
        label=_("Valeur"),
        required=False,
        help_text=_(
            "Pour la pression artérielle : la systolique. Pour l'IMC : laissez vide pour le calculer."
        ),
        widget=forms.TextInput(attrs={"class": "fr-input", "inputmode": "decimal", "autocomplete": "off"}),
    )
    second_value = forms.CharField(
        label=_("Pression diastolique (mmHg)"),
        required=False,
        help_text=_("Seulement pour la pression artérielle"),
        widget=forms.TextInput(attrs={"class": "fr-input", "inputmode": "decimal", "autocomplete": "off"}),
    )
    measured_at = forms.DateTimeField(
        label=_("Date et heure de la mesure"),
        required=False,
        input_formats=_DATETIME_INPUTS,
        help_text=_("Laissez vide pour maintenant."),
        widget=forms.DateTimeInput(
            attrs={"class": "fr-input", "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    comment = forms.CharField(
        label=_("Commentaire"),
        required=False,
        max_length=MEASURE_COMMENT_MAX,
        widget=forms.TextInput(attrs={"class": "fr-input"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code_field = self.fields["code"]
        assert isinstance(code_field, forms.ChoiceField)
        code_field.choices = [
            (m.code, f"{m.label} ({m.unit_label})") for m in referential.measures().values()
        ]
