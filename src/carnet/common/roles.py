"""The roles an account can have (``accounts.models.User.role``): the shared vocabulary of page gates
(``common.permissions``) and of ``common.users.actor_for_user``, kept low so that packages below
``accounts`` can name a role without importing it (docs/architecture.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PATIENT = "PATIENT", _("Usager")
    PROFESSIONAL = "PROFESSIONAL", _("Professionnel de santé")
    OPERATOR = "OPERATOR", _("Opérateur")
