"""Account pages: activation, login (two steps), TOTP enrolment, logout, devices, password change.

Thin: they read the form, call ``services`` / ``selectors`` and render. Progress between steps is kept
in the session (never in the URL): the verified provisional code of an activation, the account and
challenge of a login in progress.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from carnet.common import clock
from carnet.common.errors import DomainError
from carnet.spaces.acting import SESSION_KEY as ACTING_SESSION_KEY

from . import selectors, services
from .backends import BACKEND_PATH
from .forms import (
    ActivationCredentialsForm,
    ActivationIdentifyForm,
    LoginForm,
    OneTimeCodeForm,
    PasswordChangeForm,
)
from .middleware import DEVICE_SESSION_KEY
from .models import Role, User

ACTIVATION_SESSION_KEY = "carnet_activation"
LOGIN_SESSION_KEY = "carnet_login"
ACTIVATION_STEP_SECONDS = 15 * 60
LOGIN_STEP_SECONDS = 10 * 60


def _client_ip(request: HttpRequest) -> str:
    # Behind the reverse proxy, REMOTE_ADDR is set from the trusted proxy's header by the server.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _fresh_state(request: HttpRequest, key: str, max_age: int) -> dict[str, Any] | None:
    """The step state kept in the session under ``key`` if younger than ``max_age`` seconds (else dropped)."""
    state = request.session.get(key)
    if isinstance(state, dict) and clock.now().timestamp() - float(state.get("at", 0)) < max_age:
        return state
    request.session.pop(key, None)
    return None


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# --- activation (R-LC-10, R-LC-11, R-LC-13, R-LC-4) -----------------------------------------------


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """Step 1 "Identification". Every mismatch renders the same page: empty form, one generic error."""
    context: dict[str, Any] = {"renew_url": _url_or_none("spaces:code_renew")}
    form = ActivationIdentifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.activation_identify(
                code=data["code"],
                nir=data["nir"],
                vitale_serial=data["vitale_serial"],
                birth_date=data["birth_date"],
                ip=_client_ip(request),
            )
        except DomainError as exc:
            context["expired"] = exc.code == "code_expired"
            context["error"] = exc.message
            form = ActivationIdentifyForm()  # nothing typed is echoed back: the page is the same for all
        else:
            request.session.cycle_key()
            request.session[ACTIVATION_SESSION_KEY] = {"code": entry.pk, "at": clock.now().timestamp()}
            return redirect("accounts:activate_credentials")
    context["form"] = form
    return render(request, "accounts/activate_identify.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def activate_credentials(request: HttpRequest) -> HttpResponse:
    """Step 2 "Identifiant et mot de passe": creates the account and activates the space in one go."""
    state = _fresh_state(request, ACTIVATION_SESSION_KEY, ACTIVATION_STEP_SECONDS)
    if state is None:
        messages.info(request, _("Pour activer votre profil, commencez par vous identifier."))
        return redirect("accounts:activate")
    entry = selectors.activation_code_get(int(state["code"]))
    if entry is None:
        request.session.pop(ACTIVATION_SESSION_KEY, None)
        return redirect("accounts:activate")
    person = entry.space.person
    form = ActivationCredentialsForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_activate(
                code_entry_id=entry.pk,
                username=data["username"],
                password=data["password"],
                password_confirm=data["password_confirm"],
                otp_channel=data["otp_channel"],
                cgu_accepted=bool(data["cgu"]),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            request.session.pop(ACTIVATION_SESSION_KEY, None)
            messages.success(
                request,
                _("Votre profil est activé. Connectez-vous avec votre identifiant et votre mot de passe."),
            )
            return redirect("accounts:login")
    return render(
        request,
        "accounts/activate_credentials.html",
        {"form": form, "first_name": person.first_name},
    )


def cgu(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/cgu.html")


# --- login (R-LC-12) ------------------------------------------------------------------------------


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    state = _fresh_state(request, LOGIN_SESSION_KEY, LOGIN_STEP_SECONDS)
    if state is None:
        return None
    user = selectors.user_get_pending(state["user"])
    if user is None:
        request.session.pop(LOGIN_SESSION_KEY, None)
        return None
    return user, state


def _second_step_url(user: User) -> str:
    if user.role != Role.PATIENT and not user.totp_confirmed:
        return reverse("accounts:totp_enrol")
    return reverse("accounts:login_code")


def _finish_login(request: HttpRequest, user: User, state: dict[str, Any]) -> HttpResponse:
    """Both factors passed: log in (the session key rotates), enrol the device, go home."""
    request.session.pop(LOGIN_SESSION_KEY, None)
    auth_login(request, user, backend=BACKEND_PATH)
    if request.session.session_key is None:
        request.session.save()
    device = services.login_complete(
        user=user,
        session_key=str(request.session.session_key),
        user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
    )
    request.session[DEVICE_SESSION_KEY] = device.pk
    destination = selectors.login_destination(user)
    wanted = str(state.get("next") or "")
    reopening = destination == _url_or_none("spaces:reopen")
    if (
        wanted
        and not reopening
        and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        destination = wanted
    return redirect(destination)


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: identifiant + mot de passe. One generic refusal for every failure (R-LC-12)."""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(selectors.login_destination(request.user))
    form = LoginForm(request.POST or None)
    error: str | None = None
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_authenticate(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=_client_ip(request),
            )
            challenge = services.login_challenge_start(user=user)
        except DomainError as exc:
            error = str(exc.message)
            form = LoginForm(initial={"username": form.cleaned_data["username"]})
        else:
            request.session[LOGIN_SESSION_KEY] = {
                "user": str(user.public_id),
                "challenge": str(challenge.public_id),
                "at": clock.now().timestamp(),
                "next": request.GET.get("next", ""),
            }
            return redirect(_second_step_url(user))
    return render(request, "accounts/login.html", {"form": form, "error": error})


