"""Pages of the shared medical record (SPEC §2): thin views over ``records.selectors`` (reads scoped and
traced by the policy) and ``records.services`` (writes). A missing and a forbidden document answer the
same 404 (``NotFoundOrForbidden``); refusals of a form are shown next to the field they name.

Patient side (``/espace/documents/``; the acting person may be a legal representative or a caregiver,
``spaces.acting``): documents grouped by patient-facing category (SPEC §2.5), preview, download, upload
(R-FMT-2/3), mask / unmask (R-MASK-1), "mask all by default" (R-MASK-3), deletion of one's own uploads
(≤ 10 at once, R-DOC-10). ``INVISIBLE_PATIENT`` documents are left out by the selector (R-MASK-6).

Professional side (``/pro/patients/...``): find a patient by INS (POST, the NIR never in a URL), the
record as the policy allows (in emergency mode while a break-the-glass session is open, with its banner,
R-EM-6), deposit (R-FMT-1, R-DOC-1), replace / update / delete one's own documents (R-VER-1/2).

Contents are served from our own origin (``Content-Disposition: inline`` for PDF, JPEG, PNG and plain
text only; anything else is an attachment) with ``nosniff``, ``no-store`` and a CSP of their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carnet.access.facts import Confidentiality
from carnet.access.policy import DEFAULT_DENY, Decision
from carnet.access.views import ProPatient, consents_of, pro_context, pro_patient
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.middleware import embeds_own_documents
from carnet.common.permissions import patient_required, professional_required
from carnet.identity.codes import profession_label
from carnet.identity.models import Person
from carnet.identity.selectors import person_find_by_ins
from carnet.spaces.acting import ActingContext, acting_context
from carnet.spaces.selectors import space_for_person

from . import codes, formats, selectors, services
from .forms import (
    CATEGORY_LABELS,
    DocumentsDeleteForm,
    MaskAllForm,
    PatientFindForm,
    PatientUploadForm,
    ProfessionalDepositForm,
    ProfessionalMetadataForm,
    ProfessionalReplaceForm,
    apply_domain_error,
    read_upload,
)
from .models import AuthorKind, Document

IMAGE_MEDIA_TYPES = frozenset({formats.JPEG, formats.PNG})
_EXTENSIONS = {
    formats.PDF: "pdf",
    formats.JPEG: "jpg",
    formats.PNG: "png",
    formats.TIFF: "tiff",
    formats.TEXT: "txt",
    formats.RTF: "rtf",
    formats.MSWORD: "doc",
    formats.DOCX: "docx",
    formats.XML: "xml",
}
# The content's own policy: nothing runs, it may only be framed by our pages. ``object-src 'self'`` lets the
# browser's PDF viewer show a PDF. Contents are never HTML (nosniff; only PDF, JPEG, PNG and plain text are
# inline), so no style of ours or of an author can be in them; the one inline style left is the browser's
# own image viewer (Chromium styles an image shown alone with style attributes): allowed for images only.
CONTENT_CSP = (
    "default-src 'none'; img-src 'self' data:; object-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
IMAGE_CONTENT_CSP = CONTENT_CSP + "; style-src 'unsafe-inline'"


# --------------------------------------------------------------------------------------------------
# Display helpers


@dataclass(frozen=True)
class DocumentRow:
    """What the pages show of one document (never decides anything)."""

    document: Document
    author: str
    type_label: str
    masked: bool
    invisible_patient: bool
    invisible_representatives: bool
    deletable_by_patient: bool

    @property
    def public_id(self) -> uuid.UUID:
        return self.document.public_id

    @property
    def date(self) -> Any:
        return self.document.service_start or self.document.deposited_at

    @property
    def preview(self) -> str:
        media_type = self.document.media_type
        if media_type == formats.PDF:
            return "pdf"
        if media_type in IMAGE_MEDIA_TYPES:
            return "image"
        if media_type == formats.TEXT:
            return "text"
        return ""


def _author(document: Document, names: dict[int, str], me_id: int | None) -> str:
    kind = document.author_kind
    if kind == AuthorKind.PROFESSIONAL and document.author_professional is not None:
        pro = document.author_professional
        label = profession_label(pro.profession_code)
        return f"{pro.display_name} ({label})" if label else pro.display_name
    if kind == AuthorKind.ORGANISATION and document.author_organisation is not None:
        return document.author_organisation.name
    if kind == AuthorKind.PATIENT:
        person_id = document.author_person_id
        if person_id is None or person_id == me_id:
            return str(_("Vous"))
        return names.get(person_id, str(_("Usager")))
    if kind == AuthorKind.INSURANCE:
        return str(_("Assurance Maladie"))
    return str(_("Carnet"))


def _rows(documents: list[Document], me_id: int | None = None) -> list[DocumentRow]:
    """Rows for display; the patient-side authors' names in one query."""
    person_ids = {d.author_person_id for d in documents if d.author_person_id is not None}
    names = {p.pk: p.display_name for p in Person.objects.filter(pk__in=person_ids)} if person_ids else {}
    return [_row(d, names, me_id) for d in documents]


