-- Appends without a global tail: a record's position comes from a sequence, not from the
-- previous record's hash, so any number of replicas append at once without contending.
-- The Merkle tree of the ledger (0004) now links the records: records written before this
-- migration keep their hash chain (prev_hash, hash) and verify as before for their range;
-- later ones leave both columns NULL. A sequence value whose transaction never committed
-- leaves a hole, which the sequencer seals with an 'audit.gap' record once it is older
-- than audit.checkpoints.gapGraceMs, so the tree always covers a gap-free run of seq.
CREATE SEQUENCE audit_log_seq AS bigint OWNED BY audit_log.seq;
SELECT setval('audit_log_seq', COALESCE((SELECT max(seq) FROM audit_log), 0) + 1, false);
ALTER TABLE audit_log
  ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq'),
  ALTER COLUMN prev_hash DROP NOT NULL,
  ALTER COLUMN hash DROP NOT NULL;

-- Roots of the tree's complete tiles: tile t is the perfect subtree over the records with
-- seq t*256+1 .. t*256+256. Proofs read these instead of every record (a proof in a tree
-- of n records reads at most two tiles of records and n/256 roots). Not trusted: a wrong
-- root only makes a proof fail against the signed checkpoint.
CREATE TABLE audit_tiles (
  tile  bigint PRIMARY KEY,
  root  bytea NOT NULL
);
CREATE TRIGGER audit_tiles_append_only BEFORE UPDATE OR DELETE ON audit_tiles
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_tiles_no_truncate BEFORE TRUNCATE ON audit_tiles
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Privileges as well as triggers: the role that runs the migrations (the tables' owner)
-- gives up UPDATE, DELETE and TRUNCATE on the trail. An owner could grant them back, and
-- disable the triggers: the checkpoints published outside the database reveal what follows.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_checkpoints, audit_tiles FROM PUBLIC, CURRENT_USER;
