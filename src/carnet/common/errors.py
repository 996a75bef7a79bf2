"""Domain errors carrying a field name and a translated, user-facing reason (invariant 9)."""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A refused action. ``field`` names the input at fault (or None), ``code`` is stable for APIs."""

    def __init__(self, message: str | Promise, *, code: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotFoundOrForbidden(DomainError):
    """Same answer for "does not exist" and "not allowed", so nobody can probe what exists."""
