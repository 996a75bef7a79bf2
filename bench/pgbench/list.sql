-- One steady-state "list a patient's documents" request, as the app issues it over HTTP since the plain-SQL pass of issue 3
-- (see results/read_documents_queries.sql for the captured SQL): same tables, filters, joins, locks and
-- writes; column lists shortened to *; the patient is addressed by id where the app uses his public id
-- (a unique-index lookup). Session with its device and user (+ person, professional, qualification) in one
-- statement, patient (+ space); ONE transaction: emergency settings + standing + consents in one statement, documents, the
-- trace INSERT + its transparency-log queue row in one statement (ADR 0007: no chain head any more; the leaf
-- hash and the signed entry timestamp are computed by the app). Earlier mixes: *_pass4.sql (chain head
-- FOR UPDATE + WITH INSERT UPDATE), *_pass2.sql (session, user, device read separately), *_pass1.sql, *_before.sql.
\set s random(0, :nsessions - 1)
\set uid :umin + :s / :perreader
\set prid :prmin + :s / :perreader
\set pid random(:pmin, :pmin + :npatients - 1)
-- session (carnet.accounts.sessions.db) with the device holding its key and that device's user (+ person,
-- professional, qualification): ONE statement (accounts.backends / accounts.middleware take them from it)
-- The documents statement also brings the patient's wrapped data key (ADR 0008: sealed titles open without a statement of their own).
SELECT * FROM django_session s LEFT JOIN accounts_device d ON d.session_key = s.session_key LEFT JOIN accounts_user u ON u.id = d.user_id LEFT JOIN identity_person pe ON pe.id = u.person_id LEFT JOIN identity_professional pr ON pr.id = u.professional_id LEFT JOIN access_professionalqualification q ON q.professional_id = pr.id WHERE s.session_key = 'benchs' || lpad(:s::text, 26, '0') AND s.expire_date > now() LIMIT 2;
-- patient resolver (+ space)
SELECT * FROM identity_person p LEFT JOIN spaces_healthspace s ON s.person_id = p.id WHERE p.id = :pid;
BEGIN;
-- access.gateway._patient_rows: emergency settings + standings (blocks) + active consents, one statement
SELECT * FROM (SELECT 1 AS one) AS base LEFT JOIN access_emergencysettings e ON e.patient_id = :pid LEFT JOIN access_professionalstanding st ON st.patient_id = :pid AND (st.professional_id = :prid OR st.organisation_id = NULL) LEFT JOIN access_carerelation cr ON cr.patient_id = :pid AND cr.ended_at IS NULL AND (cr.professional_id = :prid OR cr.organisation_id = NULL);
SELECT * FROM records_document LEFT OUTER JOIN identity_professional ON records_document.author_professional_id = identity_professional.id LEFT OUTER JOIN identity_organisation ON records_document.author_organisation_id = identity_organisation.id LEFT OUTER JOIN records_document T4 ON records_document.replaces_id = T4.id LEFT OUTER JOIN records_blob ON records_document.blob_id = records_blob.id LEFT OUTER JOIN records_patientkey ON records_patientkey.patient_id = records_document.patient_id WHERE records_document.deleted_at IS NULL AND records_document.patient_id = :pid AND records_document.status = 'Approved' ORDER BY records_document.deposited_at DESC, records_document.id DESC;
WITH ins AS (INSERT INTO audit_trace (patient_id, at, actor_kind, actor_id, actor_label, action, "group", object_type, object_id, mode, reason, outcome, details, nonce, leaf_hash, sct, key_id) VALUES (:pid, now(), 'PROFESSIONAL', '2c566a31-0fb1-407f-896e-679d5afc688f', 'Paul LEROY', 'DOCUMENT_LIST', 'documents', 'record', '', 'NORMAL', '', 'ALLOW', '{"rule": "R-MAT-3", "count": 12}', md5(random()::text), encode(sha256(convert_to(random()::text, 'UTF8')), 'hex'), 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==', '30b43552f2aadab6') RETURNING id) INSERT INTO audit_logqueue (trace_id) SELECT id FROM ins RETURNING trace_id;
COMMIT;
-- no session write (refreshed at most once a minute per session)
