"""Identifier checks built on python-stdnum (NIR key, Luhn keys of RPPS and FINESS).

Each raises ``django.core.exceptions.ValidationError`` with a translated message naming the reason.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
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
        raise ValidationError(
            _("Le numéro de sécurité sociale doit comporter 15 caractères."), code="nir_length"
        ) from exc
    except InvalidChecksum as exc:
        raise ValidationError(
            _("La clé du numéro de sécurité sociale est incorrecte : vérifiez les deux derniers chiffres."),
            code="nir_checksum",
        ) from exc
    except (InvalidFormat, InvalidComponent, StdnumError) as exc:
        raise ValidationError(
            _("Le numéro de sécurité sociale n'est pas valide."), code="nir_format"
        ) from exc


def _luhn_identifier(value: str, length: int, label: str, code: str) -> str:
    compact = re.sub(r"\s", "", value or "")
    if not compact.isdigit() or len(compact) != length:
        raise ValidationError(
            _("Le %(label)s doit comporter %(length)s chiffres.") % {"label": label, "length": length},
            code=f"{code}_length",
        )
    try:
        luhn.validate(compact)
    except StdnumError as exc:
        raise ValidationError(
            _("La clé de contrôle du %(label)s est incorrecte.") % {"label": label}, code=f"{code}_checksum"
        ) from exc
    return compact


def validate_rpps(value: str) -> str:
    """RPPS: 11 digits, the last one a Luhn key."""
    return _luhn_identifier(value, 11, str(_("numéro RPPS")), "rpps")


def validate_finess(value: str) -> str:
    """FINESS: 9 digits, the last one a Luhn key."""
    return _luhn_identifier(value, 9, str(_("numéro FINESS")), "finess")


def validate_cog(value: str) -> str:
    """INSEE COG code of the birth place: 5 characters (2A/2B for Corsica, 99xxx abroad)."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"(\d{5}|2[AB]\d{3})", value):
        raise ValidationError(
            _("Le code du lieu de naissance (code INSEE) doit comporter 5 caractères."), code="cog"
        )
    return value


# --- INS consistency (R-ID-2, R-ID-3) ------------------------------------------------------------

NIR_OIDS = {OID_INS_NIR, OID_INS_NIR_TEST}
NIA_OIDS = {OID_INS_NIA, OID_INS_NIA_TEST}
# First digit of a matricule: 1/2 for a certified NIR (male/female); a NIA is built like a NIR but
# may also carry 3/4 (foreign-born person being registered) or 7/8 (provisional number).
NIR_SEX_DIGITS = {"1": "M", "2": "F"}
NIA_SEX_DIGITS = {"1": "M", "2": "F", "3": "M", "4": "F", "7": "M", "8": "F"}


def validate_ins_oid(value: str) -> str:
    """R-ID-3: the OID of the assigning authority must be one of the INS OIDs."""
    value = (value or "").strip()
    if value not in INS_OIDS:
        raise ValidationError(
            _("L'OID de l'autorité d'affectation de l'INS n'est pas un OID INS connu (NIR ou NIA)."),
            code="ins_oid",
        )
    return value


def validate_matricule_for_oid(matricule: str, oid: str) -> str:
    """R-ID-2/R-ID-3: a NIR OID (.8/.10) carries a NIR (first digit 1 or 2); a NIA OID (.9/.11) a NIA.

    Returns the sex the matricule's first digit encodes ("M" or "F").
    """
    digits = NIA_SEX_DIGITS if oid in NIA_OIDS else NIR_SEX_DIGITS
    sex = digits.get(matricule[:1])
    if sex is None:
        if oid in NIR_OIDS and matricule[:1] in NIA_SEX_DIGITS:
            raise ValidationError(
                _("Ce matricule est un numéro d'attente (NIA) : il doit être déclaré avec l'OID INS-NIA."),
                code="ins_oid_mismatch",
            )
        raise ValidationError(
            _("Le premier chiffre du matricule INS (sexe) n'est pas valide."), code="nir_sex_digit"
        )
    return sex


def nir_month_is_special(month: int) -> bool:
    """NIR months 20-42 and 99 mean "unknown or special" (no civil-status birth month): always accepted."""
    return 20 <= month <= 42 or month == 99


# --- contact data ------------------------------------------------------------------------------

