"""``notification_unread_count`` for every template: the badge of the notification centre (R-NOT-3).

Add ``"carnet.notifications.context_processors.notifications"`` to ``TEMPLATES[0]["OPTIONS"]
["context_processors"]``. The count is lazy: pages that never show it run no query.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import inapp_unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    person_id = getattr(user, "person_id", None) if user is not None and user.is_authenticated else None
    if person_id is None:
        return {"notification_unread_count": 0}
    return {"notification_unread_count": SimpleLazyObject(lambda: inapp_unread_count(patient_id=person_id))}
