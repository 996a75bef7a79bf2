"""Devices (R-LC-12): listed after login, revocable one by one or all at once; DeviceMiddleware."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from carnet.accounts.models import Device
from carnet.accounts.selectors import devices_for_user

from .conftest import CHROME_LINUX, FIREFOX_WINDOWS, login_fully, make_patient

pytestmark = pytest.mark.django_db


def _two_browsers(capture):
    user = make_patient()
    chrome, firefox = Client(HTTP_USER_AGENT=CHROME_LINUX), Client(HTTP_USER_AGENT=FIREFOX_WINDOWS)
    login_fully(chrome, capture, user)
    login_fully(firefox, capture, user)
    return user, chrome, firefox


def test_devices_are_listed_after_login_R_LC_12(django_capture_on_commit_callbacks) -> None:
    user, chrome, _firefox = _two_browsers(django_capture_on_commit_callbacks)
    assert {d.label for d in devices_for_user(user)} == {"Chrome sur Linux", "Firefox sur Windows"}
    body = chrome.get(reverse("accounts:devices")).content.decode()
    assert "Chrome sur Linux" in body and "Firefox sur Windows" in body


def test_a_revoked_device_is_logged_out_at_its_next_request_R_LC_12(
    django_capture_on_commit_callbacks,
) -> None:
    user, chrome, firefox = _two_browsers(django_capture_on_commit_callbacks)
    device = Device.objects.get(user=user, label="Firefox sur Windows")
    response = chrome.post(reverse("accounts:device_revoke", args=[device.public_id]))
    assert response.status_code == 302
    assert firefox.get(reverse("spaces:home")).status_code == 302  # sent to the login page
    assert chrome.get(reverse("spaces:home")).status_code == 200
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert device not in devices_for_user(user)


def test_revoking_the_current_device_logs_out(django_capture_on_commit_callbacks) -> None:
    user, chrome, _firefox = _two_browsers(django_capture_on_commit_callbacks)
    device = Device.objects.get(user=user, label="Chrome sur Linux")
    chrome.post(reverse("accounts:device_revoke", args=[device.public_id]))
    assert "_auth_user_id" not in chrome.session


def test_revoke_all_keeps_only_the_current_device(django_capture_on_commit_callbacks) -> None:
    user, chrome, firefox = _two_browsers(django_capture_on_commit_callbacks)
    chrome.post(reverse("accounts:devices_revoke_all"))
    assert [d.label for d in devices_for_user(user)] == ["Chrome sur Linux"]
    assert firefox.get(reverse("spaces:home")).status_code == 302
    assert chrome.get(reverse("spaces:home")).status_code == 200


def test_another_users_device_cannot_be_revoked(django_capture_on_commit_callbacks) -> None:
    _user, chrome, _firefox = _two_browsers(django_capture_on_commit_callbacks)
    other = make_patient(username="autre.patient")
    stranger = Client()
    login_fully(stranger, django_capture_on_commit_callbacks, other)
    device = Device.objects.get(user=other)
    assert chrome.post(reverse("accounts:device_revoke", args=[device.public_id])).status_code == 404
    device.refresh_from_db()
    assert device.revoked_at is None


def test_revocation_is_post_only(django_capture_on_commit_callbacks) -> None:
    user, chrome, _firefox = _two_browsers(django_capture_on_commit_callbacks)
    device = Device.objects.get(user=user, label="Firefox sur Windows")
    assert chrome.get(reverse("accounts:device_revoke", args=[device.public_id])).status_code == 405


def test_the_middleware_ends_a_session_whose_device_was_revoked(django_capture_on_commit_callbacks) -> None:
    """Even when the session store still holds the session (e.g. a cache copy), a revoked device is out."""
    user, chrome, _firefox = _two_browsers(django_capture_on_commit_callbacks)
    Device.objects.filter(user=user, label="Chrome sur Linux").update(
        revoked_at=Device.objects.first().created_at
    )  # type: ignore[union-attr]
    assert chrome.get(reverse("spaces:home")).status_code == 302
    assert "_auth_user_id" not in chrome.session


def test_last_seen_is_updated_at_most_once_a_minute(clock, django_capture_on_commit_callbacks) -> None:
    user, chrome, _firefox = _two_browsers(django_capture_on_commit_callbacks)
    device = Device.objects.get(user=user, label="Chrome sur Linux")
    seen = device.last_seen_at
    clock.advance(seconds=30)
    chrome.get(reverse("spaces:home"))
    device.refresh_from_db()
    assert device.last_seen_at == seen
    clock.advance(seconds=31)
    chrome.get(reverse("spaces:home"))
    device.refresh_from_db()
    assert device.last_seen_at == clock.now()


def test_the_devices_partial_renders_with_a_devices_variable(django_capture_on_commit_callbacks) -> None:
    from django.template.loader import render_to_string

    user, _chrome, _firefox = _two_browsers(django_capture_on_commit_callbacks)
    html = render_to_string("accounts/_devices.html", {"devices": devices_for_user(user)})
    assert "Firefox sur Windows" in html and "Révoquer" in html
