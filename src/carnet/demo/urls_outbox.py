"""The demo outbox, ``/demo/outbox/``. Demo mode only.

``config/urls.py`` includes it under the namespace ``notifications`` (``notifications:outbox``, the name
the pages link to since the page lived in the notifications app).
"""

from django.urls import path

from . import views

urlpatterns = [path("outbox/", views.outbox, name="outbox")]
