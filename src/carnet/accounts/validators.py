"""Username and password rules of SPEC R-LC-11."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USERNAME_RE = re.compile(r"^[a-z0-9._-]{8,100}$")
IBAN_RE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def validate_username(value: str) -> None:
    """R-LC-11: 8–100 characters, only digits, lowercase letters and ``. - _``."""
    if not 8 <= len(value) <= 100:
        raise ValidationError(
            _("L'identifiant doit comporter entre 8 et 100 caractères."), code="username_length"
        )
    if not USERNAME_RE.match(value):
        raise ValidationError(
            _(
                "L'identifiant ne peut contenir que des chiffres, des lettres minuscules "
                "et les caractères . - _"
            ),
            code="username_chars",
        )


class CarnetPasswordValidator:
    """R-LC-11: ≥ 9 characters with a lowercase, an uppercase, a digit and a special character; no
    personal information (names, birth date, NIR), no e-mail address or IBAN."""

    def validate(self, password: str, user: Any = None) -> None:
        errors: list[ValidationError] = []
        if len(password) < 9:
            errors.append(
                ValidationError(_("Le mot de passe doit comporter au moins 9 caractères."), code="pw_length")
            )
        if not re.search(r"[a-z]", password):
            errors.append(
                ValidationError(_("Le mot de passe doit contenir une lettre minuscule."), code="pw_lower")
            )
        if not re.search(r"[A-Z]", password):
            errors.append(
                ValidationError(_("Le mot de passe doit contenir une lettre majuscule."), code="pw_upper")
            )
        if not re.search(r"\d", password):
            errors.append(ValidationError(_("Le mot de passe doit contenir un chiffre."), code="pw_digit"))
        if not re.search(r"[^A-Za-z0-9]", password):
            errors.append(
                ValidationError(_("Le mot de passe doit contenir un caractère spécial."), code="pw_special")
            )
        if EMAIL_RE.search(password):
            errors.append(
                ValidationError(_("Le mot de passe ne doit pas contenir d'adresse e-mail."), code="pw_email")
            )
        if IBAN_RE.search(password.upper().replace(" ", "")):
            errors.append(ValidationError(_("Le mot de passe ne doit pas contenir d'IBAN."), code="pw_iban"))
        if re.search(r"\d{13,15}", password):
            errors.append(
                ValidationError(
                    _("Le mot de passe ne doit pas contenir de numéro de sécurité sociale."), code="pw_nir"
                )
            )
        for fragment in _personal_fragments(user):
            if fragment and fragment in password.lower():
                errors.append(
                    ValidationError(
                        _("Le mot de passe ne doit pas contenir d'information personnelle."),
                        code="pw_personal",
                    )
                )
                break
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "Au moins 9 caractères, dont une minuscule, une majuscule, un chiffre et un caractère spécial, "
            "sans information personnelle."
        )


def _personal_fragments(user: Any) -> list[str]:
    if user is None:
        return []
    fragments: list[str] = []
    username = getattr(user, "username", "") or ""
    if len(username) >= 4:
        fragments.append(username.lower())
    person = getattr(user, "person", None)
    if person is not None:
        for name in [person.birth_name, person.used_name, *person.first_names.split()]:
            if name and len(name) >= 3:
                fragments.append(name.lower())
        if person.birth_date:
            fragments += [person.birth_date.strftime("%d%m%Y"), person.birth_date.strftime("%Y%m%d")]
        if person.ins_matricule:
            fragments.append(person.ins_matricule[:13].lower())
    return fragments
