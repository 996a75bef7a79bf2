from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def carnet(request: HttpRequest) -> dict[str, Any]:
    return {"CARNET_DEMO": settings.CARNET_DEMO, "csp_nonce": getattr(request, "csp_nonce", "")}
