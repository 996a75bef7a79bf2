"""Forms of the lifecycle pages. They check the shape of the input only; services decide the rest."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from carnet.identity.validators import normalise_nir, validate_nir
from carnet.notifications.models import Channel

from . import codes

VITALE_TECHNICAL_NUMBER = "80250000025"  # R-LC-10: the regime number printed on every card


def _clean_vitale(value: str, nir: str | None) -> str:
    """R-LC-10: 8 to 13 digits, not a date (DDMMYYYY), not part of the NIR, not the regime number."""
    digits = re.sub(r"\s", "", value or "")
    if not digits.isdigit():
        raise ValidationError(_("Le numéro de série de la carte Vitale ne contient que des chiffres."))
    if not 8 <= len(digits) <= 13:
        raise ValidationError(_("Le numéro de série de la carte Vitale comporte de 8 à 13 chiffres."))
    if digits == VITALE_TECHNICAL_NUMBER:
        raise ValidationError(
            _("Ce numéro est commun à toutes les cartes : saisissez les chiffres qui le suivent.")
        )
    if len(digits) == 8 and re.fullmatch(r"(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])(19|20)\d\d", digits):
        raise ValidationError(_("Ce numéro ressemble à une date : saisissez le numéro de série de la carte."))
    if nir and digits in nir:
        raise ValidationError(
            _("Ce numéro fait partie du numéro de sécurité sociale : saisissez celui de la carte.")
        )
    return digits


class IdentifyForm(forms.Form):
    """R-LC-2/R-LC-4/R-LC-10: NIR + carte Vitale serial + birth date."""

    nir = forms.CharField(
        label=_("Numéro de sécurité sociale"),
        help_text=_("15 caractères, clé comprise, tel qu'il figure sur votre carte Vitale."),
        max_length=21,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
    )
    vitale_serial = forms.CharField(
        label=_("Numéro de série de la carte Vitale"),
        help_text=_(
            "Carte avec photo : les 11 chiffres qui suivent « 8025000002 » en haut à droite. "
            "Carte sans photo : le numéro de 8 à 13 chiffres au dos, en haut à gauche."
        ),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        help_text=_("Au format JJ/MM/AAAA."),
        input_formats=["%d/%m/%Y", "%Y-%m-%d", "%d%m%Y"],
        widget=forms.DateInput(attrs={"autocomplete": "bday", "placeholder": _("JJ/MM/AAAA")}, format="%d/%m/%Y"),
    )

    def clean_nir(self) -> str:
        return validate_nir(self.cleaned_data["nir"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "vitale_serial" in cleaned:
            try:
                cleaned["vitale_serial"] = _clean_vitale(cleaned["vitale_serial"], cleaned.get("nir"))
            except ValidationError as exc:
                self.add_error("vitale_serial", exc)
        return cleaned


class OppositionForm(IdentifyForm):
    code = forms.CharField(
        label=_("Code provisoire (facultatif)"),
        help_text=_("Les 12 caractères reçus dans le message d'information, si vous l'avez."),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        code = codes.normalise_code(self.cleaned_data.get("code", ""))
        if code and len(code) != codes.LENGTH:
            raise ValidationError(_("Le code provisoire comporte 12 caractères."))
        return code


class CodeRenewForm(IdentifyForm):
    channel = forms.ChoiceField(
        label=_("Recevoir le code par"),
        choices=[(Channel.EMAIL, _("E-mail")), (Channel.SMS, _("SMS"))],
        initial=Channel.EMAIL,
        widget=forms.RadioSelect,
    )


class ClosureForm(forms.Form):
    """R-LC-20: closure requires the password; the deletion request is optional (R-LC-22)."""

    request_deletion = forms.BooleanField(
        label=_("Je demande aussi la suppression de mes données (au plus tard dans 3 mois)"),
        required=False,
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        help_text=_("Pour confirmer, saisissez à nouveau votre mot de passe."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Mot de passe"),
        help_text=_("Pour confirmer, saisissez à nouveau votre mot de passe."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def nir_of(form: IdentifyForm) -> str:
    return normalise_nir(form.cleaned_data.get("nir", ""))
