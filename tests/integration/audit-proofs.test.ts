// An auditor proves single records and the log's growth without database access, on
// PostgreSQL 15: patient-api serves inclusion proofs of audit records in signed checkpoints
// and consistency proofs between checkpoints (RFC 9162, C2SP signed notes), and two
// verifiers check them offline: the project's scripts/audit-verify.ts --proof, and an
// auditor's own tool written from the public specs alone (python/verify_audit_proof.py).
// Both must accept what the service serves and refuse a proof that was altered, a
// checkpoint another key signed, and a record edited in the database after the checkpoint
// the auditor holds was published.
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_COLUMNS, type AuditRow } from '../../services/patient-rpc/src/audit/AuditLog.ts';
import { createNoteSigner, verifyCheckpoint } from '../../services/patient-rpc/src/audit/ledger/checkpoint.ts';
import { auditLeafHash } from '../../services/patient-rpc/src/audit/ledger/leafData.ts';
import { rootOf, verifyConsistency } from '../../services/patient-rpc/src/audit/ledger/merkle.ts';
import { AUDIT_ORIGIN, createAuditKey } from '../support/auditKey.ts';
import { request } from '../support/http.ts';
import {
  apiEnv,
  createDatabase,
  ROOT,
  rpcEnv,
  startService,
  testAuditKey,
  type ServiceProcess,
} from '../support/services.ts';
import { withDb } from '../support/db.ts';
import { createTestKeys } from '../support/tokens.ts';

const run = promisify(execFile);
/** The fields of a record in the order its leaf bytes list them (the API's documented leaf format). */
const LEAF_FIELDS = [
  'seq',
  'time',
  'actor',
  'role',
  'action',
  'patientId',
  'outcome',
  'requestId',
  'traceId',
  'prevHash',
  'hash',
] as const;
const CLINICIAN = 'dr-proofs';
const AUDITOR = 'auditor-proofs';

type AuditRecord = Record<(typeof LEAF_FIELDS)[number], string>;
interface InclusionDoc {
  record: AuditRecord;
  leafData: string;
  leafIndex: number;
  treeSize: number;
  inclusion: string[];
  checkpoint: string;
}
interface ConsistencyDoc {
  fromSize: number;
  toSize: number;
  consistency: string[];
  fromCheckpoint?: string;
  toCheckpoint: string;
}
type ProofDoc = InclusionDoc | ConsistencyDoc;

interface VerifyOptions {
  /** Signed checkpoints the auditor holds (from outside the database). */
  held?: string[];
  verifierKey?: string;
}

let dir: string;
let dbUrl: string;
let apiUrl: string;
let rpc: ServiceProcess;
let api: ServiceProcess;
let checkpointsFile: string;
let clinician: string;
let auditor: string;
/** The checkpoint that sealed the first wave of reads, and the one that sealed the second. */
let early: { size: number; note: string };
let later: { size: number; note: string };
let files = 0;

/** The checkpoints patient-rpc has published outside the database so far: what an auditor keeps. */
const publishedNotes = (): string[] =>
  readFileSync(checkpointsFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { note: string }).note);

const sizeOf = (note: string): number => Number(note.split('\n')[1]);

/** The largest tree size up to the first wave's at which no checkpoint was signed. */
function unsignedSize(): number {
  const signed = new Set(publishedNotes().map(sizeOf));
  for (let size = early.size; size > 1; size--) if (!signed.has(size)) return size;
  throw new Error(`a checkpoint was signed at every size up to ${early.size}`);
}

const proof = (seq: number | string, treeSize?: number) =>
  request<InclusionDoc>(`${apiUrl}/api/v1/audit/${seq}/proof${treeSize ? `?treeSize=${treeSize}` : ''}`, {
    token: auditor,
  });

const consistency = (from: number, to?: number) =>
  request<ConsistencyDoc>(`${apiUrl}/api/v1/audit/consistency?from=${from}${to ? `&to=${to}` : ''}`, {
    token: auditor,
  });

