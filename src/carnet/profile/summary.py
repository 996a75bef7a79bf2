"""The "synthèse du profil médical" (R-LC-25 ``getMedicalSynthesisPDF(sectionsToDownload)``, R-PML-1).

* ``profile_snapshot_for_actor``: the chosen sections of the holder's profile, each asked to THE policy
  (``profile.policy.decide_section``, ``PROFILE_READ``), read in a fixed number of queries and traced ONCE
  (``PROFILE_SUMMARY``, details: the section names and the purpose, never a value). A refused section
  refuses the whole summary (traced ``DENY``, ``NotFoundOrForbidden``: the same answer as a missing patient).
  Professionals are refused every section but the shared ones (R-PML-1), so this is the holder's side.
* ``profile_summary_pdf_for_actor``: the PDF of the chosen sections (fpdf2 through ``spaces.pdf``: DejaVu
  Sans when installed).
* ``profile_summary_save``: the same PDF saved into the holder's documents as DOCPAT08 (category
  SYNTH_PML, class 90). That document is what authorised professionals see of the sections they cannot
  read directly (R-PML-1); the records policy (matrix, consent, masking) decides who reads it.
* The International Patient Summary of the whole profile goes into the space export as ``fhir/ips.json``
  (``profile.ips.export_section_ips``, registered by ``ProfileConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carnet.access import gateway
from carnet.access.facts import Action, ProfileSection
from carnet.access.gateway import AccessScope
from carnet.access.policy import Decision
from carnet.audit.labels import register_action_label
from carnet.audit.services import trace
from carnet.common import clock, dates
from carnet.common.actors import Actor
from carnet.common.errors import DomainError, NotFoundOrForbidden
from carnet.identity.models import Person

from .models import (
    AdvanceDirectives,
    Allergy,
    BloodGroup,
    Disability,
    Disease,
    EmergencyContact,
    FamilyHistory,
    Hospitalisation,
    Lifestyle,
    NotConcerned,
    OrganDonationStatement,
    PartialDate,
    Treatment,
    TrustedPerson,
)
from .policy import decide_section
from .vitals import referential
from .vitals.models import Measurement, Vaccination

if TYPE_CHECKING:
    from carnet.records.models import Document

NOT_FOUND = _("Profil introuvable ou action non autorisée.")
TRACE_ACTION = "PROFILE_SUMMARY"
SUMMARY_TYPE_CODE = "DOCPAT08"  # J07 "Profil médical Mon espace santé" (R-PML-1)
SUMMARY_MEDIA_TYPE = "application/pdf"

register_action_label(TRACE_ACTION, _("Synthèse du profil médical générée"))

# The sections the holder may put in a summary, in the order of the PDF (SPEC §4 ``SectionToDownload``).
SUMMARY_SECTIONS: tuple[ProfileSection, ...] = (
    ProfileSection.TREATMENTS,
    ProfileSection.ALLERGIES,
    ProfileSection.DISEASES,
    ProfileSection.HOSPITALIZATIONS,
    ProfileSection.FAMILY_HISTORIES,
    ProfileSection.VACCINATIONS,
    ProfileSection.MEASUREMENTS,
    ProfileSection.LIFESTYLE,
    ProfileSection.DISABILITIES,
    ProfileSection.BLOOD_GROUP,
    ProfileSection.ENTOURAGE,
    ProfileSection.ADVANCE_DIRECTIVES,
)
SECTION_TITLES: dict[ProfileSection, Any] = {
    ProfileSection.TREATMENTS: _("Traitements"),
    ProfileSection.ALLERGIES: _("Allergies"),
    ProfileSection.DISEASES: _("Maladies et sujets de santé"),
    ProfileSection.HOSPITALIZATIONS: _("Hospitalisations et actes chirurgicaux"),
    ProfileSection.FAMILY_HISTORIES: _("Antécédents familiaux"),
    ProfileSection.VACCINATIONS: _("Vaccinations"),
    ProfileSection.MEASUREMENTS: _("Mesures"),
    ProfileSection.LIFESTYLE: _("Habitudes de vie"),
    ProfileSection.DISABILITIES: _("Handicaps"),
    ProfileSection.BLOOD_GROUP: _("Groupe sanguin"),
    ProfileSection.ENTOURAGE: _("Entourage et volontés"),
    ProfileSection.ADVANCE_DIRECTIVES: _("Directives anticipées"),
}
# Sections with an R-PML-2 "je ne suis pas concerné" flag (same names as ``NotConcernedSection``).
_FLAGGED = frozenset(
    {
        ProfileSection.TREATMENTS,
        ProfileSection.ALLERGIES,
        ProfileSection.DISEASES,
        ProfileSection.HOSPITALIZATIONS,
        ProfileSection.FAMILY_HISTORIES,
        ProfileSection.DISABILITIES,
    }
)


def parse_sections(values: Iterable[str]) -> tuple[ProfileSection, ...]:
    """The chosen sections in the summary's order; an unknown or empty choice names the ``sections`` field."""
    wanted = {str(v).strip() for v in values if str(v).strip()}
    known = {str(s) for s in SUMMARY_SECTIONS}
    if wanted - known:
        raise DomainError(_("Rubriques : choix inconnu."), code="invalid", field="sections")
    if not wanted:
        raise DomainError(
            _("Rubriques : choisissez au moins une rubrique du profil."), code="required", field="sections"
        )
    return tuple(s for s in SUMMARY_SECTIONS if str(s) in wanted)


