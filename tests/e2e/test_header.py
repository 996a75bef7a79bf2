"""The header in Debian's chromium, under the real CSP: on a phone (375 px) the "Menu" button opens the
DSFR menu modal, into which DSFR's script has copied the quick access links (notifications with the unread
count, settings, logout, the language selector, the "acting for" switch) above the main navigation; on a
computer (1280 px) the navigation and the quick access links are in the header itself, and the footer ends
the window on a short page."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from carnet.accounts.models import User
from carnet.notifications.services import notify_in_app
from tests.factories import DelegationFactory, PersonFactory
from tests.records.helpers import give_space, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def parent() -> User:
    """A patient with two unread notifications, legal representative of Lucas (11)."""
    user = User.objects.get(person=make_world().patient)
    assert user.person is not None
    for n in range(2):
        notify_in_app(patient_id=user.person.pk, kind="DOCUMENT", template="generic", dedup_key=f"menu-{n}")
    child = PersonFactory(birth_date=date(2015, 6, 1), first_names="Lucas", birth_name="MARTIN")
    give_space(child)
    DelegationFactory(kind="LEGAL_REPRESENTATION", subject=child, delegate=user.person)
    return user


def _as(browser: Any, live_server: Any, user: User, width: int) -> Any:
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": width, "height": 800}
    )
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_on_a_phone_the_menu_shows_notifications_logout_language_and_the_profiles(
    browser: Any, live_server: Any, parent: User
) -> None:
    page = _as(browser, live_server, parent, 375)
    try:
        page.goto("/espace/")
        menu = page.locator("#header-menu")
        logout = menu.get_by_role("button", name="Se déconnecter")
        assert not logout.is_visible()
        assert not page.locator(".fr-header__tools-links").is_visible()
        page.get_by_role("button", name="Menu").click()
        assert logout.is_visible()
        assert menu.get_by_role("link", name="Notifications 2 non lues").is_visible()
        assert menu.get_by_role("link", name="Paramètres").is_visible()
        documents = menu.get_by_role("navigation", name="Menu principal").get_by_role(
            "link", name="Documents"
        )
        assert documents.is_visible()
        assert menu.get_by_role("link", name="Mon espace").get_attribute("aria-current") == "page"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        # The "acting for" switch, copied into the menu, works there: Lucas's space.
        menu.get_by_role("button", name=re.compile("^Profil affiché")).click()
        menu.get_by_role("button", name="Lucas MARTIN (représentant légal)").click()
        page.wait_for_url(re.compile("/espace/$"))
        page.get_by_role("button", name="Menu").click()
        assert menu.get_by_role("button", name="Profil affiché : Lucas MARTIN").is_visible()

        # So does the language selector.
        menu.get_by_role("button", name=re.compile("^FR")).click()
        menu.get_by_role("button", name="EN - English").click()
        page.wait_for_function("document.documentElement.lang === 'en'")
        page.get_by_role("button", name="Menu").click()
        assert menu.get_by_role("button", name="Log out").is_visible()
    finally:
        page.context.close()


def test_on_a_computer_the_navigation_and_the_tools_are_in_the_header(
    browser: Any, live_server: Any, parent: User
) -> None:
    page = _as(browser, live_server, parent, 1280)
    try:
        page.goto("/espace/documents/")
        assert not page.get_by_role("button", name="Menu").is_visible()
        nav = page.get_by_role("navigation", name="Menu principal")
        assert nav.get_by_role("link", name="Documents").get_attribute("aria-current") == "page"
        assert nav.get_by_role("link", name="Agenda").is_visible()
        tools = page.locator(".fr-header__tools-links")
        assert tools.get_by_role("button", name="Se déconnecter").is_visible()
        assert tools.get_by_role("link", name="Notifications 2 non lues").is_visible()
        box = page.locator(".fr-header__logo").bounding_box()
        assert box is not None and box["width"] > 60  # "RÉPUBLIQUE FRANÇAISE", not "RÉPUBL FRANÇ"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        # On a short page the footer closes the window, logo included.
        page.set_viewport_size({"width": 1280, "height": 1400})
        page.goto("/cette-page-n-existe-pas/")
        footer = page.locator("footer").bounding_box()
        logo = page.locator("footer .fr-logo").bounding_box()
        assert footer is not None and logo is not None
        assert footer["y"] + footer["height"] == 1400
        assert logo["y"] + logo["height"] <= footer["y"] + footer["height"]
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto("/espace/documents/")

        tools.get_by_role("button", name=re.compile("Profil affiché")).click()
        tools.get_by_role("button", name="Lucas MARTIN (représentant légal)").click()
        page.wait_for_url(re.compile("/espace/$"))
        assert tools.get_by_role("button", name="Profil affiché : Lucas MARTIN").is_visible()
    finally:
        page.context.close()
