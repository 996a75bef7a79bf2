"""The profile's small adapter to THE policy (invariant 1): a section-level decision.

``carnet.access.gateway.decide`` asks about documents; the profile asks about a *section*
(``access.facts.ProfileSection``) with ``Action.PROFILE_READ`` / ``PROFILE_WRITE``. The rules themselves
(R-PML-1 shared sections, R-MIN-3, caregivers' limits, consent/blocking/matrix for professionals) are in
``carnet.access.policy``; this module only carries the section into the ``RequestContext`` and keeps the
gateway's "emergency mode needs an open session" check (R-EM-6).
"""

from __future__ import annotations

from dataclasses import replace

from carnet.access import policy
from carnet.access.facts import AccessMode, Action, ProfileSection
from carnet.access.gateway import NO_SESSION_RULE, AccessScope
from carnet.access.policy import Decision
from carnet.common.actors import ActorKind


def decide_section(scope: AccessScope, section: ProfileSection | str, action: Action) -> Decision:
    """May the scope's actor read or write ``section`` of the patient's profile?"""
    if (
        scope.mode != AccessMode.NORMAL
        and scope.facts.kind == ActorKind.PROFESSIONAL
        and scope.session is None
    ):
        return Decision(False, NO_SESSION_RULE, "no open emergency session for this professional and patient")
    context = replace(scope.context(action), section=str(section))
    return policy.decide(scope.facts, scope.patient, None, context)