@dataclass
class ProfileSnapshot:
    """What the summary shows: only the chosen sections are filled."""

    patient: Person
    sections: tuple[ProfileSection, ...]
    generated_at: datetime
    treatments: list[Treatment] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    diseases: list[Disease] = field(default_factory=list)
    hospitalisations: list[Hospitalisation] = field(default_factory=list)
    family_histories: list[FamilyHistory] = field(default_factory=list)
    vaccinations: list[Vaccination] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    lifestyle: list[Lifestyle] = field(default_factory=list)
    disabilities: list[Disability] = field(default_factory=list)
    blood_group: BloodGroup | None = None
    emergency_contacts: list[EmergencyContact] = field(default_factory=list)
    trusted_person: TrustedPerson | None = None
    organ_donation: OrganDonationStatement | None = None
    advance_directives: AdvanceDirectives | None = None
    advance_directives_date: datetime | None = None
    not_concerned: frozenset[str] = frozenset()

    def has(self, section: ProfileSection) -> bool:
        return section in self.sections

    def latest_measurements(self) -> list[Measurement]:
        """The newest measure of each code, in the referential's order."""
        latest: dict[str, Measurement] = {}
        for m in self.measurements:  # oldest first
            latest[m.code] = m
        return [latest[code] for code in referential.measures() if code in latest]


def _scope(actor: Actor, patient_id: int) -> AccessScope:
    return gateway.access_scope(actor=actor, patient_id=patient_id)


def _trace(scope: AccessScope, decision: Decision, sections: Iterable[ProfileSection], purpose: str) -> None:
    """Inside the caller's transaction (invariant 2); the section names only, never a value."""
    trace(
        actor=scope.actor,
        action=TRACE_ACTION,
        patient_id=scope.patient_id if scope.holder is not None else None,
        group="general",
        object_type="profile",
        object_id="SUMMARY",
        mode=str(scope.mode),
        outcome="ALLOW" if decision else "DENY",
        details={"rule": decision.rule, "sections": [str(s) for s in sections], "purpose": purpose},
    )


def _decide(scope: AccessScope, sections: tuple[ProfileSection, ...], purpose: str) -> Decision:
    """R-PML-1 per section; the first refusal is traced (committed on its own) and raised."""
    if scope.holder is None:
        raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    decision = Decision(False, "DEFAULT-DENY", "no section")
    for section in sections:
        decision = decide_section(scope, section, Action.PROFILE_READ)
        if not decision:
            with transaction.atomic():
                _trace(scope, decision, [section], purpose)
            raise NotFoundOrForbidden(NOT_FOUND, code="not_found")
    return decision


