"""Writes of the installable app: the device's offline emergency summary choice (traced).

The choice lives in the device's session (``state.OFFLINE_SUMMARY_KEY``); what is written here is its
trace in the person's history, in the same request: turning on is letting health data stay on a device.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carnet.audit.labels import register_action_label
from carnet.audit.services import trace
from carnet.common.actors import Actor

from .state import OFFLINE_SUMMARY_KEY

ACTION_ON = "OFFLINE_SUMMARY_ON"
ACTION_OFF = "OFFLINE_SUMMARY_OFF"
register_action_label(ACTION_ON, _("Synthèse d'urgence gardée hors ligne sur un appareil"))
register_action_label(ACTION_OFF, _("Synthèse d'urgence hors ligne retirée d'un appareil"))


def offline_summary_choose(
    *, actor: Actor, person_id: int, session: SessionBase, device_public_id: str, enabled: bool
) -> bool:
    """Turn the offline emergency summary on or off for this device. Returns whether it changed."""
    before = bool(session.get(OFFLINE_SUMMARY_KEY))
    if before == enabled:
        return False
    with transaction.atomic():
        trace(
            actor=actor,
            action=ACTION_ON if enabled else ACTION_OFF,
            patient_id=person_id,
            object_type="device",
            object_id=device_public_id,
        )
    if enabled:
        session[OFFLINE_SUMMARY_KEY] = True
    else:
        session.pop(OFFLINE_SUMMARY_KEY, None)
    return True
