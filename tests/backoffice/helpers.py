"""Users and spaces for back-office and security tests (no HealthSpace factory exists yet)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carnet.accounts.models import Role, User
from carnet.common import clock
from carnet.identity.models import Person
from carnet.spaces.models import HealthSpace, SpaceStatus
from tests.factories import PersonFactory, ProfessionalFactory

PASSWORD = "Un-mot-de-passe-1"


def make_user(role: str, **extra: Any) -> User:
    n = User.objects.count() + 1
    if role == Role.PATIENT and "person" not in extra:
        extra["person"] = PersonFactory()
    if role == Role.PROFESSIONAL and "professional" not in extra:
        extra["professional"] = ProfessionalFactory()
    return User.objects.create_user(username=f"{role.lower()}.{n}", password=PASSWORD, role=role, **extra)


def make_space(
    person: Person | None = None, status: str = SpaceStatus.ACTIVATED, **extra: Any
) -> HealthSpace:
    now = clock.now()
    values: dict[str, Any] = {
        "person": person or PersonFactory(),
        "status": status,
        "motif": "ACTIVATION" if status == SpaceStatus.ACTIVATED else "INFORMATION_SENT",
        "status_changed_at": now,
        "created_at": now - timedelta(days=50),
        "informed_at": now - timedelta(days=50),
        "opening_due_at": now - timedelta(days=8),
    }
    if status in {SpaceStatus.ACTIVATED, SpaceStatus.OPEN_NOT_ACTIVATED}:
        values["opened_at"] = now - timedelta(days=8)
    if status == SpaceStatus.ACTIVATED:
        values["activated_at"] = now
    values.update(extra)
    return HealthSpace.objects.create(**values)
