-- Import lines are validated and scored as they arrive and staged as typed rows, so each
-- batch is applied inside PostgreSQL by one statement (DELETE … RETURNING feeding
-- INSERT … SELECT) instead of travelling back to patient-rpc.
-- Jobs still open from the text-staging format cannot be resumed: they are marked failed
-- (a re-upload is safe, submissions are idempotent).
UPDATE import_jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL, updated_at = now(),
  finished_at = now()
WHERE state IN ('receiving', 'staged', 'running');

DROP TABLE import_lines;

-- Staged lines of jobs not yet applied; each batch deletes the lines it applies. A line that
-- failed validation keeps only its number and `error`.
CREATE TABLE import_lines (
  job_id        uuid NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
  line          bigint NOT NULL,
  submission_id uuid,
  patient_id    uuid,
  instrument    text,
  answers       smallint[],
  total_score   integer,
  severity      text,
  flags         text[],
  completed_at  timestamptz,
  error         text,
  PRIMARY KEY (job_id, line)
);

-- The number of the upload's last line (blank lines included). Progress is no longer a
-- cursor: a batch consumes its staged lines in the transaction that applies them, so the
-- lines still staged are exactly the work left, and batches may commit in any order.
ALTER TABLE import_jobs ADD COLUMN last_line bigint NOT NULL DEFAULT 0;

ALTER TABLE import_jobs DROP COLUMN cursor;
