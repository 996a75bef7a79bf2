""" "Nothing written" made checkable (invariant 9): a fingerprint of every row of the domain's tables.

A refused request may leave a DENY trace (STYLE: refusals are traced) and nothing else: no row added,
changed or removed in the domain's apps, no ALLOW trace, no outbox message. ``domain_state()`` is compared
before and after; ``changed(before, after)`` names what differs."""

from __future__ import annotations

import hashlib
from typing import Any

from django.apps import apps

from carnet.audit.models import Trace

# Every app holding patient or access data. accounts (last login, devices), api (tokens' last use),
# sessions and audit's own log tables move on any request; audit is checked through its ALLOW traces.
WATCHED_APPS = frozenset(
    {
        "access",
        "agenda",
        "identity",
        "messaging",
        "notifications",
        "profile",
        "profile_vitals",
        "records",
        "spaces",
    }
)


def domain_state(watched: frozenset[str] = WATCHED_APPS) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for model in apps.get_models():
        if model._meta.app_label not in watched:
            continue
        rows = list(model._default_manager.order_by("pk").values_list())
        state[model._meta.label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    state["audit.Trace[ALLOW]"] = Trace.objects.exclude(outcome="DENY").count()
    return state


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(label for label in before.keys() | after.keys() if before.get(label) != after.get(label))
