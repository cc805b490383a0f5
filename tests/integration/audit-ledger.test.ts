// The audit trail against an insider with the database's owner role, on PostgreSQL 15.
// The store begins as one written before the ledger (migrations up to 0004, records
// hash-chained as the old writer did); patient-rpc then migrates it and appends by sequence,
// and its sequencer puts every record, old and new, into a Merkle tree (RFC 9162) whose
// checkpoints it signs (C2SP signed note) and publishes outside the database (here its
// file sink). Each tampering is applied to a copy of the finished database, after taking
// back the privileges the migrations revoke and disabling the append-only triggers, as only
// the tables' owner can; scripts/audit-verify.ts, given the published checkpoints, must say
// what changed and where. The hash chain alone misses most of these.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_COLUMNS, toChained, type AuditRow } from '../../services/patient-rpc/src/audit/AuditLog.ts';
import { chain, hashRecord, GENESIS_HASH } from '../../services/patient-rpc/src/domain/auditChain.ts';
import {
  createNoteSigner,
  formatCheckpoint,
  parseCheckpoint,
} from '../../services/patient-rpc/src/audit/ledger/checkpoint.ts';
import { createPgDb } from '../../services/patient-rpc/src/store/createPgDb.ts';
import { migrate } from '../../services/patient-rpc/src/store/migrate.ts';
import { AUDIT_ORIGIN, createAuditKey } from '../support/auditKey.ts';
import { request } from '../support/http.ts';
import { apiEnv, ROOT, rpcEnv, startService, testAuditKey } from '../support/services.ts';
import { withDb } from '../support/db.ts';
import { createTestKeys } from '../support/tokens.ts';

const MIGRATIONS = join(ROOT, 'services/patient-rpc/migrations');
/** Records of the store before the ledger: seq 1..LEGACY carry the old hash chain. */
const LEGACY = 10;
const run = promisify(execFile);
let base: string;
let checkpointsFile: string;
let sizes: number[];

/** A copy of the finished store, tampered with by `change` as the tables' owner. */
async function tampered(name: string, change: (db: pg.Client) => Promise<void>): Promise<string> {
  const url = new URL(base);
  url.pathname = `/${name}_${Date.now()}`;
  await withDb(inject('postgresUrl'), (db) =>
    db.query(`CREATE DATABASE ${url.pathname.slice(1)} TEMPLATE ${new URL(base).pathname.slice(1)}`),
  );
  await withDb(url.toString(), async (db) => {
    await db.query('GRANT UPDATE, DELETE ON audit_log, audit_checkpoints TO CURRENT_USER');
    await db.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await db.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
    await change(db);
  });
  return url.toString();
}

/**
 * A database owned by a role of its own, not a superuser (who passes every privilege
 * check): as patient-rpc's role is in production. It runs the migrations, so it owns the
 * tables; the superuser only copies and reads.
 */
async function ownedDatabase(name: string): Promise<string> {
  await withDb(inject('postgresUrl'), async (db) => {
    await db.query(`CREATE ROLE ${name} LOGIN`);
    await db.query(`CREATE DATABASE ${name} OWNER ${name}`);
  });
  const url = new URL(inject('postgresUrl'));
  url.username = name;
  url.pathname = `/${name}`;
  return url.toString();
}

