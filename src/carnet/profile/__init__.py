"""The medical profile's sections (SPEC §4): the holder's health questionnaire, "Entourage et volontés"
and advance directives. Vaccinations and measurements live in ``carnet.profile.vitals``."""
