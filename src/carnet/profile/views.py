"""Pages of the medical profile (SPEC §4): thin views over ``profile.selectors`` (reads, scoped and traced
by the policy) and ``profile.services`` (writes). Missing and forbidden answer the same 404; a refused
form shows the service's message next to the field it names.

Holder's side under ``/espace/profil/`` (whose profile: ``spaces.acting.acting_context``, so a legal
representative or a caregiver acts for the person he chose). Professionals: ``/pro/patients/<id>/entourage/``
("Entourage et volontés" and advance directives as R-PML-1 and the policy allow).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carnet.access.facts import ProfileSection
from carnet.access.views import pro_context, pro_patient
from carnet.common import clock, dates
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.permissions import patient_required, professional_required
from carnet.records.forms import read_upload
from carnet.spaces.acting import ActingContext, acting_context

from . import selectors, services
from .forms import (
    BloodGroupForm,
    DirectivesForm,
    DirectivesUploadForm,
    ItemForm,
    LifestyleForm,
    TrustedPersonForm,
    apply_domain_error,
    section_fields,
)
from .models import DirectivesSource, LifestyleSection, NotConcernedSection, Treatment

# URL slugs of the list sections (French, readable; never an id of the patient).
SLUGS: dict[str, ProfileSection] = {
    "traitements": ProfileSection.TREATMENTS,
    "allergies": ProfileSection.ALLERGIES,
    "maladies": ProfileSection.DISEASES,
    "hospitalisations": ProfileSection.HOSPITALIZATIONS,
    "antecedents-familiaux": ProfileSection.FAMILY_HISTORIES,
    "handicaps": ProfileSection.DISABILITIES,
    "contacts-urgence": ProfileSection.ENTOURAGE,
}
SLUG_OF = {section: slug for slug, section in SLUGS.items()}

TITLES: dict[ProfileSection, Any] = {
    ProfileSection.TREATMENTS: _("Traitements"),
    ProfileSection.ALLERGIES: _("Allergies"),
    ProfileSection.DISEASES: _("Maladies et sujets de santé"),
    ProfileSection.HOSPITALIZATIONS: _("Hospitalisations et actes chirurgicaux"),
    ProfileSection.FAMILY_HISTORIES: _("Antécédents familiaux"),
    ProfileSection.LIFESTYLE: _("Habitudes de vie"),
    ProfileSection.DISABILITIES: _("Handicaps"),
    ProfileSection.BLOOD_GROUP: _("Groupe sanguin"),
    ProfileSection.ENTOURAGE: _("Entourage et volontés"),
    ProfileSection.ADVANCE_DIRECTIVES: _("Directives anticipées"),
}
ITEM_TITLES: dict[ProfileSection, Any] = {
    ProfileSection.TREATMENTS: _("Ajouter un traitement"),
    ProfileSection.ALLERGIES: _("Ajouter une allergie"),
    ProfileSection.DISEASES: _("Ajouter une maladie ou un sujet de santé"),
    ProfileSection.HOSPITALIZATIONS: _("Ajouter une hospitalisation ou un acte chirurgical"),
    ProfileSection.FAMILY_HISTORIES: _("Ajouter un antécédent familial"),
    ProfileSection.DISABILITIES: _("Ajouter un handicap"),
    ProfileSection.ENTOURAGE: _("Ajouter une personne à prévenir en cas d'urgence"),
}


def _acting(request: HttpRequest) -> ActingContext:
    acting = acting_context(request)
    if acting is None:
        raise Http404
    return acting


def _section(slug: str) -> ProfileSection:
    section = SLUGS.get(slug)
    if section is None:
        raise Http404
    return section


def _is_minor(acting: ActingContext) -> bool:
    from django.conf import settings

    return clock.age_on(acting.subject.birth_date, clock.today()) < settings.CARNET_MAJORITY_AGE


# --------------------------------------------------------------------------------------------------
# Display helpers (never decide anything)


def describe(section: ProfileSection, row: Any) -> list[tuple[Any, str]]:
    """(label, value) lines of an item for the lists (empty values left out)."""
    lines: list[tuple[Any, str]] = []

    def add(label: Any, value: Any) -> None:
        if value not in (None, "", []):
            lines.append((label, str(value)))

    if section in (ProfileSection.TREATMENTS, ProfileSection.DISEASES):
        add(_("Début"), row.start)
        add(_("Fin"), row.end)
    if section == ProfileSection.TREATMENTS:
        add(_("Posologie"), row.posology)
    if section == ProfileSection.HOSPITALIZATIONS:
        add(_("Date"), row.start)
        if row.duration:
            add(_("Durée"), f"{row.duration} {row.get_duration_unit_display()}")
    if section == ProfileSection.FAMILY_HISTORIES:
        add(_("Lien de parenté"), row.get_relationship_display())
    if section == ProfileSection.DISABILITIES:
        add(_("Taux d'incapacité"), row.get_rate_display())
        add(_("Aides techniques"), row.technical_help)
        add(_("Aides humaines"), row.human_help)
    if section == ProfileSection.ENTOURAGE:
        add(_("Lien"), row.get_relationship_display())
        add(_("Téléphone"), row.phone)
        add(_("Adresse e-mail"), row.email)
    add(_("Commentaire"), getattr(row, "comment", ""))
    return lines


def item_title(section: ProfileSection, row: Any) -> str:
    if section == ProfileSection.DISABILITIES:
        return str(row.get_kind_display())
    return str(row.name)


def _form(
    request: HttpRequest,
    acting: ActingContext,
    section: ProfileSection,
    *,
    initial: dict[str, Any] | None = None,
) -> ItemForm:
    documents: list[tuple[str, str]] = []
    treatments: list[tuple[str, str]] = []
    fields = section_fields(section)
    if "linked_documents" in fields:
        documents = [
            (str(d.public_id), f"{d.title} ({dates.format_day(d.service_start or d.deposited_at)})")
            for d in selectors.linkable_documents(actor=acting.actor, patient_id=acting.subject.pk)
        ]
    if "linked_treatments" in fields:
        treatments = sorted(  # names are sealed (ADR 0008): sorted after opening
            ((str(t.public_id), t.name) for t in Treatment.objects.filter(patient_id=acting.subject.pk)),
            key=lambda choice: choice[1].casefold(),
        )
    data = request.POST if request.method == "POST" else None
    return ItemForm(data, fields=fields, documents=documents, treatments=treatments, initial=initial)


def _initial(row: Any, form_fields: dict[str, Any]) -> dict[str, Any]:
    initial = {
        name: getattr(row, name)
        for name in form_fields
        if hasattr(row, name) and not name.startswith("linked")
    }
    if "linked_documents" in form_fields:
        initial["linked_documents"] = list(row.linked_documents or [])
    if "linked_treatments" in form_fields:
        initial["linked_treatments"] = [str(t.public_id) for t in row.linked_treatments.all()]
    return initial


# --------------------------------------------------------------------------------------------------
# Holder's side


@patient_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    try:
        summaries = selectors.profile_overview_for_actor(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    cards = []
    for summary in summaries:
        section = summary.section
        if section in SLUG_OF and section != ProfileSection.ENTOURAGE:
            url = f"/espace/profil/{SLUG_OF[section]}/"
        elif section == ProfileSection.LIFESTYLE:
            url = "/espace/profil/habitudes-de-vie/"
        elif section == ProfileSection.BLOOD_GROUP:
            url = "/espace/profil/groupe-sanguin/"
        elif section == ProfileSection.ENTOURAGE:
            url = "/espace/profil/entourage/"
        else:
            url = "/espace/profil/directives-anticipees/"
        cards.append({"summary": summary, "title": TITLES[section], "url": url})
    return render(
        request, "profile/overview.html", {"acting": acting, "cards": cards, "minor": _is_minor(acting)}
    )


@patient_required
@require_http_methods(["GET", "POST"])
def section_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A list section: its items, the "not concerned" flag (R-PML-2) and the add form."""
    acting = _acting(request)
    section = _section(slug)
    form = _form(request, acting, section)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_item_create(
                actor=acting.actor,
                patient_id=acting.subject.pk,
                section=section,
                data=form.data_for_service(),
            )
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("L'élément est ajouté."))
            return redirect("profile:section", slug=slug)
    try:
        view = selectors.section_for_actor(actor=acting.actor, patient_id=acting.subject.pk, section=section)
    except NotFoundOrForbidden:
        raise Http404 from None
    items = [
        {"item": item, "title": item_title(section, item.row), "lines": describe(section, item.row)}
        for item in view.items
    ]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "profile/section.html",
        {
            "acting": acting,
            "slug": slug,
            "title": TITLES[section],
            "add_title": ITEM_TITLES[section],
            "items": items,
            "view": view,
            "form": form,
            "can_flag": section in NotConcernedSection.values,
        },
        status=status,
    )