/** The store as it was before the ledger: the schema up to 0004 and LEGACY hash-chained records. */
async function legacyStore(url: string): Promise<void> {
  const before = mkdtempSync(join(tmpdir(), 'pm-migrations-'));
  for (const file of readdirSync(MIGRATIONS).filter((f) => f < '0005'))
    copyFileSync(join(MIGRATIONS, file), join(before, file));
  const db = createPgDb({ url, poolMax: 1, statementTimeoutMs: 10_000 });
  try {
    await migrate(db, before);
    const entries = Array.from({ length: LEGACY }, (_, i) => ({
      actor: 'dr-legacy',
      role: 'clinician',
      action: 'patient.read',
      patientId: `legacy-${i}`,
      outcome: 'ok' as const,
      requestId: `legacy-${i}`,
      traceId: '',
    }));
    for (const r of chain(entries, { seq: 0n, hash: GENESIS_HASH }, new Date()))
      await db.query(
        `INSERT INTO audit_log (seq, time, actor, role, action, patient_id, outcome, request_id, trace_id, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          r.seq.toString(),
          r.time,
          r.actor,
          r.role,
          r.action,
          r.patientId,
          r.outcome,
          r.requestId,
          r.traceId,
          r.prevHash,
          r.hash,
        ],
      );
  } finally {
    await db.close();
  }
}

/** Rewrites the legacy chain from the first record on, so every hash is self-consistent again. */
async function rechain(db: pg.Client): Promise<void> {
  const { rows } = await db.query<AuditRow>(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE hash IS NOT NULL ORDER BY audit_log.seq`,
  );
  let prevHash = GENESIS_HASH;
  for (const r of rows) {
    const hash = hashRecord({ ...toChained(r), prevHash });
    await db.query('UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3', [prevHash, hash, r.seq]);
    prevHash = hash;
  }
}

async function verify(url: string, verifierKey = testAuditKey.verifierKey, published = true) {
  const args = ['scripts/audit-verify.ts', '--database-url', url, '--verifier-key', verifierKey];
  if (published) args.push('--checkpoints', checkpointsFile);
  return run(process.execPath, args, { cwd: ROOT }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe('signed audit checkpoints against database tampering', () => {
  beforeAll(async () => {
    const keys = await createTestKeys();
    const token = await keys.token({ roles: ['clinician'] });
    base = await ownedDatabase(`ledger_${Date.now()}`);
    await legacyStore(base);
    checkpointsFile = join(mkdtempSync(join(tmpdir(), 'pm-ledger-')), 'checkpoints.jsonl');
    const rpc = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, {
        PM_DATABASE__URL: base,
        PM_SEED__PATIENTS: '3',
        PM_AUDIT__CHECKPOINTS__FILE: checkpointsFile,
        PM_AUDIT__CHECKPOINTS__INTERVAL_MS: '100',
      }),
    });
    const api = await startService('patient-api', { env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile) });
    const url = `http://127.0.0.1:${api.ports.http}/api/v1/patients?limit=1`;
    // Three waves of reads, each sealed by a checkpoint, so there are checkpoints of several sizes.
    for (let wave = 0; wave < 3; wave++) {
      for (let i = 0; i < 12; i++) expect((await request(url, { token })).status).toBe(200);
      const total = await withDb(base, async (db) =>
        Number((await db.query('SELECT count(*) FROM audit_log')).rows[0].count),
      );
      await rpc.waitForLog((r) => r.msg === 'audit checkpoint' && Number(r['treeSize']) >= total);
    }
    expect(await api.stop()).toBe(0);
    expect(await rpc.stop()).toBe(0);
    sizes = readFileSync(checkpointsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => Number((JSON.parse(line) as { note: string }).note.split('\n')[1]));
    expect(sizes.length).toBeGreaterThanOrEqual(3);
  });

  it('verifies the untouched log: the legacy chain for its range, every record against every checkpoint', async () => {
    const ok = await verify(base);
    expect(ok.out).toContain(`audit chain intact: ${LEGACY} records verified`);
    expect(ok.out).toContain(
      `checkpoints: ${sizes.length} published outside the database, ${sizes.length} read from it`,
    );
    expect(ok.out).toContain(`audit log matches ${sizes.length} signed checkpoints (${sizes.at(-1)} records)`);
    expect(ok.code).toBe(0);
    // The legacy records are the first leaves, unchanged; the new ones follow them by sequence.
    await withDb(base, async (db) => {
      const { rows } = await db.query<{ seq: string; chained: boolean }>(
        'SELECT seq::text AS seq, hash IS NOT NULL AS chained FROM audit_log ORDER BY audit_log.seq',
      );
      expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
      expect(rows.map((r) => r.chained)).toEqual(rows.map((_, i) => i < LEGACY));
    });
  });

  it('the database refuses changes: no privilege, and a trigger behind it', async () => {
    await withDb(base, async (db) => {
      await expect(db.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/permission denied/);
      await expect(db.query('TRUNCATE audit_log')).rejects.toThrow(/permission denied/);
      await expect(db.query("UPDATE audit_checkpoints SET note = ''")).rejects.toThrow(/permission denied/);
      await db.query('BEGIN');
      await db.query('GRANT UPDATE, DELETE ON audit_log, audit_checkpoints TO CURRENT_USER');
      await expect(db.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only/);
      await db.query('ROLLBACK');
    });
  });

  it('an edited legacy record: the chain breaks there, and the checkpoints do not match', async () => {
    const url = await tampered('ledger_edit', (db) =>
      db.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5").then(() => {}),
    );
    const result = await verify(url);
    expect(result.code).toBe(1);
    expect(result.out).toContain('audit chain BROKEN at seq 5: hash mismatch');
    for (const size of sizes) expect(result.out).toContain(`checkpoint ${size}: REWRITTEN`);
  });

  it('an edited record after the chain: the checkpoints from it on do not match, the earlier ones do', async () => {
    const seq = sizes[0]! + 2;
    const url = await tampered('ledger_edit_new', (db) =>
      db.query("UPDATE audit_log SET outcome = 'denied' WHERE seq = $1", [seq]).then(() => {}),
    );
    const result = await verify(url);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`audit chain intact: ${LEGACY} records verified`);
    for (const size of sizes) expect(result.out).toContain(`checkpoint ${size}: ${size < seq ? 'ok' : 'REWRITTEN'}`);
  });

  it('the newest records deleted, and the checkpoints stored for them: the published last one says truncated', async () => {
    const last = sizes.at(-1)!;
    const url = await tampered('ledger_truncate', async (db) => {
      await db.query('DELETE FROM audit_log WHERE seq > $1', [last - 5]);
      await db.query('DELETE FROM audit_checkpoints WHERE tree_size > $1', [last - 5]);
    });
    const result = await verify(url);
    expect(result.out).toContain(
      `checkpoint ${last}: TRUNCATED: a checkpoint covers ${last} records but the log has ${last - 5}`,
    );
    expect(result.code).toBe(1);
    // The database's own checkpoints cannot reveal it: they were deleted with the records.
    const stored = await verify(url, testAuditKey.verifierKey, false);
    expect(stored.code).toBe(0);
    expect(stored.out).toContain('a truncation would not show');
  });

  it('a middle record deleted: a sequence gap, and every later checkpoint truncated or rewritten', async () => {
    const url = await tampered('ledger_delete', (db) =>
      db.query('DELETE FROM audit_log WHERE seq = 20').then(() => {}),
    );
    const result = await verify(url);
    expect(result.out).toContain('audit log: sequence gap at seq 21');
    expect(result.out).toContain(`checkpoint ${sizes.at(-1)}: TRUNCATED`);
    expect(result.code).toBe(1);
  });

  it('a legacy record edited and the chain recomputed: the chain verifies, the checkpoints do not', async () => {
    const url = await tampered('ledger_rechain', async (db) => {
      await db.query("UPDATE audit_log SET outcome = 'denied' WHERE seq = 3");
      await rechain(db);
    });
    const result = await verify(url);
    expect(result.out).toContain(`audit chain intact: ${LEGACY} records verified`);
    for (const size of sizes) expect(result.out).toContain(`checkpoint ${size}: REWRITTEN`);
    expect(result.code).toBe(1);
    // Without published checkpoints, the ones stored in the database reveal it as well.
    const stored = await verify(url, testAuditKey.verifierKey, false);
    expect(stored.out).toContain(`checkpoint ${sizes[0]}: REWRITTEN`);
    expect(stored.code).toBe(1);
  });

  it('two records swapped: located after the last checkpoint that still matches', async () => {
    // Two records between consecutive checkpoints, so one checkpoint before them still matches.
    const i = sizes.findIndex((size, k) => k > 0 && size - sizes[k - 1]! >= 2);
    const [before, after] = [sizes[i - 1]!, sizes[i]!];
    const url = await tampered('ledger_swap', (db) =>
      db
        .query(
          `UPDATE audit_log a SET actor = b.actor, request_id = b.request_id, action = b.action, time = b.time
           FROM audit_log b WHERE (a.seq, b.seq) IN (($1, $2), ($2, $1))`,
          [before + 1, before + 2],
        )
        .then(() => {}),
    );
    const result = await verify(url);
    expect(result.out).toContain(`checkpoint ${before}: ok`);
    expect(result.out).toContain(
      `checkpoint ${after}: REWRITTEN: the first ${after} records do not match the signed root: a record with seq ${before + 1}..${after}`,
    );
    expect(result.code).toBe(1);
  });

  it('the whole trail replaced by a self-consistent forgery, with checkpoints signed by another key', async () => {
    const forger = createAuditKey();
    const signer = createNoteSigner(AUDIT_ORIGIN, createPrivateKey(readFileSync(forger.signingKeyFile)));
    const url = await tampered('ledger_forgery', async (db) => {
      await db.query("UPDATE audit_log SET actor = 'nobody', request_id = 'forged-' || seq");
      await rechain(db);
      // New notes for the stored checkpoints: the forger has a key, not the service's.
      const { rows } = await db.query<{ tree_size: string; note: string }>(
        'SELECT tree_size::text AS tree_size, note FROM audit_checkpoints',
      );
      for (const row of rows) {
        const body = row.note.slice(0, row.note.indexOf('\n\n') + 1);
        const note = signer.sign(formatCheckpoint({ ...parseCheckpoint(body) }));
        await db.query('UPDATE audit_checkpoints SET note = $1 WHERE tree_size = $2', [note, row.tree_size]);
      }
    });
    const result = await verify(url);
    expect(result.out).toContain(`audit chain intact: ${LEGACY} records verified`);
    for (const size of sizes) {
      expect(result.out).toContain(`checkpoint ${size} in the database: FORGED`);
      expect(result.out).toContain(`checkpoint ${size}: REWRITTEN`);
    }
    expect(result.code).toBe(1);
  });

  it('refuses checkpoints that another key signed', async () => {
    const result = await verify(base, createAuditKey().verifierKey);
    expect(result.code).toBe(2);
    expect(result.out).toMatch(/audit-verify: .*(signature|key)/i);
  });
});
