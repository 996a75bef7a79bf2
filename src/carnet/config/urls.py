from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("carnet.spaces.urls")),
    path("", include("carnet.accounts.urls")),
    path("", include("carnet.spaces.urls_delegation")),
    path("", include("carnet.audit.urls")),
    path("", include("carnet.backoffice.urls_public")),
    path("backoffice/", include("carnet.backoffice.urls")),
    path("demo/", include("carnet.notifications.urls")),
]

handler404 = "carnet.common.views.not_found"
