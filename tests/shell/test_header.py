"""The page header (``templates/base.html``, ``spaces/templatetags/shell.py``), as the server writes it: the
DSFR header with its "Menu" button controlling the menu modal, the main navigation of each role with the
current page marked, the quick access links (notifications and their unread count, settings, logout,
language, the demo outbox in demo mode) and the "acting for" switch of a person who represents a child or
helps someone. How it behaves in a browser at phone width: ``tests/e2e/test_header.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

import pytest
from django.test import Client

from carnet.accounts.models import Role, User
from carnet.accounts.services import staff_create
from carnet.notifications.services import notify_in_app
from carnet.spaces.acting import SESSION_KEY
from tests.factories import DelegationFactory, PersonFactory, ProfessionalFactory
from tests.records.helpers import give_space, make_world

pytestmark = pytest.mark.django_db


@dataclass
class Control:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    region: str = ""  # "navbar", "tools", "nav", or "" elsewhere in the header


@dataclass
class Header(HTMLParser):
    """The links, buttons and the modal of the page's ``<header>``."""

    controls: list[Control] = field(default_factory=list)
    elements: dict[str, dict[str, str]] = field(default_factory=dict)  # by id
    classes: set[str] = field(default_factory=set)
    _stack: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _open: list[Control] = field(default_factory=list)
    _in_header: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def _region(self) -> str:
        for _tag, attrs in reversed(self._stack):
            classes = attrs.get("class", "").split()
            if "fr-header__navbar" in classes:
                return "navbar"
            if "fr-header__tools-links" in classes:
                return "tools"
            if attrs.get("id") == "header-nav":
                return "nav"
        return ""

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "header":
            self._in_header = True
        if not self._in_header or tag in {"input", "br", "img", "meta", "link"}:
            return
        self._stack.append((tag, attrs))
        if "id" in attrs:
            self.elements[attrs["id"]] = attrs
        self.classes.update(attrs.get("class", "").split())
        if tag in {"a", "button"}:
            control = Control(tag, attrs, region=self._region())
            self.controls.append(control)
            self._open.append(control)

    def handle_endtag(self, tag: str) -> None:
        if not self._in_header or tag in {"input", "br", "img", "meta", "link"}:
            return
        if tag == "header":
            self._in_header = False
        if self._stack:
            self._stack.pop()
        if tag in {"a", "button"} and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for control in self._open:
            control.text += data

    def named(self, text: str) -> list[Control]:
        return [c for c in self.controls if " ".join(c.text.split()) == text]

    def region(self, region: str) -> list[str]:
        return [" ".join(c.text.split()) for c in self.controls if c.region == region]


def header(client: Client, path: str) -> Header:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    parsed = Header()
    parsed.feed(response.content.decode())
    return parsed


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def patient_user() -> User:
    return User.objects.get(person=make_world().patient)


def test_the_menu_button_opens_the_menu_modal_that_holds_the_navigation(client: Client) -> None:
    page = header(client, "/")
    (button,) = [c for c in page.controls if c.region == "navbar"]
    assert "fr-btn--menu" in button.attrs["class"].split()
    assert button.attrs["data-fr-opened"] == "false"
    modal = page.elements[button.attrs["aria-controls"]]
    assert {"fr-header__menu", "fr-modal"} <= set(modal["class"].split())
    assert modal["aria-labelledby"] == button.attrs["id"]
    assert {"fr-header__menu-links", "fr-header__tools-links", "fr-nav"} <= page.classes
    close = [c for c in page.controls if "fr-btn--close" in c.attrs.get("class", "")]
    assert close and close[0].attrs["aria-controls"] == modal["id"]


def test_a_visitor_gets_the_public_pages_and_the_ways_in(client: Client) -> None:
    page = header(client, "/")
    assert page.region("nav") == [
        "Accueil",
        "M'opposer",
        "Code provisoire",
        "Vérifier un historique",
        "Aide et contact",
    ]
    assert page.region("tools")[:2] == ["Se connecter", "Activer mon profil"]
    assert not page.named("Se déconnecter")


