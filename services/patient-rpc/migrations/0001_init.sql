-- Patients enrolled in trials. Ids are UUIDv7 (time-ordered), so keyset pagination by id
-- walks patients in creation order.
CREATE TABLE patients (
  id            uuid PRIMARY KEY,
  trial_id      text NOT NULL,
  site_id       text NOT NULL,
  subject_code  text NOT NULL,
  given_name    text NOT NULL,
  family_name   text NOT NULL,
  birth_date    date NOT NULL,
  sex           text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (trial_id, subject_code)
);

-- One scored ePRO response; the client-chosen submission id makes submission idempotent.
CREATE TABLE questionnaire_responses (
  submission_id uuid PRIMARY KEY,
  patient_id    uuid NOT NULL REFERENCES patients (id),
  instrument    text NOT NULL,
  answers       smallint[] NOT NULL,
  total_score   integer NOT NULL,
  severity      text NOT NULL,
  flags         text[] NOT NULL DEFAULT '{}',
  completed_at  timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  import_id     uuid
);
CREATE INDEX questionnaire_responses_patient ON questionnaire_responses (patient_id, completed_at);

-- Append-only audit trail. Each record carries the hash of the previous one, so any
-- change, deletion or reordering breaks the chain (scripts/audit-verify.ts finds where).
CREATE TABLE audit_log (
  seq         bigint PRIMARY KEY,
  time        timestamptz NOT NULL,
  actor       text NOT NULL,
  role        text NOT NULL,
  action      text NOT NULL,
  patient_id  text NOT NULL,
  outcome     text NOT NULL,
  request_id  text NOT NULL,
  trace_id    text NOT NULL,
  prev_hash   text NOT NULL,
  hash        text NOT NULL
);
CREATE INDEX audit_log_patient ON audit_log (patient_id, seq);
