from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def public_home(request: HttpRequest) -> HttpResponse:
    return render(request, "spaces/public_home.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "spaces/home.html")


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(request, "spaces/settings.html")


@login_required
def pro_home(request: HttpRequest) -> HttpResponse:
    return render(request, "spaces/pro_home.html")
