-- One steady-state "list a patient's documents" request, as the app issues it over HTTP
-- (see results/read_documents_queries.sql for the captured SQL). Same tables, filters, joins, locks and
-- writes; column lists shortened to *; the patient and professional are addressed by id where the app
-- uses their public id (both are unique-index lookups).
-- (Since the read-path work of issue 3: patient and professional read once, standing + blocks in one
-- query without joins, decision and trace in ONE transaction, chain head locked with one SELECT ... FOR
-- UPDATE, no session write: SESSION_SAVE_EVERY_REQUEST off. The mix before that is *_before.sql.)
\set s random(0, :nsessions - 1)
\set uid :umin + :s / :perreader
\set prid :prmin + :s / :perreader
\set pid random(:pmin, :pmin + :npatients - 1)
-- session + user (SessionMiddleware, AuthenticationMiddleware)
SELECT * FROM django_session WHERE expire_date > now() AND session_key = 'benchs' || lpad(:s::text, 26, '0') LIMIT 21;
SELECT * FROM accounts_user WHERE id = :uid LIMIT 21;
-- the session's enrolled device (accounts.middleware.DeviceMiddleware)
SELECT * FROM accounts_device WHERE id = :dvmin + :s AND user_id = :uid LIMIT 1;
-- patient resolver (+ space), caller's professional (+ qualification): read once, reused by the gateway
SELECT * FROM identity_person LEFT OUTER JOIN spaces_healthspace ON identity_person.id = spaces_healthspace.person_id WHERE identity_person.id = :pid LIMIT 1;
SELECT * FROM identity_professional LEFT OUTER JOIN access_professionalqualification ON identity_professional.id = access_professionalqualification.professional_id WHERE identity_professional.id = :prid LIMIT 1;
-- ONE transaction: facts, documents, trace (hash chain append under the chain-head row lock)
BEGIN;
-- access.gateway.access_scope: standing + blocks, emergency settings, consents
SELECT * FROM access_professionalstanding WHERE patient_id = :pid AND professional_id = :prid;
SELECT * FROM access_emergencysettings WHERE patient_id = :pid LIMIT 1;
SELECT kind, professional_id, organisation_id, started_at, expires_at FROM access_carerelation WHERE ended_at IS NULL AND patient_id = :pid AND professional_id = :prid;
-- the documents (one query, policy applied in Python by the app)
SELECT * FROM records_document LEFT OUTER JOIN identity_professional ON records_document.author_professional_id = identity_professional.id LEFT OUTER JOIN identity_organisation ON records_document.author_organisation_id = identity_organisation.id LEFT OUTER JOIN records_document T4 ON records_document.replaces_id = T4.id LEFT OUTER JOIN records_blob ON records_document.blob_id = records_blob.id WHERE records_document.deleted_at IS NULL AND records_document.patient_id = :pid AND records_document.status = 'Approved' ORDER BY records_document.deposited_at DESC, records_document.id DESC;
SELECT seq AS head_seq, head_hash FROM audit_chainhead WHERE chain = 'p:' || :pid LIMIT 1 FOR UPDATE \gset
INSERT INTO audit_trace (chain, patient_id, seq, at, actor_kind, actor_id, actor_label, action, "group", object_type, object_id, mode, reason, outcome, details, prev_hash, hash) VALUES ('p:' || :pid, :pid, :head_seq + 1, now(), 'PROFESSIONAL', '2c566a31-0fb1-407f-896e-679d5afc688f', 'Paul LEROY', 'DOCUMENT_LIST', 'documents', 'record', '', 'NORMAL', '', 'ALLOW', '{"rule": "R-MAT-3", "count": 12}', ':head_hash', encode(sha256(convert_to(':head_hash' || :head_seq::text, 'UTF8')), 'hex'));
UPDATE audit_chainhead SET seq = :head_seq + 1, head_hash = encode(sha256(convert_to(':head_hash' || :head_seq::text, 'UTF8')), 'hex') WHERE chain = 'p:' || :pid;
COMMIT;
-- no session write (refreshed at most once a minute per session)
