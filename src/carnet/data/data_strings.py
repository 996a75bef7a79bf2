"""The texts of the data files that pages show, as message ids for the catalogue (GENERATED: do not edit).

Written by ``python -m carnet.data.build_strings`` from the files named in the comments; pages translate these
labels with ``gettext`` when they show them. Never imported: ``makemessages`` reads it.
"""

from django.utils.translation import gettext_noop as _

STRINGS = (
    # JDV_J01 G15_10
    _("Médecin"),
    # JDV_J01 G15_21
    _("Pharmacien"),
    # JDV_J01 G15_26
    _("Audioprothésiste"),
    # JDV_J01 G15_28
    _("Opticien-Lunetier"),
    # JDV_J01 G15_31
    _("Assistant dentaire"),
    # JDV_J01 G15_32
    _("Physicien médical"),
    # JDV_J01 G15_35
    _("Aide-soignant"),
    # JDV_J01 G15_36
    _("Ambulancier"),
    # JDV_J01 G15_37
    _("Auxiliaire de puériculture"),
    # JDV_J01 G15_38
    _("Préparateur en pharmacie hospitalière"),
    # JDV_J01 G15_39
    _("Préparateur en pharmacie (officine)"),
    # JDV_J01 G15_40
    _("Chirurgien-Dentiste"),
    # JDV_J01 G15_50
    _("Sage-Femme"),
    # JDV_J01 G15_60
    _("Infirmier"),
    # JDV_J01 G15_69
    _("Infirmier psychiatrique"),
    # JDV_J01 G15_70
    _("Masseur-Kinésithérapeute"),
    # JDV_J01 G15_80
    _("Pédicure-Podologue"),
    # JDV_J01 G15_81
    _("Orthoprothésiste"),
    # JDV_J01 G15_82
    _("Podo-Orthésiste"),
    # JDV_J01 G15_83
    _("Orthopédiste-Orthésiste"),
    # JDV_J01 G15_84
    _("Oculariste"),
    # JDV_J01 G15_85
    _("Epithésiste"),
    # JDV_J01 G15_86
    _("Technicien de laboratoire médical"),
    # JDV_J01 G15_91
    _("Orthophoniste"),
    # JDV_J01 G15_92
    _("Orthoptiste"),
    # JDV_J01 G15_94
    _("Ergothérapeute"),
    # JDV_J01 G15_95
    _("Diététicien"),
    # JDV_J01 G15_96
    _("Psychomotricien"),
    # JDV_J01 G15_98
    _("Manipulateur ERM"),
    # JDV_J07 ATTEST-ASS-COMPL
    _("Attestation assurance complémentaire"),
    # JDV_J07 ATTEST-RESID
    _("Attestation de résidence"),
    # JDV_J07 ATTEST-HEBGT
    _("Attestation d'hébergement"),
    # JDV_J07 ATTEST-DROITS-AM
    _("Attestation de droits à l'assurance maladie"),
    # JDV_J07 AUTORIS-SOINS
    _("Autorisation de soins et actes non usuels sanitaires"),
    # JDV_J07 BIL_AUTO
    _("CR de bilan d'évaluation de la perte d'autonomie"),
    # JDV_J07 CERT_DECL
    _("Certificat, déclaration"),
    # JDV_J07 DISP_AUT
    _("Dispensation (autre)"),
    # JDV_J07 EXPPAT_1
    _("Volontés et droits du patient"),
    # JDV_J07 EXPPAT_2
    _("Autre document du patient"),
    # JDV_J07 EXPPAT_3
    _("Directives anticipées"),
    # JDV_J07 IMG-KOS
    _("Reference d'objets d'un examen d'imagerie"),
    # JDV_J07 PROT_ALD
    _("Protocole de soins ALD"),
    # JDV_J07 REMB
    _("Données de remboursement"),
    # JDV_J07 SYNTH
    _("Synthèse"),
    # JDV_J07 DOCPAT01
    _("Synthèse déposée par le patient"),
    # JDV_J07 DOCPAT02
    _("Traitement ou document de soins déposé par le patient"),
    # JDV_J07 DOCPAT03
    _("CR déposé par le patient"),
    # JDV_J07 DOCPAT04
    _("Imagerie déposée par le patient"),
    # JDV_J07 DOCPAT05
    _("CR de biologie déposé par le patient"),
    # JDV_J07 DOCPAT06
    _("CR de prévention déposé par le patient"),
    # JDV_J07 DOCPAT07
    _("Certificat déposé par le patient"),
    # JDV_J07 DOCPAT08
    _("Profil médical Mon espace santé"),
    # JDV_J07 DOCPAT09
    _("Document administratif déposé par le patient"),
    # JDV_J07 PIECE-IDENTITE
    _("Copie pièce d'identité"),
    # JDV_J07 PRESC-AAT
    _("Prescription arrêt de travail"),
    # JDV_J07 PRESC-BIO
    _("Prescription d'actes de biologie médicale"),
    # JDV_J07 PRESC-KINE
    _("Prescription d'actes de kinésithérapie"),
    # JDV_J07 PRESC-INF
    _("Prescription d'actes infirmiers"),
    # JDV_J07 PRESC-PEDI
    _("Prescription d'actes de pédicurie"),
    # JDV_J07 PRESC-ORTHOPHO
    _("Prescription d'actes d'orthophonie"),
    # JDV_J07 PRESC-ORTHOPTIE
    _("Prescription d'actes d'orthoptie"),
    # JDV_J07 FEUILLE-DE-STYLE
    _("Feuille de style"),
    # JDV_J07 FICHE-CONTACTS
    _("Fiche contacts"),
    # JDV_J07 EXPORT_DUI
    _("Export du Dossier Usager Informatisé"),
    # JDV_J07 11369-6
    _("Historique des vaccinations"),
    # JDV_J07 11488-4
    _("CR ou fiche de consultation ou de visite"),
    # JDV_J07 11490-0
    _("Lettre de liaison à la sortie d'un établissement de soins"),
    # JDV_J07 34112-3
    _("CR hospitalier (séjour)"),
    # JDV_J07 11502-2
    _("CR d'examens biologiques"),
    # JDV_J07 11505-5
    _("CR d'acte thérapeutique (autre)"),
    # JDV_J07 11506-3
    _("CR ou fiche de suivi de soins par auxiliaire médical"),
    # JDV_J07 15507-7
    _("CR de passage aux urgences"),
    # JDV_J07 15508-5
    _("CR d'accouchement"),
    # JDV_J07 18776-5
    _("Plan personnalisé de soins"),
    # JDV_J07 18748-4
    _("CR d'imagerie médicale"),
    # JDV_J07 18761-7
    _("Note de transfert (dont lettre de liaison à l'entrée en établissement de soins)"),
    # JDV_J07 28617-9
    _("Bilan bucco-dentaire"),
    # JDV_J07 28653-4
    _("Document du secteur social / médico-social"),
    # JDV_J07 29274-8
    _("Mesures de signes vitaux"),
    # JDV_J07 34120-6
    _("Bilan par professionnel de santé"),
    # JDV_J07 34133-9
    _("Synthèse d'épisode de soins"),
    # JDV_J07 34749-2
    _("CR de consultation pré-anesthésique"),
    # JDV_J07 34794-8
    _("CR de réunion de concertation pluridisciplinaire"),
    # JDV_J07 34842-5
    _("Grille d'évaluation médico-social"),
    # JDV_J07 34874-8
    _("CR opératoire"),
    # JDV_J07 34875-5
    _("Évaluation postopératoire et note de suivi"),
    # JDV_J07 47420-5
    _("CR de bilan fonctionnel"),
    # JDV_J07 51851-4
    _("Document administratif"),
    # JDV_J07 51969-4
    _("CR de génétique moléculaire"),
    # JDV_J07 52040-3
    _("Document encapsulant une image d'illustration non DICOM"),
    # JDV_J07 55115-0
    _("Demande d'actes d'imagerie"),
    # JDV_J07 56445-0
    _("Bilan médicamenteux (Officine)"),
    # JDV_J07 56446-8
    _("Notification de rendez-vous"),
    # JDV_J07 57828-6
    _("Prescription (autre)"),
    # JDV_J07 57832-8
    _("Prescription de soins"),
    # JDV_J07 57833-6
    _("Prescription de produits de santé"),
    # JDV_J07 59283-2
    _("CR d'examen de l'enfant"),
    # JDV_J07 59284-0
    _("Attestation de consentement"),
    # JDV_J07 60280-5
    _("Fiche de retour du service des urgences"),
    # JDV_J07 60568-3
    _("CR d'anatomie et de cytologie pathologiques"),
    # JDV_J07 60591-5
    _("Synthèse médicale"),
    # JDV_J07 60593-1
    _("Dispensation médicamenteuse"),
    # JDV_J07 61357-0
    _("Intervention pharmaceutique"),
    # JDV_J07 67851-6
    _("CR d'admission"),
    # JDV_J07 68599-0
    _("Synthèse psychiatrique"),
    # JDV_J07 68817-6
    _("Bilan de santé et de prévention de l'enfant"),
    # JDV_J07 70004-7
    _("CR d'acte diagnostique (autre)"),
    # JDV_J07 78341-5
    _("Fiche de transfert vers le service des urgences"),
    # JDV_J07 74207-2
    _("Document de liaison d'urgence"),
    # JDV_J07 74465-6
    _("Questionnaire patient"),
    # JDV_J07 75468-9
    _("Renouvellement ordonnance par pharmacien correspondant"),
    # JDV_J07 75482-0
    _("CR d'acte thérapeutique à visée préventive"),
    # JDV_J07 75492-9
    _("CR d'acte diagnostique à visée préventive ou de dépistage"),
    # JDV_J07 75496-0
    _("Demande d'acte de télémédecine"),
    # JDV_J07 77436-4
    _("CR d'anesthésie"),
    # JDV_J07 77604-7
    _("Planification thérapeutique"),
    # JDV_J07 78513-9
    _("CR de consultation en ophtalmologie"),
    # JDV_J07 78601-2
    _("CR d'entretien pharmaceutique"),
    # JDV_J07 80565-5
    _("CR d'administration de médicaments"),
    # JDV_J07 80771-9
    _("Projet d'accueil individualisé"),
    # JDV_J07 80788-3
    _("Projet personnalisé d'accompagnement"),
    # JDV_J07 80820-4
    _("Formulaire de conciliation médicamenteuse (Hôpital)"),
    # JDV_J07 83836-7
    _("Schéma dentaire"),
    # JDV_J07 83869-8
    _("Plan personnalisé de prévention"),
    # JDV_J07 83901-9
    _("Bilan psychologique"),
    # JDV_J07 83981-1
    _("Lettre de liaison à la sortie d'une structure sociale ou médico-sociale"),
    # JDV_J07 85208-7
    _("CR de télémédecine"),
    # JDV_J07 86531-1
    _("Attestation de sortie"),
    # JDV_J07 87273-9
    _("Note de vaccination"),
    # JDV_J07 88348-8
    _("Lettre de liaison d'entrée en structure sociale ou médico-sociale"),
    # JDV_J07 89601-9
    _("Certificat médical"),
    # JDV_J07 93024-8
    _("CR de consultation pharmaceutique"),
    # JDV_J07 96349-6
    _("Lettre d'adressage"),
    # JDV_J07 96874-3
    _("COVID-19 Attestation de vaccination"),
    # JDV_J07 96173-0
    _("Test rapide d'orientation diagnostique"),
    # JDV_J07 57055-6
    _("Synthèse antepartum"),
    # JDV_J07 57057-2
    _("Synthèse Salle de Naissance Mère"),
    # JDV_J07 57075-4
    _("Synthèse Salle de Naissance Enfant"),
    # JDV_J07 89235-6
    _("Synthèse Suites de Couches Mère"),
    # JDV_J07 78489-2
    _("Synthèse Enfant en Maternité"),
    # JDV_J07 89233-1
    _("CR de grossesse"),
    # JDV_J07 101881-1
    _("Carte d'implant"),
    # JDV_J07 E1762
    _("Full Document"),
    # prevention/rules.json sources VACCINATION
    _(
        "Calendrier des vaccinations et recommandations vaccinales 2025, ministère chargé de la santé (calendrier général)"
    ),
    # prevention/rules.json sources CHILD_EXAM
    _(
        "Code de la santé publique, article R2132-1, et arrêté du 26 février 2019 (20 examens médicaux obligatoires de l'enfant, de la naissance à 16 ans)"
    ),
    # prevention/rules.json sources DENTAL
    _(
        "Assurance Maladie, programme M'T dents (examen bucco-dentaire pris en charge à 3, 6, 9, 12, 15, 18, 21 et 24 ans)"
    ),
    # prevention/rules.json sources SCREENING
    _(
        "Institut national du cancer (INCa) et Haute Autorité de santé (HAS) : dépistages organisés des cancers du sein, colorectal et du col de l'utérus"
    ),
    # prevention/rules.json sources CHECKUP
    _(
        "Mon bilan prévention (ministère chargé de la santé et Assurance Maladie) : aux âges clés de 18 à 25 ans, de 45 à 50 ans, de 60 à 65 ans et de 70 à 75 ans"
    ),
    # prevention/rules.json vaccination why_fr
    _("Vaccination recommandée à cet âge par le calendrier des vaccinations 2025."),
    # prevention/rules.json vaccination why_mandatory_fr
    _(
        "Vaccination obligatoire à cet âge pour les enfants nés depuis 2018 (calendrier des vaccinations 2025)."
    ),
    # prevention/rules.json EXAM_01 label_fr
    _("Examen de l'enfant dans les 8 jours après la naissance"),
    # prevention/rules.json EXAM_02 label_fr
    _("Examen de l'enfant au cours de la 2e semaine"),
    # prevention/rules.json EXAM_03 label_fr
    _("Examen de l'enfant avant la fin du 1er mois"),
    # prevention/rules.json EXAM_04 label_fr
    _("Examen de l'enfant au 2e mois"),
    # prevention/rules.json EXAM_05 label_fr
    _("Examen de l'enfant au 3e mois"),
    # prevention/rules.json EXAM_06 label_fr
    _("Examen de l'enfant au 4e mois"),
    # prevention/rules.json EXAM_07 label_fr
    _("Examen de l'enfant au 5e mois"),
    # prevention/rules.json EXAM_08 label_fr
    _("Examen de l'enfant au 6e mois"),
    # prevention/rules.json EXAM_09 label_fr
    _("Examen de l'enfant au 9e mois"),
    # prevention/rules.json EXAM_10 label_fr
    _("Examen de l'enfant au 12e mois"),
    # prevention/rules.json EXAM_11 label_fr
    _("Examen de l'enfant au 13e mois"),
    # prevention/rules.json EXAM_12 label_fr
    _("Examen de l'enfant entre 16 et 18 mois"),
    # prevention/rules.json EXAM_13 label_fr
    _("Examen de l'enfant au 24e mois"),
    # prevention/rules.json EXAM_14 label_fr
    _("Examen de l'enfant à 3 ans"),
    # prevention/rules.json EXAM_15 label_fr
    _("Examen de l'enfant à 4 ans"),
    # prevention/rules.json EXAM_16 label_fr
    _("Examen de l'enfant à 5 ans"),
    # prevention/rules.json EXAM_17 label_fr
    _("Examen de l'enfant à 6 ans"),
    # prevention/rules.json EXAM_18 label_fr
    _("Examen de l'enfant entre 8 et 9 ans"),
    # prevention/rules.json EXAM_19 label_fr
    _("Examen de l'enfant entre 11 et 13 ans"),
    # prevention/rules.json EXAM_20 label_fr
    _("Examen de l'enfant entre 15 et 16 ans"),
    # prevention/rules.json MTDENTS label_fr
    _("Examen bucco-dentaire M'T dents ({age} ans)"),
    # prevention/rules.json MTDENTS why_fr
    _("Examen bucco-dentaire pris en charge tous les 3 ans de 3 à 24 ans."),
    # prevention/rules.json SCREEN_BREAST label_fr
    _("Dépistage organisé du cancer du sein ({age} ans)"),
    # prevention/rules.json SCREEN_BREAST why_fr
    _("Femmes de 50 à 74 ans : une mammographie tous les 2 ans."),
    # prevention/rules.json SCREEN_COLORECTAL label_fr
    _("Dépistage organisé du cancer colorectal ({age} ans)"),
    # prevention/rules.json SCREEN_COLORECTAL why_fr
    _("Femmes et hommes de 50 à 74 ans : un test de dépistage à faire chez soi tous les 2 ans."),
    # prevention/rules.json SCREEN_CERVIX_CYTO label_fr
    _("Dépistage du cancer du col de l'utérus : examen cytologique ({age} ans)"),
    # prevention/rules.json SCREEN_CERVIX_CYTO why_fr
    _(
        "Femmes de 25 à 29 ans : deux examens cytologiques à un an d'intervalle, puis un troisième 3 ans plus tard."
    ),
    # prevention/rules.json SCREEN_CERVIX_HPV label_fr
    _("Dépistage du cancer du col de l'utérus : test HPV ({age} ans)"),
    # prevention/rules.json SCREEN_CERVIX_HPV why_fr
    _("Femmes de 30 à 65 ans : un test HPV tous les 5 ans."),
    # prevention/rules.json CHECKUP_18_25 label_fr
    _("Mon bilan prévention (18 à 25 ans)"),
    # prevention/rules.json CHECKUP_45_50 label_fr
    _("Mon bilan prévention (45 à 50 ans)"),
    # prevention/rules.json CHECKUP_60_65 label_fr
    _("Mon bilan prévention (60 à 65 ans)"),
    # prevention/rules.json CHECKUP_70_75 label_fr
    _("Mon bilan prévention (70 à 75 ans)"),
)