# National mobile prefixes of the overseas departments, which have their own country codes.
_OVERSEAS_MOBILE = {"0639": "+262", "0692": "+262", "0693": "+262", "0690": "+590", "0691": "+590",
                    "0694": "+594", "0696": "+596", "0697": "+596"}  # fmt: skip


def _phone_digits(value: str) -> str:
    return re.sub(r"[\s.\-()]", "", value or "")


def validate_mobile_phone(value: str) -> str:
    """A French mobile number (06/07, +33 6/7, or an overseas +262/+590/+594/+596 mobile), in E.164."""
    compact = _phone_digits(value)
    if compact.startswith("0033"):
        compact = "+" + compact[2:]
    if re.fullmatch(r"0[67]\d{8}", compact):
        prefix = _OVERSEAS_MOBILE.get(compact[:4])
        return f"{prefix}{compact[1:]}" if prefix else "+33" + compact[1:]
    if re.fullmatch(r"\+33[67]\d{8}", compact) or re.fullmatch(r"\+(262|590|594|596)6\d{8}", compact):
        return compact
    raise ValidationError(
        _("Le numéro de téléphone portable doit être un numéro français (06 ou 07, ou +33 6 / +33 7)."),
        code="phone",
    )


def validate_phone(value: str) -> str:
    """Any French number (landline or mobile), in E.164 (+33...)."""
    compact = _phone_digits(value)
    if compact.startswith("0033"):
        compact = "+" + compact[2:]
    if re.fullmatch(r"0[1-9]\d{8}", compact):
        return "+33" + compact[1:]
    if re.fullmatch(r"\+33[1-9]\d{8}", compact) or re.fullmatch(r"\+(262|269|590|594|596)\d{9}", compact):
        return compact
    raise ValidationError(
        _("Le numéro de téléphone doit être un numéro français à 10 chiffres."), code="phone"
    )


# --- carte Vitale serial (R-LC-10) ---------------------------------------------------------------

VITALE_PHOTO_PREFIX = "8025000002"  # printed before the 11 digits the user types (card with photo)
VITALE_TECHNICAL_NUMBER = "80250000025"  # the regime number, not a serial


def _looks_like_ddmmyyyy(value: str) -> bool:
    if len(value) != 8:
        return False
    day, month, year = int(value[:2]), int(value[2:4]), int(value[4:])
    if not (1 <= month <= 12 and 1 <= day <= 31 and 1850 <= year <= 2199):
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def validate_vitale_serial(serial: str, nir: str = "") -> str:
    """R-LC-10: the carte Vitale serial number as the user types it; returns the normalised digits.

    Card with photo: the 11 digits printed after ``8025000002`` (the full 21-digit print is accepted
    and reduced to those 11). Card without photo: 8 to 13 digits. Refused: non-digits, wrong length,
    a DDMMYYYY date, a value contained in the NIR, and the technical number ``80250000025``.
    """
    compact = re.sub(r"\s", "", serial or "")
    if not compact.isdigit():
        raise ValidationError(
            _("Le numéro de série de la carte Vitale ne doit contenir que des chiffres."),
            code="vitale_digits",
        )
    if len(compact) == 21 and compact.startswith(VITALE_PHOTO_PREFIX):
        compact = compact[len(VITALE_PHOTO_PREFIX) :]
    if compact == VITALE_TECHNICAL_NUMBER:
        raise ValidationError(
            _(
                "Ce numéro est le numéro du régime imprimé sur la carte Vitale : "
                "saisissez les 11 chiffres qui suivent « 8025000002 »."
            ),
            code="vitale_technical",
        )
    if not 8 <= len(compact) <= 13:
        raise ValidationError(
            _(
                "Le numéro de série de la carte Vitale doit comporter 11 chiffres (carte avec photo) "
                "ou de 8 à 13 chiffres (carte sans photo)."
            ),
            code="vitale_length",
        )
    if _looks_like_ddmmyyyy(compact):
        raise ValidationError(
            _("Le numéro de série de la carte Vitale ne peut pas être une date (JJMMAAAA)."),
            code="vitale_date",
        )
    nir_compact = normalise_nir(nir) if nir else ""
    if nir_compact and compact in nir_compact:
        raise ValidationError(
            _(
                "Le numéro de série de la carte Vitale ne peut pas être une partie "
                "du numéro de sécurité sociale."
            ),
            code="vitale_in_nir",
        )
    return compact
