"""Pages of the secure messaging (SPEC §5): thin views over ``messaging.services`` (writes, including the
traced reading of a conversation) and ``messaging.selectors`` (lists, search). Missing and forbidden
answer the same 404; refusals of a form are shown next to the field they name.

Patient side under ``/espace/messagerie/`` (the acting person may be a legal representative or a caregiver,
``spaces.acting``); professional side under ``/pro/messagerie/``. Searches are POSTed: the searched words
never go in a URL. Attachments are always served as downloads (``nosniff``, ``no-store``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carnet.access.facts import Action
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.common.permissions import patient_required, professional_required
from carnet.common.users import actor_for_user
from carnet.identity.models import Person
from carnet.identity.selectors import person_find_by_ins
from carnet.records import selectors as record_selectors
from carnet.records.forms import PatientFindForm
from carnet.spaces.acting import ActingContext, acting_context

from . import secrecy, selectors, services
from .forms import (
    DraftForm,
    PatientComposeForm,
    ProComposeForm,
    ReplyForm,
    SaveToRecordForm,
    SearchForm,
    incoming_files,
    show_error,
)

# --------------------------------------------------------------------------------------------------
# Helpers


def _acting(request: HttpRequest) -> ActingContext:
    acting = acting_context(request)
    if acting is None:
        raise Http404
    return acting


def _pro_actor(request: HttpRequest) -> Actor:
    return actor_for_user(request.user)  # type: ignore[arg-type]


def _record_documents(acting: ActingContext) -> list[Any]:
    try:
        return record_selectors.document_list_for_actor(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        return []


def _serve(name: str, media_type: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=name) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _not_found(error: DomainError) -> None:
    if isinstance(error, NotFoundOrForbidden) and error.field is None:
        raise Http404 from None


def _send_or_draft(request: HttpRequest) -> bool:
    """True for "Enregistrer le brouillon"."""
    return request.POST.get("action") == "draft"


# --------------------------------------------------------------------------------------------------
# Patient side


def _inbox_context(request: HttpRequest, acting: ActingContext, **extra: Any) -> dict[str, Any]:
    pid = acting.subject.pk
    try:
        rows = extra.pop("rows", None)
        if rows is None:
            rows = selectors.inbox_for_patient(actor=acting.actor, patient_id=pid)
        drafts = selectors.drafts_for_patient(actor=acting.actor, patient_id=pid)
        recipients = selectors.eligible_recipients(actor=acting.actor, patient_id=pid)
    except NotFoundOrForbidden:
        raise Http404 from None
    return {
        "acting": acting,
        "rows": rows,
        "drafts_count": len(drafts),
        "can_compose": bool(recipients),
        "search_form": extra.pop("search_form", None) or SearchForm(),
        "pro": False,
        **extra,
    }


@patient_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    return render(request, "messaging/inbox.html", _inbox_context(request, acting))


@patient_required
@require_POST
def search(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    form = SearchForm(request.POST)
    rows = None
    if form.is_valid():
        try:
            rows = selectors.search_for_patient(
                actor=acting.actor, patient_id=acting.subject.pk, query=form.cleaned_data["q"]
            )
        except DomainError as error:
            _not_found(error)
            show_error(form, error)
    context = _inbox_context(request, acting, rows=rows, search_form=form, searched=rows is not None)
    return render(request, "messaging/inbox.html", context)


@patient_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    """R-MSG-2: only to professionals who already wrote and did not end the exchange."""
    acting = _acting(request)
    try:
        recipients = selectors.eligible_recipients(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    documents = _record_documents(acting)
    form = PatientComposeForm(
        request.POST or None,
        request.FILES or None,
        recipients=recipients,
        documents=documents,
        offer_confidential=secrecy.may_start_confidential(actor=acting.actor, patient_id=acting.subject.pk),
    )
    if request.method == "POST" and form.is_valid():
        draft = _send_or_draft(request)
        try:
            message = services.conversation_start(
                actor=acting.actor,
                patient_id=acting.subject.pk,
                recipient_public_id=form.cleaned_data["recipient"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                files=incoming_files(form.cleaned_data["attachments"]),
                document_ids=form.cleaned_data.get("documents") or [],
                draft=draft,
                confidential=bool(form.cleaned_data.get("confidential")),
            )
        except DomainError as error:
            _not_found(error)
            show_error(form, error)
        else:
            if draft:
                messages.success(request, _("Votre brouillon est enregistré."))
                return redirect("messaging:drafts")
            messages.success(request, _("Votre message est envoyé."))
            return redirect("messaging:conversation", conversation_id=message.conversation.public_id)
    return render(
        request,
        "messaging/compose.html",
        {"acting": acting, "form": form, "recipients": recipients, "pro": False},
    )


def _conversation_page(
    request: HttpRequest, opened: services.OpenedConversation, form: Any, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "messaging/conversation.html",
        {
            "opened": opened,
            "conversation": opened.conversation,
            "form": form,
            "save_form": SaveToRecordForm(),
            "max_mb": services.attachments_max_bytes() // (1024 * 1024),
            **extra,
        },
    )


@patient_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    """The conversation, its attachments (download, save into the record) and the reply box unless the
    professional ended the exchange ("X a mis fin à vos échanges", R-MSG-3)."""
    acting = _acting(request)
    pid = acting.subject.pk
    documents = _record_documents(acting) if request.method == "POST" else []
    form = ReplyForm(request.POST or None, request.FILES or None, documents=documents)
    if request.method == "POST" and form.is_valid():
        draft = _send_or_draft(request)
        try:
            services.message_reply(
                actor=acting.actor,
                patient_id=pid,
                conversation_public_id=conversation_id,
                body=form.cleaned_data["body"],
                files=incoming_files(form.cleaned_data["attachments"]),
                document_ids=form.cleaned_data.get("documents") or [],
                draft=draft,
            )
        except DomainError as error:
            _not_found(error)
            show_error(form, error)
        else:
            messages.success(
                request, _("Votre brouillon est enregistré.") if draft else _("Votre réponse est envoyée.")
            )
            return redirect("messaging:conversation", conversation_id=conversation_id)
    try:
        opened = services.conversation_read(
            actor=acting.actor, patient_id=pid, conversation_public_id=conversation_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    if request.method == "GET":
        form = ReplyForm(documents=_record_documents(acting))
    return _conversation_page(request, opened, form, acting=acting, pro=False)


@patient_required
@require_POST
def mark_unread(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    try:
        services.conversation_mark_unread(
            actor=acting.actor, patient_id=acting.subject.pk, conversation_public_id=conversation_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    messages.success(request, _("La conversation est marquée comme non lue."))
    return redirect("messaging:inbox")


@patient_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    """R-MSG-6: permanent, after an explicit confirmation."""
    acting = _acting(request)
    if request.method == "POST":
        try:
            services.conversation_delete(
                actor=acting.actor, patient_id=acting.subject.pk, conversation_public_id=conversation_id
            )
        except NotFoundOrForbidden:
            raise Http404 from None
        messages.success(request, _("La conversation est supprimée définitivement."))
        return redirect("messaging:inbox")
    try:  # the policy answers the confirmation page too (R-MIN-5: a representative probing gets a 404)
        services.act_on_conversation(
            actor=acting.actor,
            patient_id=acting.subject.pk,
            conversation_public_id=conversation_id,
            action=Action.MESSAGE_DELETE,
            trace_action="MESSAGE_DELETE",
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    return render(request, "messaging/delete.html", {"acting": acting, "conversation_id": conversation_id})


@patient_required
@require_POST
def confidential(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    """R-MIN-5: the minor himself (old enough, with his own access) hides the conversation from his legal
    representatives, or shows it to them again (``action`` = ``mark`` | ``lift``)."""
    acting = _acting(request)
    _secrecy(request, actor=acting.actor, conversation_id=conversation_id, patient_id=acting.subject.pk)
    return redirect("messaging:conversation", conversation_id=conversation_id)


def _secrecy(
    request: HttpRequest, *, actor: Actor, conversation_id: uuid.UUID, patient_id: int | None
) -> None:
    mark = request.POST.get("action") == "mark"
    call = secrecy.conversation_mark_confidential if mark else secrecy.conversation_lift_confidential
    try:
        call(actor=actor, conversation_public_id=conversation_id, patient_id=patient_id)
    except NotFoundOrForbidden:
        raise Http404 from None
    if mark:
        messages.success(request, _("La conversation est désormais cachée aux représentants légaux."))
    else:
        messages.success(request, _("La conversation est de nouveau visible par les représentants légaux."))


@patient_required
@require_GET
def drafts(request: HttpRequest) -> HttpResponse:
    acting = _acting(request)
    try:
        rows = selectors.drafts_for_patient(actor=acting.actor, patient_id=acting.subject.pk)
    except NotFoundOrForbidden:
        raise Http404 from None
    return render(request, "messaging/drafts.html", {"acting": acting, "rows": rows, "pro": False})


def _draft_page(
    request: HttpRequest,
    *,
    actor: Actor,
    message_id: uuid.UUID,
    patient_id: int | None,
    documents: list[Any],
    pro: bool,
    done: str,
    **extra: Any,
) -> HttpResponse:
    try:
        message, body, existing = selectors.draft_for_actor(
            actor=actor, message_public_id=message_id, patient_id=patient_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    opens = message.conversation.first_sent_at is None
    initial = {"body": body}
    if opens:
        initial["subject"] = selectors._subject(message.conversation)
    form = DraftForm(
        request.POST or None,
        request.FILES or None,
        opens=opens,
        existing=existing,
        documents=documents,
        initial=initial,
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "delete":
            try:
                services.draft_delete(actor=actor, message_public_id=message_id, patient_id=patient_id)
            except NotFoundOrForbidden:
                raise Http404 from None
            messages.success(request, _("Le brouillon est supprimé."))
            return redirect(done)
        if form.is_valid():
            call = services.draft_send if action == "send" else services.draft_update
            try:
                sent = call(
                    actor=actor,
                    message_public_id=message_id,
                    patient_id=patient_id,
                    body=form.cleaned_data["body"],
                    subject=form.cleaned_data.get("subject") if opens else None,
                    files=incoming_files(form.cleaned_data["attachments"]),
                    document_ids=form.cleaned_data.get("documents") or [],
                    remove_attachment_ids=form.cleaned_data.get("remove") or [],
                )
            except DomainError as error:
                _not_found(error)
                show_error(form, error)
            else:
                if action == "send":
                    messages.success(request, _("Votre message est envoyé."))
                    name = "messaging:pro_conversation" if pro else "messaging:conversation"
                    return redirect(name, conversation_id=sent.conversation.public_id)
                messages.success(request, _("Votre brouillon est enregistré."))
                return redirect(request.path)
    return render(
        request,
        "messaging/draft.html",
        {
            "form": form,
            "message": message,
            "counterpart": message.conversation.counterpart_label,
            "remaining_mb": f"{services.remaining_attachment_bytes(message) / (1024 * 1024):.1f}",
            "pro": pro,
            **extra,
        },
    )


@patient_required
@require_http_methods(["GET", "POST"])
def draft(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    return _draft_page(
        request,
        actor=acting.actor,
        message_id=message_id,
        patient_id=acting.subject.pk,
        documents=_record_documents(acting),
        pro=False,
        done="messaging:drafts",
        acting=acting,
    )


@patient_required
@require_GET
def attachment_download(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponse:
    acting = _acting(request)
    try:
        attachment, name, content = services.attachment_content(
            actor=acting.actor, patient_id=acting.subject.pk, attachment_public_id=attachment_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    return _serve(name, attachment.media_type, content)


@patient_required
@require_POST
def attachment_save(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponse:
    """R-MSG-4: one action makes the attachment a document of the record."""
    acting = _acting(request)
    form = SaveToRecordForm(request.POST)
    category = form.cleaned_data["category"] if form.is_valid() else ""
    try:
        document = services.attachment_save_to_record(
            actor=acting.actor,
            patient_id=acting.subject.pk,
            attachment_public_id=attachment_id,
            category=category,
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, str(error.message))
        back = request.POST.get("conversation", "")
        try:
            return redirect("messaging:conversation", conversation_id=uuid.UUID(back))
        except ValueError:
            return redirect("messaging:inbox")
    messages.success(request, _("La pièce jointe est enregistrée dans vos documents."))
    return redirect("records:document", document_id=document.public_id)


# --------------------------------------------------------------------------------------------------
# Professional side


@professional_required
@require_http_methods(["GET", "POST"])
def pro_inbox(request: HttpRequest) -> HttpResponse:
    actor = _pro_actor(request)
    form = SearchForm(request.POST or None)
    rows = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = selectors.search_for_professional(actor=actor, query=form.cleaned_data["q"])
        except DomainError as error:
            show_error(form, error)
    searched = rows is not None
    if rows is None:
        rows = selectors.inbox_for_professional(actor=actor)
    drafts_count = len(selectors.drafts_for_professional(actor=actor))
    return render(
        request,
        "messaging/inbox.html",
        {"rows": rows, "search_form": form, "searched": searched, "drafts_count": drafts_count, "pro": True},
    )


NOT_FOUND_PATIENT = _(
    "Aucun patient joignable ne correspond à ces informations. Vérifiez le matricule INS et la date de naissance."
)


@professional_required
@require_http_methods(["GET", "POST"])
def pro_find(request: HttpRequest) -> HttpResponse:
    """ "Écrire à un patient": find him by INS (POST: the NIR never in a URL); the same answer whatever
    did not match."""
    form = PatientFindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = person_find_by_ins(form.cleaned_data["nir"])
        if person is not None and person.birth_date != form.cleaned_data["birth_date"]:
            person = None
        found = selectors.patient_to_write_to(actor=_pro_actor(request), patient=person)
        if found is not None:
            return redirect("messaging:pro_compose", patient_id=found.public_id)
        form.add_error(None, NOT_FOUND_PATIENT)
    return render(request, "messaging/pro_find.html", {"form": form})


@professional_required
@require_http_methods(["GET", "POST"])
def pro_compose(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    actor = _pro_actor(request)
    patient = selectors.patient_to_write_to(
        actor=actor, patient=Person.objects.filter(public_id=patient_id).first()
    )
    if patient is None:
        raise Http404
    offer = secrecy.may_start_confidential(actor=actor, patient_id=patient.pk)
    form = ProComposeForm(request.POST or None, request.FILES or None, offer_confidential=offer)
    if request.method == "POST" and form.is_valid():
        draft = _send_or_draft(request)
        try:
            message = services.conversation_start(
                actor=actor,
                patient_id=patient.pk,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                files=incoming_files(form.cleaned_data["attachments"]),
                no_reply=form.cleaned_data["no_reply"],
                draft=draft,
                confidential=bool(form.cleaned_data.get("confidential")),
            )
        except DomainError as error:
            _not_found(error)
            show_error(form, error)
        else:
            if draft:
                messages.success(request, _("Votre brouillon est enregistré."))
                return redirect("messaging:pro_drafts")
            messages.success(request, _("Votre message est envoyé."))
            return redirect("messaging:pro_conversation", conversation_id=message.conversation.public_id)
    return render(request, "messaging/compose.html", {"form": form, "patient": patient, "pro": True})


@professional_required
@require_http_methods(["GET", "POST"])
def pro_conversation(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    actor = _pro_actor(request)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        draft = _send_or_draft(request)
        try:
            services.message_reply(
                actor=actor,
                conversation_public_id=conversation_id,
                body=form.cleaned_data["body"],
                files=incoming_files(form.cleaned_data["attachments"]),
                draft=draft,
            )
        except DomainError as error:
            _not_found(error)
            show_error(form, error)
        else:
            messages.success(
                request, _("Votre brouillon est enregistré.") if draft else _("Votre réponse est envoyée.")
            )
            return redirect("messaging:pro_conversation", conversation_id=conversation_id)
    try:
        opened = services.conversation_read(actor=actor, conversation_public_id=conversation_id)
    except NotFoundOrForbidden:
        raise Http404 from None
    patient = Person.objects.filter(pk=opened.conversation.patient_id).first()
    if request.method == "GET":
        form = ReplyForm()
    return _conversation_page(request, opened, form, pro=True, patient=patient)


@professional_required
@require_POST
def pro_end(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    """R-MSG-3: the patient will no longer be able to reply."""
    try:
        services.conversation_end(actor=_pro_actor(request), conversation_public_id=conversation_id)
    except NotFoundOrForbidden:
        raise Http404 from None
    messages.success(request, _("Vous avez mis fin à cet échange : le patient ne peut plus y répondre."))
    return redirect("messaging:pro_conversation", conversation_id=conversation_id)


@professional_required
@require_POST
def pro_confidential(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    """R-MIN-5: at the minor's request, the professional hides the conversation from the legal
    representatives (``action=mark``), or lifts what his side set (``action=lift``)."""
    _secrecy(request, actor=_pro_actor(request), conversation_id=conversation_id, patient_id=None)
    return redirect("messaging:pro_conversation", conversation_id=conversation_id)


@professional_required
@require_GET
def pro_drafts(request: HttpRequest) -> HttpResponse:
    rows = selectors.drafts_for_professional(actor=_pro_actor(request))
    return render(request, "messaging/drafts.html", {"rows": rows, "pro": True})


@professional_required
@require_http_methods(["GET", "POST"])
def pro_draft(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    return _draft_page(
        request,
        actor=_pro_actor(request),
        message_id=message_id,
        patient_id=None,
        documents=[],
        pro=True,
        done="messaging:pro_drafts",
    )


@professional_required
@require_GET
def pro_attachment_download(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponse:
    try:
        attachment, name, content = services.attachment_content(
            actor=_pro_actor(request), attachment_public_id=attachment_id
        )
    except NotFoundOrForbidden:
        raise Http404 from None
    return _serve(name, attachment.media_type, content)
