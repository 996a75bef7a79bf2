"""Forms of the account pages. They check formats only; every decision is taken by ``services``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.widgets import Widget
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from carnet.identity.models import Person
from carnet.identity.validators import validate_nir, validate_vitale_serial
from carnet.spaces import codes as space_codes

from .models import User
from .services import credentials_errors, otp_channels_for, password_change_errors


def _input(autocomplete: str = "off", **extra: StrOrPromise) -> dict[str, StrOrPromise]:
    return {"class": "fr-input", "autocomplete": autocomplete, **extra}


class DsfrBoundField(BoundField):
    """Links an input to its error text (``fr-error-text``) and hint for screen readers."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            ids = [f"{self.auto_id}_helptext"] if self.help_text else []
            attrs["aria-describedby"] = " ".join([*ids, f"{self.auto_id}-error"])
        return attrs


class DsfrForm(forms.Form):
    bound_field_class = DsfrBoundField


class ActivationIdentifyForm(DsfrForm):
    """Step 1 of activation (R-LC-10): provisional code, NIR, carte Vitale serial, birth date."""

    code = forms.CharField(
        label=_("Code provisoire"),
        help_text=_(
            "Les 12 caractères reçus par courrier, e-mail ou SMS (les tirets et espaces sont ignorés)."
        ),
        max_length=30,
        widget=forms.TextInput(attrs=_input(spellcheck="false", autocapitalize="characters")),
    )
    nir = forms.CharField(
        label=_("Numéro de sécurité sociale"),
        help_text=_("15 caractères, clé comprise."),
        max_length=25,
        widget=forms.TextInput(attrs=_input(inputmode="numeric", spellcheck="false")),
    )
    vitale_serial = forms.CharField(
        label=_("Numéro de série de la carte Vitale"),
        help_text=_(
            "Carte avec photo : les 11 chiffres qui suivent « 8025000002 », en haut à droite. "
            "Carte sans photo : de 8 à 13 chiffres, au dos en haut à gauche."
        ),
        max_length=30,
        widget=forms.TextInput(attrs=_input(inputmode="numeric")),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        help_text=_("Au format JJ/MM/AAAA."),
        input_formats=["%d/%m/%Y", "%Y-%m-%d", "%d%m%Y"],
        widget=forms.DateInput(attrs=_input("bday", placeholder=_("JJ/MM/AAAA")), format="%d/%m/%Y"),
    )

    def clean_code(self) -> str:
        code = space_codes.normalise_code(self.cleaned_data["code"])
        if len(code) != space_codes.LENGTH:
            raise ValidationError(_("Le code provisoire doit comporter 12 caractères."), code="code_length")
        return code

    def clean_nir(self) -> str:
        return validate_nir(self.cleaned_data["nir"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        serial = cleaned.get("vitale_serial")
        if serial is not None:
            try:
                cleaned["vitale_serial"] = validate_vitale_serial(serial, cleaned.get("nir", ""))
            except ValidationError as exc:
                self.add_error("vitale_serial", exc)
        return cleaned


class ActivationCredentialsForm(DsfrForm):
    """Step 2 of activation (R-LC-11, R-LC-13): username, password, code channel, CGU."""

    username = forms.CharField(
        label=_("Identifiant"),
        help_text=_("De 8 à 100 caractères : chiffres, lettres minuscules et . - _ uniquement."),
        widget=forms.TextInput(
            attrs=_input("username", spellcheck="false", autocapitalize="none", maxlength="100")
        ),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        help_text=_(
            "Au moins 9 caractères, dont une minuscule, une majuscule, un chiffre et un caractère spécial, "
            "sans information personnelle (nom, date de naissance, numéro de sécurité sociale), "
            "ni adresse e-mail, ni IBAN."
        ),
        strip=False,
        widget=forms.PasswordInput(attrs=_input("new-password")),
    )
    password_confirm = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs=_input("new-password")),
    )
    otp_channel = forms.ChoiceField(
        label=_("Recevoir mes codes de connexion"),
        widget=forms.RadioSelect,
    )
    cgu = forms.BooleanField(
        label=_("J'ai lu et j'accepte les conditions générales d'utilisation"),
        error_messages={"required": _("Vous devez accepter les conditions générales d'utilisation.")},
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        channels = otp_channels_for(person)
        field = self.fields["otp_channel"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = channels
        if len(channels) == 1:
            field.initial = channels[0][0]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        errors = credentials_errors(
            username=self.data.get("username", ""),
            password=self.data.get("password", ""),
            password_confirm=self.data.get("password_confirm", ""),
            person=self.person,
        )
        for field, messages in errors.items():
            if field not in self.errors:
                for message in messages:
                    self.add_error(field, message)
        return cleaned


class LoginForm(DsfrForm):
    username = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        widget=forms.TextInput(attrs=_input("username", spellcheck="false", autocapitalize="none")),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs=_input("current-password")),
    )


class OneTimeCodeForm(DsfrForm):
    code = forms.CharField(
        label=_("Code à 6 chiffres"),
        max_length=12,
        widget=forms.TextInput(
            attrs=_input("one-time-code", inputmode="numeric", pattern="[0-9 ]*", spellcheck="false")
        ),
    )


class PasswordChangeForm(DsfrForm):
    current_password = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        widget=forms.PasswordInput(attrs=_input("current-password")),
    )
    new_password = forms.CharField(
        label=_("Nouveau mot de passe"),
        help_text=ActivationCredentialsForm.base_fields["password"].help_text,
        strip=False,
        widget=forms.PasswordInput(attrs=_input("new-password")),
    )
    new_password_confirm = forms.CharField(
        label=_("Confirmation du nouveau mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs=_input("new-password")),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        errors = password_change_errors(
            user=self.user,
            current_password=cleaned["current_password"],
            new_password=cleaned["new_password"],
            new_password_confirm=cleaned["new_password_confirm"],
        )
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field, message)
        return cleaned