async function ok<T>(response: Promise<{ status: number; body: T; text: string }>): Promise<T> {
  const { status, body, text } = await response;
  expect(status, text).toBe(200);
  return body;
}

/**
 * scripts/audit-verify.ts --proof, each document in a file of its own: the exit code and,
 * per document, its verdict ("ok: ..." or "FAILED: ...").
 */
async function auditVerify(
  docs: ProofDoc[],
  { held = [], verifierKey = testAuditKey.verifierKey }: VerifyOptions = {},
) {
  const paths = docs.map((doc) => {
    const path = join(dir, `proof-${++files}.json`);
    writeFileSync(path, JSON.stringify(doc));
    return path;
  });
  const args = ['scripts/audit-verify.ts', ...paths.flatMap((p) => ['--proof', p]), '--verifier-key', verifierKey];
  if (held.length > 0) {
    const path = join(dir, `held-${++files}.jsonl`);
    writeFileSync(path, held.map((note) => `${JSON.stringify({ note })}\n`).join(''));
    args.push('--checkpoints', path);
  }
  const { code, out } = await run(process.execPath, args, { cwd: ROOT }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
  const lines = out.split('\n');
  const verdicts = paths.map((p) => lines.find((l) => l.startsWith(`${p}: `))?.slice(p.length + 2));
  return { code, out, verdicts };
}

interface PythonResult {
  code: number;
  checkpoints: Array<{ ok: boolean; reason: string; size?: number }>;
  proofs: Array<{ ok: boolean; reason: string; kind: string }>;
}

/** The auditor's own verifier, tests/integration/python/verify_audit_proof.py. */
async function pythonVerify(
  docs: ProofDoc[],
  { held = [], verifierKey = testAuditKey.verifierKey }: VerifyOptions = {},
): Promise<PythonResult> {
  const script = join(ROOT, 'tests/integration/python/verify_audit_proof.py');
  const config = JSON.stringify({ verifierKey, proofs: docs, checkpoints: held });
  const { code, stdout } = await run('/usr/bin/python3', [script, config]).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => {
      if (e.code !== 1) throw new Error(`verify_audit_proof.py exited ${e.code}: ${e.stderr}`);
      return { code: e.code, stdout: e.stdout };
    },
  );
  return { code, ...(JSON.parse(stdout) as Omit<PythonResult, 'code'>) };
}

/** Reads as a clinician (whole-list pages: one record per patient), then waits for a checkpoint covering them. */
async function readWave(pages: number, ids: string[]): Promise<{ size: number; note: string }> {
  for (let i = 0; i < pages; i++)
    expect((await request(`${apiUrl}/api/v1/patients?limit=100`, { token: clinician })).status).toBe(200);
  for (const id of ids)
    expect((await request(`${apiUrl}/api/v1/patients/${id}`, { token: clinician })).status).toBe(200);
  const last = await withDb(dbUrl, async (db) =>
    Number((await db.query('SELECT max(seq) AS n FROM audit_log')).rows[0].n),
  );
  const logged = await rpc.waitForLog((r) => r.msg === 'audit checkpoint' && Number(r['treeSize']) >= last);
  return { size: Number(logged['treeSize']), note: String(logged['note']) };
}

const flipped = (hash: string): string => {
  const bytes = Buffer.from(hash, 'base64');
  bytes[0]! ^= 0x01;
  return bytes.toString('base64');
};

