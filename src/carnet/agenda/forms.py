"""Agenda forms: they parse input (Paris local times); the services validate the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AppointmentKind, ReminderOffset

PARIS = ZoneInfo("Europe/Paris")
DT_FORMAT = "%Y-%m-%dT%H:%M"


def _input(kind: str = "text", **attrs: Any) -> dict[str, Any]:
    return {"class": "fr-input", "type": kind, **attrs}


class LocalDateTimeField(forms.DateTimeField):
    """An ``<input type="datetime-local">`` read as Paris time."""

    widget = forms.DateTimeInput(format=DT_FORMAT, attrs=_input("datetime-local"))
    input_formats = [DT_FORMAT, "%Y-%m-%d %H:%M"]

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        return result.replace(tzinfo=None).replace(tzinfo=PARIS)


class AppointmentForm(forms.Form):
    name = forms.CharField(
        label=_("Professionnel ou établissement"),
        max_length=200,
        widget=forms.TextInput(attrs=_input(autocomplete="off")),
    )
    kind = forms.ChoiceField(
        label=_("Type de rendez-vous"),
        choices=AppointmentKind.choices,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    starts_at = LocalDateTimeField(label=_("Date et heure"), help_text=_("Format : jj/mm/aaaa hh:mm"))
    ends_at = LocalDateTimeField(label=_("Heure de fin (facultatif)"), required=False)
    speciality = forms.CharField(
        label=_("Spécialité (facultatif)"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs=_input()),
    )
    address = forms.CharField(
        label=_("Adresse (facultatif)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs=_input()),
    )
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"class": "fr-input", "rows": 3}),
    )
    reminder_offsets = forms.TypedMultipleChoiceField(
        label=_("Me rappeler ce rendez-vous"),
        help_text=_("Trois rappels au plus, par e-mail ou SMS et dans vos notifications."),
        choices=ReminderOffset.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ReminderForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200, widget=forms.TextInput(attrs=_input()))
    remind_at = LocalDateTimeField(label=_("Date et heure du rappel"))
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"class": "fr-input", "rows": 3}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier .ics"),
        help_text=_(
            "Le fichier de confirmation envoyé par une plateforme de prise de rendez-vous (1 Mo au plus)."
        ),
        widget=forms.ClearableFileInput(attrs={"class": "fr-upload", "accept": ".ics,text/calendar"}),
    )
