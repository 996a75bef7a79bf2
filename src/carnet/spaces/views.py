"""Pages of the lifecycle: public home, opposition, new code, patient home and settings, reopening,
suspension, exports, and the professional home. Thin: forms check shapes, services decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import logout
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from carnet.common import clock
from carnet.common.actors import Actor, ActorKind
from carnet.common.errors import DomainError
from carnet.common.permissions import patient_required, professional_required
from carnet.common.roles import Role
from carnet.identity.codes import profession_label
from carnet.vault.blobstore import blob_get

from . import services
from .acting import SESSION_KEY as ACTING_SESSION_KEY
from .acting import ActingContext, acting_context
from .forms import ClosureForm, CodeRenewForm, OppositionForm, PasswordConfirmForm, nir_of
from .models import DeletionStatus, HealthSpace, SpaceStatus
from .pdf import opposition_proof_pdf
from .selectors import (
    export_get_for_actor,
    exports_for_space,
    person_is_minor,
    space_capabilities,
    space_for_person,
    space_get_by_public_id,
    space_identify,
    space_key_dates,
)

OPPOSITION_CANDIDATE = "opposition_candidate"  # the identified space, before confirmation
OPPOSITION_PROOF = "opposition_proof"  # the opposed space whose proof may be downloaded

IDENTITY_ERROR = _(
    "Les informations saisies ne permettent pas de vous identifier. Vérifiez votre numéro de sécurité "
    "sociale, le numéro de série de votre carte Vitale et votre date de naissance."
)


def _durations() -> dict[str, int]:
    from django.conf import settings

    return {
        "archive_years": settings.CARNET_ARCHIVE_YEARS,
        "retention_days": settings.CARNET_EXPORT_RETENTION_DAYS,
    }


def _field_errors(form: Any, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


# --- public pages ---------------------------------------------------------------------------------


def public_home(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    return render(
        request, "spaces/public_home.html", {"opposition_weeks": settings.CARNET_OPPOSITION_WINDOW_DAYS // 7}
    )


@require_http_methods(["GET", "POST"])
def opposition(request: HttpRequest) -> HttpResponse:
    """R-LC-2/3/5: identify (NIR + carte Vitale + birth date, code optional), then confirm."""
    from django.conf import settings

    form = OppositionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        space = None
        if services.identify_attempt_allowed(nir=nir_of(form)):
            space = space_identify(
                nir=data["nir"],
                vitale_serial=data["vitale_serial"],
                birth_date=data["birth_date"],
                code=data["code"],
            )
        if space is None:
            form.add_error(None, IDENTITY_ERROR)
        elif space.status == SpaceStatus.OPPOSED:
            request.session[OPPOSITION_PROOF] = str(space.public_id)
            return redirect("spaces:opposition_done")
        elif space.status in {SpaceStatus.INFORMED, SpaceStatus.OPEN_NOT_ACTIVATED}:
            if person_is_minor(space.person):
                form.add_error(
                    None,
                    _(
                        "Pour un enfant mineur, l'opposition est faite par son représentant légal, "
                        "connecté à son propre profil, depuis les paramètres du profil de l'enfant."
                    ),
                )
            else:
                request.session[OPPOSITION_CANDIDATE] = str(space.public_id)
                return redirect("spaces:opposition_confirm")
        else:
            form.add_error(
                None,
                _(
                    "Le délai d'opposition est terminé pour ce profil. Vous pouvez le clôturer à tout moment "
                    "depuis ses paramètres, après connexion."
                ),
            )
    return render(
        request,
        "spaces/opposition.html",
        {"form": form, "opposition_weeks": settings.CARNET_OPPOSITION_WINDOW_DAYS // 7},
    )


def _public_actor(space: HealthSpace) -> Actor:
    person = space.person
    return Actor(ActorKind.PATIENT, str(person.public_id), label=person.display_name, person_id=person.pk)


@require_http_methods(["GET", "POST"])
def opposition_confirm(request: HttpRequest) -> HttpResponse:
    space = space_get_by_public_id(request.session.get(OPPOSITION_CANDIDATE, ""))
    if space is None:
        return redirect("spaces:opposition")
    error: str | None = None
    if request.method == "POST":
        try:
            services.space_oppose(space=space, actor=_public_actor(space))
        except DomainError as exc:
            error = str(exc.message)
        else:
            request.session.pop(OPPOSITION_CANDIDATE, None)
            request.session[OPPOSITION_PROOF] = str(space.public_id)
            return redirect("spaces:opposition_done")
    return render(request, "spaces/opposition_confirm.html", {"space": space, "error": error})


def opposition_done(request: HttpRequest) -> HttpResponse:
    space = space_get_by_public_id(request.session.get(OPPOSITION_PROOF, ""))
    if space is None or space.status != SpaceStatus.OPPOSED:
        return redirect("spaces:opposition")
    return render(request, "spaces/opposition_done.html", {"space": space})


def opposition_proof(request: HttpRequest) -> HttpResponse:
    """R-LC-5: the PDF proof, for the space verified in this session (never an id in the URL)."""
    space = space_get_by_public_id(request.session.get(OPPOSITION_PROOF, ""))
    if space is None or space.status != SpaceStatus.OPPOSED or space.opposed_at is None:
        raise Http404
    acting = acting_context(request)
    actor = acting.actor if acting is not None else _public_actor(space)
    services.opposition_proof_downloaded(space=space, actor=actor)
    person = space.person
    content = opposition_proof_pdf(
        reference=space.opposition_reference,
        opposed_at=space.opposed_at,
        full_name=f"{person.used_name or person.birth_name} {person.first_names}",
        birth_date=person.birth_date,
        issued_at=clock.now(),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="attestation-opposition-{space.opposition_reference}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def code_renew(request: HttpRequest) -> HttpResponse:
    """R-LC-4: a new provisional code; the same answer whether or not anything was sent."""
    form = CodeRenewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.provisional_code_renew(
                nir=data["nir"],
                vitale_serial=data["vitale_serial"],
                birth_date=data["birth_date"],
                channel=data["channel"],
            )
        except DomainError as exc:
            _field_errors(form, exc)
        else:
            messages.info(
                request,
                _(
                    "Si ces informations correspondent à un profil qui peut être activé, un nouveau code "
                    "provisoire vient d'être envoyé par le moyen choisi."
                ),
            )
            return redirect("spaces:code_renew")
    return render(request, "spaces/code_renew.html", {"form": form})


# --- patient pages ---------------------------------------------------------------------------------


def _acting(request: HttpRequest) -> ActingContext:
    acting = acting_context(request)
    if acting is None:
        raise Http404
    return acting


def _space_or_404(acting: ActingContext) -> HealthSpace:
    space = space_for_person(acting.subject)
    if space is None:
        raise Http404
    return space


# Parts of the settings page that packages above spaces contribute (``register_settings_part`` in their
# ``AppConfig.ready()``; accounts: the devices). A part receives the request, the acting context and whether
# the page may show the person's own credentials, and returns what it adds to the template context.
SettingsPart = Callable[[HttpRequest, ActingContext, bool], dict[str, Any]]
_SETTINGS_PARTS: dict[str, SettingsPart] = {}


def register_settings_part(name: str, part: SettingsPart) -> None:
    """Register (or replace, by name) a part of the settings page."""
    _SETTINGS_PARTS[name] = part


def _optional_includes(request: HttpRequest, acting: ActingContext, show_devices: bool) -> dict[str, Any]:
    """The registered parts (devices) and the delegations; each is shown once it exists."""
    context: dict[str, Any] = {"devices_included": False, "delegations_included": False}
    for part in _SETTINGS_PARTS.values():
        context.update(part(request, acting, show_devices))
    try:
        from carnet.spaces.delegation import delegation_context

        get_template("spaces/_delegations.html")
        extra = delegation_context(acting)
        if isinstance(extra, dict):
            context.update(extra)
        else:
            context["delegation"] = extra
        context["delegations_included"] = True
    except (ImportError, TemplateDoesNotExist):
        pass
    return context


@patient_required
def home(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    space = space_for_person(acting.subject)
    caps = space_capabilities(actor=acting.actor, space=space, is_self=acting.is_self)
    return render(
        request,
        "spaces/home.html",
        {
            "acting": acting,
            "space": space,
            "caps": caps,
            "key_dates": space_key_dates(space) if space else [],
        },
    )


def _settings_context(request: HttpRequest, acting: ActingContext, **forms: Any) -> dict[str, Any]:
    space = space_for_person(acting.subject)
    caps = space_capabilities(actor=acting.actor, space=space, is_self=acting.is_self)
    context: dict[str, Any] = {
        "acting": acting,
        "space": space,
        "caps": caps,
        "closure_form": forms.get("closure_form") or ClosureForm(),
        "exports": list(exports_for_space(space)[:10]) if space is not None and caps.manage else [],
        "can_close": space is not None
        and caps.manage
        and space.status in {SpaceStatus.INFORMED, SpaceStatus.OPEN_NOT_ACTIVATED, SpaceStatus.ACTIVATED},
    }
    context.update(_durations())
    context.update(_optional_includes(request, acting, show_devices=caps.credentials))
    return context


@patient_required
def settings_page(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    return render(request, "spaces/settings.html", _settings_context(request, acting))


@patient_required
@require_POST
def close(request: HttpRequest) -> HttpResponse:
    """R-LC-20: closure with the password; the holder is logged out afterwards."""
    acting = _acting(request)
    space = _space_or_404(acting)
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            services.space_close(
                space=space,
                actor=acting.actor,
                password=form.cleaned_data["password"],
                user=request.user,  # type: ignore[arg-type]
                request_deletion=form.cleaned_data["request_deletion"],
            )
        except DomainError as exc:
            _field_errors(form, exc)
        else:
            if acting.is_self:
                logout(request)
                return render(request, "spaces/closed.html", {"space": space})
            request.session.pop(ACTING_SESSION_KEY, None)
            messages.success(request, _("Le profil a été clôturé."))
            return redirect("spaces:home")
    return render(
        request, "spaces/settings.html", _settings_context(request, acting, closure_form=form), status=400
    )


@patient_required
@require_POST
def oppose_for_child(request: HttpRequest) -> HttpResponse:
    """R-LC-2: a legal representative opposes for the minor he acts for."""
    acting = _acting(request)
    space = _space_or_404(acting)
    try:
        services.space_oppose(space=space, actor=acting.actor)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("spaces:settings")
    request.session[OPPOSITION_PROOF] = str(space.public_id)
    return redirect("spaces:opposition_done")


@patient_required
@require_POST
def deletion_cancel(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    space = _space_or_404(acting)
    try:
        services.space_deletion_cancel(space=space, actor=acting.actor)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Votre demande de suppression des données est annulée."))
    return redirect("spaces:reopen" if request.POST.get("from") == "reopen" else "spaces:settings")


@patient_required
@require_POST
def export_create(request: HttpRequest) -> HttpResponse:
    """R-LC-25: ask for an export (prepared in the background)."""
    acting = _acting(request)
    space = _space_or_404(acting)
    try:
        services.export_request(space=space, actor=acting.actor, user=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Votre demande est enregistrée : l'export sera disponible ici dès qu'il sera prêt.")
        )
    return redirect("spaces:reopen" if space.status == SpaceStatus.CLOSED else "spaces:settings")


@patient_required
def export_download(request: HttpRequest, public_id: UUID) -> FileResponse:
    """R-LC-25: stream the decrypted archive; traced "EXPORT_DOWNLOADED"."""
    acting = _acting(request)
    space = _space_or_404(acting)
    export = export_get_for_actor(actor=acting.actor, space=space, public_id=public_id)
    if export is None or export.blob is None:
        raise Http404
    content = blob_get(export.blob)
    services.export_downloaded(export=export, actor=acting.actor)
    import io

    filename = f"carnet-export-{clock.today().strftime('%Y%m%d')}.zip"
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=filename, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    return response


@patient_required
@require_http_methods(["GET", "POST"])
def reopen(request: HttpRequest) -> HttpResponse:
    """R-LC-22/23: a CLOSED space's page: reopen, request or cancel deletion, exports."""
    acting = _acting(request)
    space = _space_or_404(acting)
    caps = space_capabilities(actor=acting.actor, space=space, is_self=acting.is_self)
    if space.status != SpaceStatus.CLOSED or not caps.manage:
        raise Http404
    password_form = PasswordConfirmForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reopen":
                services.space_reopen(space=space, actor=acting.actor)
                messages.success(
                    request, _("Votre profil est rouvert : vos données archivées sont conservées.")
                )
                return redirect("spaces:home")
            if action == "delete":
                password_form = PasswordConfirmForm(request.POST)
                if password_form.is_valid():
                    services.space_deletion_request(
                        space=space,
                        actor=acting.actor,
                        password=password_form.cleaned_data["password"],
                        user=request.user,  # type: ignore[arg-type]
                    )
                    messages.success(request, _("Votre demande de suppression des données est enregistrée."))
                    return redirect("spaces:reopen")
                status = 400
            else:
                raise Http404
        except DomainError as exc:
            status = 400
            if exc.field:
                _field_errors(password_form, exc)
            else:
                messages.error(request, str(exc.message))
                return redirect("spaces:reopen")
    return render(
        request,
        "spaces/reopen.html",
        {
            "acting": acting,
            "space": space,
            "key_dates": space_key_dates(space),
            "deletion_pending": space.deletion_status == DeletionStatus.REQUESTED,
            "password_form": password_form,
            "exports": list(exports_for_space(space)[:10]),
            **_durations(),
        },
        status=status,
    )


@patient_required
@require_http_methods(["GET", "POST"])
def suspension(request: HttpRequest) -> HttpResponse:
    """R-LC-24: a suspended space's page; the holder may object within 6 weeks."""
    acting = _acting(request)
    space = _space_or_404(acting)
    caps = space_capabilities(actor=acting.actor, space=space, is_self=acting.is_self)
    if space.status != SpaceStatus.SUSPENDED or not caps.manage:
        raise Http404
    if request.method == "POST":
        try:
            services.space_suspension_object(space=space, actor=acting.actor)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("spaces:suspension")
        messages.success(request, _("Votre contestation est enregistrée : la suspension est levée."))
        return redirect("spaces:home")
    return render(request, "spaces/suspension.html", {"acting": acting, "space": space})


# --- professional home -----------------------------------------------------------------------------


@professional_required
def pro_home(request: HttpRequest) -> HttpResponse:
    professional = request.user.professional  # type: ignore[union-attr]
    if professional is None or request.user.role != Role.PROFESSIONAL:  # type: ignore[union-attr]
        raise Http404
    return render(
        request,
        "spaces/pro_home.html",
        {
            "professional": professional,
            "profession_label": profession_label(professional.profession_code)
            or professional.profession_code,
        },
    )
