"""French formats: Django's own, with the time written "19 h 42" (carnet.common.dates)."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = r"G \h i"
DATETIME_FORMAT = r"j F Y \à G \h i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = r"d/m/Y G \h i"
FIRST_DAY_OF_WEEK = 1  # Monday
