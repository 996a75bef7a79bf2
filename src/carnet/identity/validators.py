"""Identifier checks built on python-stdnum (NIR key, Luhn keys of RPPS and FINESS).

Each raises ``django.core.exceptions.ValidationError`` with a translated message naming the reason.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError as StdnumError
from stdnum.fr import nir as stdnum_nir

# R-ID-3 [P]: OIDs of the INS assigning authorities.
OID_INS_NIR = "1.2.250.1.213.1.4.8"
OID_INS_NIA = "1.2.250.1.213.1.4.9"
OID_INS_NIR_TEST = "1.2.250.1.213.1.4.10"
OID_INS_NIA_TEST = "1.2.250.1.213.1.4.11"
INS_OIDS = {OID_INS_NIR, OID_INS_NIA, OID_INS_NIR_TEST, OID_INS_NIA_TEST}


def normalise_nir(value: str) -> str:
    return stdnum_nir.compact(value or "").upper()


def validate_nir(value: str) -> str:
    """R-ID-2: a matricule INS (NIR or NIA) is 15 characters with a valid 2-digit key."""
    compact = normalise_nir(value)
    try:
        return str(stdnum_nir.validate(compact))
    except InvalidLength as exc:
        raise ValidationError(_("Le numéro de sécurité sociale doit comporter 15 caractères."), code="nir_length") from exc
    except InvalidChecksum as exc:
        raise ValidationError(
            _("La clé du numéro de sécurité sociale est incorrecte : vérifiez les deux derniers chiffres."),
            code="nir_checksum",
        ) from exc
    except (InvalidFormat, InvalidComponent, StdnumError) as exc:
        raise ValidationError(_("Le numéro de sécurité sociale n'est pas valide."), code="nir_format") from exc


def _luhn_identifier(value: str, length: int, label: str, code: str) -> str:
    compact = re.sub(r"\s", "", value or "")
    if not compact.isdigit() or len(compact) != length:
        raise ValidationError(
            _("%(label)s doit comporter %(length)s chiffres.") % {"label": label, "length": length}, code=f"{code}_length"
        )
    try:
        luhn.validate(compact)
    except StdnumError as exc:
        raise ValidationError(_("La clé de contrôle du %(label)s est incorrecte.") % {"label": label}, code=f"{code}_checksum") from exc
    return compact


def validate_rpps(value: str) -> str:
    """RPPS: 11 digits, the last one a Luhn key."""
    return _luhn_identifier(value, 11, "numéro RPPS", "rpps")


def validate_finess(value: str) -> str:
    """FINESS: 9 digits, the last one a Luhn key."""
    return _luhn_identifier(value, 9, "numéro FINESS", "finess")


def validate_cog(value: str) -> str:
    """INSEE COG code of the birth place: 5 characters (2A/2B for Corsica, 99xxx abroad)."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"(\d{5}|2[AB]\d{3})", value):
        raise ValidationError(_("Le code du lieu de naissance (code INSEE) doit comporter 5 caractères."), code="cog")
    return value
