-- The audit trail becomes append-only in the database itself, and gains signed checkpoints.
--
-- Rows of audit_log and audit_checkpoints can be inserted, never updated, deleted or
-- truncated: a trigger refuses it whatever the role's grants (the role that owns the
-- tables can still disable the triggers; what that role does afterwards is what the
-- checkpoints published outside the database reveal).
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '% on % refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- One row per signed checkpoint: the Merkle tree (RFC 9162) over the first tree_size
-- records in seq order, its root, the tree's right border (its 32-byte hashes concatenated,
-- left to right: enough to extend the tree without re-reading the records), and the signed
-- note published outside the database.
CREATE TABLE audit_checkpoints (
  tree_size     bigint PRIMARY KEY,
  root_hash     bytea NOT NULL,
  compact_range bytea NOT NULL,
  note          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