describe('audit proofs verified offline by two independent verifiers', () => {
  beforeAll(async () => {
    const keys = await createTestKeys();
    clinician = await keys.token({ sub: CLINICIAN, roles: ['clinician'] });
    auditor = await keys.token({ sub: AUDITOR, roles: ['auditor'] });
    dbUrl = await createDatabase(inject('postgresUrl'), `audit_proofs_${Date.now()}`);
    dir = mkdtempSync(join(tmpdir(), 'pm-audit-proofs-'));
    checkpointsFile = join(dir, 'checkpoints.jsonl');
    rpc = await startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, {
        PM_DATABASE__URL: dbUrl,
        PM_SEED__PATIENTS: '100',
        PM_AUDIT__CHECKPOINTS__FILE: checkpointsFile,
        PM_AUDIT__CHECKPOINTS__INTERVAL_MS: '100',
      }),
    });
    // Rate limiting and load shedding off, and a longer budget per request: on a busy machine
    // they would answer 429/503/504, and this is about what the proofs prove, not how fast.
    api = await startService('patient-api', {
      env: apiEnv(`127.0.0.1:${rpc.ports.grpc}`, keys.jwksFile, {
        PM_RATE_LIMIT__ENABLED: 'false',
        PM_SHEDDING__ENABLED: 'false',
        PM_HTTP__REQUEST_TIMEOUT_MS: '5000',
        PM_RESILIENCE__ATTEMPT_TIMEOUT_MS: '5000',
      }),
    });
    apiUrl = `http://127.0.0.1:${api.ports.http}`;
    const page = await request<{ items: Array<{ id: string }> }>(`${apiUrl}/api/v1/patients?limit=5`, {
      token: clinician,
    });
    const ids = page.body.items.map((p) => p.id);
    // Two waves of reads, past the tree's first tiles of 256 leaves, each sealed by a checkpoint.
    early = await readWave(3, ids);
    later = await readWave(3, ids);
    expect(early.size).toBeGreaterThan(256);
    expect(later.size).toBeGreaterThan(early.size + 256);
  });

  afterAll(async () => {
    expect(await api?.stop()).toBe(0);
    expect(await rpc?.stop()).toBe(0);
  });

  it('proofs of the first, a middle and the last record, at the latest and at an earlier checkpoint, verify in both', async () => {
    const latest = await ok(proof(1));
    const size = latest.treeSize;
    expect(size).toBeGreaterThanOrEqual(later.size);
    const expected: Array<[seq: number, treeSize: number]> = [
      [1, size],
      [Math.ceil(size / 2), size],
      [size, size],
      [1, early.size],
      [Math.ceil(early.size / 2), early.size],
      [early.size, early.size],
    ];
    const docs = [latest];
    for (const [seq, treeSize] of expected.slice(1)) docs.push(await ok(proof(seq, treeSize)));
    docs.forEach((doc, i) => {
      const [seq, treeSize] = expected[i]!;
      expect(doc).toMatchObject({ record: { seq: String(seq) }, leafIndex: seq - 1, treeSize });
      expect(sizeOf(doc.checkpoint)).toBe(treeSize);
    });
    // The records of the first wave are the clinician's reads: list pages, then single reads.
    const read = { actor: CLINICIAN, role: 'clinician', outcome: 'ok' };
    expect(docs.slice(3).map((doc) => doc.record)).toMatchObject([
      { ...read, action: 'patient.list' },
      { ...read, action: 'patient.list' },
      { ...read, action: 'patient.read' },
    ]);

    const held = publishedNotes();
    const node = await auditVerify(docs, { held });
    expect(node.verdicts).toEqual(expected.map(([seq, n]) => `ok: record ${seq} is in the signed log of ${n} records`));
    expect(node.code).toBe(0);
    const python = await pythonVerify(docs, { held });
    expect(python.checkpoints.every((c) => c.ok)).toBe(true);
    expect(python.proofs).toEqual(
      expected.map(([seq, n]) => ({
        kind: 'inclusion',
        ok: true,
        reason: `record ${seq} is in the signed log of ${n} records (${AUDIT_ORIGIN})`,
      })),
    );
    expect(python.code).toBe(0);
  });

  it('consistency proofs from an earlier checkpoint verify in both; from an unsigned size they need a root held', async () => {
    const toLatest = await ok(consistency(early.size));
    const between = await ok(consistency(early.size, later.size));
    expect(toLatest).toMatchObject({ fromSize: early.size, fromCheckpoint: early.note });
    expect(toLatest.toSize).toBeGreaterThanOrEqual(later.size);
    expect(between).toMatchObject({
      fromSize: early.size,
      toSize: later.size,
      fromCheckpoint: early.note,
      toCheckpoint: later.note,
    });
    const extends_ = (doc: ConsistencyDoc) =>
      `the signed log of ${doc.toSize} records extends the one of ${doc.fromSize}`;

    const node = await auditVerify([toLatest, between]);
    expect(node.verdicts).toEqual([`ok: ${extends_(toLatest)}`, `ok: ${extends_(between)}`]);
    expect(node.code).toBe(0);
    const python = await pythonVerify([toLatest, between]);
    expect(python.proofs).toEqual([
      { kind: 'consistency', ok: true, reason: extends_(toLatest) },
      { kind: 'consistency', ok: true, reason: extends_(between) },
    ]);

    // A size no checkpoint was signed at: the proof comes without fromCheckpoint, and
    // neither verifier takes the proof's word for the earlier tree.
    const unsigned = unsignedSize();
    const fromUnsigned = await ok(consistency(unsigned, later.size));
    expect(fromUnsigned).toMatchObject({ fromSize: unsigned, toSize: later.size, toCheckpoint: later.note });
    expect(fromUnsigned).not.toHaveProperty('fromCheckpoint');
    const unanchored = await auditVerify([fromUnsigned]);
    expect(unanchored.verdicts).toEqual([
      `FAILED: no checkpoint of ${unsigned} records to check against: give it with --checkpoints`,
    ]);
    expect(unanchored.code).toBe(1);
    expect((await pythonVerify([fromUnsigned])).proofs).toEqual([
      {
        kind: 'consistency',
        ok: false,
        reason: `no checkpoint of ${unsigned} records, held or given, to check against`,
      },
    ]);
    // Yet the proof is right: it links the root of the first `unsigned` records in the log to the signed one.
    const rows = await withDb(
      dbUrl,
      async (db) =>
        (
          await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq <= $1 ORDER BY audit_log.seq`, [
            unsigned,
          ])
        ).rows,
    );
    const path = fromUnsigned.consistency.map((h) => Buffer.from(h, 'base64'));
    const signedRoot = verifyCheckpoint(later.note, testAuditKey.verifierKey).root;
    expect(verifyConsistency(unsigned, later.size, rootOf(rows.map(auditLeafHash)), signedRoot, path)).toBe(true);
  });

  it('altered proofs fail in both: a record edited in the JSON, with or without its leafData, a flipped path hash', async () => {
    const genuine = await ok(proof(Math.ceil(early.size / 2), early.size));
    const growth = await ok(consistency(early.size, later.size));
    const record = { ...genuine.record, actor: 'someone-else' };
    const rebuilt = LEAF_FIELDS.map((field) => record[field]);
    const docs: ProofDoc[] = [
      { ...genuine, record },
      { ...genuine, record, leafData: Buffer.from(JSON.stringify(rebuilt)).toString('base64') },
      { ...genuine, inclusion: genuine.inclusion.map((h, i) => (i === 3 ? flipped(h) : h)) },
      { ...growth, consistency: growth.consistency.map((h, i) => (i === 0 ? flipped(h) : h)) },
    ];
    const seq = genuine.record.seq;

    const node = await auditVerify(docs);
    expect(node.verdicts).toEqual([
      `FAILED: leafData is not the canonical form of record ${seq}`,
      `FAILED: record ${seq}: the inclusion proof does not reach the root signed for ${early.size} records`,
      `FAILED: record ${seq}: the inclusion proof does not reach the root signed for ${early.size} records`,
      `FAILED: the log of ${later.size} records does not extend the one of ${early.size}: rewritten or forked`,
    ]);
    expect(node.code).toBe(1);
    const python = await pythonVerify(docs);
    expect(python.proofs.map((p) => [p.ok, p.reason])).toEqual([
      [false, `leafData is not the bytes of record ${seq}`],
      [false, `record ${seq}: the inclusion path does not lead to the root signed for ${early.size} records`],
      [false, `record ${seq}: the inclusion path does not lead to the root signed for ${early.size} records`],
      [false, `the signed log of ${later.size} records does not extend the one of ${early.size}`],
    ]);
    expect(python.code).toBe(1);
    // The documents were intact before the edits: the same proofs verify.
    expect((await pythonVerify([genuine, growth])).code).toBe(0);
  });

  it('refuses checkpoints another key signed, in a proof, among those held, and under another verifier key', async () => {
    const genuine = await ok(proof(1, early.size));
    const body = genuine.checkpoint.slice(0, genuine.checkpoint.lastIndexOf('\n\n') + 1);
    const other = createAuditKey();
    // The same log name, another key: a note signed by someone who does not hold the log's key.
    const forged = createNoteSigner(AUDIT_ORIGIN, createPrivateKey(readFileSync(other.signingKeyFile))).sign(body);
    // ... and the same forgery claiming the genuine key's ID.
    const genuineId = Buffer.from(genuine.checkpoint.trimEnd().split(' ').at(-1)!, 'base64').subarray(0, 4);
    const forgedSignature = Buffer.from(forged.trimEnd().split(' ').at(-1)!, 'base64');
    genuineId.copy(forgedSignature);
    const impostor = `${body}\n— ${AUDIT_ORIGIN} ${forgedSignature.toString('base64')}\n`;
    const keyId = testAuditKey.verifierKey.split('+')[1];

    for (const [note, why] of [
      [forged, `no signature by ${AUDIT_ORIGIN}\\+${keyId}`],
      [impostor, `signature by ${AUDIT_ORIGIN} does not verify`],
    ] as const) {
      const doc = { ...genuine, checkpoint: note };
      const [node, python, nodeHeld, pythonHeld] = await Promise.all([
        auditVerify([doc]),
        pythonVerify([doc]),
        auditVerify([genuine], { held: [note] }),
        pythonVerify([genuine], { held: [note] }),
      ]);
      expect(node.out).toMatch(new RegExp(`audit-verify: checkpoint rejected: ${why}`));
      expect(node.code).toBe(2);
      expect(python.proofs[0]!.ok).toBe(false);
      expect(python.proofs[0]!.reason).toMatch(new RegExp(`^the checkpoint: (the )?${why}`));
      // Held by the auditor, such a checkpoint is refused too, not trusted.
      expect(nodeHeld.out).toMatch(new RegExp(`audit-verify: checkpoint rejected: ${why}`));
      expect(nodeHeld.code).toBe(2);
      expect(pythonHeld.checkpoints[0]).toMatchObject({ ok: false, reason: expect.stringMatching(new RegExp(why)) });
      expect(pythonHeld.proofs[0]!.ok).toBe(true);
    }

    // The genuine proof, checked with another log's verifier key.
    const [elsewhere, node] = await Promise.all([
      pythonVerify([genuine], { verifierKey: other.verifierKey }),
      auditVerify([genuine], { verifierKey: other.verifierKey }),
    ]);
    expect(elsewhere.proofs[0]).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^the checkpoint: no signature by/),
    });
    expect(node.out).toMatch(/audit-verify: checkpoint rejected: no signature by/);
    expect(node.code).toBe(2);
  });

  it('answers malformed, unknown and unauthorised proof requests with problems, and audits the proof calls', async () => {
    for (const seq of ['0', 'abc', '1e3', '-1', '01']) {
      const bad = await request(`${apiUrl}/api/v1/audit/${seq}/proof`, { token: auditor });
      expect(bad.status, seq).toBe(400);
      expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(bad.body).toMatchObject({ reason: 'validation', detail: 'must be a positive integer' });
      expect(bad.body.errors).toEqual([{ path: 'params.seq', message: 'must be a positive integer' }]);
    }
    const badSize = await request(`${apiUrl}/api/v1/audit/1/proof?treeSize=abc`, { token: auditor });
    expect(badSize.status).toBe(400);
    expect(badSize.body.errors[0].path).toBe('query.treeSize');
    const badFrom = await request(`${apiUrl}/api/v1/audit/consistency?from=0`, { token: auditor });
    expect(badFrom.status).toBe(400);
    expect(badFrom.body.errors[0].path).toBe('query.from');

    const beyond = await proof(1_000_000_000);
    expect(beyond.status).toBe(404);
    expect(beyond.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const unsigned = unsignedSize();
    expect((await proof(1, unsigned)).status).toBe(404);
    expect((await consistency(1_000_000_000)).status).toBe(404);

    const requestId = `proof-denied-${Date.now()}`;
    const denied = await request(`${apiUrl}/api/v1/audit/1/proof`, {
      token: clinician,
      headers: { 'x-request-id': requestId },
    });
    expect(denied.status).toBe(403);
    expect((await request(`${apiUrl}/api/v1/audit/consistency?from=1`, { token: clinician })).status).toBe(403);

    // The auditor's proof call is itself in the trail, under the proved record's patient.
    const auditedId = `proof-audited-${Date.now()}`;
    const proved = await request<InclusionDoc>(`${apiUrl}/api/v1/audit/1/proof`, {
      token: auditor,
      headers: { 'x-request-id': auditedId },
    });
    expect(proved.status).toBe(200);
    const trail = await request<{ items: AuditRecord[] }>(
      `${apiUrl}/api/v1/audit?patientId=${proved.body.record.patientId}&limit=500`,
      { token: auditor },
    );
    expect(trail.status).toBe(200);
    expect(trail.body.items.filter((r) => r.requestId === auditedId)).toEqual([
      expect.objectContaining({ action: 'audit.proof', actor: AUDITOR, role: 'auditor', outcome: 'ok' }),
    ]);
    const refused = await withDb(
      dbUrl,
      async (db) =>
        (await db.query('SELECT actor, action, outcome FROM audit_log WHERE request_id = $1', [requestId])).rows,
    );
    expect(refused).toEqual([{ actor: CLINICIAN, action: 'audit.proof', outcome: 'denied' }]);
  });

  // Last: it edits the live trail.
  it('a record edited in the database by the tables owner fails against the checkpoint held from before', async () => {
    const held = publishedNotes();
    const size = sizeOf(held.at(-1)!);
    const seq = 7;
    const before = await ok(proof(seq, size));
    const verified = await Promise.all([auditVerify([before], { held }), pythonVerify([before], { held })]);
    expect(verified.map((v) => v.code)).toEqual([0, 0]);

    await withDb(dbUrl, async (db) => {
      // What only the tables' owner can do: take back the privilege the migrations gave up, and silence the trigger.
      await db.query('GRANT UPDATE, DELETE ON audit_log TO CURRENT_USER');
      await db.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await db.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = $1", [seq]);
      await db.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    });

    const after = await ok(proof(seq, size));
    expect(after.record).toEqual({ ...before.record, actor: 'mallory' });
    const latest = await ok(proof(seq));
    const node = await auditVerify([after, latest], { held });
    expect(node.verdicts).toEqual([
      `FAILED: record ${seq}: the inclusion proof does not reach the root signed for ${size} records`,
      `FAILED: record ${seq}: the inclusion proof does not reach the root signed for ${latest.treeSize} records`,
    ]);
    expect(node.code).toBe(1);
    const python = await pythonVerify([after, latest], { held });
    expect(python.proofs.map((p) => [p.ok, p.reason])).toEqual([
      [false, `record ${seq}: the inclusion path does not lead to the root signed for ${size} records`],
      [false, `record ${seq}: the inclusion path does not lead to the root signed for ${latest.treeSize} records`],
    ]);
    expect(python.code).toBe(1);
  });
});
