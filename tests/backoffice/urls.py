"""The project's URLs plus ``/aide/`` until ``config/urls.py`` includes ``backoffice.urls_public``."""

from django.urls import Resolver404, include, path, resolve

from carnet.config.urls import handler404
from carnet.config.urls import urlpatterns as project_urlpatterns

try:
    resolve("/aide/", urlconf="carnet.config.urls")
    _extra = []
except Resolver404:
    _extra = [path("", include("carnet.backoffice.urls_public"))]

urlpatterns = [*project_urlpatterns, *_extra]

__all__ = ["handler404", "urlpatterns"]
