"""Which messaging objects' traces a viewer must not see (plugged into ``audit.hooks`` at start-up).

R-MIN-5 [I]: a conversation kept from the minor's legal representatives disappears from their history with
everything that names it: the conversation itself (reads, list items, marking, deletion), its messages
(sent, drafts, relays) and its attachments (downloads, saves into the record). Whether a viewer kind is kept
out is the policy's ``conversation_hidden_from`` (the same predicate that refuses him the conversation).
Computed at view time from the conversations themselves, so lifting the secrecy shows the history again
without rewriting any trace.
"""

from __future__ import annotations

from carnet.access.facts import ConversationFacts
from carnet.access.policy import conversation_hidden_from

from .models import Attachment, Conversation, Message

_CONFIDENTIAL = ConversationFacts("probe", frozenset(), confidential=True)


def hidden_conversation_objects(*, patient_id: int, viewer_kind: str) -> set[str]:
    """Public ids of ``patient_id``'s confidential conversations, their messages and attachments, for a
    viewer the policy keeps out of them; nothing for anyone else."""
    if not conversation_hidden_from(viewer_kind, _CONFIDENTIAL):
        return set()
    conversations = Conversation.objects.filter(patient_id=patient_id, confidential_at__isnull=False)
    ids = {str(i) for i in conversations.values_list("public_id", flat=True)}
    if not ids:
        return set()
    ids |= {
        str(i)
        for i in Message.objects.filter(patient_id=patient_id, conversation__in=conversations).values_list(
            "public_id", flat=True
        )
    }
    ids |= {
        str(i)
        for i in Attachment.objects.filter(
            patient_id=patient_id, message__conversation__in=conversations
        ).values_list("public_id", flat=True)
    }
    return ids
