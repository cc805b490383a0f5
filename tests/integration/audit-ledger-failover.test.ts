// One checkpoint sequencer at a time, and another takes over when it dies: two patient-rpc
// replicas on one PostgreSQL append and sign checkpoints under read load; one is SIGKILLed,
// mid-round or mid-append or not; the other goes on. An append the kill cut short leaves a
// hole in seq, which the survivor seals. Every checkpoint either published still verifies
// against the final log, no tree size is signed twice, and the last checkpoint covers every
// record, gap-free.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { startLoad } from '../lifecycle/harness/loadGenerator.ts';
import { apiEnv, createDatabase, ROOT, rpcEnv, startService, testAuditKey } from '../support/services.ts';
import { createTestKeys } from '../support/tokens.ts';

const run = promisify(execFile);

it('a second replica takes over checkpointing when the first is killed, with one consistent tree', async () => {
  const keys = await createTestKeys();
  const token = await keys.token();
  const url = await createDatabase(inject('postgresUrl'), `ledger_failover_${Date.now()}`);
  const dir = mkdtempSync(join(tmpdir(), 'pm-ledger-failover-'));
  const replica = (name: string, seed: string) =>
    startService('patient-rpc', {
      env: rpcEnv(keys.jwksFile, {
        PM_DATABASE__URL: url,
        PM_SEED__PATIENTS: seed,
        PM_AUDIT__CHECKPOINTS__FILE: join(dir, `${name}.jsonl`),
        PM_AUDIT__CHECKPOINTS__INTERVAL_MS: '50',
        PM_AUDIT__CHECKPOINTS__GAP_GRACE_MS: '1000',
      }),
    });
  const a = await replica('a', '3');
  const b = await replica('b', '0');
  const api = await startService('patient-api', {
    env: apiEnv(`static:///127.0.0.1:${a.ports.grpc},127.0.0.1:${b.ports.grpc}`, keys.jwksFile, {
      PM_RATE_LIMIT__ENABLED: 'false',
      PM_SHEDDING__ENABLED: 'false',
    }),
  });
  try {
    const load = startLoad({
      url: `http://127.0.0.1:${api.ports.http}/api/v1/patients?limit=1`,
      headers: { authorization: `Bearer ${token}` },
      connections: 4,
      durationMs: 60_000,
      maxRequests: 50_000,
    });
    // Both replicas have signed, so whichever dies, the other has been taking turns.
    await Promise.all([a, b].map((r) => r.waitForLog((l) => l.msg === 'audit checkpoint')));
    await a.stop('SIGKILL');
    const after = b.logs.length;
    await b.waitForLog((l) => b.logs.indexOf(l) >= after && l.msg === 'audit checkpoint');
    await load.okCount(load.ok + 200);
    load.stop();
    await load.result;
    expect(await api.stop()).toBe(0);
    expect(await b.stop()).toBe(0); // its last round covers every record committed
  } finally {
    await Promise.all([api.stop('SIGKILL'), a.stop('SIGKILL'), b.stop('SIGKILL')]);
  }

  const notes = ['a', 'b'].flatMap((name) =>
    readFileSync(join(dir, `${name}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { note: string }).note),
  );
  const sizes = notes.map((note) => Number(note.split('\n')[1]));
  expect(new Set(sizes).size).toBe(sizes.length); // no size signed twice
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const { rows } = await db.query<{ records: number; last: number }>(
    'SELECT count(*)::int AS records, max(seq)::int AS last FROM audit_log',
  );
  await db.end();
  const { records, last } = rows[0]!;
  expect(last).toBe(records); // seq is gap-free: holes the kill left were sealed
  expect(Math.max(...sizes)).toBe(records);

  const { stdout } = await run(
    process.execPath,
    [
      'scripts/audit-verify.ts',
      '--database-url',
      url,
      '--verifier-key',
      testAuditKey.verifierKey,
      '--checkpoints',
      join(dir, 'a.jsonl'),
      '--checkpoints',
      join(dir, 'b.jsonl'),
    ],
    { cwd: ROOT },
  );
  // The published ones and those stored: a replica killed between storing a checkpoint and
  // publishing it leaves one more in the database, which verifies too.
  const matched = /audit log matches (\d+) signed checkpoints \((\d+) records\)/.exec(stdout);
  expect(matched, stdout).not.toBeNull();
  expect(Number(matched![1])).toBeGreaterThanOrEqual(sizes.length);
  expect(Number(matched![2])).toBe(records);
});
