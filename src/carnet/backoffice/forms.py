"""Forms of the back-office and of the public support page. POST only; labels and errors in French."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carnet.spaces.models import SpaceStatus

from .models import SupportCategory, SupportStatus

# R-LC-24: CNAM may suspend on fraud or on serious malfunction.
SUSPENSION_MOTIFS = [
    ("FRAUD", _("Fraude")),
    ("MALFUNCTION", _("Dysfonctionnement grave")),
]


class SupportRequestForm(forms.Form):
    """The public help form: a category and a contact e-mail, and deliberately no free-text field."""

    category = forms.ChoiceField(label=_("Catégorie de votre demande"), choices=SupportCategory.choices)
    contact_email = forms.EmailField(
        label=_("Adresse e-mail de contact"),
        help_text=_("Un conseiller vous répondra à cette adresse. Format attendu : nom@exemple.fr"),
        max_length=254,
        error_messages={
            "required": _("Adresse e-mail de contact : ce champ est obligatoire."),
            "invalid": _(
                "Adresse e-mail de contact : saisissez une adresse valide, par exemple nom@exemple.fr."
            ),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].error_messages.update(
            {
                "required": _("Catégorie : choisissez une catégorie."),
                "invalid_choice": _("Catégorie : choisissez une catégorie dans la liste."),
            }
        )


class SpaceSearchForm(forms.Form):
    """Search by a space's public id or by the holder's exact NIR. Sent by POST so the NIR never
    appears in a URL, a log line or the browser history; never re-displayed."""

    query = forms.CharField(
        label=_("Identifiant du profil ou numéro de sécurité sociale"),
        help_text=_("Identifiant public du profil, ou numéro de sécurité sociale complet (15 caractères)."),
        max_length=64,
        error_messages={
            "required": _("Recherche : saisissez un identifiant ou un numéro de sécurité sociale.")
        },
    )


class SpaceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Statut"), choices=[("", _("Tous les statuts")), *SpaceStatus.choices], required=False
    )


class SuspendForm(forms.Form):
    motif = forms.ChoiceField(label=_("Motif de la suspension"), choices=SUSPENSION_MOTIFS)
    confirm = forms.BooleanField(
        label=_("Je confirme la suspension de ce profil."),
        error_messages={"required": _("Confirmation : cochez la case pour confirmer la suspension.")},
    )


class RecordDeathForm(forms.Form):
    died_on = forms.DateField(
        label=_("Date du décès"),
        help_text=_("Format attendu : JJ/MM/AAAA"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Date du décès : ce champ est obligatoire."),
            "invalid": _("Date du décès : saisissez une date valide au format JJ/MM/AAAA."),
        },
    )
    confirm = forms.BooleanField(
        label=_("Je confirme l'enregistrement du décès du titulaire de ce profil."),
        error_messages={
            "required": _("Confirmation : cochez la case pour confirmer l'enregistrement du décès.")
        },
    )


class SupportStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Nouveau statut"), choices=SupportStatus.choices)
