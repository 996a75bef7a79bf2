"""Layouts that were broken on the patient's pages (issue 14), seen in Debian's chromium on the demo
population made long and full (``tests.pages.realistic``).

* At 320 and 375 px the documents, measures, agenda and vaccinations pages were wider than the screen
  (a table's screen-reader texts escaped its scroller) and the documents table hid its "Masqué" badge
  beyond the right edge: the lists are now one card per row on a phone.
* Each prevention card was as tall as its whole column (~830 px for ~280 px of content) and the footer
  was drawn over the cards.
* The access page's cards showed the professional's name below the badges and buttons.

The every-page test of the issue (overflow at five widths, named buttons, axe) is written apart; these
check what that one cannot name.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from carnet.accounts.models import User
from carnet.messaging.models import Conversation
from tests.pages.realistic import enrich_demo, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_PAGES = [
    "/espace/documents/",
    "/espace/profil/mesures/",
    "/espace/profil/vaccinations/",
    "/agenda/",
    "/agenda/mois/",
    "/espace/messagerie/",
    "/espace/prevention/",
    "/espace/acces/",
]

# Cards of the page whose bottom is further below their last content than their own padding, or that
# reach into the footer.
CARD_GAPS = """() => {
  const footer = document.querySelector('footer').getBoundingClientRect().top;
  return [...document.querySelectorAll('main .fr-card')].map(card => {
    const box = card.getBoundingClientRect();
    const content = card.querySelector('.fr-card__content');
    const bottoms = [...content.children].map(c => c.getBoundingClientRect().bottom);
    return {gap: box.bottom - Math.max(...bottoms), intoFooter: box.bottom - footer};
  });
}"""

# For each card, what is drawn above its title.
ABOVE_TITLE = """() => [...document.querySelectorAll('main .fr-card')].map(card => {
  const title = card.querySelector('.fr-card__title');
  const top = title.getBoundingClientRect().top;
  return [...card.querySelectorAll('.fr-card__content *')]
    .filter(e => !title.contains(e) && e.getClientRects().length && e.getBoundingClientRect().height > 0)
    .filter(e => e.getBoundingClientRect().bottom <= top)
    .map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40));
})"""


@pytest.fixture
def claire(settings: Any, live_server: Any) -> str:
    settings.CARNET_DEMO = True
    load_demo()
    enrich_demo()
    client = Client()
    client.force_login(User.objects.get(username="claire.martin"))
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def _page(browser: Any, live_server: Any, cookie: str, width: int) -> Any:
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": width, "height": 800}
    )
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_no_patient_page_is_wider_than_a_phone_and_the_masked_badge_is_on_screen(
    browser: Any, live_server: Any, claire: str
) -> None:
    conversation = Conversation.objects.order_by("-id").first()  # its attachment is a scanner's file name
    assert conversation is not None
    for width in (320, 375):
        page = _page(browser, live_server, claire, width)
        too_wide = {}
        for path in [*PHONE_PAGES, f"/espace/messagerie/{conversation.public_id}/"]:
            page.goto(path)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                too_wide[path] = scroll
        assert too_wide == {}, f"at {width} px"
        page.goto("/espace/documents/")
        badge = page.get_by_text("Masqué aux professionnels").first
        badge.scroll_into_view_if_needed()
        box = badge.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        page.context.close()


def test_prevention_cards_have_the_height_of_their_content_and_stay_above_the_footer(
    browser: Any, live_server: Any, claire: str
) -> None:
    for width in (375, 1280):
        page = _page(browser, live_server, claire, width)
        page.goto("/espace/prevention/")
        cards = page.evaluate(CARD_GAPS)
        assert cards, "the demo patient has prevention items due"
        for card in cards:
            assert card["gap"] <= 48, (width, card)  # the card's bottom padding (2rem) and its border
            assert card["intoFooter"] <= 0, (width, card)
        page.context.close()


def test_the_access_page_begins_each_card_with_the_professionals_name(
    browser: Any, live_server: Any, claire: str
) -> None:
    for width in (375, 1280):
        page = _page(browser, live_server, claire, width)
        page.goto("/espace/acces/")
        above = page.evaluate(ABOVE_TITLE)
        assert len(above) >= 3  # Claire's GP, dentist and pharmacist
        assert above == [[] for _ in above], width
        page.context.close()
