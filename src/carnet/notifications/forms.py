"""Forms of the notification pages: shapes only, services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationKind
from .switches import PRODUCED_KINDS

KIND_HELP = {
    NotificationKind.NEW_MESSAGE: _("Quand un professionnel vous écrit dans la messagerie de santé."),
    NotificationKind.NEW_DOCUMENT: _(
        "Quand un professionnel, un établissement ou l'Assurance Maladie ajoute un document à votre dossier "
        "(un seul e-mail pour plusieurs documents déposés ensemble)."
    ),
    NotificationKind.APPOINTMENT: _("Rappels de vos rendez-vous."),
    NotificationKind.SERVICE_ACTIVITY: _("Activité des services que vous avez connectés à votre profil."),
    NotificationKind.SCREENING: _("Invitations aux dépistages recommandés pour vous."),
}


PUSH_PREFIX = "push_"


class PreferencesForm(forms.Form):
    """R-NOT-1: one checkbox per kind of e-mail that an event produces and the person may switch off
    (``switches.PRODUCED_KINDS``), and one per kind of Web Push notification (``push_<KIND>``, on the
    devices where the person turned them on); the other kinds are not offered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(NotificationKind.choices)
        for value in PRODUCED_KINDS:
            self.fields[value] = forms.BooleanField(
                required=False,
                label=labels[value],
                help_text=KIND_HELP.get(NotificationKind(value), ""),
                widget=forms.CheckboxInput(),
            )
        for value in PRODUCED_KINDS:
            self.fields[PUSH_PREFIX + value] = forms.BooleanField(
                required=False, label=labels[value], widget=forms.CheckboxInput()
            )

    def email_fields(self) -> list[forms.BoundField]:
        return [self[value] for value in PRODUCED_KINDS]

    def push_fields(self) -> list[forms.BoundField]:
        return [self[PUSH_PREFIX + value] for value in PRODUCED_KINDS]

    def enabled(self) -> dict[str, bool]:
        """The offered kinds as checked (an unchecked box is a kind switched off)."""
        return {value: bool(self.cleaned_data.get(value)) for value in PRODUCED_KINDS}

    def push_enabled(self) -> dict[str, bool]:
        """The offered kinds of Web Push as checked."""
        return {value: bool(self.cleaned_data.get(PUSH_PREFIX + value)) for value in PRODUCED_KINDS}


class RetryForm(forms.Form):
    """Operators: which message to retry (its public reference, never a sequential id)."""

    message = forms.UUIDField(label=_("Référence du message"))