_Named = TypeVar("_Named", Allergy, Disease, FamilyHistory)


def _by_name(rows: Iterable[_Named]) -> list[_Named]:
    """Names are sealed (ADR 0008): sorted in Python after opening, within one patient's rows."""
    return sorted(rows, key=lambda r: (r.name.casefold(), r.pk))


def _read(scope: AccessScope, sections: tuple[ProfileSection, ...]) -> ProfileSnapshot:
    patient_id = scope.patient_id
    assert scope.holder is not None
    snap = ProfileSnapshot(patient=scope.holder, sections=sections, generated_at=clock.now())
    if ProfileSection.TREATMENTS in sections:
        snap.treatments = sorted(
            Treatment.objects.filter(patient_id=patient_id),
            key=lambda t: (-t.start_year, t.name.casefold(), t.pk),
        )
    if ProfileSection.ALLERGIES in sections:
        snap.allergies = _by_name(Allergy.objects.filter(patient_id=patient_id))
    if ProfileSection.DISEASES in sections:
        snap.diseases = _by_name(Disease.objects.filter(patient_id=patient_id))
    if ProfileSection.HOSPITALIZATIONS in sections:
        snap.hospitalisations = sorted(
            Hospitalisation.objects.filter(patient_id=patient_id),
            key=lambda h: (-h.start_year, h.name.casefold(), h.pk),
        )
    if ProfileSection.FAMILY_HISTORIES in sections:
        snap.family_histories = _by_name(FamilyHistory.objects.filter(patient_id=patient_id))
    if ProfileSection.VACCINATIONS in sections:
        snap.vaccinations = list(
            Vaccination.objects.filter(patient_id=patient_id)
            .select_related("performer_professional")
            .order_by("-effective_date", "-id")
        )
    if ProfileSection.MEASUREMENTS in sections:
        snap.measurements = list(
            Measurement.objects.filter(patient_id=patient_id).order_by("measured_at", "id")
        )
    if ProfileSection.LIFESTYLE in sections:
        snap.lifestyle = list(Lifestyle.objects.filter(patient_id=patient_id).order_by("section"))
    if ProfileSection.DISABILITIES in sections:
        snap.disabilities = list(Disability.objects.filter(patient_id=patient_id).order_by("kind", "id"))
    if ProfileSection.BLOOD_GROUP in sections:
        snap.blood_group = BloodGroup.objects.filter(patient_id=patient_id).first()
    if ProfileSection.ENTOURAGE in sections:
        snap.emergency_contacts = list(
            EmergencyContact.objects.filter(patient_id=patient_id).order_by("created_at", "id")
        )
        snap.trusted_person = TrustedPerson.objects.filter(patient_id=patient_id).first()
        snap.organ_donation = OrganDonationStatement.objects.filter(patient_id=patient_id).first()
    if ProfileSection.ADVANCE_DIRECTIVES in sections:
        from carnet.records.models import Document

        directives = AdvanceDirectives.objects.filter(patient_id=patient_id).first()
        if directives is not None:
            deposited = (
                Document.objects.filter(
                    patient_id=patient_id, public_id=directives.document_public_id, deleted_at__isnull=True
                )
                .values_list("deposited_at", flat=True)
                .first()
            )
            if deposited is not None:  # deleted from the documents page: nothing to point to
                snap.advance_directives, snap.advance_directives_date = directives, deposited
    flagged = [str(s) for s in sections if s in _FLAGGED]
    if flagged:
        snap.not_concerned = frozenset(
            NotConcerned.objects.filter(patient_id=patient_id, section__in=flagged).values_list(
                "section", flat=True
            )
        )
    return snap