def _masked_address(user: User, channel: str) -> str:
    person = user.person
    if person is None:
        return ""
    if channel == "SMS" and person.phone:
        return "•• •• •• •• " + person.phone[-2:]
    local, _sep, domain = person.email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else ""


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the one-time code (patients: e-mail/SMS; staff: authenticator app)."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Votre connexion a expiré : recommencez."))
        return redirect("accounts:login")
    user, state = pending
    if user.role != Role.PATIENT and not user.totp_confirmed:
        return redirect("accounts:totp_enrol")
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.login_challenge_verify(
                user=user, challenge_id=state["challenge"], code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            if exc.code == "login_locked":
                request.session.pop(LOGIN_SESSION_KEY, None)
                messages.error(request, str(exc.message))
                return redirect("accounts:login")
            form.add_error("code", str(exc.message))
        else:
            return _finish_login(request, user, state)
    challenge = selectors.challenge_get(user=user, public_id=state["challenge"])
    channel = challenge.channel if challenge is not None else ""
    return render(
        request,
        "accounts/login_code.html",
        {
            "form": form,
            "is_patient": user.role == Role.PATIENT,
            "channel": channel,
            # The mail server or SMS gateway did not take the code (yet): say so instead of "sent".
            "code_delayed": challenge is not None and selectors.login_code_delayed(challenge),
            "masked_address": _masked_address(user, channel),
            "minutes": max(1, int(settings.CARNET_OTP_TTL_SECONDS) // 60),
        },
    )


@require_POST
def login_code_resend(request: HttpRequest) -> HttpResponse:
    """ "Renvoyer un code" (patients): a new challenge replaces the previous one (rate limited)."""
    pending = _pending(request)
    if pending is None:
        return redirect("accounts:login")
    user, state = pending
    if user.role != Role.PATIENT:
        return redirect("accounts:login_code")
    previous = selectors.challenge_get(user=user, public_id=state["challenge"])
    try:
        challenge = services.login_code_resend(user=user, previous=previous)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        state["challenge"] = str(challenge.public_id)
        request.session[LOGIN_SESSION_KEY] = state
        if not selectors.login_code_delayed(challenge):  # otherwise the code page says it is late
            messages.success(request, _("Un nouveau code vous a été envoyé."))
    return redirect("accounts:login_code")


@never_cache
@require_http_methods(["GET", "POST"])
def totp_enrol(request: HttpRequest) -> HttpResponse:
    """First login of a professional or operator: scan the QR code (or type the key), confirm a code."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Votre connexion a expiré : recommencez."))
        return redirect("accounts:login")
    user, state = pending
    if user.role == Role.PATIENT or user.totp_confirmed:
        return redirect("accounts:login_code")
    secret = services.totp_enrolment_secret(user=user)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.login_challenge_verify(
                user=user, challenge_id=state["challenge"], code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            if exc.code == "login_locked":
                request.session.pop(LOGIN_SESSION_KEY, None)
                messages.error(request, str(exc.message))
                return redirect("accounts:login")
            form.add_error("code", str(exc.message))
        else:
            return _finish_login(request, user, state)
    uri = services.totp_provisioning_uri(user=user, secret=secret)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, light="#fff", title=str(_("QR code à scanner")))
    return render(
        request,
        "accounts/totp_enrol.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr_svg),  # noqa: S308  # generated by segno from our own URI
            "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """POST only: ends the session and marks its device's session ended."""
    if request.user.is_authenticated:
        device_id = request.session.get(DEVICE_SESSION_KEY)
        device = selectors.device_get_by_id(int(device_id)) if device_id is not None else None
        services.logout_record(user=request.user, device=device)
    auth_logout(request)
    messages.success(request, _("Vous êtes déconnecté."))
    return redirect("spaces:public_home")


# --- devices (R-LC-12) ----------------------------------------------------------------------------


def _current_device(request: HttpRequest) -> Any:
    device_id = request.session.get(DEVICE_SESSION_KEY)
    return selectors.device_get_by_id(int(device_id)) if device_id is not None else None


@login_required
def devices(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    current = _current_device(request)
    return render(
        request,
        "accounts/devices.html",
        {"devices": selectors.devices_for_user(user), "current_device_id": current.pk if current else None},
    )


@login_required
@require_POST
def device_revoke(request: HttpRequest, public_id: UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    device = selectors.device_get_for_user(user=user, public_id=str(public_id))
    if device is None:
        raise Http404
    current = _current_device(request)
    services.device_revoke(user=user, device=device)
    if current is not None and current.pk == device.pk:
        auth_logout(request)
        messages.info(request, _("Cet appareil a été révoqué : vous êtes déconnecté."))
        return redirect("accounts:login")
    messages.success(request, _("L'appareil « %(label)s » a été révoqué.") % {"label": device.label})
    return redirect("accounts:devices")


@login_required
@require_POST
def devices_revoke_all(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    count = services.devices_revoke_all(user=user, except_current=_current_device(request))
    messages.success(
        request, _("Appareils révoqués : %(count)s. Cet appareil reste connecté.") % {"count": count}
    )
    return redirect("accounts:devices")


# --- password change (R-LC-11, R-DEL-2) ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Only ever changes ``request.user``'s own password; refused while acting for someone else."""
    user: User = request.user  # type: ignore[assignment]
    if user.role != Role.PATIENT:
        raise Http404
    acting_for = request.session.get(ACTING_SESSION_KEY)
    if acting_for and user.person is not None and acting_for != str(user.person.public_id):
        return render(request, "accounts/password_change.html", {"acting_for_someone": True}, status=403)
    form = PasswordChangeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                new_password_confirm=form.cleaned_data["new_password_confirm"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            device = _current_device(request)
            update_session_auth_hash(request, user)  # keeps this session (its key rotates)
            if device is not None:
                request.session[DEVICE_SESSION_KEY] = device.pk
            # The other browsers lose their session (R-LC-12): revoke them so the list stays truthful.
            services.devices_revoke_all(user=user, except_current=device)
            messages.success(request, _("Votre mot de passe a été modifié."))
            return redirect("accounts:password_change")
    return render(request, "accounts/password_change.html", {"form": form})
