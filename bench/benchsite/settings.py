"""Carnet's settings, with the bench URLs (everything else identical, read from the same environment)."""

from carnet.config.settings import *  # noqa: F403

ROOT_URLCONF = "benchsite.urls"
