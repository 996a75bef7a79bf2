"""The routes the record pages need, without the apps still being written by others (API, FHIR).

Used by ``tests/pages`` and ``tests/e2e/test_record_journeys.py`` through ``settings.ROOT_URLCONF``.
"""

from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("carnet.spaces.urls")),
    path("", include("carnet.accounts.urls")),
    path("", include("carnet.spaces.urls_delegation")),
    path("", include("carnet.audit.urls")),
    path("", include("carnet.backoffice.urls_public")),
    path("", include("carnet.records.urls")),
    path("", include("carnet.access.urls")),
    path("backoffice/", include("carnet.backoffice.urls")),
    path("demo/", include("carnet.notifications.urls")),
]

handler404 = "carnet.common.views.not_found"