def _row(document: Document, names: dict[int, str] | None = None, me_id: int | None = None) -> DocumentRow:
    conf = set(document.confidentiality or [])
    if names is None:
        return _rows([document], me_id)[0]
    return DocumentRow(
        document=document,
        author=_author(document, names, me_id),
        type_label=codes.type_label(document.type_code),
        masked=Confidentiality.MASQUE_PS in conf,
        invisible_patient=Confidentiality.INVISIBLE_PATIENT in conf,
        invisible_representatives=Confidentiality.INVISIBLE_REPRESENTANTS_LEGAUX in conf,
        deletable_by_patient=document.patient_uploaded,
    )


def _history_url(document_id: uuid.UUID) -> str | None:
    """The per-document history page of ``audit`` (R-TR-3), when its routes are installed."""
    try:
        return reverse("audit:history_document", args=[str(document_id)])
    except NoReverseMatch:
        return None


def _grouped(rows: list[DocumentRow]) -> list[tuple[str, str, list[DocumentRow]]]:
    """SPEC §2.5: (category code, label, rows) in the categories' order, empty ones left out."""
    by_category: dict[str, list[DocumentRow]] = {}
    for row in rows:
        by_category.setdefault(row.document.patient_category, []).append(row)
    ordered = [c for c in CATEGORY_LABELS if c in by_category] + sorted(
        c for c in by_category if c not in CATEGORY_LABELS
    )
    return [(c, str(CATEGORY_LABELS.get(c, c)), by_category[c]) for c in ordered]


