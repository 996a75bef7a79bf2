from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_is_french_and_switches_to_english(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("button", name=re.compile("^FR")).click()  # the DSFR language selector
    page.get_by_role("button", name="EN - English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
