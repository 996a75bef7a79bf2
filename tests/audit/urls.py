"""The project's URLs plus the history pages until ``config/urls.py`` includes ``carnet.audit.urls``."""

from django.urls import Resolver404, include, path, resolve

from carnet.config.urls import handler404
from carnet.config.urls import urlpatterns as project_urlpatterns

try:
    resolve("/espace/historique/", urlconf="carnet.config.urls")
    _extra = []
except Resolver404:
    _extra = [path("", include("carnet.audit.urls"))]

urlpatterns = [*project_urlpatterns, *_extra]

__all__ = ["handler404", "urlpatterns"]