def _serve(document: Document, content: bytes, *, inline: bool) -> HttpResponse:
    """Inline exactly when the selector traced a preview (``selectors.is_preview``), else a download."""
    media_type = document.media_type or "application/octet-stream"
    as_inline = selectors.is_preview(document, preview=inline)
    response = HttpResponse(content, content_type=media_type)
    filename = f"{slugify(document.title)[:60] or 'document'}.{_EXTENSIONS.get(media_type, 'bin')}"
    response["Content-Disposition"] = content_disposition_header(not as_inline, filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = (
        IMAGE_CONTENT_CSP if media_type in IMAGE_MEDIA_TYPES else CONTENT_CSP
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _unavailable(request: HttpRequest, error: DomainError) -> HttpResponse:
    """A destroyed key (crypto-shredding) or a content failing its hash check (invariant 4)."""
    return render(request, "records/content_unavailable.html", {"message": error.message}, status=410)


# --------------------------------------------------------------------------------------------------
# Patient side


def _acting(request: HttpRequest) -> ActingContext:
    acting = acting_context(request)
    if acting is None:
        raise Http404
    return acting


def _patient_list_context(
    request: HttpRequest,
    acting: ActingContext,
    *,
    delete_form: DocumentsDeleteForm | None = None,
) -> dict[str, Any]:
    try:
        documents = selectors.document_list_for_actor(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    rows = _rows(documents, acting.me.pk)
    space = space_for_person(acting.subject)
    mask_all = bool(space and space.mask_all_by_default)
    return {
        "acting": acting,
        "groups": _grouped(rows),
        "count": len(rows),
        "deletable_count": sum(1 for r in rows if r.deletable_by_patient),
        "delete_form": delete_form or DocumentsDeleteForm(),
        "mask_all_form": MaskAllForm(initial={"enabled": mask_all}),
        "mask_all": mask_all,
        "max_bulk_delete": services.MAX_BULK_DELETE,
    }


@patient_required
@require_GET
def documents(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    return render(request, "records/patient_documents.html", _patient_list_context(request, acting))


@patient_required
@require_GET
@embeds_own_documents  # the preview: <object> (PDF) / <iframe> (text) of our own origin
def document_detail(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    try:
        document = selectors.document_get_for_actor(
            actor=acting.actor, patient_id=acting.subject.pk, document_public_id=document_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    return render(
        request,
        "records/patient_document.html",
        {
            "acting": acting,
            "row": _row(document, me_id=acting.me.pk),
            "history_url": _history_url(document.public_id),
        },
    )


def _patient_content(request: HttpRequest, document_id: uuid.UUID, *, inline: bool) -> HttpResponse:
    acting = _acting(request)
    try:
        document, content = selectors.document_content_for_actor(
            actor=acting.actor, patient_id=acting.subject.pk, document_public_id=document_id, preview=inline
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    except DomainError as error:
        return _unavailable(request, error)
    return _serve(document, content, inline=inline)


@patient_required
@require_GET
@xframe_options_sameorigin
def document_content(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    """The decrypted content for the inline preview (``<object>`` / ``<img>`` of our own pages)."""
    return _patient_content(request, document_id, inline=True)


@patient_required
@require_GET
def document_download(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    return _patient_content(request, document_id, inline=False)


@patient_required
@require_http_methods(["GET", "POST"])
def document_upload(request: HttpRequest) -> HttpResponse:
    """R-FMT-2/3/4: a refused upload writes nothing (invariant 9); the error is next to its field."""
    acting = _acting(request)
    form = PatientUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document = services.document_deposit(
                actor=acting.actor,
                patient_id=acting.subject.pk,
                content=read_upload(upload),
                filename=upload.name or "",
                declared_media_type=upload.content_type or "",
                title=form.cleaned_data["title"],
                category=form.cleaned_data["category"],
                confidentiality=form.confidentiality(),
                service_start=form.cleaned_data.get("service_start"),
            )
        except DomainError as error:
            if isinstance(error, NotFoundOrForbidden) and error.field is None:
                raise Http404 from None
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Votre document est ajouté."))
            return redirect("records:document", document_id=document.public_id)
    return render(request, "records/patient_upload.html", {"acting": acting, "form": form})


def _mask(request: HttpRequest, document_id: uuid.UUID, *, masked: bool) -> HttpResponse:
    acting = _acting(request)
    action = services.document_mask if masked else services.document_unmask
    try:
        action(actor=acting.actor, patient_id=acting.subject.pk, document_public_id=document_id)
    except NotFoundOrForbidden:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _(
                "Ce document est masqué aux professionnels de santé. Il reste visible par la personne qui "
                "l'a déposé et par vous-même."
            )
            if masked
            else _("Ce document n'est plus masqué aux professionnels de santé."),
        )
    return redirect("records:document", document_id=document_id)


@patient_required
@require_POST
def document_mask(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    """R-MASK-1."""
    return _mask(request, document_id, masked=True)


@patient_required
@require_POST
def document_unmask(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    """R-MASK-1."""
    return _mask(request, document_id, masked=False)


@patient_required
@require_POST
def documents_delete(request: HttpRequest) -> HttpResponse:
    """R-DOC-10: the holder's side deletes its own uploads, ≤ 10 at once, all or nothing."""
    acting = _acting(request)
    form = DocumentsDeleteForm(request.POST)
    if form.is_valid():
        try:
            deleted = services.documents_delete_by_patient(
                actor=acting.actor, patient_id=acting.subject.pk, document_ids=form.cleaned_data["documents"]
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            count = len(deleted)
            messages.success(
                request,
                ngettext("%(count)s document supprimé.", "%(count)s documents supprimés.", count)
                % {"count": count},
            )
            return redirect("records:documents")
    context = _patient_list_context(request, acting, delete_form=form)
    return render(request, "records/patient_documents.html", context, status=400)


@patient_required
@require_POST
def documents_mask_all(request: HttpRequest) -> HttpResponse:
    """R-MASK-3: "masquer tous mes documents par défaut" (also masks the existing ones)."""
    acting = _acting(request)
    form = MaskAllForm(request.POST)
    enabled = bool(form.is_valid() and form.cleaned_data["enabled"])
    try:
        masked = services.space_set_mask_all(
            actor=acting.actor, patient_id=acting.subject.pk, enabled=enabled
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    if enabled:
        messages.success(
            request,
            ngettext(
                "Vos nouveaux documents seront masqués aux professionnels. %(count)s document masqué.",
                "Vos nouveaux documents seront masqués aux professionnels. %(count)s documents masqués.",
                masked,
            )
            % {"count": masked},
        )
    else:
        messages.success(request, _("Vos nouveaux documents ne seront plus masqués par défaut."))
    return redirect("records:documents")


# --------------------------------------------------------------------------------------------------
# Professional side


NOT_FOUND_PATIENT = _(
    "Aucun dossier accessible ne correspond à ces informations. Vérifiez le matricule INS et la date "
    "de naissance."
)


@professional_required
@require_http_methods(["GET", "POST"])
def patient_find(request: HttpRequest) -> HttpResponse:
    """Find a patient by INS (matricule + birth date). The same answer whatever did not match."""
    form = PatientFindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = person_find_by_ins(form.cleaned_data["nir"])
        if person is not None and person.birth_date == form.cleaned_data["birth_date"]:
            try:
                pro_patient(request, person.public_id)
            except Http404:
                pass
            else:
                return redirect("records:pro_record", patient_id=person.public_id)
        form.add_error(None, NOT_FOUND_PATIENT)
    return render(request, "records/pro_find.html", {"form": form})


@dataclass(frozen=True)
class RecordAccess:
    """How the record page explains what this professional sees (display only: the policy decided)."""

    kind: str  # "emergency" | "consent" | "designated" | "own_documents"
    text: str


# Why the policy refuses the rest of the record (``gateway.record_decision``), in the page's words.
_OWN_DOCUMENTS_ONLY = {
    "R-BLK-2": _(
        "Le patient a bloqué votre accès à son dossier : vous ne voyez que les documents que vous avez déposés."
    ),
    "R-AC-16": _(
        "L'accès temporaire que le patient vous avait donné a expiré : vous ne voyez que les documents que vous "
        "avez déposés."
    ),
    "R-AC-2": _(
        "Médecin du travail, vous n'accédez à ce dossier qu'avec le consentement exprès du patient : vous ne "
        "voyez que les documents que vous avez déposés."
    ),
    "R-AC-12": _("Aucun consentement enregistré : vous ne voyez que les documents que vous avez déposés."),
}


def record_access(pro: ProPatient, access: Decision) -> RecordAccess:
    """R-EM-6 (the emergency access is shown during the whole access), R-AC-12/14/15, R-BLK-2."""
    if access and pro.session is not None:
        return RecordAccess(
            "emergency",
            str(
                _(
                    "Accès en urgence : vous voyez les documents que le patient autorise en cas d'urgence, en "
                    "plus de ceux que vous avez déposés."
                )
            ),
        )
    if access and access.rule == "R-AC-15":
        return RecordAccess(
            "designated",
            str(
                _(
                    "Le patient vous a désigné comme médecin traitant ou administrateur : vous accédez à son "
                    "dossier sans autre consentement."
                )
            ),
        )
    if access:
        return RecordAccess(
            "consent",
            str(
                _(
                    "Le patient a consenti à votre accès : vous voyez les documents que votre profession peut "
                    "consulter, sauf ceux qu'il a masqués."
                )
            ),
        )
    text = _OWN_DOCUMENTS_ONLY.get(access.rule, _("Vous ne voyez que les documents que vous avez déposés."))
    return RecordAccess("own_documents", str(text))


def _pro_listing(pro: ProPatient) -> selectors.DocumentListing:
    try:
        return selectors.document_listing_for_actor(actor=pro.actor, patient_id=pro.patient.pk, mode=pro.mode)
    except NotFoundOrForbidden:
        return selectors.DocumentListing(documents=[], access=Decision(False, DEFAULT_DENY, "no entry"))


@professional_required
@require_GET
def pro_record(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The patient's record as the policy lets this professional see it (normal or emergency mode), with
    the text that says why he sees what he sees (consent, designation, emergency access, or only his own
    documents and why)."""
    pro = pro_patient(request, patient_id)
    listing = _pro_listing(pro)
    context = pro_context(
        pro,
        rows=_rows(listing.documents),
        consents=consents_of(pro.professional, pro.patient.pk),
        access=record_access(pro, listing.access),
        own_id=pro.professional.pk,
    )
    return render(request, "records/pro_record.html", context)


def _pro_document(pro: ProPatient, document_id: uuid.UUID) -> Document:
    try:
        return selectors.document_get_for_actor(
            actor=pro.actor, patient_id=pro.patient.pk, document_public_id=document_id, mode=pro.mode
        )
    except NotFoundOrForbidden:
        raise Http404 from None


def _is_own(pro: ProPatient, document: Document) -> bool:
    """Only to offer the author's buttons; the services decide (R-VER-2)."""
    return document.author_professional_id == pro.professional.pk


@professional_required
@require_GET
@embeds_own_documents  # the preview: <object> (PDF) / <iframe> (text) of our own origin
def pro_document(request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    pro = pro_patient(request, patient_id)
    document = _pro_document(pro, document_id)
    own = _is_own(pro, document)
    context = pro_context(
        pro,
        row=_row(document),
        own=own,
        metadata_form=ProfessionalMetadataForm(
            initial={
                "title": document.title,
                "confidentiality": [c for c in document.confidentiality if c != Confidentiality.NORMAL],
            }
        )
        if own
        else None,
    )
    return render(request, "records/pro_document.html", context)


def _pro_content(
    request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID, *, inline: bool
) -> HttpResponse:
    pro = pro_patient(request, patient_id)
    try:
        document, content = selectors.document_content_for_actor(
            actor=pro.actor,
            patient_id=pro.patient.pk,
            document_public_id=document_id,
            mode=pro.mode,
            preview=inline,
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    except DomainError as error:
        return _unavailable(request, error)
    return _serve(document, content, inline=inline)


@professional_required
@require_GET
@xframe_options_sameorigin
def pro_document_content(request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    return _pro_content(request, patient_id, document_id, inline=True)


@professional_required
@require_GET
def pro_document_download(
    request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID
) -> HttpResponse:
    return _pro_content(request, patient_id, document_id, inline=False)


def _domain_error_or_404(form: Any, error: DomainError) -> None:
    if isinstance(error, NotFoundOrForbidden) and error.field in (None, "document"):
        raise Http404 from None
    apply_domain_error(form, error)


@professional_required
@require_http_methods(["GET", "POST"])
def pro_deposit(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """R-FMT-1, R-DOC-1, R-DEP-5: deposit a PDF or a CDA R2 document (allowed without consent)."""
    pro = pro_patient(request, patient_id)
    form = ProfessionalDepositForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.document_deposit(
                actor=pro.actor,
                patient_id=pro.patient.pk,
                content=read_upload(upload),
                filename=upload.name or "",
                declared_media_type=upload.content_type or "",
                **form.metadata(),
            )
        except DomainError as error:
            _domain_error_or_404(form, error)
        else:
            messages.success(request, _("Le document est déposé dans le dossier du patient."))
            return redirect("records:pro_record", patient_id=pro.patient.public_id)
    return render(request, "records/pro_deposit.html", pro_context(pro, form=form))


@professional_required
@require_http_methods(["GET", "POST"])
def pro_replace(request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    """R-VER-1: a new version of the author's own document (the old one becomes Deprecated)."""
    pro = pro_patient(request, patient_id)
    document = _pro_document(pro, document_id)
    form = ProfessionalReplaceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        extra = {"title": form.cleaned_data["title"]} if form.cleaned_data.get("title") else {}
        try:
            new = services.document_replace(
                actor=pro.actor,
                patient_id=pro.patient.pk,
                document_public_id=document.public_id,
                content=read_upload(upload),
                filename=upload.name or "",
                declared_media_type=upload.content_type or "",
                **extra,
            )
        except DomainError as error:
            _domain_error_or_404(form, error)
        else:
            messages.success(request, _("La nouvelle version du document est déposée."))
            return redirect(
                "records:pro_document", patient_id=pro.patient.public_id, document_id=new.public_id
            )
    return render(request, "records/pro_replace.html", pro_context(pro, form=form, row=_row(document)))


@professional_required
@require_POST
def pro_update(request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    """R-VER-1, R-MASK-6: the author updates the title and the confidentiality."""
    pro = pro_patient(request, patient_id)
    document = _pro_document(pro, document_id)
    form = ProfessionalMetadataForm(request.POST)
    if form.is_valid():
        try:
            services.document_update_metadata(
                actor=pro.actor,
                patient_id=pro.patient.pk,
                document_public_id=document.public_id,
                title=form.cleaned_data["title"],
                confidentiality=list(form.cleaned_data["confidentiality"]),
            )
        except DomainError as error:
            _domain_error_or_404(form, error)
        else:
            messages.success(request, _("Les informations du document sont mises à jour."))
            return redirect(
                "records:pro_document", patient_id=pro.patient.public_id, document_id=document.public_id
            )
    context = pro_context(pro, row=_row(document), own=True, metadata_form=form)
    return render(request, "records/pro_document.html", context, status=400)


@professional_required
@require_POST
def pro_delete(request: HttpRequest, patient_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    """R-VER-2: the author deletes his own document (a tombstone and the trace are kept, R-DOC-11)."""
    pro = pro_patient(request, patient_id)
    try:
        services.document_delete_by_author(
            actor=pro.actor, patient_id=pro.patient.pk, document_public_id=document_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    messages.success(request, _("Le document est supprimé du dossier du patient."))
    return redirect("records:pro_record", patient_id=pro.patient.public_id)