def profile_snapshot_for_actor(
    *,
    actor: Actor,
    patient_id: int,
    sections: Iterable[ProfileSection | str] = SUMMARY_SECTIONS,
    purpose: str = "pdf",
) -> ProfileSnapshot:
    """The chosen sections, decided by the policy section by section and traced once (R-PML-1)."""
    chosen = parse_sections(str(s) for s in sections)
    scope = _scope(actor, patient_id)
    decision = _decide(scope, chosen, purpose)
    snapshot = _read(scope, chosen)
    with transaction.atomic():
        _trace(scope, decision, chosen, purpose)
    return snapshot


# --------------------------------------------------------------------------------------------------
# PDF


def _day(value: datetime | None) -> str:
    return dates.format_day(value) if value is not None else "—"


def _partial(value: PartialDate) -> str:
    return str(value) or "—"


def measure_text(measurement: Measurement) -> str:
    """``72,5 kg`` / ``120/80 mmHg`` with the referential's decimals."""
    definition = referential.measure(measurement.code)
    decimals = definition.decimals if definition is not None else 3
    unit = definition.unit_label if definition is not None else measurement.unit

    def number(value: Any) -> str:
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", ",")

    text = number(measurement.value)
    if measurement.second_value is not None:
        text = f"{text}/{number(measurement.second_value)}"
    return f"{text} {unit}"


def measure_label(code: str) -> str:
    definition = referential.measure(code)
    return definition.label if definition is not None else code


def lifestyle_choice_label(row: Lifestyle) -> str:
    from .services import LIFESTYLE_CHOICES

    return next(
        (str(label) for key, label in LIFESTYLE_CHOICES.get(row.section, []) if key == row.choice), row.choice
    )


def _render(snap: ProfileSnapshot) -> bytes:
    from carnet.spaces.pdf import _Document

    title = gettext("Synthèse du profil médical")
    doc = _Document(title)
    doc.heading(title)
    doc.field(gettext("Nom et prénom"), snap.patient.display_name)
    doc.field(gettext("Date de naissance"), dates.format_day(snap.patient.birth_date))
    doc.field(gettext("Générée le"), dates.format_moment(snap.generated_at))
    doc.para(
        gettext(
            "Informations déclarées dans son profil médical Carnet par la personne ou pour elle "
            "(questionnaire de santé rempli librement) ; les vaccinations peuvent avoir été saisies par "
            "un professionnel de santé."
        ),
        size=9,
    )
    for section in snap.sections:
        doc.heading(str(SECTION_TITLES[section]), size=13)
        _RENDERERS[section](doc, snap)
    return doc.output()


def _empty(doc: Any, snap: ProfileSnapshot, section: ProfileSection, rows: list[Any]) -> bool:
    if rows:
        return False
    if str(section) in snap.not_concerned:
        doc.para(gettext("La personne a indiqué que cette rubrique ne la concerne pas."))
    else:
        doc.para(gettext("Aucun élément renseigné."))
    return True


def _item(doc: Any, name: str, lines: list[tuple[str, str]]) -> None:
    doc.pdf.set_font(doc.family, "B", 11)
    doc.pdf.multi_cell(0, 6, doc._text(name), new_x="LMARGIN", new_y="NEXT")
    for label, value in lines:
        if value not in ("", "—"):
            doc.field(label, value)
    doc.pdf.ln(1)


def _treatments(doc: Any, snap: ProfileSnapshot) -> None:
    if _empty(doc, snap, ProfileSection.TREATMENTS, snap.treatments):
        return
    for row in snap.treatments:
        _item(
            doc,
            row.name,
            [
                (gettext("Début"), _partial(row.start)),
                (gettext("Fin"), _partial(row.end)),
                (gettext("Posologie"), row.posology),
                (gettext("Commentaire"), row.comment),
            ],
        )


def _allergies(doc: Any, snap: ProfileSnapshot) -> None:
    if _empty(doc, snap, ProfileSection.ALLERGIES, snap.allergies):
        return
    for row in snap.allergies:
        _item(doc, row.name, [(gettext("Commentaire"), row.comment)])


def _diseases(doc: Any, snap: ProfileSnapshot) -> None:
    if _empty(doc, snap, ProfileSection.DISEASES, snap.diseases):
        return
    for row in snap.diseases:
        _item(
            doc,
            row.name,
            [
                (gettext("Début"), _partial(row.start)),
                (gettext("Fin"), _partial(row.end)),
                (gettext("Commentaire"), row.comment),
            ],
        )