def test_a_patient_gets_the_sections_of_his_space_and_his_tools() -> None:
    page = header(logged_in(patient_user()), "/espace/")
    assert page.region("nav") == [
        "Mon espace",
        "Documents",
        "Profil médical",
        "Messagerie",
        "Agenda",
        "Prévention",
        "Accès",
        "Historique",
    ]
    hrefs = {" ".join(c.text.split()): c.attrs.get("href") for c in page.controls if c.region == "nav"}
    assert hrefs["Documents"] == "/espace/documents/" and hrefs["Profil médical"] == "/espace/profil/"
    tools = page.region("tools")
    assert {"Notifications", "Paramètres", "Se déconnecter"} <= set(tools)
    assert any(t.startswith("FR") for t in tools)  # the language selector


def test_a_professional_gets_his_pages() -> None:
    user = staff_create(
        role="PROFESSIONAL",
        username="dr.exemple",
        password="Stethoscope-Vert-73!",
        rpps=ProfessionalFactory().rpps,
    )
    page = header(logged_in(user), "/pro/")
    assert page.region("nav") == ["Espace professionnel", "Rechercher un patient", "Messagerie"]
    assert "Se déconnecter" in page.region("tools")
    assert not page.named("Documents")


def test_an_operator_gets_the_back_office() -> None:
    user = staff_create(role="OPERATOR", username="operateur.test", password="Stethoscope-Vert-73!")
    page = header(logged_in(user), "/backoffice/")
    assert page.region("nav") == ["Tableau de bord", "Profils", "Demandes d'assistance", "Notifications"]
    assert "Se déconnecter" in page.region("tools")


@pytest.mark.parametrize(
    ("path", "page_link", "section_link"),
    [
        ("/espace/documents/", "Documents", None),
        ("/espace/documents/ajouter/", None, "Documents"),
        ("/espace/profil/vaccinations/", None, "Profil médical"),
        ("/espace/", "Mon espace", None),
    ],
)
def test_the_current_page_or_section_is_marked(
    path: str, page_link: str | None, section_link: str | None
) -> None:
    page = header(logged_in(patient_user()), path)
    current = {
        " ".join(c.text.split()): c.attrs["aria-current"]
        for c in page.controls
        if c.region == "nav" and "aria-current" in c.attrs
    }
    expected = {page_link: "page"} if page_link else {section_link: "true"}
    assert current == expected


def test_the_settings_link_is_current_on_the_settings_pages() -> None:
    page = header(logged_in(patient_user()), "/espace/parametres/")
    (settings_link,) = page.named("Paramètres")
    assert settings_link.region == "tools" and settings_link.attrs["aria-current"] == "page"
    assert not [c for c in page.controls if c.region == "nav" and "aria-current" in c.attrs]


def test_the_unread_notifications_are_counted_in_the_header() -> None:
    user = patient_user()
    assert user.person is not None
    for n in range(3):
        notify_in_app(patient_id=user.person.pk, kind="DOCUMENT", template="generic", dedup_key=f"header-{n}")
    page = header(logged_in(user), "/espace/")
    (link,) = [c for c in page.controls if c.attrs.get("href") == "/espace/notifications/"]
    assert " ".join(link.text.split()) == "Notifications 3 non lues"


def test_the_language_selector_offers_each_language_in_its_own_language(client: Client) -> None:
    page = header(client, "/")
    languages = [c for c in page.controls if c.attrs.get("name") == "language"]
    assert [(c.attrs["value"], c.attrs["lang"], " ".join(c.text.split())) for c in languages] == [
        ("fr", "fr", "FR - Français"),
        ("en", "en", "EN - English"),
    ]
    assert languages[0].attrs.get("aria-current") == "true" and "aria-current" not in languages[1].attrs
    toggle = [c for c in page.controls if "fr-translate__btn" in c.attrs.get("class", "")]
    assert toggle[0].attrs["aria-controls"] in page.elements and toggle[0].region == "tools"


