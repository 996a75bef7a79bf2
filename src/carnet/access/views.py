"""Pages of the access settings (SPEC §3). Thin: forms check shapes, ``access.services`` decides and
writes (each act asks the policy through ``gateway`` and is traced), errors are shown next to the field.

Patient side ("Professionnels et accès", ``/espace/acces/``): professionals with access (from consents,
R-AC-14), declared ones (R-AC-15), roles médecin traitant / administrateur (R-MASK-2), block and unblock
(R-BLK-1), the three emergency settings (R-EM-4) and the temporary access code (R-AC-16). Who may open
the page is the policy's answer to ``MANAGE_SHARING`` (a caregiver gets the ordinary 404, R-DEL-2).

Professional side (``/pro/patients/<patient>/...``): record the patient's consent (care team, explicit, or
the patient's one-time code) and the break-the-glass flow (R-EM-1, R-EM-6: a written reason is required;
the record is then shown with a red banner on every page of that patient while the session lasts).

The small reads at the top (``sharing_overview``, ``emergency_session_open``, ``consents_of``) read the
access state for display only, never to decide: they belong in ``access/selectors.py`` once it exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from carnet.access import gateway, services
from carnet.access.facts import Action
from carnet.access.models import (
    BreakGlassSession,
    CareRelation,
    EmergencyChoice,
    EmergencyMode,
    EmergencySettings,
    ProfessionalQualification,
    ProfessionalStanding,
    RelationKind,
)
from carnet.common import clock
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.permissions import patient_required, professional_required
from carnet.common.users import actor_for_user
from carnet.common.words import of_name
from carnet.identity.codes import profession_label
from carnet.identity.models import Organisation, Person, Professional
from carnet.identity.selectors import professional_by_rpps
from carnet.spaces.acting import ActingContext, acting_context

# --------------------------------------------------------------------------------------------------
# Reads for display (to move to access/selectors.py)


@dataclass
class SharingRow:
    """One professional as the patient sees him on "Professionnels et accès" (R-AC-14, R-AC-15)."""

    professional: Professional
    profession_label: str
    relations: list[CareRelation] = field(default_factory=list)  # active authorisations
    declared: bool = False
    is_medecin_traitant: bool = False
    is_administrator: bool = False
    blocked_at: datetime | None = None
    first_access_at: datetime | None = None

    @property
    def has_access(self) -> bool:
        return bool(self.relations) and self.blocked_at is None and self.professional.active

    @property
    def since(self) -> datetime | None:
        return min((r.started_at for r in self.relations), default=None)


@dataclass
class SharingOverview:
    professionals: list[SharingRow]
    organisations: list[tuple[Organisation, CareRelation]]
    emergency: dict[str, str]


def sharing_overview(patient_id: int) -> SharingOverview:
    """Active consents, declarations, roles and blocks of one patient, by professional (3 queries)."""
    now = clock.now()
    rows: dict[int, SharingRow] = {}

    def row(professional: Professional) -> SharingRow:
        if professional.pk not in rows:
            rows[professional.pk] = SharingRow(
                professional=professional,
                profession_label=profession_label(professional.profession_code)
                or professional.profession_code,
            )
        return rows[professional.pk]

    organisations: list[tuple[Organisation, CareRelation]] = []
    relations = (
        CareRelation.objects.filter(patient_id=patient_id, ended_at__isnull=True)
        .select_related("professional", "organisation")
        .order_by("started_at")
    )
    for relation in relations:
        if relation.expires_at is not None and relation.expires_at <= now:
            continue  # an expired temporary access (R-AC-16) is no access any more
        if relation.professional is not None:
            current = row(relation.professional)
            current.relations.append(relation)
            current.declared = current.declared or relation.kind == RelationKind.DECLARED_BY_PATIENT
        elif relation.organisation is not None:
            organisations.append((relation.organisation, relation))
    standings = ProfessionalStanding.objects.filter(
        patient_id=patient_id, professional__isnull=False
    ).select_related("professional")
    for standing in standings:
        assert standing.professional is not None
        if (
            not (
                standing.is_medecin_traitant
                or standing.is_administrator
                or standing.blocked_at
                or standing.first_access_at
            )
            and standing.professional.pk not in rows
        ):
            continue
        current = row(standing.professional)
        current.is_medecin_traitant = standing.is_medecin_traitant
        current.is_administrator = standing.is_administrator
        current.blocked_at = standing.blocked_at
        current.first_access_at = standing.first_access_at
    settings_row = EmergencySettings.objects.filter(patient_id=patient_id).first()
    emergency = {
        "etreat": settings_row.etreat if settings_row else EmergencyChoice.PERMIT.value,
        "btg": settings_row.btg if settings_row else EmergencyChoice.PERMIT.value,
        "masked": settings_row.masked if settings_row else EmergencyChoice.DENY.value,
    }
    ordered = sorted(rows.values(), key=lambda r: (r.professional.last_name, r.professional.first_name))
    return SharingOverview(professionals=ordered, organisations=organisations, emergency=emergency)


def emergency_session_open(professional: Professional | None, patient_id: int) -> BreakGlassSession | None:
    """The professional's open, unexpired emergency session on this patient's record (R-EM-6), if any."""
    if professional is None:
        return None
    return (
        BreakGlassSession.objects.filter(
            patient_id=patient_id,
            professional=professional,
            ended_at__isnull=True,
            expires_at__gt=clock.now(),
        )
        .order_by("-started_at")
        .first()
    )


def consents_of(professional: Professional | None, patient_id: int) -> list[CareRelation]:
    """The professional's own active, unexpired authorisations on this patient's record."""
    if professional is None:
        return []
    now = clock.now()
    return [
        r
        for r in CareRelation.objects.filter(
            patient_id=patient_id, professional=professional, ended_at__isnull=True
        ).order_by("started_at")
        if r.expires_at is None or r.expires_at > now
    ]


def is_samu_regulator(professional: Professional | None) -> bool:
    if professional is None:
        return False
    return ProfessionalQualification.objects.filter(
        professional=professional, is_samu_regulator=True
    ).exists()


# --------------------------------------------------------------------------------------------------
# Forms (shape only)


class DeclareForm(forms.Form):
    """R-AC-15: the patient declares a professional by his RPPS number."""

    rpps = forms.CharField(
        label=_("Numéro RPPS du professionnel"),
        help_text=_("11 chiffres, indiqués sur ses ordonnances ou dans l'annuaire santé."),
        max_length=20,
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off", "inputmode": "numeric"}),
    )
    medecin_traitant = forms.BooleanField(label=_("C'est mon médecin traitant"), required=False)


_EMERGENCY_CHOICES = [(EmergencyChoice.PERMIT.value, _("Oui")), (EmergencyChoice.DENY.value, _("Non"))]


class EmergencySettingsForm(forms.Form):
    """R-EM-4: the three emergency consents, with the texts of the SPEC."""

    etreat = forms.ChoiceField(
        label=_("J'autorise les professionnels de santé du SAMU à accéder à ces rubriques en cas d'urgence."),
        choices=_EMERGENCY_CHOICES,
        widget=forms.RadioSelect,
    )
    btg = forms.ChoiceField(
        label=_(
            "J'autorise les autres professionnels de santé à accéder à mon dossier en cas d'urgence "
            "(bris de glace)."
        ),
        choices=_EMERGENCY_CHOICES,
        widget=forms.RadioSelect,
    )
    masked = forms.ChoiceField(
        label=_("J'autorise les professionnels de santé à consulter mes documents masqués en cas d'urgence."),
        choices=_EMERGENCY_CHOICES,
        widget=forms.RadioSelect,
    )


class ConsentForm(forms.Form):
    """R-AC-11/12/16: how the professional collected the patient's consent."""

    kind = forms.ChoiceField(
        label=_("Consentement du patient"),
        choices=[
            (
                RelationKind.CARE_TEAM.value,
                _("Je fais partie de l'équipe de soins du patient, qui y a consenti"),
            ),
            (RelationKind.EXPLICIT.value, _("Le patient m'a donné son consentement explicite (oral)")),
            (RelationKind.TEMPORARY.value, _("Le patient m'a communiqué un code d'accès temporaire")),
        ],
        widget=forms.RadioSelect,
    )
    access_code = forms.CharField(
        label=_("Code d'accès temporaire"),
        help_text=_("Seulement pour un accès temporaire : les 8 caractères donnés par le patient."),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == RelationKind.TEMPORARY and not (cleaned.get("access_code") or "").strip():
            self.add_error("access_code", _("Saisissez le code d'accès donné par le patient."))
        return cleaned


class BreakGlassForm(forms.Form):
    """R-EM-6: a written reason is required."""

    reason = forms.CharField(
        label=_("Motif de l'accès en urgence (obligatoire)"),
        help_text=_("Décrivez la situation d'urgence : ce motif est enregistré et visible par le patient."),
        max_length=500,
        widget=forms.Textarea(attrs={"class": "fr-input", "rows": 4}),
    )
    mode = forms.ChoiceField(
        label=_("Cadre de l'accès"),
        choices=[
            (EmergencyMode.BTG.value, _("Bris de glace (patient hors d'état d'exprimer sa volonté)")),
            (EmergencyMode.SAMU.value, _("Régulation médicale du SAMU (centre 15)")),
        ],
        initial=EmergencyMode.BTG.value,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, regulator: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not regulator:
            self.fields["mode"].choices = [(EmergencyMode.BTG.value, _("Bris de glace"))]  # type: ignore[attr-defined]
            self.fields["mode"].widget = forms.HiddenInput()
            self.fields["mode"].required = False

    def clean_reason(self) -> str:
        reason = (self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise ValidationError(_("Indiquez par écrit la raison de l'accès en urgence."), code="required")
        return reason


def _show_error(form: forms.Form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


# --------------------------------------------------------------------------------------------------
# Patient side


def _sharing_acting(request: HttpRequest) -> ActingContext:
    """The acting context if the policy lets it manage sharing on the subject's record, else 404."""
    acting = acting_context(request)
    if acting is None:
        raise Http404
    scope = gateway.access_scope(actor=acting.actor, patient_id=acting.subject.pk)
    if scope.holder is None or not gateway.decide(scope, None, Action.MANAGE_SHARING):
        raise Http404
    return acting


def _professional_or_404(public_id: uuid.UUID) -> Professional:
    professional = Professional.objects.filter(public_id=public_id).first()
    if professional is None:
        raise Http404
    return professional


def _sharing_page(
    request: HttpRequest,
    acting: ActingContext,
    *,
    declare_form: DeclareForm | None = None,
    emergency_form: EmergencySettingsForm | None = None,
    temporary_code: str = "",
    temporary_code_expires: datetime | None = None,
    status: int = 200,
) -> HttpResponse:
    overview = sharing_overview(acting.subject.pk)
    context = {
        "acting": acting,
        "overview": overview,
        "declare_form": declare_form or DeclareForm(),
        "emergency_form": emergency_form or EmergencySettingsForm(initial=overview.emergency),
        "temporary_code": temporary_code,
        "temporary_code_expires": temporary_code_expires,
        "temporary_code_minutes": services.temporary_code_minutes(),
        "temporary_access_hours": services.temporary_access_hours(),
    }
    return render(request, "access/sharing.html", context, status=status)


@patient_required
def sharing(request: HttpRequest) -> HttpResponse:
    acting = _sharing_acting(request)
    return _sharing_page(request, acting)


@patient_required
@require_POST
def professional_declare(request: HttpRequest) -> HttpResponse:
    acting = _sharing_acting(request)
    form = DeclareForm(request.POST)
    if form.is_valid():
        professional = professional_by_rpps(form.cleaned_data["rpps"])
        if professional is None or not professional.active:
            form.add_error("rpps", _("Aucun professionnel en exercice n'a ce numéro RPPS."))
        else:
            try:
                services.professional_declare(
                    actor=acting.actor,
                    patient_id=acting.subject.pk,
                    professional=professional,
                    medecin_traitant=form.cleaned_data["medecin_traitant"],
                )
            except NotFoundOrForbidden:
                raise Http404 from None
            except DomainError as error:
                _show_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(name)s est déclaré parmi vos professionnels de santé.")
                    % {"name": professional.display_name},
                )
                return redirect("access:sharing")
    return _sharing_page(request, acting, declare_form=form)


def _role_or_block(request: HttpRequest, acting: ActingContext, call: Any, done: Any) -> HttpResponse:
    try:
        call()
    except NotFoundOrForbidden:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, done)
    return redirect("access:sharing")


@patient_required
@require_POST
def professional_block(request: HttpRequest, professional_id: uuid.UUID) -> HttpResponse:
    """R-BLK-1/2: the effect text is shown next to the button (R-BLK-2)."""
    acting = _sharing_acting(request)
    professional = _professional_or_404(professional_id)
    return _role_or_block(
        request,
        acting,
        lambda: services.professional_block(
            actor=acting.actor, patient_id=acting.subject.pk, professional=professional
        ),
        _("%(name)s est bloqué : il ne peut plus accéder à vos documents.")
        % {"name": professional.display_name},
    )


@patient_required
@require_POST
def professional_unblock(request: HttpRequest, professional_id: uuid.UUID) -> HttpResponse:
    acting = _sharing_acting(request)
    professional = _professional_or_404(professional_id)
    return _role_or_block(
        request,
        acting,
        lambda: services.professional_unblock(
            actor=acting.actor, patient_id=acting.subject.pk, professional=professional
        ),
        _("%(name)s est débloqué.") % {"name": professional.display_name},
    )


_ROLES = {"medecin-traitant": "medecin_traitant", "administrateur": "administrator"}


@patient_required
@require_POST
def professional_role(request: HttpRequest, professional_id: uuid.UUID, role: str) -> HttpResponse:
    """R-AC-15 (médecin traitant), R-MASK-2 (administrateur): ``enabled=1`` gives, ``enabled=0`` withdraws."""
    acting = _sharing_acting(request)
    professional = _professional_or_404(professional_id)
    if role not in _ROLES:
        raise Http404
    enabled = request.POST.get("enabled") == "1"
    return _role_or_block(
        request,
        acting,
        lambda: services.professional_role_set(
            actor=acting.actor,
            patient_id=acting.subject.pk,
            professional=professional,
            role=_ROLES[role],  # type: ignore[arg-type]
            enabled=enabled,
        ),
        _("Les rôles %(of_name)s sont mis à jour.") % {"of_name": of_name(professional.display_name)},
    )


@patient_required
@require_POST
def consent_end(request: HttpRequest, relation_id: uuid.UUID) -> HttpResponse:
    """R-BLK-1: the patient withdraws one authorisation."""
    acting = _sharing_acting(request)
    return _role_or_block(
        request,
        acting,
        lambda: services.care_relation_end(
            actor=acting.actor, patient_id=acting.subject.pk, relation_public_id=str(relation_id)
        ),
        _("L'autorisation est retirée."),
    )


@patient_required
@require_POST
def emergency_settings(request: HttpRequest) -> HttpResponse:
    """R-EM-4: the three emergency settings."""
    acting = _sharing_acting(request)
    form = EmergencySettingsForm(request.POST)
    if form.is_valid():
        try:
            services.emergency_settings_update(
                actor=acting.actor,
                patient_id=acting.subject.pk,
                etreat=form.cleaned_data["etreat"],
                btg=form.cleaned_data["btg"],
                masked=form.cleaned_data["masked"],
            )
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Vos choix pour les situations d'urgence sont enregistrés."))
            return redirect("access:sharing")
    return _sharing_page(request, acting, emergency_form=form)


@patient_required
@require_POST
def temporary_code(request: HttpRequest) -> HttpResponse:
    """R-AC-16: a one-time code shown once on this response (never in a URL, never stored in clear)."""
    acting = _sharing_acting(request)
    try:
        code, row = services.temporary_access_code_create(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    return _sharing_page(request, acting, temporary_code=code, temporary_code_expires=row.expires_at)


# --------------------------------------------------------------------------------------------------
# Professional side


@dataclass(frozen=True)
class ProPatient:
    """A professional on one patient's record: who, whose, and his open emergency session (if any)."""

    actor: Actor
    professional: Professional
    patient: Person
    session: BreakGlassSession | None

    @property
    def mode(self) -> str:
        return self.session.mode if self.session is not None else "NORMAL"


def pro_patient(request: HttpRequest, patient_id: uuid.UUID) -> ProPatient:
    """The patient whose record the logged-in professional works on, or 404 when the policy does not let
    him act on it at all (unknown person, opposed/closed/suspended space...: the same 404)."""
    professional: Professional | None = getattr(request.user, "professional", None)
    if professional is None:
        raise Http404
    person = Person.objects.filter(public_id=patient_id).first()
    if person is None:
        raise Http404
    actor = actor_for_user(request.user)  # type: ignore[arg-type]
    scope = gateway.access_scope(actor=actor, patient_id=person.pk)
    if scope.holder is None or not gateway.decide(scope, None, Action.RECORD_CONSENT):
        raise Http404
    return ProPatient(
        actor=actor,
        professional=professional,
        patient=person,
        session=emergency_session_open(professional, person.pk),
    )


def pro_context(pro: ProPatient, **extra: Any) -> dict[str, Any]:
    """What every professional page of one patient needs (the R-EM-6 banner included)."""
    return {"pro": pro, "patient": pro.patient, "emergency": pro.session, **extra}


@professional_required
@require_http_methods(["GET", "POST"])
def consent_record(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """R-AC-11/12/14/16: the professional records the consent he collected."""
    pro = pro_patient(request, patient_id)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.care_relation_record(
                actor=pro.actor,
                patient_id=pro.patient.pk,
                kind=form.cleaned_data["kind"],
                access_code=form.cleaned_data.get("access_code") or "",
            )
        except DomainError as error:
            if isinstance(error, NotFoundOrForbidden) and error.field is None:
                raise Http404 from None
            _show_error(form, error)
        else:
            messages.success(request, _("Le consentement du patient est enregistré."))
            return redirect("records:pro_record", patient_id=pro.patient.public_id)
    return render(
        request,
        "access/pro_consent.html",
        pro_context(pro, form=form, consents=consents_of(pro.professional, pro.patient.pk)),
    )


@professional_required
@require_http_methods(["GET", "POST"])
def break_the_glass(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """R-EM-1/2/6: explain the emergency access, require a written reason, then open the session."""
    pro = pro_patient(request, patient_id)
    regulator = is_samu_regulator(pro.professional)
    form = BreakGlassForm(request.POST or None, regulator=regulator)
    if request.method == "POST" and form.is_valid():
        try:
            services.break_the_glass_start(
                actor=pro.actor,
                patient_id=pro.patient.pk,
                reason=form.cleaned_data["reason"],
                mode=form.cleaned_data.get("mode") or EmergencyMode.BTG.value,
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            return redirect("records:pro_record", patient_id=pro.patient.public_id)
    return render(
        request,
        "access/pro_break_the_glass.html",
        pro_context(pro, form=form, regulator=regulator),
        status=200,
    )


@professional_required
@require_POST
def break_the_glass_end(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The professional ends his emergency access (the banner goes away)."""
    pro = pro_patient(request, patient_id)
    if pro.session is None:
        raise Http404
    try:
        services.break_the_glass_end(
            actor=pro.actor, patient_id=pro.patient.pk, session_public_id=str(pro.session.public_id)
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    messages.success(request, _("L'accès en urgence est terminé."))
    return redirect("records:pro_record", patient_id=pro.patient.public_id)