def _hospitalisations(doc: Any, snap: ProfileSnapshot) -> None:
    if _empty(doc, snap, ProfileSection.HOSPITALIZATIONS, snap.hospitalisations):
        return
    for row in snap.hospitalisations:
        duration = f"{row.duration} {row.get_duration_unit_display()}" if row.duration else ""
        _item(doc, row.name, [(gettext("Date"), _partial(row.start)), (gettext("Durée"), duration)])


def _family_histories(doc: Any, snap: ProfileSnapshot) -> None:
    if _empty(doc, snap, ProfileSection.FAMILY_HISTORIES, snap.family_histories):
        return
    for row in snap.family_histories:
        _item(
            doc,
            row.name,
            [
                (gettext("Lien de parenté"), str(row.get_relationship_display())),
                (gettext("Commentaire"), row.comment),
            ],
        )


def _vaccinations(doc: Any, snap: ProfileSnapshot) -> None:
    if _empty(doc, snap, ProfileSection.VACCINATIONS, snap.vaccinations):
        return
    doc.table(
        [gettext("Date"), gettext("Vaccin"), gettext("Injection"), gettext("Lot"), gettext("Saisie par")],
        [
            (
                dates.format_day(v.effective_date),
                v.vaccine_name,
                str(v.get_dose_type_display()) if v.dose_type else "",
                v.lot_number,
                v.author_label,
            )
            for v in snap.vaccinations
        ],
        [24, 60, 30, 26, 50],
    )


def _measurements(doc: Any, snap: ProfileSnapshot) -> None:
    latest = snap.latest_measurements()
    if _empty(doc, snap, ProfileSection.MEASUREMENTS, latest):
        return
    doc.para(gettext("Dernière valeur enregistrée pour chaque mesure."), size=9)
    doc.table(
        [gettext("Mesure"), gettext("Valeur"), gettext("Date")],
        [(measure_label(m.code), measure_text(m), _day(m.measured_at)) for m in latest],
        [90, 55, 45],
    )


def _lifestyle(doc: Any, snap: ProfileSnapshot) -> None:
    if _empty(doc, snap, ProfileSection.LIFESTYLE, snap.lifestyle):
        return
    for row in snap.lifestyle:
        _item(
            doc,
            str(row.get_section_display()),
            [(gettext("Réponse"), lifestyle_choice_label(row)), (gettext("Commentaire"), row.comment)],
        )


def _disabilities(doc: Any, snap: ProfileSnapshot) -> None:
    if _empty(doc, snap, ProfileSection.DISABILITIES, snap.disabilities):
        return
    for row in snap.disabilities:
        _item(
            doc,
            str(row.get_kind_display()),
            [
                (gettext("Taux d'incapacité"), str(row.get_rate_display())),
                (gettext("Aides techniques"), row.technical_help),
                (gettext("Aides humaines"), row.human_help),
                (gettext("Commentaire"), row.comment),
            ],
        )


def _blood_group(doc: Any, snap: ProfileSnapshot) -> None:
    if snap.blood_group is None:
        doc.para(gettext("Aucun élément renseigné."))
    else:
        doc.field(gettext("Groupe"), str(snap.blood_group.get_group_display()))


def _entourage(doc: Any, snap: ProfileSnapshot) -> None:
    if not (snap.emergency_contacts or snap.trusted_person or snap.organ_donation):
        doc.para(gettext("Aucun élément renseigné."))
        return
    if snap.trusted_person is not None:
        person = snap.trusted_person
        _item(
            doc,
            gettext("Personne de confiance : %(name)s") % {"name": person.name},
            [(gettext("Lien"), str(person.get_relationship_display())), (gettext("Téléphone"), person.phone)],
        )
    for contact in snap.emergency_contacts:
        _item(
            doc,
            gettext("Personne à prévenir : %(name)s") % {"name": contact.name},
            [
                (gettext("Lien"), str(contact.get_relationship_display())),
                (gettext("Téléphone"), contact.phone),
            ],
        )
    if snap.organ_donation is not None:
        doc.para(
            gettext("A pris connaissance des dispositions relatives au don d'organes le %(date)s.")
            % {"date": dates.format_day(snap.organ_donation.acknowledged_on)}
        )