@patient_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, slug: str, item_id: str) -> HttpResponse:
    acting = _acting(request)
    section = _section(slug)
    try:
        item = selectors.item_for_actor(
            actor=acting.actor, patient_id=acting.subject.pk, section=section, item_public_id=item_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    form = _form(request, acting, section, initial=_initial(item.row, section_fields(section)))
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_item_update(
                actor=acting.actor,
                patient_id=acting.subject.pk,
                section=section,
                item_public_id=item_id,
                data=form.data_for_service(),
            )
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Vos modifications sont enregistrées."))
            return redirect("profile:section", slug=slug)
    return render(
        request,
        "profile/item_edit.html",
        {
            "acting": acting,
            "slug": slug,
            "title": TITLES[section],
            "item": item,
            "form": form,
            "item_title": item_title(section, item.row),
        },
        status=400 if request.method == "POST" else 200,
    )


@patient_required
@require_POST
def item_delete(request: HttpRequest, slug: str, item_id: str) -> HttpResponse:
    acting = _acting(request)
    section = _section(slug)
    try:
        services.profile_item_delete(
            actor=acting.actor, patient_id=acting.subject.pk, section=section, item_public_id=item_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    messages.success(request, _("L'élément est supprimé."))
    return redirect("profile:section", slug=slug)


@patient_required
@require_POST
def not_concerned(request: HttpRequest, slug: str) -> HttpResponse:
    """R-PML-2: "je ne suis pas concerné" (value=1) or undo it (value=0)."""
    acting = _acting(request)
    section = _section(slug)
    value = request.POST.get("value") == "1"
    try:
        services.not_concerned_set(
            actor=acting.actor, patient_id=acting.subject.pk, section=section, value=value
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Votre réponse est enregistrée."))
    return redirect("profile:section", slug=slug)


@patient_required
@require_http_methods(["GET", "POST"])
def blood_group(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    try:
        current = selectors.blood_group_for_actor(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    form = BloodGroupForm(request.POST or None, initial={"group": current.group if current else None})
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("clear"):
                services.blood_group_clear(actor=acting.actor, patient_id=acting.subject.pk)
            else:
                services.blood_group_set(
                    actor=acting.actor, patient_id=acting.subject.pk, group=form.cleaned_data["group"]
                )
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Votre réponse est enregistrée."))
            return redirect("profile:blood_group")
    return render(
        request,
        "profile/blood_group.html",
        {"acting": acting, "form": form, "current": current},
        status=400 if request.method == "POST" else 200,
    )


@patient_required
@require_http_methods(["GET", "POST"])
def lifestyle(request: HttpRequest) -> HttpResponse:
    """Habits, one form per section; sections below their minimum age are shown disabled with the reason."""
    acting = _acting(request)
    try:
        current = selectors.lifestyle_for_actor(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    age = clock.age_on(acting.subject.birth_date, clock.today())
    posted = request.POST.get("section") if request.method == "POST" else None
    if posted is not None and posted not in LifestyleSection.values:
        raise Http404
    blocks = []
    failed = False
    for value, label in LifestyleSection.choices:
        row = current.get(value)
        form = LifestyleForm(
            request.POST if posted == value else None,
            section=value,
            choices=services.LIFESTYLE_CHOICES[value],
            label=label,
            initial={"choice": row.choice if row else None, "comment": row.comment if row else ""},
        )
        if posted == value and form.is_valid():
            try:
                if request.POST.get("clear"):
                    services.lifestyle_clear(actor=acting.actor, patient_id=acting.subject.pk, section=value)
                else:
                    services.lifestyle_set(
                        actor=acting.actor,
                        patient_id=acting.subject.pk,
                        section=value,
                        choice=form.cleaned_data["choice"],
                        comment=form.cleaned_data["comment"],
                    )
            except NotFoundOrForbidden:
                raise Http404 from None
            except DomainError as error:
                apply_domain_error(form, error)
                failed = True
            else:
                messages.success(request, _("Votre réponse est enregistrée."))
                return redirect("profile:lifestyle")
        minimum = services.lifestyle_min_age(value)
        blocks.append(
            {
                "section": value,
                "label": label,
                "form": form,
                "row": row,
                "too_young": age < minimum,
                "min_age": minimum,
            }
        )
    return render(
        request, "profile/lifestyle.html", {"acting": acting, "blocks": blocks}, status=400 if failed else 200
    )


@patient_required
@require_http_methods(["GET", "POST"])
def entourage(request: HttpRequest) -> HttpResponse:
    """Entourage et volontés: emergency contacts, the trusted person (single), caregivers and helped
    persons (read-only, from the delegations), the organ-donation acknowledgement."""
    acting = _acting(request)
    try:
        data = selectors.entourage_for_actor(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    trusted = data.trusted_person
    initial = (
        {
            name: getattr(trusted, name)
            for name in ("name", "relationship", "phone", "email", "comment", "designated_on")
        }
        if trusted
        else None
    )
    form = TrustedPersonForm(request.POST or None, initial=initial)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "trusted" and form.is_valid():
                services.trusted_person_set(
                    actor=acting.actor, patient_id=acting.subject.pk, data=form.cleaned_data
                )
            elif action == "trusted_delete":
                services.trusted_person_delete(actor=acting.actor, patient_id=acting.subject.pk)
            elif action == "organ":
                services.organ_donation_acknowledge(actor=acting.actor, patient_id=acting.subject.pk)
            elif action == "organ_withdraw":
                services.organ_donation_withdraw(actor=acting.actor, patient_id=acting.subject.pk)
            elif action != "trusted":
                raise Http404
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as error:
            if action == "trusted":
                apply_domain_error(form, error)
            else:
                messages.error(request, str(error.message))
        else:
            if action != "trusted" or form.is_valid():
                messages.success(request, _("Votre réponse est enregistrée."))
                return redirect("profile:entourage")
    contacts = [
        {"row": c, "title": c.name, "lines": describe(ProfileSection.ENTOURAGE, c)}
        for c in data.emergency_contacts
    ]
    return render(
        request,
        "profile/entourage.html",
        {
            "acting": acting,
            "data": data,
            "contacts": contacts,
            "form": form,
            "minor": _is_minor(acting),
            "caregiver": acting.kind == "CAREGIVER",
        },
        status=400 if request.method == "POST" else 200,
    )


@patient_required
@require_http_methods(["GET", "POST"])
def advance_directives(request: HttpRequest) -> HttpResponse:
    """Directives anticipées: the current document, the two guided forms, the upload, the withdrawal.
    Disabled for minors with the reason (R-MIN-3); caregivers read only ([I] CSP L1111-11)."""
    acting = _acting(request)
    try:
        current, document = selectors.advance_directives_for_actor(
            actor=acting.actor, patient_id=acting.subject.pk
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    minor = _is_minor(acting)
    form_kind = request.POST.get("form_kind") or request.GET.get("formulaire") or ""
    if form_kind not in (DirectivesSource.FORM_HEALTHY, DirectivesSource.FORM_END_OF_LIFE):
        form_kind = ""
    action = request.POST.get("action", "") if request.method == "POST" else ""
    guided = (
        DirectivesForm(request.POST if action == "write" else None, form_kind=form_kind)
        if form_kind
        else None
    )
    upload = DirectivesUploadForm(
        request.POST if action == "upload" else None, request.FILES if action == "upload" else None
    )
    if request.method == "POST" and not minor:
        try:
            if action == "write" and guided is not None and guided.is_valid():
                services.advance_directives_write(
                    actor=acting.actor,
                    patient_id=acting.subject.pk,
                    form_kind=form_kind,
                    answers=guided.cleaned_data,
                )
            elif action == "upload" and upload.is_valid():
                file = upload.cleaned_data.get("file")
                services.advance_directives_upload(
                    actor=acting.actor,
                    patient_id=acting.subject.pk,
                    content=read_upload(file) if file else b"",
                    filename=(file.name or "") if file else "",
                    declared_media_type=(file.content_type or "") if file else "",
                )
            elif action == "delete":
                services.advance_directives_delete(actor=acting.actor, patient_id=acting.subject.pk)
            else:
                raise Http404
        except NotFoundOrForbidden:
            raise Http404 from None
        except DomainError as error:
            apply_domain_error(guided if action == "write" and guided is not None else upload, error)
        else:
            messages.success(
                request,
                _("Vos directives anticipées sont enregistrées.")
                if action != "delete"
                else _("Vos directives anticipées sont supprimées."),
            )
            return redirect("profile:directives")
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "profile/directives.html",
        {
            "acting": acting,
            "current": current,
            "document": document,
            "minor": minor,
            "caregiver": acting.kind == "CAREGIVER",
            "form_kind": form_kind,
            "guided": guided,
            "upload": upload,
            "forms": services.DIRECTIVES_FORMS,
        },
        status=400 if request.method == "POST" else 200,
    )


# --------------------------------------------------------------------------------------------------
# Professionals


@professional_required
@require_GET
def pro_entourage(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """R-PML-1: "Entourage et volontés" and the advance directives, as the policy allows (traced)."""
    pro = pro_patient(request, patient_id)
    try:
        data = selectors.entourage_for_actor(actor=pro.actor, patient_id=pro.patient.pk, mode=pro.mode)
    except NotFoundOrForbidden:
        raise Http404 from None
    contacts = [
        {"row": c, "title": c.name, "lines": describe(ProfileSection.ENTOURAGE, c)}
        for c in data.emergency_contacts
    ]
    return render(request, "profile/pro_entourage.html", pro_context(pro, data=data, contacts=contacts))
