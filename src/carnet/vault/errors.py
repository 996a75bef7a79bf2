"""Errors of the encrypted stores (blobs and sealed fields), importable without loading any model."""

from __future__ import annotations


class KeyDestroyed(Exception):
    """The patient's data key was destroyed: his contents are gone for good."""


class IntegrityFailure(Exception):
    """Stored content does not match its recorded hash or fails authentication."""
