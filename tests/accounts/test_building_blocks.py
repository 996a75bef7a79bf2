"""Pieces under the pages: secret encryption, device labels, password hasher."""

from __future__ import annotations

import pytest
from django.conf import settings

from carnet.accounts.crypto import SecretUnreadableError, secret_decrypt, secret_encrypt
from carnet.accounts.useragent import device_label

from .conftest import CHROME_LINUX, FIREFOX_WINDOWS


def test_a_secret_round_trips_through_encryption() -> None:
    stored = secret_encrypt("JBSWY3DPEHPK3PXP", context="user-1")
    assert "JBSWY3DPEHPK3PXP" not in stored
    assert secret_decrypt(stored, context="user-1") == "JBSWY3DPEHPK3PXP"


def test_a_secret_copied_to_another_account_does_not_decrypt() -> None:
    stored = secret_encrypt("JBSWY3DPEHPK3PXP", context="user-1")
    with pytest.raises(SecretUnreadableError):
        secret_decrypt(stored, context="user-2")


def test_an_encrypted_totp_secret_fits_its_column() -> None:
    assert len(secret_encrypt("A" * 32, context="x")) <= 200


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (CHROME_LINUX, "Chrome sur Linux"),
        (FIREFOX_WINDOWS, "Firefox sur Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari sur iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
            "Safari/537.36 Edg/126.0",
            "Edge sur Windows",
        ),
        ("", "Navigateur inconnu"),
    ],
)
def test_device_labels_name_the_browser_and_system(user_agent: str, label: str) -> None:
    assert device_label(user_agent) == label


def test_argon2_is_the_only_password_hasher() -> None:
    """Tests may swap in a faster argon2 subclass; the algorithm stays argon2 and nothing else is accepted."""
    from django.contrib.auth.hashers import get_hashers

    assert [hasher.algorithm for hasher in get_hashers()] == ["argon2"]
    assert len(settings.PASSWORD_HASHERS) == 1
