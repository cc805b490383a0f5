-- ePRO bulk import jobs. An upload is `receiving` while its lines are staged, `staged`
-- once the whole upload is durable, then `running` under a lease held by one replica,
-- and finally `done`, `failed` or `aborted` (client went away mid-upload).
-- `cursor` is the last processed line number; it and the counts are committed in the same
-- transaction as each batch's inserts, so a resumed job never counts a line twice.
CREATE TABLE import_jobs (
  id               uuid PRIMARY KEY,
  state            text NOT NULL,
  actor            text NOT NULL,
  lines_total      bigint NOT NULL DEFAULT 0,
  cursor           bigint NOT NULL DEFAULT 0,
  lines_processed  bigint NOT NULL DEFAULT 0,
  accepted         bigint NOT NULL DEFAULT 0,
  rejected         bigint NOT NULL DEFAULT 0,
  duplicate        bigint NOT NULL DEFAULT 0,
  first_errors     jsonb NOT NULL DEFAULT '[]',
  attempts         integer NOT NULL DEFAULT 0,
  lease_owner      text,
  lease_until      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz
);
CREATE INDEX import_jobs_open ON import_jobs (state, lease_until) WHERE state IN ('receiving', 'staged', 'running');

-- Staged upload lines, deleted when their job finishes or is aborted. `body` is NULL
-- when the line could not be staged (too long, not UTF-8); `error` then says why.
CREATE TABLE import_lines (
  job_id  uuid NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
  line    bigint NOT NULL,
  body    text,
  error   text,
  PRIMARY KEY (job_id, line)
);
