"""History labels (R-TR-3) of the profile's trace actions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from carnet.audit.labels import register_action_label

register_action_label("PROFILE_CREATE", _("Ajout dans le profil médical"))
register_action_label("PROFILE_UPDATE", _("Modification du profil médical"))
register_action_label("PROFILE_DELETE", _("Suppression dans le profil médical"))
register_action_label("PROFILE_NOT_CONCERNED", _("Rubrique du profil médical « non concerné »"))
register_action_label("PROFILE_READ", _("Consultation du profil médical"))
register_action_label("ADVANCE_DIRECTIVES_SET", _("Enregistrement des directives anticipées"))
register_action_label("ADVANCE_DIRECTIVES_DELETE", _("Suppression des directives anticipées"))