def _advance_directives(doc: Any, snap: ProfileSnapshot) -> None:
    if snap.advance_directives is None:
        doc.para(gettext("Aucune directive anticipée n'est enregistrée."))
        return
    doc.para(
        gettext("Directives anticipées enregistrées le %(date)s dans les documents (%(source)s).")
        % {
            "date": _day(snap.advance_directives_date),
            "source": snap.advance_directives.get_source_display(),
        }
    )


_RENDERERS: dict[ProfileSection, Any] = {
    ProfileSection.TREATMENTS: _treatments,
    ProfileSection.ALLERGIES: _allergies,
    ProfileSection.DISEASES: _diseases,
    ProfileSection.HOSPITALIZATIONS: _hospitalisations,
    ProfileSection.FAMILY_HISTORIES: _family_histories,
    ProfileSection.VACCINATIONS: _vaccinations,
    ProfileSection.MEASUREMENTS: _measurements,
    ProfileSection.LIFESTYLE: _lifestyle,
    ProfileSection.DISABILITIES: _disabilities,
    ProfileSection.BLOOD_GROUP: _blood_group,
    ProfileSection.ENTOURAGE: _entourage,
    ProfileSection.ADVANCE_DIRECTIVES: _advance_directives,
}


def profile_summary_pdf(snapshot: ProfileSnapshot) -> bytes:
    """Render a snapshot (no database access, no trace)."""
    return _render(snapshot)


def profile_summary_pdf_for_actor(
    *, actor: Actor, patient_id: int, sections: Iterable[ProfileSection | str]
) -> bytes:
    """R-LC-25 ``getMedicalSynthesisPDF(sectionsToDownload)``: the PDF of the chosen sections (traced)."""
    snapshot = profile_snapshot_for_actor(
        actor=actor, patient_id=patient_id, sections=sections, purpose="pdf"
    )
    return profile_summary_pdf(snapshot)


# --------------------------------------------------------------------------------------------------
# Saving as a DOCPAT08 document (R-PML-1)


def summary_title(snapshot: ProfileSnapshot) -> str:
    return gettext("Synthèse du profil médical du %(date)s") % {"date": _day(snapshot.generated_at)}


def profile_summary_save(
    *, actor: Actor, patient_id: int, sections: Iterable[ProfileSection | str]
) -> Document:
    """Save the summary of the chosen sections into the holder's documents: type DOCPAT08, category
    SYNTH_PML, class 90, deposited by the holder's side (R-PML-1). The records policy decides the deposit
    (R-DEP-3; "mask all by default" applies, R-MASK-3); the ``PROFILE_SUMMARY`` read trace, the encrypted
    blob, the document row and its ``DEPOSIT`` trace are written in ONE transaction (invariants 2 and 9).

    ``records.services.document_deposit`` maps the SYNTH_PML category to DOCPAT08 for this document the
    platform makes from the profile (it is not offered on the upload page)."""
    from carnet.records.services import document_deposit

    chosen = parse_sections(str(s) for s in sections)
    scope = _scope(actor, patient_id)
    read_decision = _decide(scope, chosen, "save")
    snapshot = _read(scope, chosen)
    content = profile_summary_pdf(snapshot)
    with transaction.atomic():
        _trace(scope, read_decision, chosen, "save")
        document: Document = document_deposit(
            actor=actor,
            patient_id=patient_id,
            content=content,
            filename="synthese-profil-medical.pdf",
            declared_media_type=SUMMARY_MEDIA_TYPE,
            title=summary_title(snapshot)[:255],
            category="SYNTH_PML",
            service_start=clock.today(),
        )
    return document
