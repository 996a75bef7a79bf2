"""E-mailed digests of the signed tree head, on the patient's demand (invariants 3 and 5; ADR 0007).

A digest is one more copy of a signed head kept somewhere the operator cannot rewrite: the patient's
own mailbox. The e-mail is content-free (invariant 5, R-NOT-2): the log's size, the first characters
of its root hash and the date, nothing about any act. A later download proves, with its consistency
proof, that the log still extends that head; anyone can compare the root hash given here with the
``root_hash`` of the downloaded file's ``previous_heads``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carnet.audit.log import log_sequence
from carnet.audit.models import HeadIssued, TreeHead
from carnet.audit.services import trace
from carnet.common import clock
from carnet.notifications.models import Channel
from carnet.notifications.services import notify
from carnet.notifications.templates_catalogue import SIGN_EN as _SIGN_EN
from carnet.notifications.templates_catalogue import SIGN_FR as _SIGN_FR
from carnet.notifications.templates_catalogue import MessageTemplate, register
from carnet.spaces.acting import ActingContext

register(
    "history_digest",
    MessageTemplate(
        subject={"fr": "Empreinte de votre historique Carnet", "en": "Fingerprint of your Carnet history"},
        body={
            "fr": "Vous avez demandé l'empreinte de votre historique d'activité. Le {date}, le journal signé "
            "de Carnet comptait {tree_size} entrées ; son empreinte (racine) commence par {root_hash}. "
            "Conservez ce message : un historique téléchargé plus tard doit prolonger ce journal, ce que "
            "le vérificateur de {base_url}/verifier-historique/ contrôle." + _SIGN_FR,
            "en": "You asked for the fingerprint of your activity history. On {date}, Carnet's signed log "
            "held {tree_size} entries; its fingerprint (root) starts with {root_hash}. Keep this message: a "
            "history downloaded later must extend this log, which the verifier at {base_url}/verifier-historique/ checks."
            + _SIGN_EN,
        },
        params=("date", "tree_size", "root_hash", "base_url"),
    ),
)

ROOT_PREFIX = 32  # hex characters of the root shown (128 bits: enough to recognise a head, short to read)


@transaction.atomic
def history_digest_request(*, acting: ActingContext) -> TreeHead | None:
    """Queue the digest e-mail of the current signed head to the viewer; return the head.

    Traced (``HISTORY_DIGEST_REQUESTED``, invariant 2), then the log is sequenced so the head covers
    that trace, the head is recorded as given to this viewer (``HeadIssued``: the next download proves
    consistency with it) and the e-mail queued through the outbox in the same transaction (invariant 5).
    Returns ``None`` when the viewer has no e-mail address (nothing is queued; the trace stays).
    """
    viewer = acting.me
    trace(
        actor=acting.actor,
        action="HISTORY_DIGEST_REQUESTED",
        patient_id=acting.subject.pk,
        group="general",
        object_type="history",
    )
    head = log_sequence()
    if head is None or not viewer.email:
        return None
    HeadIssued.objects.get_or_create(
        patient_id=acting.subject.pk,
        viewer_id=str(acting.actor.id)[:64],
        tree_size=head.size,
        defaults={"at": clock.now()},
    )
    account = getattr(viewer, "account", None)
    notify(
        patient_id=acting.subject.pk,
        channel=Channel.EMAIL,
        address=viewer.email,
        template="history_digest",
        params={
            "date": timezone.localtime(clock.now()).isoformat(timespec="minutes"),
            "tree_size": str(head.size),
            "root_hash": head.root_hash[:ROOT_PREFIX],
            "base_url": str(settings.CARNET_BASE_URL or "").rstrip("/"),
        },
        dedup_key=f"history-digest:{acting.actor.id}:{head.size}",
        language=account.preferred_language if account is not None else "fr",
        recipient_id=None if acting.is_self else viewer.pk,
    )
    return head
