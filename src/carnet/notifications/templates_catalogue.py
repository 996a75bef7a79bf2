"""Message texts. They carry no health data and never ask for a password (invariant 5).

Each template has a subject and a body in French and English; ``{code}``-style parameters are
limited to what is listed in ``params`` (codes, dates, a link to the service's home page).
"""

from __future__ import annotations

from dataclasses import dataclass

from carnet.common.dates import format_iso


@dataclass(frozen=True)
class MessageTemplate:
    subject: dict[str, str]
    body: dict[str, str]
    params: tuple[str, ...] = ()


SIGN_FR = (
    "\n\nCarnet — ceci est un message automatique, merci de ne pas y répondre. "
    "Carnet ne vous demandera jamais votre mot de passe."
)
SIGN_EN = (
    "\n\nCarnet — this is an automatic message, please do not reply. Carnet will never ask for your password."
)


def automatic(subject_fr: str, subject_en: str, body_fr: str, body_en: str, *params: str) -> MessageTemplate:
    """A template of an automatic message: the bodies end with the service's signature (SIGN_FR/SIGN_EN)."""
    return MessageTemplate(
        subject={"fr": subject_fr, "en": subject_en},
        body={"fr": body_fr + SIGN_FR, "en": body_en + SIGN_EN},
        params=tuple(params),
    )


CATALOGUE: dict[str, MessageTemplate] = {
    "information_letter": MessageTemplate(
        subject={"fr": "Votre profil Carnet va être créé", "en": "Your Carnet space is about to be created"},
        body={
            "fr": "Un espace santé personnel va être ouvert pour vous le {open_date}, sauf opposition de votre part "
            "avant cette date sur {base_url}/opposition/. Votre code provisoire d'activation, valable jusqu'au "
            "{expires}, est : {code}" + SIGN_FR,
            "en": "A personal health space will be opened for you on {open_date} unless you object before then at "
            "{base_url}/opposition/. Your provisional activation code, valid until {expires}, is: {code}"
            + SIGN_EN,
        },
        params=("open_date", "base_url", "expires", "code"),
    ),
    "provisional_code": MessageTemplate(
        subject={"fr": "Votre nouveau code provisoire", "en": "Your new provisional code"},
        body={
            "fr": "Votre nouveau code provisoire, valable jusqu'au {expires}, est : {code}" + SIGN_FR,
            "en": "Your new provisional code, valid until {expires}, is: {code}" + SIGN_EN,
        },
        params=("expires", "code"),
    ),
    "login_code": MessageTemplate(
        subject={"fr": "Votre code de connexion", "en": "Your login code"},
        body={
            "fr": "Votre code de connexion à usage unique est : {code}. Il expire dans {minutes} minutes."
            + SIGN_FR,
            "en": "Your one-time login code is: {code}. It expires in {minutes} minutes." + SIGN_EN,
        },
        params=("code", "minutes"),
    ),
    "generic": MessageTemplate(
        subject={"fr": "Du nouveau dans votre espace Carnet", "en": "News in your Carnet space"},
        body={
            "fr": "Une information vous attend dans votre espace Carnet. Connectez-vous sur {base_url} pour la "
            "consulter." + SIGN_FR,
            "en": "Something is waiting for you in your Carnet space. Log in at {base_url} to see it."
            + SIGN_EN,
        },
        params=("base_url",),
    ),
}


# Parameters a template may take (invariant 5, R-NOT-2): codes, dates, references, durations, the site's
# address and the sender's display name. Nothing here can carry health data; the catalogue test checks
# every registered template against this list.
ALLOWED_PARAMS = frozenset(
    {
        "base_url",
        "code",
        "minutes",
        "expires",
        "date",
        "open_date",
        "due",
        "closes",
        "archived_until",
        "reference",
        "sender",
        # audit's history digest: the size and the root hash of a signed tree head (a count and a hash)
        "tree_size",
        "root_hash",
        # The signed erasure certificate (ADR 0008): fixed categories, dates, a reference, a key
        # fingerprint — no counts, nothing of the person (spaces.certificate).
        "certificate",
    }
)

# R-NOT-1 [I]: event e-mails that the preferences cannot switch off (first access by a new professional,
# each emergency access, the answer to a delegation invitation, completed deletion, and the security
# messages: login and provisional codes, lifecycle letters). ``notify(kind=...)`` always queues them.
ALWAYS_SENT = frozenset(
    {
        "record_first_access",
        "record_first_access_representative",
        "record_emergency_access",
        "record_emergency_access_gp",
        "delegation_answered",
        "deletion_done",
        "login_code",
        "provisional_code",
        "information_letter",
        "majority_code",
    }
)


def register(key: str, template: MessageTemplate) -> None:
    """Apps add their own templates at import time (e.g. spaces' lifecycle messages)."""
    if key in CATALOGUE and CATALOGUE[key] != template:
        raise ValueError(f"notification template {key!r} registered twice")
    CATALOGUE[key] = template


def subjects(key: str) -> dict[str, str]:
    """The subject in every language: the content-free title of an in-app notification (R-NOT-3)."""
    return dict(CATALOGUE[key].subject)


# Date parameters are queued in ISO 8601 form ("2027-01-16", or a datetime with its offset) and written out in the
# message's language when it is rendered ("16 janvier 2027", "16 January 2027": carnet.common.dates); any other
# text (an older message queued as "16/01/2027") is left as it is.
DATE_PARAMS = frozenset({"expires", "date", "open_date", "due", "closes", "archived_until"})


def render(key: str, params: dict[str, str], language: str) -> tuple[str, str]:
    template = CATALOGUE[key]
    lang = language if language in template.subject else "fr"
    unknown = set(params) - set(template.params)
    if unknown:
        raise ValueError(f"template {key!r} does not accept parameters {sorted(unknown)}")
    values = {
        name: format_iso(value, lang) if name in DATE_PARAMS else value for name, value in params.items()
    }
    return template.subject[lang], template.body[lang].format(**values)
