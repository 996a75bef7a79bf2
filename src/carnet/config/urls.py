from django.urls import include, path
from django.views.i18n import set_language

from carnet.api.api import api

urlpatterns = [
    # Machine clients first: their prefixes are matched before the ~20 page modules are walked.
    path("api/", api.urls),
    path("fhir/", include("carnet.fhir.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("carnet.spaces.urls")),
    path("", include("carnet.accounts.urls")),
    path("", include("carnet.spaces.urls_delegation")),
    path("", include("carnet.history.urls")),
    path("", include("carnet.backoffice.urls_public")),
    path("", include("carnet.records.urls")),
    path("", include("carnet.messaging.urls")),
    path("", include("carnet.access.urls")),
    path("", include("carnet.profile.vitals.urls")),
    path("", include("carnet.profile.summary_urls")),
    path("", include("carnet.profile.urls")),
    path("", include("carnet.agenda.prevention.urls")),
    path("", include("carnet.agenda.urls")),
    path("backoffice/", include("carnet.backoffice.urls")),
    path("", include("carnet.notifications.urls_space")),
    path("", include("carnet.pwa.urls")),
    path("", include("carnet.common.urls_legal")),
    path("demo/", include(("carnet.demo.urls_outbox", "notifications"))),
    path("demo/", include("carnet.demo.urls")),
]

handler404 = "carnet.common.views.not_found"
handler500 = "carnet.common.unavailable.server_error"  # 503 when the database is down or read-only
