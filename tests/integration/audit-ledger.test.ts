// The audit trail against an insider with the database's owner role, on PostgreSQL 15:
// patient-rpc signs checkpoints of the trail (RFC 9162 Merkle root, C2SP signed note) and
// publishes them outside the database (here its file sink). Each tampering is applied to a
// copy of the finished database, after disabling the append-only trigger as only the
// tables' owner can; scripts/audit-verify.ts, given the published checkpoints, must say
// what changed and where. Without checkpoints, two of these pass the hash chain unseen.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_COLUMNS, toChained, type AuditRow } from '../../services/patient-rpc/src/audit/AuditLog.ts';
import { hashRecord, GENESIS_HASH } from '../../services/patient-rpc/src/audit/auditChain.ts';
import { createAuditKey } from '../support/auditKey.ts';
import { request } from '../support/http.ts';
import { apiEnv, createDatabase, ROOT, rpcEnv, startService, testAuditKey } from '../support/services.ts';
import { createTestKeys } from '../support/tokens.ts';

const run = promisify(execFile);
let base: string;
let checkpointsFile: string;
let sizes: number[];

async function withDb<T>(url: string, fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/** A copy of the finished store, tampered with by `change` as the tables' owner. */
async function tampered(name: string, change: (db: pg.Client) => Promise<void>): Promise<string> {
  const url = new URL(base);
  url.pathname = `/${name}_${Date.now()}`;
  await withDb(inject('postgresUrl'), (db) =>
    db.query(`CREATE DATABASE ${url.pathname.slice(1)} TEMPLATE ${new URL(base).pathname.slice(1)}`),
  );
  await withDb(url.toString(), async (db) => {
    await db.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await change(db);
  });
  return url.toString();
}

/** Rewrites the chain from the first record on, so every hash is self-consistent again. */
async function rechain(db: pg.Client): Promise<void> {
  const { rows } = await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY audit_log.seq`);
  let prevHash = GENESIS_HASH;
  for (const r of rows) {
    const hash = hashRecord({ ...toChained(r), prevHash });
    await db.query('UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3', [prevHash, hash, r.seq]);
    prevHash = hash;
  }
}

async function verify(url: string, verifierKey = testAuditKey.verifierKey) {
  const args = [
    'scripts/audit-verify.ts',
    '--database-url',
    url,
    '--checkpoints',
    checkpointsFile,
    '--verifier-key',
    verifierKey,
  ];
  return run(process.execPath, args, { cwd: ROOT }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe('signed audit checkpoints against database tampering', () => {
  beforeAll(async () => {
    const keys = await createTestKeys();
    const token = await keys.token({ roles: ['clinician'] });
    base = await createDatabase(inject('postgresUrl'), `ledger_${Date.now()}`);
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

  it('verifies the untouched log against every checkpoint; the database refuses changes', async () => {
    const ok = await verify(base);
    expect(ok.out).toContain(`audit log matches ${sizes.length} signed checkpoints (${sizes.at(-1)} records)`);
    expect(ok.code).toBe(0);
    await withDb(base, async (db) => {
      await expect(db.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only/);
      await expect(db.query("UPDATE audit_checkpoints SET note = ''")).rejects.toThrow(/append-only/);
    });
  });

  it('an edited record: the chain breaks there, and the checkpoints after it do not match', async () => {
    const url = await tampered('ledger_edit', (db) =>
      db.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5").then(() => {}),
    );
    const result = await verify(url);
    expect(result.code).toBe(1);
    expect(result.out).toContain('audit chain BROKEN at seq 5: hash mismatch');
    for (const size of sizes) expect(result.out).toContain(`checkpoint ${size}: ${size < 5 ? 'ok' : 'REWRITTEN'}`);
  });

  it('the newest records deleted: the chain looks intact, the last checkpoint says truncated', async () => {
    const last = sizes.at(-1)!;
    const url = await tampered('ledger_truncate', (db) =>
      db.query('DELETE FROM audit_log WHERE seq > $1', [last - 5]).then(() => {}),
    );
    const result = await verify(url);
    expect(result.out).toContain('audit chain intact');
    expect(result.out).toContain(
      `checkpoint ${last}: TRUNCATED: a checkpoint covers ${last} records but the log has ${last - 5}`,
    );
    expect(result.code).toBe(1);
  });

  it('a middle record deleted: a sequence gap, and every later checkpoint rewritten', async () => {
    const url = await tampered('ledger_delete', (db) =>
      db.query('DELETE FROM audit_log WHERE seq = 20').then(() => {}),
    );
    const result = await verify(url);
    expect(result.out).toContain('audit log: sequence gap at seq 21');
    expect(result.out).toContain(`checkpoint ${sizes.at(-1)}: TRUNCATED`);
    expect(result.code).toBe(1);
  });

  it('one record edited and every later hash recomputed: the chain verifies, the checkpoints do not', async () => {
    const url = await tampered('ledger_rechain', async (db) => {
      await db.query("UPDATE audit_log SET outcome = 'denied' WHERE seq = 3");
      await rechain(db);
    });
    const result = await verify(url);
    expect(result.out).toContain('audit chain intact');
    for (const size of sizes) expect(result.out).toContain(`checkpoint ${size}: ${size < 3 ? 'ok' : 'REWRITTEN'}`);
    expect(result.code).toBe(1);
  });

  it('two records swapped and rechained: located after the last checkpoint that still matches', async () => {
    const [first, second] = [sizes[0]! + 1, sizes[0]! + 2];
    const url = await tampered('ledger_swap', async (db) => {
      await db.query(
        `UPDATE audit_log a SET actor = b.actor, request_id = b.request_id, action = b.action
         FROM audit_log b WHERE (a.seq, b.seq) IN (($1, $2), ($2, $1))`,
        [first, second],
      );
      await rechain(db);
    });
    const result = await verify(url);
    expect(result.out).toContain('audit chain intact');
    expect(result.out).toContain(`checkpoint ${sizes[0]}: ok`);
    expect(result.out).toContain(
      `checkpoint ${sizes[1]}: REWRITTEN: the first ${sizes[1]} records do not match the signed root: a record with seq ${sizes[0]! + 1}..${sizes[1]}`,
    );
    expect(result.code).toBe(1);
  });

  it('the whole table replaced by a self-consistent forgery of the same length', async () => {
    const url = await tampered('ledger_forgery', async (db) => {
      await db.query("UPDATE audit_log SET actor = 'nobody', request_id = 'forged-' || seq");
      await rechain(db);
    });
    const result = await verify(url);
    expect(result.out).toContain('audit chain intact');
    for (const size of sizes) expect(result.out).toContain(`checkpoint ${size}: REWRITTEN`);
    expect(result.code).toBe(1);
  });

  it('refuses checkpoints that another key signed', async () => {
    const result = await verify(base, createAuditKey().verifierKey);
    expect(result.code).toBe(2);
    expect(result.out).toMatch(/audit-verify: .*(signature|key)/i);
  });
});
