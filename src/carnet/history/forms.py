"""The filters of the history page (R-TR-3): group and actor type, both optional (GET)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carnet.audit.labels import ACTOR_KIND_LABELS, GROUP_LABELS
from carnet.common.actors import ActorKind

#: Actor types a patient can filter on, in the order shown.
FILTERABLE_ACTOR_KINDS = (
    ActorKind.PROFESSIONAL,
    ActorKind.ORGANISATION,
    ActorKind.PATIENT,
    ActorKind.LEGAL_REPRESENTATIVE,
    ActorKind.CAREGIVER,
    ActorKind.INSURANCE,
    ActorKind.OPERATOR,
    ActorKind.SYSTEM,
)


class HistoryFilterForm(forms.Form):
    groupe = forms.ChoiceField(
        label=_("Catégorie"),
        required=False,
        choices=[("", _("Toutes")), *GROUP_LABELS.items()],
        error_messages={"invalid_choice": _("Catégorie : choisissez une valeur de la liste.")},
    )
    acteur = forms.ChoiceField(
        label=_("Type d'auteur"),
        required=False,
        choices=[("", _("Tous")), *((str(k), ACTOR_KIND_LABELS[k]) for k in FILTERABLE_ACTOR_KINDS)],
        error_messages={"invalid_choice": _("Type d'auteur : choisissez une valeur de la liste.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "fr-select"

    def filters(self) -> dict[str, str | None]:
        """The valid filters (an invalid one is ignored and reported next to its field)."""
        if not self.is_bound:
            return {"group": None, "actor_kind": None}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"group": data.get("groupe") or None, "actor_kind": data.get("acteur") or None}