def test_the_demo_outbox_is_offered_in_demo_mode_only(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARNET_DEMO = False
    assert not header(client, "/").named("Boîte d'envoi (démo)")
    settings.CARNET_DEMO = True
    (outbox,) = header(client, "/").named("Boîte d'envoi (démo)")
    assert outbox.region == "tools" and outbox.attrs["href"] == "/demo/outbox/"


def _parent_with_child() -> tuple[User, str]:
    parent = patient_user()
    child = PersonFactory(birth_date=date(2015, 6, 1), first_names="Lucas", birth_name="MARTIN")
    give_space(child)
    assert parent.person is not None
    DelegationFactory(kind="LEGAL_REPRESENTATION", subject=child, delegate=parent.person)
    return parent, str(child.public_id)


def test_a_parent_can_switch_to_his_child_from_the_header() -> None:
    parent, child = _parent_with_child()
    assert parent.person is not None
    page = header(logged_in(parent), "/espace/")
    switch = [c for c in page.controls if c.attrs.get("name") == "person"]
    assert [(c.attrs["value"], " ".join(c.text.split())) for c in switch] == [
        ("moi", f"{parent.person.display_name} (moi)"),
        (child, "Lucas MARTIN (représentant légal)"),
    ]
    assert all(c.region == "tools" for c in switch)
    assert switch[0].attrs.get("aria-current") == "true" and "aria-current" not in switch[1].attrs
    (toggle,) = [c for c in page.controls if "Changer de profil" in c.attrs.get("title", "")]
    assert " ".join(toggle.text.split()) == f"Profil affiché : {parent.person.display_name}"


def test_acting_for_the_child_the_header_names_him_and_marks_him_current() -> None:
    parent, child = _parent_with_child()
    client = logged_in(parent)
    session = client.session
    session[SESSION_KEY] = child
    session.save()
    page = header(client, "/espace/")
    switch = {
        c.attrs["value"]: c.attrs.get("aria-current")
        for c in page.controls
        if c.attrs.get("name") == "person"
    }
    assert switch == {"moi": None, child: "true"}
    (toggle,) = [c for c in page.controls if "Changer de profil" in c.attrs.get("title", "")]
    assert " ".join(toggle.text.split()) == "Profil affiché : Lucas MARTIN"


def test_the_switch_goes_through_the_acting_for_page_and_lands_on_the_childs_space() -> None:
    parent, child = _parent_with_child()
    client = logged_in(parent)
    response = client.post("/espace/agir-pour/", {"person": child})
    assert response.status_code == 302 and response["Location"] == "/espace/"
    assert "Profil de Lucas MARTIN" in client.get("/espace/").content.decode()


def test_a_person_who_acts_for_nobody_has_no_profile_switch() -> None:
    page = header(logged_in(patient_user()), "/espace/")
    assert not [c for c in page.controls if c.attrs.get("name") == "person"]


def test_an_expired_delegation_is_not_offered() -> None:
    parent = patient_user()
    adult = PersonFactory(birth_date=date(1990, 1, 1))
    give_space(adult)
    assert parent.person is not None
    DelegationFactory(kind="LEGAL_REPRESENTATION", subject=adult, delegate=parent.person)  # he is 18 now
    page = header(logged_in(parent), "/espace/")
    assert not [c for c in page.controls if c.attrs.get("name") == "person"]


def test_the_brand_leads_each_role_to_its_home(client: Client) -> None:
    def home(page: Header) -> str:
        (link,) = [c for c in page.controls if c.attrs.get("title") == "Accueil — Carnet"]
        return link.attrs["href"]

    assert home(header(client, "/")) == "/"
    assert home(header(logged_in(patient_user()), "/espace/documents/")) == "/espace/"
    operator = staff_create(role="OPERATOR", username="operateur.test", password="Stethoscope-Vert-73!")
    assert home(header(logged_in(operator), "/backoffice/")) == "/backoffice/"


def test_the_helped_persons_caregiver_is_named_as_such() -> None:
    helper = User.objects.create_user(
        username="lea.test", password="x", role=Role.PATIENT, person=PersonFactory()
    )
    helped = PersonFactory(first_names="Jean", birth_name="DUBOIS", birth_date=date(1947, 11, 23))
    give_space(helped)
    give_space(helper.person)
    DelegationFactory(kind="CAREGIVING", subject=helped, delegate=helper.person)
    page = header(logged_in(helper), "/espace/")
    names = [" ".join(c.text.split()) for c in page.controls if c.attrs.get("name") == "person"]
    assert names[1] == "Jean DUBOIS (proche aidant)"
